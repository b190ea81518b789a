/* Checkpoints through the C API: for a sampler with every kernel, a replica
 * exchange and a trainer in every mode, running N steps equals running k,
 * saving, restoring into a freshly initialised object and running N - k
 * (the checkpoints of both, which hold every bit of state, are compared
 * byte for byte, and so are the positions and the trained weights); damaged
 * or foreign checkpoints are refused with the object's state unchanged. */
#include <stdlib.h>

#include "check.h"

#define DIM 3
#define NW 8

static TebmEnergy e_gauss, e_a, e_c;
static TebmSampler s_a, s_b, s_c, s_copy;
static TebmTempering t_a, t_b, t_c, t_copy;
static TebmTrainer r_a, r_b, r_c, r_copy;

static const float mean[DIM] = {0.5f, -1.0f, 2.0f};
static const float prec[DIM] = {1.0f, 16.0f, 0.0625f};
static const float mass[DIM] = {1.0f, 16.0f, 0.0625f};

static uint8_t *alloc_bytes(size_t n) {
    uint8_t *p = malloc(n);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    memset(p, 0, n);
    return p;
}

static TebmSamplerConfig sampler_cfg(uint32_t kind, uint64_t seed, float h) {
    TebmSamplerConfig c = sampler_config(kind, NW, h);
    c.seed = seed;
    c.init_sd = 1.5f;
    c.adapt = kind != TEBM_KERNEL_ULA;
    if (kind == TEBM_KERNEL_HMC || kind == TEBM_KERNEL_NUTS || kind == TEBM_KERNEL_PMALA) {
        c.kernel.mass = mass;
    }
    if (kind == TEBM_KERNEL_HMC || kind == TEBM_KERNEL_NUTS) c.kernel.step_jitter = 0.2f;
    c.kernel.leapfrog_steps = 5;
    c.kernel.max_tree_depth = 6;
    return c;
}

/* A sampler's checkpoint, into a fresh buffer. */
static uint8_t *save_sampler(const TebmSampler *s, size_t *n) {
    size_t len = 0, written = 0;
    EXPECT(tebm_sampler_checkpoint_size(s, &len), TEBM_STATUS_OK);
    uint8_t *b = alloc_bytes(len);
    EXPECT(tebm_sampler_checkpoint_save(s, b, len, &written), TEBM_STATUS_OK);
    CHECK(written == len);
    *n = len;
    return b;
}

/* Steps, checkpoint after `k`, restore into a fresh sampler (other seed,
 * other step size, no adaptation), finish: the same bits as uninterrupted. */
static void sampler_resume(uint32_t kind) {
    const size_t total = 60, k = 25;
    TebmSamplerConfig c = sampler_cfg(kind, 7, 0.1f);
    EXPECT(tebm_sampler_init(&s_a, sizeof s_a, &e_gauss, &c), TEBM_STATUS_OK);
    EXPECT(tebm_sampler_run(&s_a, &e_gauss, total, NULL), TEBM_STATUS_OK);
    EXPECT(tebm_sampler_init(&s_b, sizeof s_b, &e_gauss, &c), TEBM_STATUS_OK);
    EXPECT(tebm_sampler_run(&s_b, &e_gauss, k, NULL), TEBM_STATUS_OK);
    size_t n = 0;
    uint8_t *mid = save_sampler(&s_b, &n);

    TebmSamplerConfig other = sampler_cfg(kind, 99, 0.7f);
    other.adapt = 0;
    other.kernel.mass = NULL;
    EXPECT(tebm_sampler_init(&s_c, sizeof s_c, &e_gauss, &other), TEBM_STATUS_OK);
    EXPECT(tebm_sampler_checkpoint_restore(&s_c, mid, n), TEBM_STATUS_OK);
    size_t n2 = 0;
    uint8_t *again = save_sampler(&s_c, &n2);
    CHECK(n2 == n && memcmp(mid, again, n) == 0);
    EXPECT(tebm_sampler_run(&s_c, &e_gauss, total - k, NULL), TEBM_STATUS_OK);

    size_t na = 0, nc = 0;
    uint8_t *fa = save_sampler(&s_a, &na), *fc = save_sampler(&s_c, &nc);
    CHECK(na == nc && memcmp(fa, fc, na) == 0);
    float pa[NW * DIM], pc[NW * DIM];
    EXPECT(tebm_sampler_positions(&s_a, pa, NW * DIM), TEBM_STATUS_OK);
    EXPECT(tebm_sampler_positions(&s_c, pc, NW * DIM), TEBM_STATUS_OK);
    CHECK(memcmp(pa, pc, sizeof pa) == 0);
    if (memcmp(fa, fc, na) != 0) fprintf(stderr, "  (kernel %u)\n", (unsigned)kind);
    free(mid), free(again), free(fa), free(fc);
}

/* Refusals: edge arguments, every truncation (a stride of them), flipped
 * bytes, another object's checkpoint: each leaves the state unchanged. */
static void sampler_refusals(void) {
    TebmSamplerConfig c = sampler_cfg(TEBM_KERNEL_NUTS, 1, 0.3f);
    EXPECT(tebm_sampler_init(&s_b, sizeof s_b, &e_gauss, &c), TEBM_STATUS_OK);
    EXPECT(tebm_sampler_run(&s_b, &e_gauss, 30, NULL), TEBM_STATUS_OK);
    size_t n = 0;
    uint8_t *good = save_sampler(&s_b, &n);
    TebmSamplerConfig c2 = sampler_cfg(TEBM_KERNEL_MALA, 2, 0.1f);
    EXPECT(tebm_sampler_init(&s_c, sizeof s_c, &e_gauss, &c2), TEBM_STATUS_OK);
    EXPECT(tebm_sampler_run(&s_c, &e_gauss, 20, NULL), TEBM_STATUS_OK);

    size_t len = 0, written = 123;
    EXPECT(tebm_sampler_checkpoint_size(NULL, &len), TEBM_STATUS_NULL_POINTER);
    EXPECT(tebm_sampler_checkpoint_size(&s_c, NULL), TEBM_STATUS_NULL_POINTER);
    EXPECT(tebm_sampler_checkpoint_size((const TebmSampler *)&e_gauss, &len),
           TEBM_STATUS_WRONG_OBJECT);
    EXPECT(tebm_sampler_checkpoint_save(NULL, good, n, NULL), TEBM_STATUS_NULL_POINTER);
    EXPECT(tebm_sampler_checkpoint_save(&s_c, NULL, n, NULL), TEBM_STATUS_NULL_POINTER);
    uint8_t *small = alloc_bytes(n);
    EXPECT(tebm_sampler_checkpoint_save(&s_c, small, n - 1, &written),
           TEBM_STATUS_BUFFER_TOO_SMALL);
    CHECK(written == 123);
    for (size_t i = 0; i < n; i++) CHECK(small[i] == 0);
    char msg[160];
    EXPECT(tebm_sampler_last_error(&s_c, msg, sizeof msg), TEBM_STATUS_OK);
    CHECK(strstr(msg, "tebm_sampler_checkpoint_save") != NULL);
    free(small);

    EXPECT_KEEPS(tebm_sampler_checkpoint_restore(NULL, good, n), TEBM_STATUS_NULL_POINTER,
                 &s_c, &s_copy, bytes_same);
    EXPECT_KEEPS(tebm_sampler_checkpoint_restore(&s_c, NULL, n), TEBM_STATUS_NULL_POINTER,
                 &s_c, &s_copy, bytes_same);
    for (size_t cut = 0; cut < n; cut += (cut < 64 ? 1 : 997)) {
        EXPECT_KEEPS(tebm_sampler_checkpoint_restore(&s_c, good, cut), TEBM_STATUS_TRUNCATED,
                     &s_c, &s_copy, state_bytes_same);
    }
    for (size_t i = 0; i < n; i += (i < 64 ? 1 : 389)) {
        good[i] ^= 0x5A;
        memcpy(&s_copy, &s_c, sizeof s_c);
        CHECK(tebm_sampler_checkpoint_restore(&s_c, good, n) != TEBM_STATUS_OK);
        CHECK(state_bytes_same(&s_c, &s_copy, sizeof s_c));
        good[i] ^= 0x5A;
    }
    /* A replica exchange's checkpoint is another kind. */
    TebmTemperingConfig tc = tempering_config(NW, 3);
    tc.kernel.kind = TEBM_KERNEL_MALA;
    tc.kernel.step_size = 0.1f;
    tc.beta_min = 0.2f;
    EXPECT(tebm_tempering_init(&t_b, sizeof t_b, &e_gauss, &tc), TEBM_STATUS_OK);
    size_t tn = 0;
    EXPECT(tebm_tempering_checkpoint_size(&t_b, &tn), TEBM_STATUS_OK);
    uint8_t *tb = alloc_bytes(tn);
    EXPECT(tebm_tempering_checkpoint_save(&t_b, tb, tn, NULL), TEBM_STATUS_OK);
    EXPECT_KEEPS(tebm_sampler_checkpoint_restore(&s_c, tb, tn), TEBM_STATUS_CORRUPT_DATA, &s_c,
                 &s_copy, state_bytes_same);
    free(tb);
    /* The intact checkpoint is accepted. */
    EXPECT(tebm_sampler_checkpoint_restore(&s_c, good, n), TEBM_STATUS_OK);
    free(good);
}

static uint8_t *save_tempering(const TebmTempering *t, size_t *n) {
    size_t len = 0;
    EXPECT(tebm_tempering_checkpoint_size(t, &len), TEBM_STATUS_OK);
    uint8_t *b = alloc_bytes(len);
    EXPECT(tebm_tempering_checkpoint_save(t, b, len, NULL), TEBM_STATUS_OK);
    *n = len;
    return b;
}

static void tempering_resume(void) {
    TebmTemperingConfig c = tempering_config(NW, 3);
    c.kernel.kind = TEBM_KERNEL_HMC;
    c.kernel.step_size = 0.2f;
    c.kernel.leapfrog_steps = 3;
    c.kernel.step_jitter = 0.1f;
    c.beta_min = 0.2f;
    c.seed = 5;
    c.init_sd = 2.0f;
    EXPECT(tebm_tempering_init(&t_a, sizeof t_a, &e_gauss, &c), TEBM_STATUS_OK);
    EXPECT(tebm_tempering_run(&t_a, &e_gauss, 50, NULL), TEBM_STATUS_OK);
    EXPECT(tebm_tempering_init(&t_b, sizeof t_b, &e_gauss, &c), TEBM_STATUS_OK);
    EXPECT(tebm_tempering_run(&t_b, &e_gauss, 21, NULL), TEBM_STATUS_OK);
    size_t n = 0;
    uint8_t *mid = save_tempering(&t_b, &n);
    TebmTemperingConfig other = c;
    other.seed = 77;
    other.beta_min = 0.5f;
    other.kernel.step_size = 0.9f;
    EXPECT(tebm_tempering_init(&t_c, sizeof t_c, &e_gauss, &other), TEBM_STATUS_OK);
    EXPECT(tebm_tempering_checkpoint_size(NULL, &n), TEBM_STATUS_NULL_POINTER);
    EXPECT(tebm_tempering_checkpoint_save(&t_c, NULL, n, NULL), TEBM_STATUS_NULL_POINTER);
    EXPECT_KEEPS(tebm_tempering_checkpoint_restore(&t_c, mid, n - 1), TEBM_STATUS_TRUNCATED, &t_c,
                 &t_copy, state_bytes_same);
    EXPECT(tebm_tempering_checkpoint_restore(&t_c, mid, n), TEBM_STATUS_OK);
    EXPECT(tebm_tempering_run(&t_c, &e_gauss, 29, NULL), TEBM_STATUS_OK);
    size_t na = 0, nc = 0;
    uint8_t *fa = save_tempering(&t_a, &na), *fc = save_tempering(&t_c, &nc);
    CHECK(na == nc && memcmp(fa, fc, na) == 0);
    float ba[3], bc[3];
    TebmSwapStats sa[3], sc[3];
    uint64_t wa = 0, wc = 1;
    memset(sa, 0, sizeof sa), memset(sc, 0, sizeof sc);
    EXPECT(tebm_tempering_ladder(&t_a, ba, sa, 3, &wa), TEBM_STATUS_OK);
    EXPECT(tebm_tempering_ladder(&t_c, bc, sc, 3, &wc), TEBM_STATUS_OK);
    CHECK(memcmp(ba, bc, sizeof ba) == 0 && wa == wc && wa == 50);
    CHECK(memcmp(sa, sc, 2 * sizeof sa[0]) == 0 && sa[0].attempted > 0);
    free(mid), free(fa), free(fc);
}

/* Data point i: deterministic, spread around the mean. */
static void point(size_t i, float *x) {
    for (size_t j = 0; j < DIM; j++) {
        x[j] = mean[j] + 1.3f * (float)((int)((i * 7 + j * 3) % 11) - 5) / 5.0f;
    }
}

static void push(TebmTrainer *t, TebmEnergy *e, size_t from, size_t to) {
    float x[DIM];
    for (size_t i = from; i < to; i++) {
        point(i, x);
        int updated = 0;
        EXPECT(tebm_trainer_push(t, e, x, DIM, &updated), TEBM_STATUS_OK);
    }
}

static uint8_t *save_trainer(const TebmTrainer *t, const TebmEnergy *e, size_t *n) {
    size_t len = 0;
    EXPECT(tebm_trainer_checkpoint_size(t, &len), TEBM_STATUS_OK);
    uint8_t *b = alloc_bytes(len);
    EXPECT(tebm_trainer_checkpoint_save(t, e, b, len, NULL), TEBM_STATUS_OK);
    *n = len;
    return b;
}

static void trainer_resume(uint32_t mode, uint32_t optimizer) {
    const float start_mean[DIM] = {0.0f, 0.0f, 0.0f}, start_prec[DIM] = {1.0f, 1.0f, 1.0f};
    const float other_mean[DIM] = {3.0f, 3.0f, 3.0f};
    const size_t total = 8 * 12 + 3, k = 8 * 5 + 2;
    TebmTrainerConfig c = trainer_config(TEBM_KERNEL_ULA, NW, 0.02f);
    c.mode = mode;
    c.ess_threshold = 0.95f;
    c.batch_size = 8;
    c.steps = 3;
    c.optimizer = optimizer;
    c.learning_rate = 0.05f;
    c.momentum = 0.5f;
    c.init_sd = 1.0f;
    if (mode == TEBM_TRAIN_MODE_PCD) {
        c.reinit = TEBM_REINIT_GAUSSIAN;
        c.reinit_prob = 0.1f;
        c.reinit_sd = 2.0f;
    }
    EXPECT(tebm_energy_init_gaussian_diag(&e_a, sizeof e_a, DIM, start_mean, start_prec),
           TEBM_STATUS_OK);
    EXPECT(tebm_trainer_init(&r_a, sizeof r_a, &e_a, &c), TEBM_STATUS_OK);
    push(&r_a, &e_a, 0, total);

    EXPECT(tebm_energy_init_gaussian_diag(&e_c, sizeof e_c, DIM, start_mean, start_prec),
           TEBM_STATUS_OK);
    EXPECT(tebm_trainer_init(&r_b, sizeof r_b, &e_c, &c), TEBM_STATUS_OK);
    push(&r_b, &e_c, 0, k);
    size_t n = 0;
    uint8_t *mid = save_trainer(&r_b, &e_c, &n);

    /* Fresh energy (other mean) and trainer (other settings). */
    TebmTrainerConfig other = c;
    other.learning_rate = 0.9f;
    other.batch_size = 3;
    other.mode = TEBM_TRAIN_MODE_PCD;
    other.reinit = TEBM_REINIT_NEVER;
    EXPECT(tebm_energy_init_gaussian_diag(&e_c, sizeof e_c, DIM, other_mean, start_prec),
           TEBM_STATUS_OK);
    EXPECT(tebm_trainer_init(&r_c, sizeof r_c, &e_c, &other), TEBM_STATUS_OK);
    EXPECT(tebm_trainer_checkpoint_restore(NULL, &e_c, mid, n), TEBM_STATUS_NULL_POINTER);
    EXPECT(tebm_trainer_checkpoint_restore(&r_c, NULL, mid, n), TEBM_STATUS_NULL_POINTER);
    EXPECT(tebm_trainer_checkpoint_save(&r_c, NULL, mid, n, NULL), TEBM_STATUS_NULL_POINTER);
    EXPECT_KEEPS(tebm_trainer_checkpoint_restore(&r_c, &e_c, mid, n / 2), TEBM_STATUS_TRUNCATED,
                 &r_c, &r_copy, state_bytes_same);
    mid[n / 2] ^= 1;
    EXPECT_KEEPS(tebm_trainer_checkpoint_restore(&r_c, &e_c, mid, n), TEBM_STATUS_CHECKSUM,
                 &r_c, &r_copy, state_bytes_same);
    mid[n / 2] ^= 1;
    EXPECT(tebm_trainer_checkpoint_restore(&r_c, &e_c, mid, n), TEBM_STATUS_OK);
    push(&r_c, &e_c, k, total);

    size_t na = 0, nc = 0;
    uint8_t *fa = save_trainer(&r_a, &e_a, &na), *fc = save_trainer(&r_c, &e_c, &nc);
    CHECK(na == nc && memcmp(fa, fc, na) == 0);
    uint8_t wa[256], wc[256];
    size_t la = 0, lc = 0;
    EXPECT(tebm_weights_save(&e_a, wa, sizeof wa, &la), TEBM_STATUS_OK);
    EXPECT(tebm_weights_save(&e_c, wc, sizeof wc, &lc), TEBM_STATUS_OK);
    CHECK(la == lc && memcmp(wa, wc, la) == 0);
    if (memcmp(fa, fc, na) != 0) fprintf(stderr, "  (mode %u, optimizer %u)\n", (unsigned)mode, (unsigned)optimizer);
    free(mid), free(fa), free(fc);
}

int main(void) {
    EXPECT(tebm_energy_init_gaussian_diag(&e_gauss, sizeof e_gauss, DIM, mean, prec),
           TEBM_STATUS_OK);
    for (uint32_t kind = 0; kind < TEBM_KERNEL_COUNT; kind++) sampler_resume(kind);
    sampler_refusals();
    tempering_resume();
    trainer_resume(TEBM_TRAIN_MODE_PCD, TEBM_OPTIMIZER_ADAM);
    trainer_resume(TEBM_TRAIN_MODE_CD, TEBM_OPTIMIZER_SGD);
    trainer_resume(TEBM_TRAIN_MODE_JARZYNSKI, TEBM_OPTIMIZER_ADAM);
    printf("checkpoint_test: %d checks, %d failures\n", checks, failures);
    return failures != 0;
}

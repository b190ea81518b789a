/* Every status path of the training and weight-format functions of the C
 * API (status_test.c covers energies and samplers): NULL for each pointer
 * argument, zero sizes, sizes at and above capacity, too-small and
 * misaligned memory, uninitialised and wrong-type handles, bad
 * configuration, damaged weight files (every byte flipped, every
 * truncation, trailing bytes, wrong kind, NaN parameters with a valid
 * checksum), NaN data points, a callback energy given to the trainer, and
 * an update refused for non-finite values. After each failing call the
 * objects involved are compared with copies taken before it: energies every
 * byte; trainers every byte after the header (TEBM_SAMPLER_HEADER_SIZE
 * bytes: type tag and last-error record), or every byte for calls that
 * record no error. Exit status 0 when every check passes. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tinyebm.h"

#include "check.h"

#define cb quad_energy

static TebmEnergy e_mlp, e_mlp_small, e_gauss, e_cb, e_tmp, e_copy, e_copy2;
static TebmSampler s_any;
static TebmTrainer tr, tr_copy, tr_zero;
static TebmTempering rx, rx_copy;
static union {
    TebmTrainer t;
    unsigned char bytes[sizeof(TebmTrainer) + 16];
} tr_raw;
static union {
    TebmEnergy e;
    unsigned char bytes[sizeof(TebmEnergy) + 16];
} e_raw;
static uint8_t file[4096], damaged[4096], gfile[256];
static size_t nfile, ngfile;
static float theta[8 * (2 + 8 + 3) + 1];

#define energy_same(a, b) bytes_same((a), (b), sizeof *(a))

/* CRC-32 (IEEE, as zlib's): to build damaged files that pass the checksum. */
static uint32_t crc32(const uint8_t *p, size_t n) {
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
    }
    return ~c;
}
static void put_u32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static void fix_crc(uint8_t *p, size_t n) { put_u32(p + n - 4, crc32(p, n - 4)); }

static void test_status_messages(void) {
    char buf[96];
    EXPECT(tebm_status_message(TEBM_STATUS_TRUNCATED, buf, sizeof buf), TEBM_STATUS_OK);
    CHECK(strcmp(buf, "input data truncated") == 0);
    EXPECT(tebm_status_message(TEBM_STATUS_CHECKSUM, buf, sizeof buf), TEBM_STATUS_OK);
    CHECK(strcmp(buf, "checksum mismatch") == 0);
    EXPECT(tebm_status_message(TEBM_STATUS_CORRUPT_DATA, buf, sizeof buf), TEBM_STATUS_OK);
    CHECK(strstr(buf, "corrupt weight data") != NULL);
    EXPECT(tebm_status_message(TEBM_STATUS_BUSY, buf, sizeof buf), TEBM_STATUS_OK);
    CHECK(strstr(buf, "in use by another call") != NULL);
    EXPECT(tebm_status_message(TEBM_STATUS_COUNT, buf, sizeof buf), TEBM_STATUS_OK);
    CHECK(strcmp(buf, "unknown status code") == 0);
}

static void test_weights(void) {
    size_t n = 0, w = 12345;
    /* size */
    EXPECT(tebm_weights_size(NULL, &n), TEBM_STATUS_NULL_POINTER);
    EXPECT(tebm_weights_size(&e_mlp, NULL), TEBM_STATUS_NULL_POINTER);
    EXPECT(tebm_weights_size(&e_cb, &n), TEBM_STATUS_BAD_CONFIG);
    EXPECT(tebm_weights_size((const TebmEnergy *)&tr_zero, &n), TEBM_STATUS_NOT_INITIALISED);
    EXPECT(tebm_weights_size((const TebmEnergy *)&s_any, &n), TEBM_STATUS_WRONG_OBJECT);
    CHECK(n == 0);
    EXPECT(tebm_weights_size(&e_mlp, &n), TEBM_STATUS_OK);
    CHECK(n == 20 + 4 + 4 + 4 * tebm_mlp_num_params(2, 8) + 4);
    /* save */
    memset(file, 0xAB, sizeof file);
    EXPECT(tebm_weights_save(NULL, file, sizeof file, &w), TEBM_STATUS_NULL_POINTER);
    EXPECT(tebm_weights_save(&e_mlp, NULL, sizeof file, &w), TEBM_STATUS_NULL_POINTER);
    EXPECT(tebm_weights_save(&e_mlp, file, n - 1, &w), TEBM_STATUS_BUFFER_TOO_SMALL);
    EXPECT(tebm_weights_save(&e_mlp, file, 0, &w), TEBM_STATUS_BUFFER_TOO_SMALL);
    EXPECT(tebm_weights_save(&e_cb, file, sizeof file, &w), TEBM_STATUS_BAD_CONFIG);
    EXPECT(tebm_weights_save((const TebmEnergy *)&s_any, file, sizeof file, &w), TEBM_STATUS_WRONG_OBJECT);
    CHECK(w == 12345 && file[0] == 0xAB && file[n - 1] == 0xAB);
    EXPECT(tebm_weights_save(&e_mlp, file, n, NULL), TEBM_STATUS_OK);
    EXPECT(tebm_weights_save(&e_mlp, file, sizeof file, &nfile), TEBM_STATUS_OK);
    CHECK(nfile == n && memcmp(file, "TEBM", 4) == 0 && file[n] == 0xAB);
    EXPECT(tebm_weights_save(&e_gauss, gfile, sizeof gfile, &ngfile), TEBM_STATUS_OK);

    /* peek */
    TebmWeightsHeader h, h0;
    memset(&h0, 0x5A, sizeof h0);
    h = h0;
    EXPECT(tebm_weights_peek(NULL, nfile, &h), TEBM_STATUS_NULL_POINTER);
    EXPECT(tebm_weights_peek(file, nfile, NULL), TEBM_STATUS_NULL_POINTER);
    EXPECT(tebm_weights_peek(file, 19, &h), TEBM_STATUS_TRUNCATED);
    EXPECT(tebm_weights_peek(file, 0, &h), TEBM_STATUS_TRUNCATED);
    memcpy(damaged, file, nfile);
    damaged[0] = 'X';
    EXPECT(tebm_weights_peek(damaged, nfile, &h), TEBM_STATUS_CORRUPT_DATA);
    CHECK(memcmp(&h, &h0, sizeof h) == 0);
    EXPECT(tebm_weights_peek(file, 20, &h), TEBM_STATUS_OK);
    CHECK(h.kind == TEBM_ENERGY_KIND_MLP && h.version == 1 && h.dim == 2 && h.hidden == 8 &&
          h.activation == TEBM_ACTIVATION_TANH && h.num_params == tebm_mlp_num_params(2, 8) &&
          h.encoded_len == nfile && h.fits == 1);
    EXPECT(tebm_weights_peek(gfile, ngfile, &h), TEBM_STATUS_OK);
    CHECK(h.kind == TEBM_ENERGY_KIND_GAUSSIAN && h.dim == 2 && h.diagonal == 1 && h.encoded_len == ngfile);
    /* A file too big for this build: h = 33 > TEBM_MAX_HIDDEN. */
    memcpy(damaged, file, nfile);
    put_u32(damaged + 12, TEBM_MAX_HIDDEN + 1);
    EXPECT(tebm_weights_peek(damaged, nfile, &h), TEBM_STATUS_OK);
    CHECK(h.fits == 0 && h.hidden == TEBM_MAX_HIDDEN + 1);

    /* load: every refusal leaves the energy as it was. */
    memcpy(&e_copy, &e_mlp_small, sizeof e_copy);
    EXPECT(tebm_weights_load(NULL, file, nfile), TEBM_STATUS_NULL_POINTER);
    EXPECT(tebm_weights_load(&e_mlp_small, NULL, nfile), TEBM_STATUS_NULL_POINTER);
    EXPECT(tebm_weights_load(&e_cb, file, nfile), TEBM_STATUS_BAD_CONFIG);
    EXPECT(tebm_weights_load((TebmEnergy *)&s_any, file, nfile), TEBM_STATUS_WRONG_OBJECT);
    EXPECT(tebm_weights_load(&e_mlp_small, gfile, ngfile), TEBM_STATUS_CORRUPT_DATA); /* wrong kind */
    EXPECT(tebm_weights_load(&e_mlp_small, damaged, nfile), TEBM_STATUS_CAPACITY_EXCEEDED);
    memcpy(damaged, file, nfile);
    damaged[4] = 2; /* version 2 */
    EXPECT(tebm_weights_load(&e_mlp_small, damaged, nfile), TEBM_STATUS_CORRUPT_DATA);
    memcpy(damaged, file, nfile);
    damaged[nfile] = 0;
    EXPECT(tebm_weights_load(&e_mlp_small, damaged, nfile + 1), TEBM_STATUS_CORRUPT_DATA); /* trailing */
    memcpy(damaged, file, nfile);
    damaged[nfile - 20] ^= 0x01;
    EXPECT(tebm_weights_load(&e_mlp_small, damaged, nfile), TEBM_STATUS_CHECKSUM);
    /* A NaN parameter behind a valid checksum. */
    memcpy(damaged, file, nfile);
    put_u32(damaged + nfile - 8, 0x7fc00000u);
    fix_crc(damaged, nfile);
    EXPECT(tebm_weights_load(&e_mlp_small, damaged, nfile), TEBM_STATUS_BAD_PARAMETERS);
    int unchanged = 1, refused = 1, truncated = 1;
    for (size_t i = 0; i < nfile; i++)
        for (int bit = 0; bit < 8; bit += 3) {
            memcpy(damaged, file, nfile);
            damaged[i] ^= (uint8_t)(1u << bit);
            refused &= tebm_weights_load(&e_mlp_small, damaged, nfile) != TEBM_STATUS_OK;
            unchanged &= energy_same(&e_mlp_small, &e_copy);
        }
    for (size_t len = 0; len < nfile; len++) {
        TebmStatus s = tebm_weights_load(&e_mlp_small, file, len);
        truncated &= s == TEBM_STATUS_TRUNCATED;
        unchanged &= energy_same(&e_mlp_small, &e_copy);
    }
    CHECK(refused);
    CHECK(truncated);
    CHECK(unchanged);
    CHECK(energy_same(&e_mlp_small, &e_copy));
    EXPECT(tebm_weights_load(&e_mlp_small, file, nfile), TEBM_STATUS_OK);
    CHECK(!energy_same(&e_mlp_small, &e_copy));

    /* check: the detailed reason. */
    char msg[TEBM_ERROR_MESSAGE_CAPACITY];
    memcpy(damaged, file, nfile);
    damaged[nfile - 20] ^= 0x01;
    EXPECT(tebm_weights_check(NULL, nfile, msg, sizeof msg), TEBM_STATUS_NULL_POINTER);
    EXPECT(tebm_weights_check(damaged, nfile, msg, sizeof msg), TEBM_STATUS_CHECKSUM);
    CHECK(strstr(msg, "checksum mismatch") != NULL);
    EXPECT(tebm_weights_check(file, nfile - 1, msg, sizeof msg), TEBM_STATUS_TRUNCATED);
    CHECK(strstr(msg, "truncated") != NULL);
    EXPECT(tebm_weights_check(damaged, nfile, NULL, 0), TEBM_STATUS_CHECKSUM);
    EXPECT(tebm_weights_check(file, nfile, msg, sizeof msg), TEBM_STATUS_OK);
    CHECK(msg[0] == 0);

    /* init from weights: NULL, memory, damage; an energy already in the
     * memory stays as it was. */
    memcpy(&e_tmp, &e_gauss, sizeof e_tmp);
    memcpy(&e_copy, &e_tmp, sizeof e_copy);
    EXPECT(tebm_energy_init_from_weights(NULL, sizeof e_tmp, file, nfile), TEBM_STATUS_NULL_POINTER);
    EXPECT(tebm_energy_init_from_weights(&e_tmp, sizeof e_tmp, NULL, nfile), TEBM_STATUS_NULL_POINTER);
    EXPECT(tebm_energy_init_from_weights(&e_tmp, tebm_energy_size_for(TEBM_ENERGY_KIND_MLP) - 1, file, nfile),
           TEBM_STATUS_BUFFER_TOO_SMALL);
    EXPECT(tebm_energy_init_from_weights(&e_tmp, sizeof e_tmp, file, nfile - 1), TEBM_STATUS_TRUNCATED);
    EXPECT(tebm_energy_init_from_weights(&e_tmp, sizeof e_tmp, damaged, nfile), TEBM_STATUS_CHECKSUM);
    CHECK(energy_same(&e_tmp, &e_copy));
    memset(e_raw.bytes, 0x33, sizeof e_raw.bytes);
    EXPECT(tebm_energy_init_from_weights(e_raw.bytes + 1, sizeof e_raw.bytes - 1, file, nfile),
           TEBM_STATUS_MISALIGNED);
    CHECK(e_raw.bytes[1] == 0x33 && e_raw.bytes[100] == 0x33);
    EXPECT(tebm_energy_init_from_weights(&e_tmp, tebm_energy_size_for(TEBM_ENERGY_KIND_MLP), file, nfile),
           TEBM_STATUS_OK);
    EXPECT(tebm_energy_init_from_weights(&e_copy2, tebm_energy_size_for(TEBM_ENERGY_KIND_GAUSSIAN), gfile, ngfile),
           TEBM_STATUS_OK);
    size_t d = 0;
    EXPECT(tebm_energy_dim(&e_tmp, &d), TEBM_STATUS_OK);
    CHECK(d == 2);
}

static void cfg_default(TebmTrainerConfig *c) {
    tebm_trainer_config_default(c);
    c->kernel.kind = TEBM_KERNEL_MALA;
    c->n_walkers = 8;
    c->batch_size = 4;
    c->steps = 2;
    c->kernel.step_size = 0.05f;
    c->learning_rate = 0.01f;
}

/* `bad` = the config `c` with one field set to `value`, which the init check
 * `init_fails` (INIT_FAILS, RX_INIT_FAILS) on `energy` must refuse with `want`. */
#define BAD_FIELD(init_fails, energy, field, value, want)                                  \
    do {                                                                                   \
        bad = c;                                                                           \
        bad.field = (value);                                                               \
        init_fails((energy), &bad, (want));                                                \
    } while (0)

/* A trainer init on `tr` (which holds a trainer) that must fail with
 * `want` and leave every byte as it was. */
#define INIT_FAILS(energy, cfgp, want)                                                     \
    EXPECT_KEEPS(tebm_trainer_init(&tr, sizeof tr, (energy), (cfgp)), (want), &tr, &tr_copy, bytes_same)

static void test_trainer_init(void) {
    TebmTrainerConfig c, bad;
    EXPECT(tebm_trainer_config_default(NULL), TEBM_STATUS_NULL_POINTER);
    cfg_default(&c);
    CHECK(tebm_trainer_size() <= TEBM_TRAINER_SIZE && tebm_trainer_align() <= TEBM_OBJECT_ALIGN);
    EXPECT(tebm_trainer_init(&tr, sizeof tr, &e_mlp, &c), TEBM_STATUS_OK);
    INIT_FAILS(&e_mlp, NULL, TEBM_STATUS_NULL_POINTER);
    INIT_FAILS(NULL, &c, TEBM_STATUS_NULL_POINTER);
    EXPECT(tebm_trainer_init(NULL, sizeof tr, &e_mlp, &c), TEBM_STATUS_NULL_POINTER);
    INIT_FAILS(&e_cb, &c, TEBM_STATUS_BAD_CONFIG);
    INIT_FAILS((TebmEnergy *)&s_any, &c, TEBM_STATUS_WRONG_OBJECT);
    INIT_FAILS((TebmEnergy *)&tr_zero, &c, TEBM_STATUS_NOT_INITIALISED);
#define BAD(field, value, want) BAD_FIELD(INIT_FAILS, &e_mlp, field, value, want)
    BAD(n_walkers, 0, TEBM_STATUS_BAD_DIMENSION);
    BAD(n_walkers, TEBM_MAX_TRAIN_WALKERS + 1, TEBM_STATUS_CAPACITY_EXCEEDED);
    BAD(batch_size, 0, TEBM_STATUS_BAD_DIMENSION);
    BAD(steps, 0, TEBM_STATUS_BAD_DIMENSION);
    BAD(kernel.kind, TEBM_KERNEL_COUNT, TEBM_STATUS_BAD_CONFIG);
    BAD(mode, 3, TEBM_STATUS_BAD_CONFIG);
    BAD(mode, TEBM_TRAIN_MODE_JARZYNSKI, TEBM_STATUS_BAD_CONFIG); /* needs ULA */
    BAD(optimizer, 2, TEBM_STATUS_BAD_CONFIG);
    BAD(reinit, 3, TEBM_STATUS_BAD_CONFIG);
    BAD(kernel.step_size, 0.0f, TEBM_STATUS_BAD_CONFIG);
    BAD(kernel.step_size, NAN, TEBM_STATUS_BAD_CONFIG);
    BAD(beta, 0.0f, TEBM_STATUS_BAD_CONFIG);
    BAD(learning_rate, -1.0f, TEBM_STATUS_BAD_CONFIG);
    bad = c;
    bad.optimizer = TEBM_OPTIMIZER_SGD;
    bad.momentum = 1.0f;
    INIT_FAILS(&e_mlp, &bad, TEBM_STATUS_BAD_CONFIG);
    BAD(adam_beta1, 1.0f, TEBM_STATUS_BAD_CONFIG);
    BAD(adam_eps, 0.0f, TEBM_STATUS_BAD_CONFIG);
    BAD(clip_norm, -1.0f, TEBM_STATUS_BAD_CONFIG);
    BAD(weight_decay, -1.0f, TEBM_STATUS_BAD_CONFIG);
    BAD(energy_l2, -1.0f, TEBM_STATUS_BAD_CONFIG);
    BAD(init_sd, -1.0f, TEBM_STATUS_BAD_CONFIG);
    bad = c;
    bad.kernel.kind = TEBM_KERNEL_HMC;
    bad.kernel.leapfrog_steps = 0;
    INIT_FAILS(&e_mlp, &bad, TEBM_STATUS_BAD_CONFIG);
    bad = c;
    bad.reinit = TEBM_REINIT_DATA;
    bad.reinit_prob = 1.5f;
    INIT_FAILS(&e_mlp, &bad, TEBM_STATUS_BAD_CONFIG);
    bad = c;
    bad.kernel.kind = TEBM_KERNEL_ULA;
    bad.mode = TEBM_TRAIN_MODE_JARZYNSKI;
    bad.ess_threshold = 2.0f;
    INIT_FAILS(&e_mlp, &bad, TEBM_STATUS_BAD_CONFIG);
    bad.ess_threshold = 0.5f;
    bad.reinit = TEBM_REINIT_GAUSSIAN; /* Jarzynski cannot re-initialise */
    INIT_FAILS(&e_mlp, &bad, TEBM_STATUS_BAD_CONFIG);
    static float pos[8 * 2];
    for (int i = 0; i < 16; i++) pos[i] = 0.1f * (float)i;
    pos[5] = NAN;
    bad = c;
    bad.init_positions = pos;
    INIT_FAILS(&e_mlp, &bad, TEBM_STATUS_NON_FINITE);
    /* Memory: too small, misaligned; nothing written. */
    memset(tr_raw.bytes, 0x44, sizeof tr_raw.bytes);
    EXPECT(tebm_trainer_init(tr_raw.bytes, tebm_trainer_size() - 1, &e_mlp, &c), TEBM_STATUS_BUFFER_TOO_SMALL);
    EXPECT(tebm_trainer_init(tr_raw.bytes + 1, sizeof tr_raw.bytes - 1, &e_mlp, &c), TEBM_STATUS_MISALIGNED);
    CHECK(tr_raw.bytes[0] == 0x44 && tr_raw.bytes[4] == 0x44 && tr_raw.bytes[1000] == 0x44);
    /* Every kernel, mode, optimiser, and the capacity itself. */
    TebmTrainerConfig ok = c;
    ok.n_walkers = TEBM_MAX_TRAIN_WALKERS;
    EXPECT(tebm_trainer_init(tr_raw.bytes, tebm_trainer_size(), &e_mlp, &ok), TEBM_STATUS_OK);
    for (uint32_t k = 0; k < TEBM_KERNEL_COUNT; k++) {
        ok = c;
        ok.kernel.kind = k;
        ok.optimizer = k % 2;
        ok.mode = k == 0 ? TEBM_TRAIN_MODE_JARZYNSKI : (k == 1 ? TEBM_TRAIN_MODE_CD : TEBM_TRAIN_MODE_PCD);
        ok.reinit = k == 2 ? TEBM_REINIT_GAUSSIAN : TEBM_REINIT_NEVER;
        EXPECT(tebm_trainer_init(tr_raw.bytes, tebm_trainer_size(), &e_gauss, &ok), TEBM_STATUS_OK);
        static const float pts[8] = {0.5f, -0.5f, 1.0f, 0.0f, -0.25f, 0.75f, 0.0f, 1.0f};
        int upd = -1;
        EXPECT(tebm_trainer_push_batch(&tr_raw.t, &e_gauss, pts, 4, 2, &upd), TEBM_STATUS_OK);
        CHECK(upd == 1);
    }
    /* Re-initialising the trainer with the original config succeeds. */
    EXPECT(tebm_trainer_init(&tr, sizeof tr, &e_mlp, &c), TEBM_STATUS_OK);
}

/* A failing call on tr: its state (USE_FAILS_STATE) or every byte
 * (USE_FAILS_ALL: calls that record no error) unchanged, and e_mlp's bytes. */
#define USE_FAILS(call, want, same)                                                        \
    do {                                                                                   \
        memcpy(&e_copy, &e_mlp, sizeof e_mlp);                                             \
        EXPECT_KEEPS(call, want, &tr, &tr_copy, same);                                     \
        CHECK(energy_same(&e_mlp, &e_copy));                                               \
    } while (0)
#define USE_FAILS_STATE(call, want) USE_FAILS(call, want, state_bytes_same)
#define USE_FAILS_ALL(call, want) USE_FAILS(call, want, bytes_same)

static void test_trainer_use(void) {
    static float x[TEBM_MAX_DIM + 1] = {0.5f, -0.5f};
    static float xs[3 * 2] = {0.5f, -0.5f, 1.0f, 0.0f, NAN, 0.0f};
    int upd = 77;
    char msg[TEBM_ERROR_MESSAGE_CAPACITY];
    /* A smaller MLP of the same kind (test_weights loaded a 2-8 file into
     * e_mlp_small: rebuild it as 2-4). */
    if (tebm_energy_init_mlp(&e_mlp_small, sizeof e_mlp_small, 2, 4, TEBM_ACTIVATION_SILU, 1.0f, theta,
                             tebm_mlp_num_params(2, 4)) != TEBM_STATUS_OK)
        failures++;
    /* push */
    USE_FAILS_ALL(tebm_trainer_push(NULL, &e_mlp, x, 2, &upd), TEBM_STATUS_NULL_POINTER);
    USE_FAILS_ALL(tebm_trainer_push(&tr, NULL, x, 2, &upd), TEBM_STATUS_NULL_POINTER);
    USE_FAILS_ALL(tebm_trainer_push(&tr, &e_mlp, NULL, 2, &upd), TEBM_STATUS_NULL_POINTER);
    USE_FAILS_ALL(tebm_trainer_push(&tr_zero, &e_mlp, x, 2, &upd), TEBM_STATUS_NOT_INITIALISED);
    USE_FAILS_ALL(tebm_trainer_push((TebmTrainer *)&s_any, &e_mlp, x, 2, &upd), TEBM_STATUS_WRONG_OBJECT);
    USE_FAILS_ALL(tebm_trainer_push(&tr, (TebmEnergy *)&tr, x, 2, &upd), TEBM_STATUS_WRONG_OBJECT);
    USE_FAILS_ALL(tebm_trainer_push(&tr, &e_cb, x, 2, &upd), TEBM_STATUS_BAD_CONFIG);
    USE_FAILS_ALL(tebm_trainer_push(&tr, &e_mlp, x, 0, &upd), TEBM_STATUS_BAD_DIMENSION);
    USE_FAILS_ALL(tebm_trainer_push(&tr, &e_mlp, x, TEBM_MAX_DIM + 1, &upd), TEBM_STATUS_CAPACITY_EXCEEDED);
    USE_FAILS_ALL(tebm_trainer_push(&tr, &e_mlp, x, TEBM_MAX_DIM, &upd), TEBM_STATUS_BAD_DIMENSION);
    CHECK(upd == 77);
    x[1] = NAN;
    USE_FAILS_STATE(tebm_trainer_push(&tr, &e_mlp, x, 2, &upd), TEBM_STATUS_NON_FINITE);
    EXPECT(tebm_trainer_last_error(&tr, msg, sizeof msg), TEBM_STATUS_OK);
    CHECK(strstr(msg, "data point") != NULL);
    x[1] = INFINITY;
    USE_FAILS_STATE(tebm_trainer_push(&tr, &e_mlp, x, 2, &upd), TEBM_STATUS_NON_FINITE);
    x[1] = -0.5f;
    /* Another kind or another size of model than the trainer's. */
    USE_FAILS_STATE(tebm_trainer_push(&tr, &e_gauss, x, 2, &upd), TEBM_STATUS_BAD_CONFIG);
    EXPECT(tebm_trainer_last_error(&tr, msg, sizeof msg), TEBM_STATUS_OK);
    CHECK(strstr(msg, "kind") != NULL);
    USE_FAILS_STATE(tebm_trainer_push(&tr, &e_mlp_small, x, 2, &upd), TEBM_STATUS_BAD_DIMENSION);
    CHECK(upd == 77);
    /* push_batch: a NaN in the third point refuses the whole batch. */
    USE_FAILS_ALL(tebm_trainer_push_batch(&tr, &e_mlp, xs, 0, 2, &upd), TEBM_STATUS_BAD_DIMENSION);
    USE_FAILS_STATE(tebm_trainer_push_batch(&tr, &e_mlp, xs, 3, 2, &upd), TEBM_STATUS_NON_FINITE);
    /* update with an empty batch */
    USE_FAILS_ALL(tebm_trainer_update(NULL, &e_mlp), TEBM_STATUS_NULL_POINTER);
    USE_FAILS_ALL(tebm_trainer_update(&tr, NULL), TEBM_STATUS_NULL_POINTER);
    USE_FAILS_STATE(tebm_trainer_update(&tr, &e_mlp), TEBM_STATUS_BAD_DIMENSION);
    USE_FAILS_ALL(tebm_trainer_update(&tr, &e_cb), TEBM_STATUS_BAD_CONFIG);
    /* Successful pushes and an explicit update. */
    EXPECT(tebm_trainer_push(&tr, &e_mlp, x, 2, NULL), TEBM_STATUS_OK);
    EXPECT(tebm_trainer_push(&tr, &e_mlp, x, 2, &upd), TEBM_STATUS_OK);
    CHECK(upd == 0);
    EXPECT(tebm_trainer_push_batch(&tr, &e_mlp, xs, 2, 2, &upd), TEBM_STATUS_OK);
    CHECK(upd == 1);
    EXPECT(tebm_trainer_push(&tr, &e_mlp, x, 2, &upd), TEBM_STATUS_OK);
    EXPECT(tebm_trainer_update(&tr, &e_mlp), TEBM_STATUS_OK);
    TebmTrainerMetrics m;
    EXPECT(tebm_trainer_metrics(&tr, &m), TEBM_STATUS_OK);
    CHECK(m.updates == 2 && m.rejected == 0 && m.batch_len == 0 && m.n_walkers == 8 && m.dim == 2 &&
          m.num_params == tebm_mlp_num_params(2, 8));
    /* Read-outs: NULL and too-small buffers write nothing, record nothing. */
    static float out[TEBM_MAX_TRAIN_WALKERS * TEBM_MAX_DIM];
    out[0] = 42.0f;
    USE_FAILS_ALL(tebm_trainer_metrics(NULL, &m), TEBM_STATUS_NULL_POINTER);
    USE_FAILS_ALL(tebm_trainer_metrics(&tr, NULL), TEBM_STATUS_NULL_POINTER);
    USE_FAILS_ALL(tebm_trainer_metrics(&tr_zero, &m), TEBM_STATUS_NOT_INITIALISED);
    USE_FAILS_ALL(tebm_trainer_positions(NULL, out, 16), TEBM_STATUS_NULL_POINTER);
    USE_FAILS_ALL(tebm_trainer_positions(&tr, NULL, 16), TEBM_STATUS_NULL_POINTER);
    USE_FAILS_STATE(tebm_trainer_positions(&tr, out, 15), TEBM_STATUS_BUFFER_TOO_SMALL);
    USE_FAILS_ALL(tebm_trainer_energies(NULL, out, 8), TEBM_STATUS_NULL_POINTER);
    USE_FAILS_ALL(tebm_trainer_energies(&tr, NULL, 8), TEBM_STATUS_NULL_POINTER);
    USE_FAILS_STATE(tebm_trainer_energies(&tr, out, 7), TEBM_STATUS_BUFFER_TOO_SMALL);
    CHECK(out[0] == 42.0f);
    EXPECT(tebm_trainer_positions(&tr, out, 16), TEBM_STATUS_OK);
    EXPECT(tebm_trainer_energies(&tr, out, 8), TEBM_STATUS_OK);
    USE_FAILS_ALL(tebm_trainer_last_error(NULL, msg, sizeof msg), TEBM_STATUS_NULL_POINTER);
    USE_FAILS_ALL(tebm_trainer_last_error(&tr, NULL, sizeof msg), TEBM_STATUS_NULL_POINTER);
    USE_FAILS_ALL(tebm_trainer_last_error(&tr, msg, 4), TEBM_STATUS_BUFFER_TOO_SMALL);
    USE_FAILS_ALL(tebm_trainer_invalidate(NULL), TEBM_STATUS_NULL_POINTER);
    USE_FAILS_ALL(tebm_trainer_set_learning_rate(NULL, 0.1f), TEBM_STATUS_NULL_POINTER);
    USE_FAILS_STATE(tebm_trainer_set_learning_rate(&tr, -1.0f), TEBM_STATUS_BAD_CONFIG);
    USE_FAILS_STATE(tebm_trainer_set_learning_rate(&tr, NAN), TEBM_STATUS_BAD_CONFIG);

    /* A refused update: a huge learning rate sends θ to non-finite energies.
     * θ (the energy), the optimiser and the batch are kept; the refusal is
     * counted; the walkers keep their kernel steps (so only the energy and
     * the counters are compared here). */
    EXPECT(tebm_trainer_set_learning_rate(&tr, 3e38f), TEBM_STATUS_OK);
    static const float far[8] = {3.0f, 3.0f, -3.0f, 3.0f, 3.0f, -3.0f, -3.0f, -3.0f};
    memcpy(&e_copy, &e_mlp, sizeof e_mlp);
    TebmStatus s = tebm_trainer_push_batch(&tr, &e_mlp, far, 4, 2, &upd);
    EXPECT(s, TEBM_STATUS_NON_FINITE);
    CHECK(energy_same(&e_mlp, &e_copy));
    EXPECT(tebm_trainer_metrics(&tr, &m), TEBM_STATUS_OK);
    CHECK(m.rejected == 1 && m.updates == 2 && m.batch_len == 4);
    EXPECT(tebm_trainer_last_error(&tr, msg, sizeof msg), TEBM_STATUS_OK);
    CHECK(strstr(msg, "non-finite") != NULL);
    /* Back to a sane rate: the kept batch now updates. */
    EXPECT(tebm_trainer_set_learning_rate(&tr, 0.01f), TEBM_STATUS_OK);
    EXPECT(tebm_trainer_update(&tr, &e_mlp), TEBM_STATUS_OK);
    EXPECT(tebm_trainer_metrics(&tr, &m), TEBM_STATUS_OK);
    CHECK(m.rejected == 1 && m.updates == 3 && m.batch_len == 0);
    /* Weights loaded into the energy between updates: invalidate, go on. */
    EXPECT(tebm_weights_load(&e_mlp, file, nfile), TEBM_STATUS_OK);
    EXPECT(tebm_trainer_invalidate(&tr), TEBM_STATUS_OK);
    EXPECT(tebm_trainer_push_batch(&tr, &e_mlp, far, 4, 2, &upd), TEBM_STATUS_OK);
    CHECK(upd == 1);
}

#define RX_INIT_FAILS(energy, cfgp, want)                                                  \
    EXPECT_KEEPS(tebm_tempering_init(&rx, sizeof rx, (energy), (cfgp)), (want), &rx, &rx_copy, bytes_same)
/* same: bytes_same (every byte) or state_bytes_same (after the header) */
#define RX_FAILS(call, want, same) EXPECT_KEEPS(call, want, &rx, &rx_copy, same)

static void test_tempering(void) {
    TebmTemperingConfig c, bad;
    EXPECT(tebm_tempering_config_default(NULL), TEBM_STATUS_NULL_POINTER);
    EXPECT(tebm_tempering_config_default(&c), TEBM_STATUS_OK);
    CHECK(tebm_tempering_size() <= TEBM_TEMPERING_SIZE && tebm_tempering_align() <= TEBM_OBJECT_ALIGN);
    EXPECT(tebm_tempering_init(&rx, sizeof rx, &e_cb, &c), TEBM_STATUS_OK); /* callbacks are fine */
    RX_INIT_FAILS(NULL, &c, TEBM_STATUS_NULL_POINTER);
    RX_INIT_FAILS(&e_gauss, NULL, TEBM_STATUS_NULL_POINTER);
    EXPECT(tebm_tempering_init(NULL, sizeof rx, &e_gauss, &c), TEBM_STATUS_NULL_POINTER);
    RX_INIT_FAILS((const TebmEnergy *)&s_any, &c, TEBM_STATUS_WRONG_OBJECT);
    RX_INIT_FAILS((const TebmEnergy *)&tr_zero, &c, TEBM_STATUS_NOT_INITIALISED);
#define RXBAD(field, value, want) BAD_FIELD(RX_INIT_FAILS, &e_gauss, field, value, want)
    RXBAD(n_walkers, 0, TEBM_STATUS_BAD_DIMENSION);
    RXBAD(n_walkers, TEBM_MAX_TEMPERING_WALKERS + 1, TEBM_STATUS_CAPACITY_EXCEEDED);
    RXBAD(replicas, 0, TEBM_STATUS_BAD_DIMENSION);
    RXBAD(replicas, TEBM_MAX_REPLICAS + 1, TEBM_STATUS_CAPACITY_EXCEEDED);
    RXBAD(beta_min, 1.0f, TEBM_STATUS_BAD_CONFIG);
    RXBAD(beta_min, 0.0f, TEBM_STATUS_BAD_CONFIG);
    RXBAD(beta_min, NAN, TEBM_STATUS_BAD_CONFIG);
    RXBAD(kernel.kind, TEBM_KERNEL_COUNT, TEBM_STATUS_BAD_CONFIG);
    RXBAD(kernel.step_size, -1.0f, TEBM_STATUS_BAD_CONFIG);
    RXBAD(init_sd, -1.0f, TEBM_STATUS_BAD_CONFIG);
    static float pos[16 * 2];
    pos[3] = NAN;
    bad = c;
    bad.n_walkers = 16;
    bad.init_positions = pos;
    RX_INIT_FAILS(&e_gauss, &bad, TEBM_STATUS_NON_FINITE);
    static union {
        TebmTempering t;
        unsigned char b[sizeof(TebmTempering) + 16];
    } raw;
    memset(raw.b, 0x55, sizeof raw.b);
    EXPECT(tebm_tempering_init(raw.b, tebm_tempering_size() - 1, &e_gauss, &c), TEBM_STATUS_BUFFER_TOO_SMALL);
    EXPECT(tebm_tempering_init(raw.b + 1, sizeof raw.b - 1, &e_gauss, &c), TEBM_STATUS_MISALIGNED);
    CHECK(raw.b[0] == 0x55 && raw.b[4] == 0x55 && raw.b[500] == 0x55);
    bad = c;
    bad.replicas = 1; /* one replica: beta_min ignored */
    bad.beta_min = 7.0f;
    EXPECT(tebm_tempering_init(raw.b, tebm_tempering_size(), &e_gauss, &bad), TEBM_STATUS_OK);
    bad = c;
    bad.kernel.kind = TEBM_KERNEL_HMC;
    bad.n_walkers = TEBM_MAX_TEMPERING_WALKERS;
    bad.replicas = TEBM_MAX_REPLICAS;
    EXPECT(tebm_tempering_init(raw.b, tebm_tempering_size(), &e_gauss, &bad), TEBM_STATUS_OK);
    EXPECT(tebm_tempering_run(&raw.t, &e_gauss, 3, NULL), TEBM_STATUS_OK);
    for (uint32_t k = 0; k < TEBM_KERNEL_COUNT; k++) { /* every kernel */
        bad = c;
        bad.kernel.kind = k;
        EXPECT(tebm_tempering_init(raw.b, tebm_tempering_size(), &e_gauss, &bad), TEBM_STATUS_OK);
        EXPECT(tebm_tempering_run(&raw.t, &e_gauss, 3, NULL), TEBM_STATUS_OK);
    }

    EXPECT(tebm_tempering_init(&rx, sizeof rx, &e_gauss, &c), TEBM_STATUS_OK);
    size_t done = 99;
    RX_FAILS(tebm_tempering_run(NULL, &e_gauss, 1, &done), TEBM_STATUS_NULL_POINTER, bytes_same);
    RX_FAILS(tebm_tempering_run(&rx, NULL, 1, &done), TEBM_STATUS_NULL_POINTER, bytes_same);
    RX_FAILS(tebm_tempering_run((TebmTempering *)&tr, &e_gauss, 1, &done), TEBM_STATUS_WRONG_OBJECT, bytes_same);
    CHECK(done == 99);
    EXPECT(tebm_tempering_run(&rx, &e_gauss, 5, &done), TEBM_STATUS_OK);
    CHECK(done == 5);
    static float out[TEBM_MAX_TEMPERING_WALKERS * TEBM_MAX_DIM];
    float betas[TEBM_MAX_REPLICAS];
    TebmSwapStats sw[TEBM_MAX_REPLICAS];
    uint64_t sweeps = 0;
    RX_FAILS(tebm_tempering_positions(NULL, out, 32), TEBM_STATUS_NULL_POINTER, bytes_same);
    RX_FAILS(tebm_tempering_positions(&rx, NULL, 32), TEBM_STATUS_NULL_POINTER, bytes_same);
    RX_FAILS(tebm_tempering_positions(&rx, out, 31), TEBM_STATUS_BUFFER_TOO_SMALL, state_bytes_same);
    RX_FAILS(tebm_tempering_energies(&rx, out, 15), TEBM_STATUS_BUFFER_TOO_SMALL, state_bytes_same);
    RX_FAILS(tebm_tempering_energies(NULL, out, 16), TEBM_STATUS_NULL_POINTER, bytes_same);
    RX_FAILS(tebm_tempering_ladder(&rx, NULL, sw, 4, &sweeps), TEBM_STATUS_NULL_POINTER, bytes_same);
    RX_FAILS(tebm_tempering_ladder(&rx, betas, sw, 3, &sweeps), TEBM_STATUS_BUFFER_TOO_SMALL, state_bytes_same);
    RX_FAILS(tebm_tempering_last_error(&rx, NULL, 8), TEBM_STATUS_NULL_POINTER, bytes_same);
    RX_FAILS(tebm_tempering_invalidate(NULL), TEBM_STATUS_NULL_POINTER, bytes_same);
    EXPECT(tebm_tempering_positions(&rx, out, 32), TEBM_STATUS_OK);
    EXPECT(tebm_tempering_energies(&rx, out, 16), TEBM_STATUS_OK);
    EXPECT(tebm_tempering_ladder(&rx, betas, sw, TEBM_MAX_REPLICAS, &sweeps), TEBM_STATUS_OK);
    CHECK(betas[0] == 1.0f && betas[3] == 0.1f && betas[1] < 1.0f && betas[2] < betas[1] && sweeps == 5);
    CHECK(sw[0].attempted + sw[1].attempted + sw[2].attempted > 0);
    EXPECT(tebm_tempering_ladder(&rx, betas, NULL, 4, NULL), TEBM_STATUS_OK);
    /* A 3-D energy: refused, recorded, state unchanged. */
    static const float z3[3] = {0.0f, 0.0f, 0.0f}, o3[3] = {1.0f, 1.0f, 1.0f};
    EXPECT(tebm_energy_init_gaussian_diag(&e_tmp, sizeof e_tmp, 3, z3, o3), TEBM_STATUS_OK);
    RX_FAILS(tebm_tempering_run(&rx, &e_tmp, 1, &done), TEBM_STATUS_BAD_DIMENSION, state_bytes_same);
    CHECK(done == 0);
    char msg[TEBM_ERROR_MESSAGE_CAPACITY];
    EXPECT(tebm_tempering_last_error(&rx, msg, sizeof msg), TEBM_STATUS_OK);
    CHECK(strstr(msg, "dimension mismatch") != NULL);
    EXPECT(tebm_tempering_invalidate(&rx), TEBM_STATUS_OK);
    EXPECT(tebm_tempering_run(&rx, &e_gauss, 1, NULL), TEBM_STATUS_OK);
}

int main(void) {
    size_t np = tebm_mlp_num_params(2, 8);
    for (size_t i = 0; i < np; i++) theta[i] = 0.02f * (float)(int)(i % 11) - 0.1f;
    static const float zero2[2] = {0.0f, 0.0f}, one2[2] = {1.0f, 1.0f};
    TebmSamplerConfig sc;
    tebm_sampler_config_default(&sc);
    sc.n_walkers = 4;
    if (tebm_energy_init_mlp(&e_mlp, sizeof e_mlp, 2, 8, TEBM_ACTIVATION_TANH, 0.5f, theta, np) != TEBM_STATUS_OK ||
        tebm_energy_init_mlp(&e_mlp_small, sizeof e_mlp_small, 2, 4, TEBM_ACTIVATION_SILU, 1.0f, theta,
                             tebm_mlp_num_params(2, 4)) != TEBM_STATUS_OK ||
        tebm_energy_init_gaussian_diag(&e_gauss, sizeof e_gauss, 2, zero2, one2) != TEBM_STATUS_OK ||
        tebm_energy_init_callback(&e_cb, sizeof e_cb, 2, cb, NULL) != TEBM_STATUS_OK ||
        tebm_sampler_init(&s_any, sizeof s_any, &e_gauss, &sc) != TEBM_STATUS_OK) {
        fprintf(stderr, "status_train: setup failed\n");
        return 1;
    }
    test_status_messages();
    test_weights();
    test_trainer_init();
    test_trainer_use();
    test_tempering();
    printf("trainer object: %lu bytes (align %lu), reserved TEBM_TRAINER_SIZE %d; %d walkers, %d parameters max\n",
           (unsigned long)tebm_trainer_size(), (unsigned long)tebm_trainer_align(), TEBM_TRAINER_SIZE,
           TEBM_MAX_TRAIN_WALKERS, TEBM_MAX_PARAMS);
    printf("tempering object: %lu bytes (align %lu), reserved TEBM_TEMPERING_SIZE %d; %d replicas of %d walkers max\n",
           (unsigned long)tebm_tempering_size(), (unsigned long)tebm_tempering_align(), TEBM_TEMPERING_SIZE,
           TEBM_MAX_REPLICAS, TEBM_MAX_TEMPERING_WALKERS);
    printf("status_train: %d checks, %d failures\n", checks, failures);
    return failures == 0 ? 0 : 1;
}

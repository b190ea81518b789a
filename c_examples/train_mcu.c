/* Training on a microcontroller through the C API, end to end: sample an
 * MLP energy with MALA, train it online by persistent contrastive divergence
 * on a deterministic data stream, save its weights, reload them into new
 * energies, and sample the trained model. Exits non-zero if any result is
 * wrong: a call fails, training does not improve the held-out NLL, or
 * reloaded weights differ in any bit.
 *
 * Prints the chain states and the trained weights as hex of their bits.
 * scripts/ci-ffi.sh builds it for the host (gcc) and for a Cortex-M4F
 * (arm-none-eabi-gcc, run under QEMU mps2-an386) and diffs the two outputs:
 * they are bit-identical. The data stream uses + - * on exactly representable
 * values (no libm, -std=c99: no FMA contraction); the only libm results
 * (expf/logf of the grid NLL proxy) are printed rounded to 2 decimals.
 *
 * Objects are static (caller-owned, no allocation): the trainer is
 * sizeof(TebmTrainer) bytes, see the README. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tinyebm.h"

#define DIM 2
#define HIDDEN 8
#define WALKERS 16
#define UPDATES 1000
#define BATCH 16
#define TEST 256

static TebmEnergy model, reloaded, loaded;
static TebmSampler sampler;
static TebmTrainer trainer;
static TebmTempering tempering;
static TebmEnergy modes;
static uint8_t file[4096], file2[4096];

static uint32_t bits(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static int fails;
static int ok(TebmStatus s, const char *what) {
    if (s == TEBM_STATUS_OK) return 1;
    char msg[TEBM_ERROR_MESSAGE_CAPACITY] = "", tmsg[TEBM_ERROR_MESSAGE_CAPACITY] = "";
    tebm_status_message((int)s, msg, sizeof msg);
    tebm_trainer_last_error(&trainer, tmsg, sizeof tmsg);
    printf("FAILED %s: status %d (%s) [trainer: %s]\n", what, (int)s, msg, tmsg);
    fails++;
    return 0;
}
static void expect(int cond, const char *what) {
    printf("check %-52s %s\n", what, cond ? "ok" : "FAILED");
    if (!cond) fails++;
}

/* Deterministic data: two clusters at (-1.5, -0.5) and (1.5, 0.5) (weights
 * 1/2), each with noise 0.6·(u1 + u2 + u3 + u4 − 2), uᵢ uniform on [0, 1) in
 * steps of 2⁻¹⁶ (sd ≈ 0.35). Every operation is exact or correctly rounded. */
static uint32_t lcg;
static float uniform(void) {
    lcg = lcg * 1664525u + 1013904223u;
    return (float)(lcg >> 16) * (1.0f / 65536.0f);
}
static void data_point(float *x) {
    float s = (lcg & 0x80000000u) ? 1.0f : -1.0f;
    (void)uniform();
    for (int i = 0; i < DIM; i++) {
        float n = uniform() + uniform() + uniform() + uniform() - 2.0f;
        x[i] = s * (i == 0 ? 1.5f : 0.5f) + 0.6f * n;
    }
}

/* NLL proxy: mean U over held-out points + log Z on an 81×81 grid over
 * [-4, 4]² (cell 0.01). The same grid pass gives the model's probability
 * mass within 0.75 of each cluster centre in x0 (`left`, `right`): a
 * function of the weights alone, so it shows what training learned without
 * the sampling noise of 16 walkers. */
static float test_x[TEST * DIM];
static double nll(const TebmEnergy *e, double *left, double *right) {
    double mean = 0.0, z = 0.0, l = 0.0, r = 0.0;
    float u;
    for (int k = 0; k < TEST; k++) {
        if (!ok(tebm_energy_eval(e, test_x + DIM * k, DIM, &u, NULL), "eval test point")) return 1e30;
        mean += u;
    }
    for (int a = 0; a <= 80; a++)
        for (int b = 0; b <= 80; b++) {
            float x[2] = {-4.0f + 0.1f * (float)a, -4.0f + 0.1f * (float)b};
            if (!ok(tebm_energy_eval(e, x, DIM, &u, NULL), "eval grid")) return 1e30;
            double p = exp(-(double)u) * 0.01;
            z += p;
            if (fabs(x[0] - 1.5) < 0.75) r += p;
            if (fabs(x[0] + 1.5) < 0.75) l += p;
        }
    *left = l / z;
    *right = r / z;
    return mean / TEST + log(z);
}

/* Fraction of walkers within 0.75 of a cluster centre in x0 and their
 * split between the clusters. */
static void coverage(const float *pos, size_t n, int *near, int *right) {
    *near = 0;
    *right = 0;
    for (size_t w = 0; w < n; w++) {
        float x0 = pos[w * DIM];
        if (fabsf(x0 - 1.5f) < 0.75f) { (*near)++; (*right)++; }
        else if (fabsf(x0 + 1.5f) < 0.75f) (*near)++;
    }
}

static int sample(const char *name, TebmEnergy *e, float *pos) {
    TebmSamplerConfig sc;
    TebmSamplerStats st;
    static float u[WALKERS];
    tebm_sampler_config_default(&sc);
    sc.kernel.kind = TEBM_KERNEL_MALA;
    sc.n_walkers = WALKERS;
    sc.seed = 2024;
    sc.kernel.step_size = 0.05f;
    sc.init_sd = 2.0f;
    if (!ok(tebm_sampler_init(&sampler, sizeof sampler, e, &sc), "sampler init")) return 0;
    if (!ok(tebm_sampler_run(&sampler, e, 400, NULL), "sampler run")) return 0;
    if (!ok(tebm_sampler_positions(&sampler, pos, WALKERS * DIM), "positions")) return 0;
    if (!ok(tebm_sampler_energies(&sampler, u, WALKERS), "energies")) return 0;
    tebm_sampler_stats(&sampler, &st);
    printf("MALA %s: %lu steps, acceptance %.2f\n", name, (unsigned long)st.steps, st.acceptance_rate);
    for (int w = 0; w < WALKERS; w++)
        printf("  %2d %08lx %08lx u %08lx\n", w, (unsigned long)bits(pos[DIM * w]),
               (unsigned long)bits(pos[DIM * w + 1]), (unsigned long)bits(u[w]));
    return st.acceptance_rate > 0.3 && st.acceptance_rate <= 1.0;
}

int main(void) {
    /* The untrained model: small LCG weights. */
    static float theta[HIDDEN * (DIM + HIDDEN + 3) + 1];
    size_t np = tebm_mlp_num_params(DIM, HIDDEN);
    lcg = 7u;
    for (size_t i = 0; i < np; i++) theta[i] = 0.5f * uniform() - 0.25f;
    if (!ok(tebm_energy_init_mlp(&model, sizeof model, DIM, HIDDEN, TEBM_ACTIVATION_TANH, 0.5f, theta, np),
            "mlp"))
        return 1;
    lcg = 99u;
    for (int k = 0; k < TEST; k++) data_point(test_x + DIM * k);

    printf("train_mcu: MLP %d -> %d -> %d -> 1 (%lu parameters), %d walkers, trainer object %lu bytes\n",
           DIM, HIDDEN, HIDDEN, (unsigned long)np, WALKERS, (unsigned long)sizeof trainer);
    static float pos[WALKERS * DIM];
    int near0, right0, near1, right1;
    expect(sample("before training", &model, pos), "MALA acceptance in (0.3, 1] before training");
    coverage(pos, WALKERS, &near0, &right0);
    double mass_l0 = 0.0, mass_r0 = 0.0, nll0 = nll(&model, &mass_l0, &mass_r0);
    printf("before: NLL proxy %.2f, model mass near the clusters %.2f + %.2f, %d of %d walkers near a cluster\n",
           nll0, mass_l0, mass_r0, near0, WALKERS);

    /* Online PCD: MALA negative phase, Adam, batches of 16 from the stream. */
    TebmTrainerConfig tc;
    tebm_trainer_config_default(&tc);
    tc.kernel.kind = TEBM_KERNEL_MALA;
    tc.n_walkers = WALKERS;
    tc.seed = 5;
    tc.kernel.step_size = 0.05f;
    tc.init_sd = 1.5f;
    tc.mode = TEBM_TRAIN_MODE_PCD;
    tc.batch_size = BATCH;
    tc.steps = 10;
    tc.energy_l2 = 0.001f;
    tc.optimizer = TEBM_OPTIMIZER_ADAM;
    /* 0.01 oscillated: over seeds 1-16, 4 runs ended on one cluster and 2
     * with a worse NLL than untrained (see the checks below). */
    tc.learning_rate = 0.003f;
    tc.clip_norm = 10.0f;
    if (!ok(tebm_trainer_init(&trainer, sizeof trainer, &model, &tc), "trainer init")) return 1;
    lcg = 12345u;
    double gap_first = 0.0, gap_last = 0.0;
    int updates = 0;
    for (int k = 0; k < UPDATES * BATCH; k++) {
        float x[DIM];
        int updated = 0;
        data_point(x);
        if (!ok(tebm_trainer_push(&trainer, &model, x, DIM, &updated), "push")) return 1;
        if (!updated) continue;
        TebmTrainerMetrics m;
        tebm_trainer_metrics(&trainer, &m);
        updates++;
        if (updates <= 25) gap_first += m.gap / 25.0;
        if (updates > UPDATES / 2) gap_last += m.gap / (UPDATES / 2);
        if (updates % 100 == 0)
            printf("update %3lu: data U %08lx walker U %08lx gap %08lx accept %08lx |G| %08lx\n",
                   (unsigned long)m.updates, (unsigned long)bits(m.data_energy),
                   (unsigned long)bits(m.walker_energy), (unsigned long)bits(m.gap),
                   (unsigned long)bits(m.acceptance), (unsigned long)bits(m.grad_norm));
    }
    TebmTrainerMetrics m;
    tebm_trainer_metrics(&trainer, &m);
    expect(m.updates == UPDATES && m.rejected == 0 && m.batch_len == 0, "1000 updates, none refused");
    printf("gap (walker U - data U): first 25 updates %.3f, last 500 %.3f\n", gap_first, gap_last);
    expect(gap_first > 0.0, "data energy below walker energy at the start");
    static float tpos[WALKERS * DIM];
    if (!ok(tebm_trainer_positions(&trainer, tpos, WALKERS * DIM), "trainer positions")) return 1;
    printf("trainer walkers:\n");
    for (int w = 0; w < WALKERS; w++)
        printf("  %2d %08lx %08lx\n", w, (unsigned long)bits(tpos[DIM * w]), (unsigned long)bits(tpos[DIM * w + 1]));

    double mass_l1 = 0.0, mass_r1 = 0.0, nll1 = nll(&model, &mass_l1, &mass_r1);
    expect(sample("after training", &model, pos), "MALA acceptance in (0.3, 1] after training");
    coverage(pos, WALKERS, &near1, &right1);
    printf("after: NLL proxy %.2f, model mass near the clusters %.2f + %.2f, %d of %d walkers near a cluster, "
           "%d on the right\n",
           nll1, mass_l1, mass_r1, near1, WALKERS, right1);
    /* Tolerance from a sweep of the trainer seed over 1-16 (this code, lr
     * 0.003): the NLL proxy fell from 3.19 to 1.79-2.24, by at least 0.95
     * nat every time, so 0.5 leaves room for rounding changes elsewhere.
     * The walker counts and cluster masses are printed, not checked: with
     * 16 walkers they varied from seed to seed in both directions (a
     * 1000-update run learns the spread of the data reliably, the split
     * between its two clusters not; tests/pcd.rs tests mode weights with
     * enough walkers and updates). */
    expect(nll1 < nll0 - 0.5, "held-out NLL proxy improves by > 0.5 nat");

    /* Save, peek, reload into a new energy and into an existing one. */
    size_t need = 0, written = 0;
    if (!ok(tebm_weights_size(&model, &need), "weights size")) return 1;
    if (!ok(tebm_weights_save(&model, file, sizeof file, &written), "weights save")) return 1;
    printf("trained weights: %lu bytes\n", (unsigned long)written);
    for (size_t i = 0; i < written; i++) printf("%02x%s", file[i], (i % 32 == 31 || i + 1 == written) ? "\n" : "");
    TebmWeightsHeader h;
    if (!ok(tebm_weights_peek(file, 20, &h), "peek")) return 1;
    expect(need == written && h.kind == TEBM_ENERGY_KIND_MLP && h.dim == DIM && h.hidden == HIDDEN &&
               h.activation == TEBM_ACTIVATION_TANH && h.num_params == np && h.encoded_len == written && h.fits,
           "peek: MLP 2-8-8, tanh, sizes as saved");
    if (!ok(tebm_energy_init_from_weights(&reloaded, tebm_energy_size_for(h.kind), file, written), "init from weights"))
        return 1;
    if (!ok(tebm_energy_init_mlp(&loaded, sizeof loaded, 1, 1, TEBM_ACTIVATION_SILU, 1.0f, theta, 6), "mlp 1-1"))
        return 1;
    if (!ok(tebm_weights_load(&loaded, file, written), "weights load")) return 1;
    size_t w2 = 0;
    if (!ok(tebm_weights_save(&reloaded, file2, sizeof file2, &w2), "re-save")) return 1;
    expect(w2 == written && memcmp(file, file2, written) == 0, "reloaded energy saves the same bytes");
    if (!ok(tebm_weights_save(&loaded, file2, sizeof file2, &w2), "re-save")) return 1;
    expect(w2 == written && memcmp(file, file2, written) == 0, "weights loaded into an existing energy: same bytes");
    int same = 1;
    for (int a = 0; a <= 40; a++)
        for (int b = 0; b <= 40; b++) {
            float x[2] = {-4.0f + 0.2f * (float)a, -4.0f + 0.2f * (float)b}, u0, u1, u2, g0[2], g1[2], g2[2];
            tebm_energy_eval(&model, x, DIM, &u0, g0);
            tebm_energy_eval(&reloaded, x, DIM, &u1, g1);
            tebm_energy_eval(&loaded, x, DIM, &u2, g2);
            same &= bits(u0) == bits(u1) && bits(u0) == bits(u2) && memcmp(g0, g1, sizeof g0) == 0 &&
                    memcmp(g0, g2, sizeof g0) == 0;
        }
    expect(same, "reloaded energies: identical U and grad bits on a grid");

    /* Damaged files are refused and change nothing. */
    file[40] ^= 0x10;
    expect(tebm_weights_load(&loaded, file, written) == TEBM_STATUS_CHECKSUM, "a flipped bit: CHECKSUM");
    file[40] ^= 0x10;
    expect(tebm_weights_load(&loaded, file, written - 1) == TEBM_STATUS_TRUNCATED, "a truncated file: TRUNCATED");
    if (!ok(tebm_weights_save(&loaded, file2, sizeof file2, &w2), "re-save")) return 1;
    expect(w2 == written && memcmp(file, file2, written) == 0, "the energy is unchanged after refused loads");

    /* The reloaded model samples like the trained one. */
    static float pos2[WALKERS * DIM];
    expect(sample("reloaded", &reloaded, pos2), "MALA acceptance in (0.3, 1], reloaded");
    expect(memcmp(pos, pos2, sizeof pos) == 0, "same chains on the reloaded energy");

    /* Replica exchange on two far-apart modes (x0 = ±3, sd 0.3): MALA alone
     * stays where it starts; the hot replicas carry walkers across. */
    static const float mw[2] = {0.5f, 0.5f}, mm[4] = {-3.0f, 0.0f, 3.0f, 0.0f}, ms[4] = {0.3f, 0.3f, 0.3f, 0.3f};
    static const float left[2] = {-3.0f, 0.0f};
    if (!ok(tebm_energy_init_mixture(&modes, sizeof modes, 2, DIM, mw, mm, ms), "mixture")) return 1;
    TebmTemperingConfig rc;
    tebm_tempering_config_default(&rc);
    rc.kernel.kind = TEBM_KERNEL_MALA;
    rc.n_walkers = WALKERS;
    rc.replicas = 6;
    rc.beta_min = 0.01f;
    rc.seed = 77;
    rc.kernel.step_size = 0.02f;
    rc.init_center = left;
    rc.init_sd = 0.1f;
    if (!ok(tebm_tempering_init(&tempering, sizeof tempering, &modes, &rc), "tempering init")) return 1;
    if (!ok(tebm_tempering_run(&tempering, &modes, 1500, NULL), "tempering run")) return 1;
    static float rpos[WALKERS * DIM];
    float betas[TEBM_MAX_REPLICAS];
    TebmSwapStats swaps[TEBM_MAX_REPLICAS];
    uint64_t sweeps = 0;
    if (!ok(tebm_tempering_positions(&tempering, rpos, WALKERS * DIM), "tempering positions")) return 1;
    if (!ok(tebm_tempering_ladder(&tempering, betas, swaps, TEBM_MAX_REPLICAS, &sweeps), "ladder")) return 1;
    printf("replica exchange: %lu sweeps, ladder", (unsigned long)sweeps);
    for (int k = 0; k < 6; k++) printf(" %08lx", (unsigned long)bits(betas[k]));
    printf("\n  swaps taken:");
    int all_swap = 1;
    for (int k = 0; k < 5; k++) {
        printf(" %lu/%lu", (unsigned long)swaps[k].accepted, (unsigned long)swaps[k].attempted);
        all_swap &= swaps[k].accepted > 0;
    }
    printf("\n");
    int rright = 0;
    for (int w = 0; w < WALKERS; w++) rright += rpos[DIM * w] > 1.5f;
    for (int w = 0; w < WALKERS; w++)
        printf("  %2d %08lx %08lx\n", w, (unsigned long)bits(rpos[DIM * w]), (unsigned long)bits(rpos[DIM * w + 1]));
    printf("beta = 1 replica: %d of %d walkers in the right mode (all started left)\n", rright, WALKERS);
    expect(all_swap, "every neighbouring pair swaps");
    expect(rright >= 3 && rright <= WALKERS - 3, "the beta = 1 replica reaches both modes");

    printf("train_mcu: %s\n", fails ? "FAILED" : "OK");
    return fails != 0;
}

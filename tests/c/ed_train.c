/* Energy discrepancy through the C API (TebmEd): a 1-D Gaussian energy
 * trained on draws of N(1.5, 0.5²) recovers its mean and precision; a
 * refused update (a precision pushed below zero) changes neither the
 * trainer's state nor the energy; the trainer object is smaller than a PCD
 * trainer's. Exit status 0 when every check passes.
 *
 * Tolerances: the Rust test tests/ed.rs (same settings: t = 0.25, M = 8,
 * w = 1, 1500 updates of 64 points, Adam 0.02 with cosine decay) measured a
 * spread over 10 seeds of 0.007 for the mean and 0.026 for the precision;
 * here the data come from another generator, so the bounds (0.05 and 0.25)
 * are about 8 and 10 of those standard deviations, and a wrong objective
 * (e.g. w not divided by M: precision 2.85) misses them by far. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tinyebm.h"

#include "check.h"

static TebmEnergy g, g_copy;
static TebmEd ed, ed_copy;

/* A 64-bit LCG and Box–Muller: deterministic normal draws. */
static uint64_t lcg = 0x2545F4914F6CDD1DULL;
static double uniform(void) {
    lcg = lcg * 6364136223846793005ULL + 1442695040888963407ULL;
    return ((double)(lcg >> 11) + 0.5) / 9007199254740992.0;
}
static float normal(void) {
    return (float)(sqrt(-2.0 * log(uniform())) * cos(6.283185307179586 * uniform()));
}

/* μ and precision of the 1-D Gaussian energy, from its gradient p·(x − μ). */
static void mean_precision(const TebmEnergy *e, float *mu, float *p) {
    float x0 = 0.0f, x1 = 1.0f, u, g0, g1;
    EXPECT(tebm_energy_eval(e, &x0, 1, &u, &g0), TEBM_STATUS_OK);
    EXPECT(tebm_energy_eval(e, &x1, 1, &u, &g1), TEBM_STATUS_OK);
    *p = g1 - g0;
    *mu = -g0 / *p;
}

int main(void) {
    float zero = 0.0f, one = 1.0f;
    EXPECT(tebm_energy_init_gaussian_diag(&g, sizeof g, 1, &zero, &one), TEBM_STATUS_OK);
    TebmEdConfig c;
    EXPECT(tebm_ed_config_default(&c), TEBM_STATUS_OK);
    c.t = 0.25f;
    c.negatives = 8;
    c.batch_size = 64;
    c.learning_rate = 0.02f;
    c.seed = 3;
    EXPECT(tebm_ed_init(&ed, sizeof ed, &g, &c), TEBM_STATUS_OK);
    CHECK(tebm_ed_size() < tebm_trainer_size());

    /* 1500 updates, cosine decay after 50 warm-up updates; the mean of θ
     * over the last quarter is the estimate (as in tests/ed.rs). */
    const int updates = 1500;
    float batch[64];
    double mu_sum = 0.0, p_sum = 0.0;
    int kept = 0;
    for (int k = 0; k < updates; k++) {
        double lr = k < 50 ? 0.02 * (k + 1) / 50.0
                           : 0.01 * (1.0 + cos(3.141592653589793 * (k - 50) / (updates - 50.0)));
        EXPECT(tebm_ed_set_learning_rate(&ed, (float)lr), TEBM_STATUS_OK);
        for (int i = 0; i < 64; i++) batch[i] = 1.5f + 0.5f * normal();
        int upd = 0;
        EXPECT(tebm_ed_push_batch(&ed, &g, batch, 64, 1, &upd), TEBM_STATUS_OK);
        CHECK(upd == 1);
        if (k >= 3 * updates / 4) {
            float mu, p;
            mean_precision(&g, &mu, &p);
            mu_sum += mu;
            p_sum += p;
            kept++;
        }
    }
    double mu = mu_sum / kept, p = p_sum / kept;
    printf("ed_train: mean %.4f (truth 1.5), precision %.4f (truth 4)\n", mu, p);
    CHECK(fabs(mu - 1.5) < 0.05);
    CHECK(fabs(p - 4.0) < 0.25);
    TebmEdMetrics m;
    EXPECT(tebm_ed_metrics(&ed, &m), TEBM_STATUS_OK);
    CHECK(m.updates == (uint64_t)updates && m.rejected == 0 && isfinite(m.loss));

    /* A refused update: SGD with a huge rate on points far out drives the
     * precision below zero; the model refuses it, nothing changes but the
     * refusal count and the last error. */
    c.optimizer = TEBM_OPTIMIZER_SGD;
    c.learning_rate = 10.0f;
    c.momentum = 0.0f;
    c.batch_size = 3;
    EXPECT(tebm_ed_init(&ed, sizeof ed, &g, &c), TEBM_STATUS_OK);
    float far[3] = {30.0f, 30.0f, 30.0f};
    EXPECT(tebm_ed_push_batch(&ed, &g, far, 2, 1, NULL), TEBM_STATUS_OK);
    memcpy(&ed_copy, &ed, sizeof ed);
    memcpy(&g_copy, &g, sizeof g);
    EXPECT(tebm_ed_push(&ed, &g, far + 2, 1, NULL), TEBM_STATUS_BAD_PARAMETERS);
    CHECK(bytes_same(&g, &g_copy, sizeof g));
    EXPECT(tebm_ed_metrics(&ed, &m), TEBM_STATUS_OK);
    CHECK(m.rejected == 1 && m.updates == 0 && m.batch_len == 3);
    char msg[TEBM_ERROR_MESSAGE_CAPACITY];
    EXPECT(tebm_ed_last_error(&ed, msg, sizeof msg), TEBM_STATUS_OK);
    CHECK(strncmp(msg, "tebm_ed_push", 12) == 0);
    printf("ed_train: %d checks, %d failures\n", checks, failures);
    return failures != 0;
}

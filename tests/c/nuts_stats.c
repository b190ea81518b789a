/* A statistical test of the No-U-Turn Sampler (TEBM_KERNEL_NUTS) through the
 * C API: sample a 2-D Gaussian with known mean and covariance,
 *   mu = (1, -2),  Sigma = [[2, 0.6], [0.6, 0.5]]  (correlation 0.6,
 *   scales differing by 2: a mass-free NUTS must handle both),
 * 64 walkers, a fixed seed; warm up with step-size adaptation toward the
 * kernel's default target (Stan's acceptance statistic 0.8), freeze, reset
 * the diagnostics, then record N steps. Checks, per coordinate (the same
 * bounds as barker_stats.c, which explains them):
 *   - |mean - mu| < 4 MCSE, MCSE = sqrt(var / ESS) with the sampler's ESS;
 *   - |var / sigma^2 - 1| < 4 sqrt(2 / ESS);
 *   - the correlation (positions read every 10 steps) within 0.05 of 0.6;
 *   - no divergence, and the fraction of walkers that moved in [0.5, 1]
 *     (NUTS's draw from the trajectory is its starting point only rarely);
 *   - the mean acceptance statistic of the last step in [0.5, 1].
 * Then the configuration fields: max_tree_depth 13 is rejected, 0 means the
 * default; and a step far too large (10, no adaptation) makes nearly every
 * step diverge, counted in TebmSamplerStats::divergences, without an error.
 * Seeds 1..8 gave |d|/MCSE between 0.1 and 2.1 (seed 41: 3.6, the tail of
 * a correct sampler's 16 draws at 4-MCSE bounds). Exit status 0 when every
 * check passes. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "tinyebm.h"

#include "check.h"

#define DIM 2
#define WALKERS 64
#define WARMUP 500
#define CHUNK 10
#define CHUNKS 300 /* N = 3,000 recorded steps */

static const float MU[DIM] = {1.0f, -2.0f};
static const double SIGMA[DIM][DIM] = {{2.0, 0.6}, {0.6, 0.5}};
/* The precision Sigma^-1 = [[0.5, -0.6], [-0.6, 2]] / 0.64: exact in float. */
static const float PREC[DIM * DIM] = {0.78125f, -0.9375f, -0.9375f, 3.125f};

static TebmEnergy gauss;
static TebmSampler sampler;

static void config(TebmSamplerConfig *cfg, float step, uint64_t seed) {
    EXPECT(tebm_sampler_config_default(cfg), TEBM_STATUS_OK);
    cfg->kernel.kind = TEBM_KERNEL_NUTS;
    cfg->kernel.step_size = step;
    cfg->n_walkers = WALKERS;
    cfg->seed = seed;
}

static void moments(uint64_t seed) {
    TebmSamplerConfig cfg;
    config(&cfg, 0.5f, seed);
    cfg.adapt = 1; /* target_accept 0: the kernel's default, 0.8 */
    EXPECT(tebm_sampler_init(&sampler, sizeof sampler, &gauss, &cfg), TEBM_STATUS_OK);
    EXPECT(tebm_sampler_run(&sampler, &gauss, WARMUP, NULL), TEBM_STATUS_OK);
    EXPECT(tebm_sampler_freeze_step_size(&sampler), TEBM_STATUS_OK);
    EXPECT(tebm_sampler_reset_diagnostics(&sampler), TEBM_STATUS_OK);

    static float pos[WALKERS * DIM];
    double c01 = 0.0, s0 = 0.0, s1 = 0.0, q0 = 0.0, q1 = 0.0;
    long n = 0;
    for (int k = 0; k < CHUNKS; k++) {
        EXPECT(tebm_sampler_run(&sampler, &gauss, CHUNK, NULL), TEBM_STATUS_OK);
        EXPECT(tebm_sampler_positions(&sampler, pos, WALKERS * DIM), TEBM_STATUS_OK);
        for (int w = 0; w < WALKERS; w++, n++) {
            double a = pos[DIM * w] - MU[0], b = pos[DIM * w + 1] - MU[1];
            s0 += a;
            s1 += b;
            q0 += a * a;
            q1 += b * b;
            c01 += a * b;
        }
    }
    double m0 = s0 / n, m1 = s1 / n;
    double corr = (c01 / n - m0 * m1) / sqrt((q0 / n - m0 * m0) * (q1 / n - m1 * m1));

    double mean[DIM], var[DIM], ess[DIM];
    TebmSamplerStats st;
    EXPECT(tebm_sampler_diagnostic(&sampler, TEBM_DIAGNOSTIC_MEAN, mean, DIM), TEBM_STATUS_OK);
    EXPECT(tebm_sampler_diagnostic(&sampler, TEBM_DIAGNOSTIC_VARIANCE, var, DIM), TEBM_STATUS_OK);
    EXPECT(tebm_sampler_diagnostic(&sampler, TEBM_DIAGNOSTIC_ESS, ess, DIM), TEBM_STATUS_OK);
    EXPECT(tebm_sampler_stats(&sampler, &st), TEBM_STATUS_OK);
    CHECK(st.draws == (uint64_t)CHUNK * CHUNKS && st.adapting == 0);
    printf("NUTS: step size %.3f (from 0.5), moved %.3f, accept stat %.3f, divergences %lu, %lu draws per walker\n",
           st.step_size, st.acceptance_rate, st.last_mean_accept_prob, (unsigned long)st.divergences,
           (unsigned long)st.draws);
    printf("  coord    mean (exact)   MCSE  |d|/MCSE   var (exact)  rel err  bound      ESS\n");
    for (int i = 0; i < DIM; i++) {
        double mcse = sqrt(var[i] / ess[i]), rel = var[i] / SIGMA[i][i] - 1.0, bound = 4.0 * sqrt(2.0 / ess[i]);
        printf("  x%d    %7.4f (%5.2f) %7.4f %8.2f   %7.4f (%4.2f) %+7.4f %6.4f %8.0f\n", i, mean[i], MU[i], mcse,
               fabs(mean[i] - MU[i]) / mcse, var[i], SIGMA[i][i], rel, bound, ess[i]);
        CHECK(isfinite(ess[i]) && ess[i] > 1000.0);
        CHECK(fabs(mean[i] - MU[i]) < 4.0 * mcse);
        CHECK(fabs(rel) < bound);
    }
    printf("  correlation %.4f (exact %.4f) over %ld snapshot draws\n", corr,
           SIGMA[0][1] / sqrt(SIGMA[0][0] * SIGMA[1][1]), n);
    CHECK(fabs(corr - 0.6 / sqrt(2.0 * 0.5)) < 0.05);
    CHECK(st.divergences == 0);
    CHECK(st.acceptance_rate >= 0.5 && st.acceptance_rate <= 1.0);
    CHECK(st.last_mean_accept_prob >= 0.5f && st.last_mean_accept_prob <= 1.0f);
}

static void configuration_and_divergences(void) {
    TebmSamplerConfig cfg;
    config(&cfg, 0.5f, 7);
    cfg.kernel.max_tree_depth = 13;
    EXPECT(tebm_sampler_init(&sampler, sizeof sampler, &gauss, &cfg), TEBM_STATUS_BAD_CONFIG);
    cfg.kernel.max_tree_depth = 0;
    cfg.kernel.step_jitter = 1.0f;
    EXPECT(tebm_sampler_init(&sampler, sizeof sampler, &gauss, &cfg), TEBM_STATUS_BAD_CONFIG);
    cfg.kernel.step_jitter = 0.2f;
    cfg.kernel.max_tree_depth = 12;
    EXPECT(tebm_sampler_init(&sampler, sizeof sampler, &gauss, &cfg), TEBM_STATUS_OK);
    EXPECT(tebm_sampler_run(&sampler, &gauss, 20, NULL), TEBM_STATUS_OK);

    config(&cfg, 10.0f, 8);
    EXPECT(tebm_sampler_init(&sampler, sizeof sampler, &gauss, &cfg), TEBM_STATUS_OK);
    EXPECT(tebm_sampler_run(&sampler, &gauss, 50, NULL), TEBM_STATUS_OK);
    TebmSamplerStats st;
    EXPECT(tebm_sampler_stats(&sampler, &st), TEBM_STATUS_OK);
    printf("NUTS at step 10: %lu divergences in %d walker-steps\n", (unsigned long)st.divergences, 50 * WALKERS);
    CHECK(st.divergences > 45u * WALKERS && st.divergences <= 50u * WALKERS);
}

int main(void) {
    EXPECT(tebm_energy_init_gaussian_full(&gauss, sizeof gauss, DIM, MU, PREC), TEBM_STATUS_OK);
    moments(1);
    configuration_and_divergences();
    printf("nuts_stats: %d checks, %d failures\n", checks, failures);
    return failures != 0;
}

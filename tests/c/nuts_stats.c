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

#include "gauss_stats.h" /* MU, SIGMA, PREC; gauss_record, gauss_check */

#define DIM GAUSS_DIM
#define WALKERS 64
#define WARMUP 500
#define CHUNK 10
#define CHUNKS 300 /* N = 3,000 recorded steps */

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
    GaussStats r = gauss_record(&sampler, &gauss, WALKERS, WARMUP, CHUNK, CHUNKS);
    printf("NUTS: step size %.3f (from 0.5), moved %.3f, accept stat %.3f, divergences %lu, %lu draws per walker\n",
           r.st.step_size, r.st.acceptance_rate, r.st.last_mean_accept_prob, (unsigned long)r.st.divergences,
           (unsigned long)r.st.draws);
    gauss_check(&r);
    CHECK(r.st.divergences == 0);
    CHECK(r.st.acceptance_rate >= 0.5 && r.st.acceptance_rate <= 1.0);
    CHECK(r.st.last_mean_accept_prob >= 0.5f && r.st.last_mean_accept_prob <= 1.0f);
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

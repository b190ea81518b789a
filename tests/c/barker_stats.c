/* A statistical test of the Barker kernel (TEBM_KERNEL_BARKER) through the C
 * API: sample a 2-D Gaussian with known mean and covariance,
 *   mu = (1, -2),  Sigma = [[2, 0.6], [0.6, 0.5]]  (correlation 0.6),
 * 64 walkers, a fixed seed; warm up with step-size adaptation toward the
 * kernel's default target (0.40), freeze, reset the diagnostics, then record
 * N steps. Checks, per coordinate:
 *   - |mean - mu| < 4 MCSE, MCSE = sqrt(var / ESS) with the sampler's ESS
 *     (batch means);
 *   - |var / sigma^2 - 1| < 4 sqrt(2 / ESS): the sample variance of ESS
 *     independent Gaussian draws has relative sd sqrt(2 / ESS); the ESS of x
 *     stands in for that of x^2, which is no smaller for these chains (for
 *     a Gaussian AR(1) chain corr(x_t^2, x_t+k^2) = rho^(2k) <= rho^k);
 *   - the correlation of the two coordinates (from positions read every 10
 *     steps) within 0.05 of 0.6 (its sd over the 25,600 snapshot draws,
 *     (1 - 0.36) / sqrt(n_eff), is about 0.01 for n_eff >= 4,000);
 *   - the acceptance rate after adaptation in [0.2, 0.8] (the target is
 *     0.40): a kernel accepting everything or nothing fails here.
 * Twice: with the built-in Gaussian (exact gradient), and with a callback
 * whose U is exact but whose gradient is wrong (1.6 times the true one plus
 * a constant). Barker's correction uses the same gradient field for the
 * forward and the reverse proposal, so the kernel stays exact for any
 * gradient; a wrong or missing correction is not: the drift of the wrong
 * gradient then moves the mean and shrinks the variance (roughly toward
 * exp(-1.6 U) shifted), far beyond the tolerances above. Exit status 0 when
 * every check passes. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "tinyebm.h"

#include "gauss_stats.h" /* MU, SIGMA, PREC; gauss_record, gauss_check */

#define DIM GAUSS_DIM
#define WALKERS 64
#define WARMUP 1500
#define CHUNK 10
#define CHUNKS 400 /* N = 4,000 recorded steps */

/* U exact, gradient wrong: 1.6 grad U + (0.3, -0.2). */
static int skewed(void *user, const float *x, size_t dim, float *energy, float *grad) {
    (void)user;
    if (dim != DIM) return 1;
    float d0 = x[0] - MU[0], d1 = x[1] - MU[1];
    float g0 = PREC[0] * d0 + PREC[1] * d1, g1 = PREC[2] * d0 + PREC[3] * d1;
    *energy = 0.5f * (d0 * g0 + d1 * g1);
    if (grad) {
        grad[0] = 1.6f * g0 + 0.3f;
        grad[1] = 1.6f * g1 - 0.2f;
    }
    return 0;
}

static TebmEnergy gauss, cb;
static TebmSampler sampler;

static void run(const char *name, const TebmEnergy *e, uint64_t seed) {
    TebmSamplerConfig cfg;
    EXPECT(tebm_sampler_config_default(&cfg), TEBM_STATUS_OK);
    cfg.kernel.kind = TEBM_KERNEL_BARKER;
    cfg.kernel.step_size = 0.5f;
    cfg.n_walkers = WALKERS;
    cfg.seed = seed;
    cfg.adapt = 1; /* target_accept 0: the kernel's default, 0.40 */
    EXPECT(tebm_sampler_init(&sampler, sizeof sampler, e, &cfg), TEBM_STATUS_OK);
    GaussStats r = gauss_record(&sampler, e, WALKERS, WARMUP, CHUNK, CHUNKS);
    printf("%s: step size %.3f (from 0.5), acceptance %.3f, %lu draws per walker\n", name, r.st.step_size,
           r.st.acceptance_rate, (unsigned long)r.st.draws);
    gauss_check(&r);
    CHECK(r.st.acceptance_rate >= 0.2 && r.st.acceptance_rate <= 0.8);
}

int main(void) {
    EXPECT(tebm_energy_init_gaussian_full(&gauss, sizeof gauss, DIM, MU, PREC), TEBM_STATUS_OK);
    EXPECT(tebm_energy_init_callback(&cb, sizeof cb, DIM, skewed, NULL), TEBM_STATUS_OK);
    run("Barker, Gaussian (exact gradient)", &gauss, 31);
    run("Barker, callback (wrong gradient, exact U)", &cb, 32);
    printf("barker_stats: %d checks, %d failures\n", checks, failures);
    return failures != 0;
}

/* Windowed mass adaptation through the C API (tebm_sampler_warmup): NUTS on
 * a diagonal Gaussian in 8-D whose variances run from 1 down to 1e-3
 * (condition number 1000), 64 walkers started from N(0, 1), a fixed seed.
 *
 * 1. After a 300-step warm-up with the default (ensemble) windows, the
 *    inverse mass 1/m_i (tebm_sampler_mass) is within 15 % of every variance.
 *    Why 15 %: the last slow window spans 195 steps of 64 walkers (12,480
 *    draws; NUTS's draws on this target are nearly independent after
 *    adaptation, and at worst a few steps apart): the relative sd of a
 *    variance estimate is sqrt(2/n) <= 1.3 % at n = 12,480 and <= 2.6 % at
 *    n/4, so 15 % is more than 4 sd for every coordinate.
 * 2. Then 1,000 recorded steps: per coordinate |mean| < 4 MCSE, with the
 *    sampler's own ESS (of x); |var/sigma^2 - 1| < 0.07: the ESS of x
 *    says nothing of x^2 (NUTS is antithetic on x, ESS > draws, not on
 *    x^2), so the bound assumes an autocorrelation time of x^2 up to 10
 *    steps: sd = sqrt(2 * 10 / 64,000) = 1.8 %, 0.07 is ~4 sd. No
 *    divergence (tebm_sampler_divergences, per walker), and the tree-depth
 *    histogram (tebm_sampler_tree_depths) counts every walker-step, with
 *    mean depth <= 3; the identity mass (step size only, checked last)
 *    needs trees at least 2 levels deeper on average (measured: 2.0 and
 *    4.5).
 * 3. The same warm-up with Stan's windows also adapts (1/m_i within 15 %).
 * Exit status 0 when every check passes. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"

#define DIM 8
#define WALKERS 64
#define WARMUP 300
#define STEPS 1000

static TebmEnergy gauss;
static TebmSampler sampler;
static float var[DIM];

static void init(uint64_t seed) {
    TebmSamplerConfig cfg = sampler_config(TEBM_KERNEL_NUTS, WALKERS, 0.1f);
    cfg.seed = seed;
    EXPECT(tebm_sampler_init(&sampler, sizeof sampler, &gauss, &cfg), TEBM_STATUS_OK);
}

static void check_mass(const char *what) {
    float m[DIM];
    EXPECT(tebm_sampler_mass(&sampler, m, DIM), TEBM_STATUS_OK);
    double worst = 0;
    for (int i = 0; i < DIM; i++) {
        double r = fabs(1.0 / m[i] / var[i] - 1.0);
        if (r > worst) worst = r;
        CHECK(r < 0.15);
    }
    printf("%s: worst |1/m_i / var_i - 1| = %.3f\n", what, worst);
}

static double mean_depth(uint32_t *total) {
    uint32_t h[TEBM_TREE_DEPTH_BINS];
    EXPECT(tebm_sampler_tree_depths(&sampler, h, TEBM_TREE_DEPTH_BINS), TEBM_STATUS_OK);
    double s = 0;
    *total = 0;
    for (int k = 0; k < TEBM_TREE_DEPTH_BINS; k++) {
        s += (double)k * h[k];
        *total += h[k];
    }
    return *total ? s / *total : 0.0;
}

int main(void) {
    float zeros[DIM] = {0}, prec[DIM];
    for (int i = 0; i < DIM; i++) {
        var[i] = powf(10.0f, -3.0f * (float)i / (DIM - 1));
        prec[i] = 1.0f / var[i];
    }
    EXPECT(tebm_energy_init_gaussian_diag(&gauss, sizeof gauss, DIM, zeros, prec), TEBM_STATUS_OK);

    init(11);
    size_t done = 0;
    EXPECT(tebm_sampler_warmup(&sampler, &gauss, WARMUP, TEBM_MASS_ADAPTATION_DEFAULT, 0.0f, &done),
           TEBM_STATUS_OK);
    CHECK(done == WARMUP);
    check_mass("ensemble windows");
    EXPECT(tebm_sampler_run(&sampler, &gauss, STEPS, NULL), TEBM_STATUS_OK);
    TebmSamplerStats st;
    double mean[DIM], v[DIM], ess[DIM];
    EXPECT(tebm_sampler_stats(&sampler, &st), TEBM_STATUS_OK);
    EXPECT(tebm_sampler_diagnostic(&sampler, TEBM_DIAGNOSTIC_MEAN, mean, DIM), TEBM_STATUS_OK);
    EXPECT(tebm_sampler_diagnostic(&sampler, TEBM_DIAGNOSTIC_VARIANCE, v, DIM), TEBM_STATUS_OK);
    EXPECT(tebm_sampler_diagnostic(&sampler, TEBM_DIAGNOSTIC_ESS, ess, DIM), TEBM_STATUS_OK);
    CHECK(st.draws == STEPS && st.adapting == 0);
    for (int i = 0; i < DIM; i++) {
        double mcse = sqrt(v[i] / ess[i]);
        double zm = mean[i] / mcse;
        printf("x%d: mean %+.5f (z %+.2f), var/sigma^2 %.4f, ESS %.0f\n", i, mean[i], zm, v[i] / var[i], ess[i]);
        CHECK(isfinite(ess[i]) && fabs(zm) < 4.0 && fabs(v[i] / var[i] - 1.0) < 0.07);
    }
    uint32_t div[WALKERS], total;
    EXPECT(tebm_sampler_divergences(&sampler, div, WALKERS), TEBM_STATUS_OK);
    for (int w = 0; w < WALKERS; w++) CHECK(div[w] == 0);
    double depth = mean_depth(&total);
    printf("step size %.4f, mean tree depth %.2f over %u walker-steps\n", st.step_size, depth, (unsigned)total);
    CHECK(total == (uint32_t)WALKERS * STEPS && depth <= 3.0);
    double adapted_depth = depth;

    init(12);
    EXPECT(tebm_sampler_warmup(&sampler, &gauss, WARMUP, TEBM_MASS_ADAPTATION_STAN, 0.0f, NULL), TEBM_STATUS_OK);
    check_mass("Stan windows");

    /* Step size only: the identity mass stays, and trees are deeper. */
    init(13);
    EXPECT(tebm_sampler_warmup(&sampler, &gauss, WARMUP, TEBM_MASS_ADAPTATION_STEP_SIZE_ONLY, 0.0f, NULL),
           TEBM_STATUS_OK);
    float m[DIM];
    EXPECT(tebm_sampler_mass(&sampler, m, DIM), TEBM_STATUS_OK);
    for (int i = 0; i < DIM; i++) CHECK(m[i] == 1.0f);
    EXPECT(tebm_sampler_run(&sampler, &gauss, 50, NULL), TEBM_STATUS_OK);
    depth = mean_depth(&total);
    printf("identity mass: mean tree depth %.2f\n", depth);
    CHECK(depth >= adapted_depth + 2.0);

    printf("mass_warmup: %d checks, %d failures\n", checks, failures);
    return failures != 0;
}

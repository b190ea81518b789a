/* The 2-D Gaussian of the statistical kernel tests (barker_stats.c,
 * nuts_stats.c, which explain the bounds),
 *   mu = (1, -2),  Sigma = [[2, 0.6], [0.6, 0.5]]  (correlation 0.6),
 * and their shared measurement: warm up with step-size adaptation, freeze,
 * reset the diagnostics, record `chunks` x `chunk` steps (positions read
 * every `chunk` steps for the correlation), then check per coordinate
 *   - |mean - mu| < 4 MCSE, MCSE = sqrt(var / ESS), and ESS > 1000;
 *   - |var / sigma^2 - 1| < 4 sqrt(2 / ESS);
 * and the correlation within 0.05 of 0.6. */
#ifndef TINYEBM_GAUSS_STATS_H
#define TINYEBM_GAUSS_STATS_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "tinyebm.h"

#include "check.h"

#define GAUSS_DIM 2
#define GAUSS_MAX_WALKERS 64

static const float MU[GAUSS_DIM] = {1.0f, -2.0f};
static const double SIGMA[GAUSS_DIM][GAUSS_DIM] = {{2.0, 0.6}, {0.6, 0.5}};
/* The precision Sigma^-1 = [[0.5, -0.6], [-0.6, 2]] / 0.64: exact in float. */
static const float PREC[GAUSS_DIM * GAUSS_DIM] = {0.78125f, -0.9375f, -0.9375f, 3.125f};

/* What gauss_record measured, for gauss_check (and the caller's own checks
 * on `st`). */
typedef struct {
    double mean[GAUSS_DIM], var[GAUSS_DIM], ess[GAUSS_DIM];
    double corr; /* of the snapshot draws */
    long n;      /* snapshot draws */
    TebmSamplerStats st;
} GaussStats;

/* Warm-up, freeze, reset, record (see above) with an initialized sampler of
 * `walkers` walkers (at most GAUSS_MAX_WALKERS) on `e`; checks the number of
 * draws and that adaptation stopped. */
static inline GaussStats gauss_record(TebmSampler *s, const TebmEnergy *e, size_t walkers, uint32_t warmup,
                                      uint32_t chunk, uint32_t chunks) {
    EXPECT(tebm_sampler_run(s, e, warmup, NULL), TEBM_STATUS_OK);
    EXPECT(tebm_sampler_freeze_step_size(s), TEBM_STATUS_OK);
    EXPECT(tebm_sampler_reset_diagnostics(s), TEBM_STATUS_OK);

    static float pos[GAUSS_MAX_WALKERS * GAUSS_DIM];
    GaussStats r;
    double c01 = 0.0, s0 = 0.0, s1 = 0.0, q0 = 0.0, q1 = 0.0;
    long n = 0;
    CHECK(walkers <= GAUSS_MAX_WALKERS);
    for (uint32_t k = 0; k < chunks; k++) {
        EXPECT(tebm_sampler_run(s, e, chunk, NULL), TEBM_STATUS_OK);
        EXPECT(tebm_sampler_positions(s, pos, walkers * GAUSS_DIM), TEBM_STATUS_OK);
        for (size_t w = 0; w < walkers; w++, n++) {
            double a = pos[GAUSS_DIM * w] - MU[0], b = pos[GAUSS_DIM * w + 1] - MU[1];
            s0 += a;
            s1 += b;
            q0 += a * a;
            q1 += b * b;
            c01 += a * b;
        }
    }
    double m0 = s0 / n, m1 = s1 / n;
    r.corr = (c01 / n - m0 * m1) / sqrt((q0 / n - m0 * m0) * (q1 / n - m1 * m1));
    r.n = n;

    EXPECT(tebm_sampler_diagnostic(s, TEBM_DIAGNOSTIC_MEAN, r.mean, GAUSS_DIM), TEBM_STATUS_OK);
    EXPECT(tebm_sampler_diagnostic(s, TEBM_DIAGNOSTIC_VARIANCE, r.var, GAUSS_DIM), TEBM_STATUS_OK);
    EXPECT(tebm_sampler_diagnostic(s, TEBM_DIAGNOSTIC_ESS, r.ess, GAUSS_DIM), TEBM_STATUS_OK);
    EXPECT(tebm_sampler_stats(s, &r.st), TEBM_STATUS_OK);
    CHECK(r.st.draws == (uint64_t)chunk * chunks && r.st.adapting == 0);
    return r;
}

/* Prints the table of the moments and checks them (see above). */
static inline void gauss_check(const GaussStats *r) {
    printf("  coord    mean (exact)   MCSE  |d|/MCSE   var (exact)  rel err  bound      ESS\n");
    for (int i = 0; i < GAUSS_DIM; i++) {
        double mean = r->mean[i], var = r->var[i], ess = r->ess[i];
        double mcse = sqrt(var / ess), rel = var / SIGMA[i][i] - 1.0, bound = 4.0 * sqrt(2.0 / ess);
        printf("  x%d    %7.4f (%5.2f) %7.4f %8.2f   %7.4f (%4.2f) %+7.4f %6.4f %8.0f\n", i, mean, MU[i], mcse,
               fabs(mean - MU[i]) / mcse, var, SIGMA[i][i], rel, bound, ess);
        CHECK(isfinite(ess) && ess > 1000.0);
        CHECK(fabs(mean - MU[i]) < 4.0 * mcse);
        CHECK(fabs(rel) < bound);
    }
    printf("  correlation %.4f (exact %.4f) over %ld snapshot draws\n", r->corr,
           SIGMA[0][1] / sqrt(SIGMA[0][0] * SIGMA[1][1]), r->n);
    CHECK(fabs(r->corr - 0.6 / sqrt(2.0 * 0.5)) < 0.05);
}

#endif

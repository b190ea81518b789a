/* A 64-D Gaussian sampled through the C API: needs a library built with
 * TEBM_MAX_DIM >= 64 and TEBM_MAX_WALKERS >= 32 and the header generated for
 * it (scripts/ci-capacities.sh, "large"); not part of the default build.
 *
 * Target: independent coordinates, mean mu_i = (i mod 8) - 3.5, standard
 * deviation sd_i = 0.7 + 0.1 (i mod 8) (0.7 to 1.4). MALA, 32 walkers started
 * at the origin, step size adapted to acceptance 0.574 for 1,000 steps, then
 * frozen; 4,000 steps are averaged (128,000 draws per coordinate).
 *
 * Tolerances (every coordinate): |mean - mu| < 0.1 sd and |var / sd^2 - 1|
 * < 0.1. With an integrated autocorrelation time of about 20 steps the
 * standard errors are about 0.013 sd and 0.018: the bounds are 5 to 7 of
 * them (and the run is deterministic: same seed, same bits). Also reported:
 * the largest standardised errors. */
#include <math.h>
#include <stdio.h>

#include "tinyebm.h"

#if TEBM_MAX_DIM < 64 || TEBM_MAX_WALKERS < 32
#error "gauss64.c needs a library and header built with TEBM_MAX_DIM >= 64 and TEBM_MAX_WALKERS >= 32"
#endif

#define D 64
#define N 32
#define BURN 1000
#define STEPS 4000

static TebmEnergy energy;
static TebmSampler sampler;
static float pos[N * D];
static double sum[D], sum2[D];

static int ok(TebmStatus s, const char *what) {
    if (s != TEBM_STATUS_OK) {
        char msg[128];
        tebm_status_message(s, msg, sizeof msg);
        printf("gauss64: %s failed: %s\n", what, msg);
        return 0;
    }
    return 1;
}

int main(void) {
    float mu[D], prec[D], sd[D];
    for (int i = 0; i < D; i++) {
        mu[i] = (float)(i % 8) - 3.5f;
        sd[i] = 0.7f + 0.1f * (float)(i % 8);
        prec[i] = 1.0f / (sd[i] * sd[i]);
    }
    printf("gauss64: TEBM_MAX_DIM %d, TEBM_MAX_WALKERS %d; sampler object %lu bytes (TEBM_SAMPLER_SIZE %d)\n",
           (int)TEBM_MAX_DIM, (int)TEBM_MAX_WALKERS, (unsigned long)tebm_sampler_size(), (int)TEBM_SAMPLER_SIZE);
    if (tebm_sampler_size() > sizeof sampler || tebm_energy_size() > sizeof energy) {
        printf("gauss64: the header's object sizes are smaller than the library's\n");
        return 1;
    }
    if (!ok(tebm_energy_init_gaussian_diag(&energy, sizeof energy, D, mu, prec), "energy init")) return 1;

    TebmSamplerConfig cfg;
    if (!ok(tebm_sampler_config_default(&cfg), "config")) return 1;
    cfg.kernel.kind = TEBM_KERNEL_MALA;
    cfg.kernel.step_size = 0.1f;
    cfg.n_walkers = N;
    cfg.seed = 64;
    cfg.adapt = 1;
    cfg.target_accept = 0.574f;
    if (!ok(tebm_sampler_init(&sampler, sizeof sampler, &energy, &cfg), "sampler init")) return 1;
    if (!ok(tebm_sampler_run(&sampler, &energy, BURN, NULL), "burn-in")) return 1;
    if (!ok(tebm_sampler_freeze_step_size(&sampler), "freeze")) return 1;

    for (int t = 0; t < STEPS; t++) {
        if (!ok(tebm_sampler_run(&sampler, &energy, 1, NULL), "step")) return 1;
        if (!ok(tebm_sampler_positions(&sampler, pos, N * D), "positions")) return 1;
        for (int w = 0; w < N; w++) {
            for (int i = 0; i < D; i++) {
                double x = pos[w * D + i];
                sum[i] += x;
                sum2[i] += x * x;
            }
        }
    }

    const double n = (double)N * STEPS;
    double worst_mean = 0.0, worst_var = 0.0;
    int bad = 0;
    for (int i = 0; i < D; i++) {
        double m = sum[i] / n, v = sum2[i] / n - m * m, s = sd[i];
        double em = fabs(m - mu[i]) / s, ev = fabs(v / (s * s) - 1.0);
        if (em > worst_mean) worst_mean = em;
        if (ev > worst_var) worst_var = ev;
        if (!(em < 0.1) || !(ev < 0.1)) {
            printf("gauss64: coordinate %d: mean %.4f (want %.4f), variance %.4f (want %.4f)\n", i, m, mu[i], v,
                   s * s);
            bad++;
        }
    }
    printf("gauss64: %d-D, %d walkers, %d steps: largest |mean - mu| / sd %.4f, largest |var / sd^2 - 1| %.4f "
           "(tolerance 0.1 each)\n",
           D, N, STEPS, worst_mean, worst_var);
    printf("gauss64: %s\n", bad ? "FAILED" : "ok");
    return bad ? 1 : 0;
}

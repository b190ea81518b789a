/* Builds an MLP energy 2 -> 16 -> 16 -> 1 (SiLU, confinement alpha = 0.5) from a
 * weight buffer generated deterministically in C, in the documented order
 * (W1, b1, W2, b2, w3, b3), samples it with MALA, and checks the sample
 * means and variances against a grid integration of exp(-U) computed with
 * tebm_energy_eval, within 5 Monte Carlo standard errors (ESS from the
 * sampler's diagnostics). Exit status 0 when every check passes. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "tinyebm.h"

#define DIM 2
#define HIDDEN 16
#define N_WALKERS 32

static uint32_t lcg = 2718281u;
static float uniform_pm1(void) { /* in [-1, 1), deterministic */
    lcg = lcg * 1664525u + 1013904223u;
    return (float)(lcg >> 8) / 8388608.0f - 1.0f;
}

static int fail(const char *what, TebmStatus s) {
    char msg[96];
    tebm_status_message(s, msg, sizeof msg);
    fprintf(stderr, "mlp_sample: %s failed: %s\n", what, msg);
    return 1;
}

static TebmEnergy energy;
static TebmSampler sampler;

int main(void) {
    size_t np = tebm_mlp_num_params(DIM, HIDDEN);
    float theta[HIDDEN * (DIM + HIDDEN + 3) + 1];
    if (np != sizeof theta / sizeof theta[0]) return fail("tebm_mlp_num_params", TEBM_STATUS_BAD_DIMENSION);
    /* Fan-in scaled weights, small biases; the output layer scaled up so the
     * network shapes the density visibly. */
    size_t k = 0;
    for (int j = 0; j < HIDDEN * DIM; j++) theta[k++] = 1.5f * uniform_pm1();          /* W1 */
    for (int j = 0; j < HIDDEN; j++) theta[k++] = 0.5f * uniform_pm1();                /* b1 */
    for (int j = 0; j < HIDDEN * HIDDEN; j++) theta[k++] = 0.5f * uniform_pm1();       /* W2 */
    for (int j = 0; j < HIDDEN; j++) theta[k++] = 0.5f * uniform_pm1();                /* b2 */
    for (int j = 0; j < HIDDEN; j++) theta[k++] = 1.0f * uniform_pm1();                /* w3 */
    theta[k++] = 0.0f;                                                                 /* b3 */

    TebmStatus s = tebm_energy_init_mlp(&energy, sizeof energy, DIM, HIDDEN, TEBM_ACTIVATION_SILU,
                                        0.5f, theta, np);
    if (s != TEBM_STATUS_OK) return fail("tebm_energy_init_mlp", s);

    TebmSamplerConfig cfg;
    tebm_sampler_config_default(&cfg);
    cfg.kernel.kind = TEBM_KERNEL_MALA;
    cfg.n_walkers = N_WALKERS;
    cfg.seed = 17;
    cfg.kernel.step_size = 0.2f;
    cfg.adapt = 1;
    cfg.init_sd = 2.0f;
    if ((s = tebm_sampler_init(&sampler, sizeof sampler, &energy, &cfg)) != TEBM_STATUS_OK)
        return fail("tebm_sampler_init", s);
    if ((s = tebm_sampler_run(&sampler, &energy, 1000, NULL)) != TEBM_STATUS_OK) return fail("warm-up", s);
    tebm_sampler_freeze_step_size(&sampler);
    tebm_sampler_reset_diagnostics(&sampler);
    size_t done = 0;
    if ((s = tebm_sampler_run(&sampler, &energy, 8000, &done)) != TEBM_STATUS_OK || done != 8000)
        return fail("tebm_sampler_run", s);

    double mean[DIM], var[DIM], ess[DIM], rhat[DIM];
    tebm_sampler_diagnostic(&sampler, TEBM_DIAGNOSTIC_MEAN, mean, DIM);
    tebm_sampler_diagnostic(&sampler, TEBM_DIAGNOSTIC_VARIANCE, var, DIM);
    tebm_sampler_diagnostic(&sampler, TEBM_DIAGNOSTIC_ESS, ess, DIM);
    tebm_sampler_diagnostic(&sampler, TEBM_DIAGNOSTIC_RHAT, rhat, DIM);
    TebmSamplerStats st;
    tebm_sampler_stats(&sampler, &st);

    /* Exact moments by midpoint rule on [-10, 10]^2. */
    const int G = 400;
    const double L = 10.0, hcell = 2.0 * L / G;
    double z = 0, m1[DIM] = {0, 0}, m2[DIM] = {0, 0};
    for (int i = 0; i < G; i++) {
        for (int j = 0; j < G; j++) {
            float x[DIM] = {(float)(-L + (i + 0.5) * hcell), (float)(-L + (j + 0.5) * hcell)};
            float u;
            if ((s = tebm_energy_eval(&energy, x, DIM, &u, NULL)) != TEBM_STATUS_OK)
                return fail("tebm_energy_eval", s);
            double p = exp(-(double)u);
            z += p;
            for (int d = 0; d < DIM; d++) {
                m1[d] += p * x[d];
                m2[d] += p * x[d] * x[d];
            }
        }
    }
    int ok = 1;
    printf("MLP %d -> %d -> %d -> 1 (SiLU), %zu parameters; MALA, %d walkers, step %.3g, acceptance %.3f\n",
           DIM, HIDDEN, HIDDEN, np, N_WALKERS, (double)st.step_size, st.acceptance_rate);
    printf("coord   mean (exact)        variance (exact)     ESS     R-hat\n");
    for (int d = 0; d < DIM; d++) {
        double em = m1[d] / z, ev = m2[d] / z - em * em;
        double se_m = sqrt(ev / ess[d]);
        /* Var of a variance estimate ~ 2 sigma^4 / ESS (Gaussian-like tails). */
        double se_v = ev * sqrt(2.0 / ess[d]);
        printf("x%d   %7.4f (%7.4f)   %7.4f (%7.4f)   %7.0f   %.4f\n", d, mean[d], em, var[d], ev, ess[d],
               rhat[d]);
        if (!(fabs(mean[d] - em) < 5 * se_m)) { fprintf(stderr, "FAIL: mean x%d\n", d); ok = 0; }
        if (!(fabs(var[d] - ev) < 5 * se_v)) { fprintf(stderr, "FAIL: variance x%d\n", d); ok = 0; }
        if (!(rhat[d] < 1.05)) { fprintf(stderr, "FAIL: R-hat x%d\n", d); ok = 0; }
        if (!(ess[d] > 500)) { fprintf(stderr, "FAIL: ESS x%d\n", d); ok = 0; }
    }
    if (!(st.acceptance_rate > 0.4 && st.acceptance_rate < 0.8)) {
        fprintf(stderr, "FAIL: acceptance %.3f\n", st.acceptance_rate);
        ok = 0;
    }
    puts(ok ? "mlp_sample: OK" : "mlp_sample: FAILED");
    return ok ? 0 : 1;
}

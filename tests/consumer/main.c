/* A program outside the tinyebm tree, built against an installed tinyebm
 * (scripts/ci-install.sh): through CMake (cmake/CMakeLists.txt,
 * find_package) and pkg-config (pkgconfig/Makefile), on the host and for a
 * Cortex-M4F. It samples a 2-D Gaussian, mean (1, -2), standard deviations
 * (1, 0.5), with MALA and checks the sample mean and variance roughly.
 * Exit status 0 when they hold. */
#include <stdio.h>
#include <string.h>

#include "tinyebm.h"

#define N_WALKERS 32
#define WARMUP 500
#define STEPS 2000

static const float MEAN[2] = {1.0f, -2.0f};
static const float PRECISION[2] = {1.0f, 4.0f}; /* 1 / sd^2 */

/* Large objects are static: a Cortex-M stack is small. */
static TebmEnergy energy;
static TebmSampler sampler;
static float pos[N_WALKERS * 2];

static int check(const char *what, TebmStatus s) {
    if (s != TEBM_STATUS_OK) {
        char msg[128];
        tebm_status_message((int32_t)s, msg, sizeof msg);
        printf("FAIL %s: %s\n", what, msg);
        return 1;
    }
    return 0;
}

static double absd(double x) { return x < 0 ? -x : x; }

int main(void) {
    char version[32];
    snprintf(version, sizeof version, "%d.%d.%d", TEBM_VERSION_MAJOR, TEBM_VERSION_MINOR,
             TEBM_VERSION_PATCH);
    printf("tinyebm %s (header %s)\n", tebm_version(), version);
    if (strcmp(version, tebm_version()) != 0) {
        printf("FAIL: header and library versions differ\n");
        return 1;
    }

    TebmSamplerConfig cfg;
    if (check("config", tebm_sampler_config_default(&cfg))) return 1;
    cfg.kernel.kind = TEBM_KERNEL_MALA;
    cfg.kernel.step_size = 0.2f;
    cfg.n_walkers = N_WALKERS;
    cfg.seed = 7;
    if (check("energy", tebm_energy_init_gaussian_diag(&energy, sizeof energy, 2, MEAN, PRECISION)) ||
        check("sampler", tebm_sampler_init(&sampler, sizeof sampler, &energy, &cfg)) ||
        check("warm-up", tebm_sampler_run(&sampler, &energy, WARMUP, NULL)))
        return 1;

    double sum[2] = {0, 0}, sum2[2] = {0, 0};
    for (int step = 0; step < STEPS; step++) {
        if (check("run", tebm_sampler_run(&sampler, &energy, 1, NULL)) ||
            check("positions", tebm_sampler_positions(&sampler, pos, N_WALKERS * 2)))
            return 1;
        for (int w = 0; w < N_WALKERS; w++)
            for (int k = 0; k < 2; k++) {
                sum[k] += pos[2 * w + k];
                sum2[k] += (double)pos[2 * w + k] * pos[2 * w + k];
            }
    }

    int failed = 0;
    const double n = (double)STEPS * N_WALKERS;
    for (int k = 0; k < 2; k++) {
        double mean = sum[k] / n, var = sum2[k] / n - mean * mean;
        double want_var = 1.0 / PRECISION[k];
        int ok = absd(mean - MEAN[k]) < 0.1 && absd(var / want_var - 1.0) < 0.2;
        /* Integers in thousandths: newlib's nano printf has no %f. */
        printf("x%d: mean %ld/1000 (want %ld/1000), variance %ld/1000 (want %ld/1000): %s\n", k,
               (long)(mean * 1000), (long)(MEAN[k] * 1000), (long)(var * 1000),
               (long)(want_var * 1000), ok ? "ok" : "FAIL");
        failed |= !ok;
    }
    printf("%s\n", failed ? "FAIL" : "consumer: ok");
    return failed;
}

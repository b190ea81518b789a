/* Samples the Mueller-Brown potential (Mueller & Brown 1979) through the C
 * callback with MALA over 64 walkers, prints the occupancy of its three
 * minima against a grid integration of the same density, and checks them.
 * Exit status 0 when every check passes. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tinyebm.h"

#define N_WALKERS 64
#define BETA 0.05f
#define WARMUP 2000
#define STEPS 20000

static const float A_[4] = {-200.0f, -100.0f, -170.0f, 15.0f};
static const float a_[4] = {-1.0f, -1.0f, -6.5f, 0.7f};
static const float b_[4] = {0.0f, 0.0f, 11.0f, 0.6f};
static const float c_[4] = {-10.0f, -10.0f, -6.5f, 0.7f};
static const float x0_[4] = {1.0f, 0.0f, -0.5f, -1.0f};
static const float y0_[4] = {0.0f, 0.5f, 1.5f, 1.0f};

/* The three minima: A (deepest), B, C. */
static const float MIN_X[3] = {-0.558f, 0.623f, -0.050f};
static const float MIN_Y[3] = {1.442f, 0.028f, 0.467f};

static float mb(float x, float y, float *gx, float *gy) {
    float u = 0.0f, dx = 0.0f, dy = 0.0f;
    for (int k = 0; k < 4; k++) {
        float px = x - x0_[k], py = y - y0_[k];
        float e = A_[k] * expf(a_[k] * px * px + b_[k] * px * py + c_[k] * py * py);
        u += e;
        dx += e * (2.0f * a_[k] * px + b_[k] * py);
        dy += e * (b_[k] * px + 2.0f * c_[k] * py);
    }
    if (gx) *gx = dx;
    if (gy) *gy = dy;
    return u;
}

/* The callback: counts its calls through the user pointer. */
static int mb_energy(void *user, const float *x, size_t dim, float *energy, float *grad) {
    unsigned long *calls = (unsigned long *)user;
    if (dim != 2) return 1;
    ++*calls;
    *energy = grad ? mb(x[0], x[1], &grad[0], &grad[1]) : mb(x[0], x[1], NULL, NULL);
    return 0;
}

static int nearest_minimum(float x, float y) {
    int best = 0;
    float bd = 1e30f;
    for (int m = 0; m < 3; m++) {
        float d = (x - MIN_X[m]) * (x - MIN_X[m]) + (y - MIN_Y[m]) * (y - MIN_Y[m]);
        if (d < bd) { bd = d; best = m; }
    }
    return best;
}

static int fail(const char *what, TebmStatus s) {
    char msg[96];
    tebm_status_message(s, msg, sizeof msg);
    fprintf(stderr, "mueller_brown: %s failed: %s\n", what, msg);
    return 1;
}

static TebmEnergy energy;
static TebmSampler sampler;

int main(void) {
    unsigned long calls = 0;
    TebmStatus s = tebm_energy_init_callback(&energy, sizeof energy, 2, mb_energy, &calls);
    if (s != TEBM_STATUS_OK) return fail("tebm_energy_init_callback", s);

    /* Walkers start spread over the box [-1.5, 1.2] x [-0.5, 2] (a fixed grid). */
    float init[N_WALKERS * 2];
    for (int w = 0; w < N_WALKERS; w++) {
        init[2 * w] = -1.5f + 2.7f * (float)(w % 8) / 7.0f;
        init[2 * w + 1] = -0.5f + 2.5f * (float)(w / 8) / 7.0f;
    }
    TebmSamplerConfig cfg;
    tebm_sampler_config_default(&cfg);
    cfg.kernel.kind = TEBM_KERNEL_MALA;
    cfg.n_walkers = N_WALKERS;
    cfg.seed = 2024;
    cfg.kernel.step_size = 1e-3f;
    cfg.beta = BETA;
    cfg.adapt = 1;
    cfg.init_positions = init;
    s = tebm_sampler_init(&sampler, sizeof sampler, &energy, &cfg);
    if (s != TEBM_STATUS_OK) return fail("tebm_sampler_init", s);

    if ((s = tebm_sampler_run(&sampler, &energy, WARMUP, NULL)) != TEBM_STATUS_OK)
        return fail("warm-up", s);
    tebm_sampler_freeze_step_size(&sampler);
    tebm_sampler_reset_diagnostics(&sampler);

    double occ[3] = {0, 0, 0};
    float pos[N_WALKERS * 2];
    for (int k = 0; k < STEPS / 10; k++) {
        if ((s = tebm_sampler_run(&sampler, &energy, 10, NULL)) != TEBM_STATUS_OK)
            return fail("tebm_sampler_run", s);
        tebm_sampler_positions(&sampler, pos, N_WALKERS * 2);
        for (int w = 0; w < N_WALKERS; w++) occ[nearest_minimum(pos[2 * w], pos[2 * w + 1])] += 1.0;
    }
    double total = occ[0] + occ[1] + occ[2];
    for (int m = 0; m < 3; m++) occ[m] /= total;

    /* Reference: the same density and classification on a fine grid. */
    double ref[3] = {0, 0, 0}, z = 0;
    for (int i = 0; i < 600; i++) {
        for (int j = 0; j < 600; j++) {
            float x = -2.0f + 3.2f * ((float)i + 0.5f) / 600.0f;
            float y = -1.0f + 3.5f * ((float)j + 0.5f) / 600.0f;
            double p = exp(-(double)BETA * (double)mb(x, y, NULL, NULL));
            ref[nearest_minimum(x, y)] += p;
            z += p;
        }
    }
    for (int m = 0; m < 3; m++) ref[m] /= z;

    TebmSamplerStats st;
    tebm_sampler_stats(&sampler, &st);
    int finite = 1;
    for (int w = 0; w < N_WALKERS * 2; w++) finite &= isfinite(pos[w]) != 0;
    printf("Mueller-Brown, MALA, %d walkers, beta = %.2f, %d steps (+%d warm-up)\n", N_WALKERS,
           (double)BETA, STEPS, WARMUP);
    printf("step size %.4g, acceptance %.3f, callback calls %lu\n", (double)st.step_size,
           st.acceptance_rate, calls);
    printf("minimum      sampled   exact (grid)\n");
    const char *names[3] = {"A (-146.7)", "B (-108.2)", "C  (-80.8)"};
    for (int m = 0; m < 3; m++) printf("%s  %7.3f   %7.3f\n", names[m], occ[m], ref[m]);

    int ok = 1;
    if (!finite) { fprintf(stderr, "FAIL: non-finite positions\n"); ok = 0; }
    if (!(st.acceptance_rate > 0.4 && st.acceptance_rate < 0.8)) {
        fprintf(stderr, "FAIL: acceptance %.3f outside [0.4, 0.8]\n", st.acceptance_rate);
        ok = 0;
    }
    if (!(occ[0] > occ[1] && occ[0] > occ[2])) {
        fprintf(stderr, "FAIL: the deepest minimum A is not the most occupied\n");
        ok = 0;
    }
    for (int m = 0; m < 3; m++) {
        if (fabs(occ[m] - ref[m]) > 0.08) {
            fprintf(stderr, "FAIL: occupancy of minimum %d off by %.3f\n", m, fabs(occ[m] - ref[m]));
            ok = 0;
        }
    }
    puts(ok ? "mueller_brown: OK" : "mueller_brown: FAILED");
    return ok ? 0 : 1;
}

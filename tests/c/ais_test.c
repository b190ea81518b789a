/* Accuracy of tebm_ais_run against exact log Z (tests/ais.rs does the same
 * in Rust, more thoroughly): a correlated 2-D Gaussian at beta = 2, the
 * review's mixture 0.7 N(0, 1) + 0.3 N(5, 0.5^2) (U = -log density, so
 * log Z = 0), and a C callback (a 3-D quartic, truth by quadrature in 1-D
 * cubed); each |log Z^ - log Z| <= 4 SE with a small SE and a reliable ESS.
 * Then the held-out NLL of the mixture at its own exact points, and a
 * schedule far too short, which must report a larger SE. Fixed seeds.
 * Exit status 0 when every check passes. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tinyebm.h"

#include "check.h"

static TebmAis ais;
static TebmEnergy eg, em, eq;

static int accurate(const char *what, const TebmAisResult *r, double truth, double max_se) {
    double err = (double)r->log_z - truth;
    printf("%-34s truth %8.4f  estimate %8.4f  SE %.4f  ESS %5.1f/%zu  (%+.2f SE)\n", what, truth,
           (double)r->log_z, (double)r->se, (double)r->ess, r->n_walkers, err / (double)r->se);
    return fabs(err) <= 4.0 * (double)r->se && r->se > 0.0f && (double)r->se <= max_se && r->reliable;
}

/* U = sum_i x_i^4 / 4 in 3-D. */
static int quartic(void *user, const float *x, size_t dim, float *energy, float *grad) {
    (void)user;
    float u = 0.0f;
    for (size_t i = 0; i < dim; i++) {
        u += 0.25f * x[i] * x[i] * x[i] * x[i];
        if (grad) grad[i] = x[i] * x[i] * x[i];
    }
    *energy = u;
    return 0;
}

int main(void) {
    TebmAisConfig c;
    TebmAisResult r;
    const double tau = 6.283185307179586;

    /* 2-D Gaussian, mean (1, -1), precision [[2, 0.6], [0.6, 1]], beta = 2:
     * log Z = ln(2 pi / beta) - 1/2 ln det P. */
    const float mean[2] = {1.0f, -1.0f}, prec[4] = {2.0f, 0.6f, 0.6f, 1.0f};
    EXPECT(tebm_energy_init_gaussian_full(&eg, sizeof eg, 2, mean, prec), TEBM_STATUS_OK);
    EXPECT(tebm_ais_config_default(&c), TEBM_STATUS_OK);
    c.kernel.step_size = 0.2f;
    c.beta = 2.0f;
    c.seed = 3;
    EXPECT(tebm_ais_run(&ais, sizeof ais, &eg, &c, &r), TEBM_STATUS_OK);
    CHECK(accurate("2-D Gaussian, beta 2", &r, log(tau / 2.0) - 0.5 * log(2.0 - 0.36), 0.06));

    /* The review's mixture from a base fitted to points spread over both modes. */
    const float w[2] = {0.7f, 0.3f}, mu[2] = {0.0f, 5.0f}, sd[2] = {1.0f, 0.5f};
    EXPECT(tebm_energy_init_mixture(&em, sizeof em, 2, 1, w, mu, sd), TEBM_STATUS_OK);
    const float pts[6] = {-1.0f, 0.0f, 1.0f, 4.5f, 5.0f, 5.5f};
    EXPECT(tebm_ais_config_default(&c), TEBM_STATUS_OK);
    c.kernel.step_size = 0.3f;
    c.fit_points = pts;
    c.fit_count = 6;
    c.seed = 5;
    EXPECT(tebm_ais_run(&ais, sizeof ais, &em, &c, &r), TEBM_STATUS_OK);
    CHECK(accurate("review mixture, fitted base", &r, 0.0, 0.06));
    TebmAisResult mix = r;

    /* A callback: the 3-D quartic; 1-D integral by the midpoint rule, cubed. */
    EXPECT(tebm_energy_init_callback(&eq, sizeof eq, 3, quartic, NULL), TEBM_STATUS_OK);
    double s = 0.0, hx = 1e-4;
    for (double x = -6.0 + hx / 2; x < 6.0; x += hx) s += exp(-0.25 * x * x * x * x) * hx;
    EXPECT(tebm_ais_config_default(&c), TEBM_STATUS_OK);
    c.kernel.step_size = 0.3f;
    c.seed = 7;
    EXPECT(tebm_ais_run(&ais, sizeof ais, &eq, &c, &r), TEBM_STATUS_OK);
    CHECK(accurate("3-D quartic (callback)", &r, 3.0 * log(s), 0.06));

    /* Held-out NLL at points spread as the mixture: finite, its SE at least
     * that of log Z, and nll - mean_energy = log Z. */
    float data[20];
    for (int i = 0; i < 20; i++) data[i] = i < 14 ? -1.5f + 3.0f * (float)i / 13.0f : 4.5f + (float)(i - 14) / 5.0f;
    TebmHeldOut h;
    EXPECT(tebm_heldout_nll(&em, 1.0f, data, 20, mix.log_z, mix.se, &h), TEBM_STATUS_OK);
    printf("held-out NLL of 20 points: %.4f +- %.4f\n", (double)h.nll, (double)h.se);
    CHECK(fabsf(h.nll - h.mean_energy - mix.log_z) < 1e-5f && h.se >= mix.se && h.se > h.se_energy);

    /* Too short: 2 temperatures on the quartic from a wide base. */
    EXPECT(tebm_ais_config_default(&c), TEBM_STATUS_OK);
    c.kernel.step_size = 0.3f;
    c.steps = 2;
    const float zero3[3] = {0, 0, 0}, wide[3] = {3, 3, 3};
    c.base_mean = zero3;
    c.base_sd = wide;
    c.seed = 7;
    EXPECT(tebm_ais_run(&ais, sizeof ais, &eq, &c, &r), TEBM_STATUS_OK);
    double err = (double)r.log_z - 3.0 * log(s);
    printf("too short (K = 2, wide base)        estimate %8.4f  SE %.4f  ESS %5.1f/%zu  reliable %d\n",
           (double)r.log_z, (double)r.se, (double)r.ess, r.n_walkers, (int)r.reliable);
    CHECK(fabs(err) <= 4.0 * (double)r.se && r.se > 0.1f && r.ess < 0.5f * (float)r.n_walkers);

    printf("ais_test: %d checks, %d failures\n", checks, failures);
    return failures != 0;
}

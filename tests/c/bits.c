/* Bit-exactness runs: fixed seeds and configurations, every kernel and every
 * built-in energy plus a callback; prints the step size, each walker's
 * position and energy as hex of the f32 bits. ffi/examples/bits_reference.rs
 * performs the same runs through the Rust API; scripts/ci-ffi.sh diffs the two
 * outputs (and, under QEMU, this program built for a Cortex-M4F).
 * The callback uses + - * only: with -std=c99 (no FMA contraction) its bits
 * do not depend on the C compiler or target. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tinyebm.h"

static uint32_t bits(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

/* U = x0^4/4 - x0^2 + (x1 - x0/2)^2 / 2 */
static int quartic(void *user, const float *x, size_t dim, float *energy, float *grad) {
    (void)user;
    if (dim != 2) return 1;
    float x0 = x[0], x1 = x[1];
    float r = x1 - 0.5f * x0;
    *energy = 0.25f * (x0 * x0) * (x0 * x0) - x0 * x0 + 0.5f * r * r;
    if (grad) {
        grad[0] = x0 * x0 * x0 - 2.0f * x0 - 0.5f * r;
        grad[1] = r;
    }
    return 0;
}

static TebmEnergy energy;
static TebmSampler sampler;

/* Prints a weight file as the Rust reference does: a title, then hex. */
static void print_hex(const char *name, const uint8_t *b, size_t n) {
    printf("%s: %lu bytes\n", name, (unsigned long)n);
    for (size_t i = 0; i < n; i++) printf("%02x%s", b[i], (i % 32 == 31 || i + 1 == n) ? "\n" : "");
}

/* An MLP 2 -> 5 -> 5 -> 1 (SiLU, alpha 0.75) saved by the Rust API
 * (Persist::encode of Mlp::init(2, 5, Silu, 0.75, 21), as in
 * bits_reference.rs): the same bytes load here. */
static const char rust_weights_hex[] =
    "5445424d010004000200000005000000010000000000403f330000008b779fbd"
    "7197483e40af1b3f3b82a23ef86b933fabf0d73c0bd5b93f8e99063f60c94c3f"
    "cd4f863f00000000000000000000000000000000000000007d39343f458a1a3f"
    "90bfd1bb7d9162bf3a6770bfe037033e4be2ee3d5bb67f3f622426bd3cf10e3c"
    "ab9223bf5d8ae23ecbf158be41d026bf2525aabc01e7dbbe64f5593eabc29a3e"
    "8724083fb546b3be0e80cdbe96bba33d7138a8bef0200d3f01dfccbe00000000"
    "000000000000000000000000000000007d3550be39896cbfaf9d6d3d735cac3e"
    "d249973e0000000064bce021";

static int check(TebmStatus s, const char *what) {
    if (s != TEBM_STATUS_OK) {
        char msg[TEBM_ERROR_MESSAGE_CAPACITY];
        tebm_sampler_last_error(&sampler, msg, sizeof msg);
        printf("FAILED %s: status %d (%s)\n", what, (int)s, msg);
        return 1;
    }
    return 0;
}

/* Runs `adapt_steps` steps adapting (if cfg->adapt), freezes, runs `steps`
 * more, prints. */
static int run(const char *name, const TebmSamplerConfig *cfg, size_t adapt_steps, size_t steps) {
    if (check(tebm_sampler_init(&sampler, sizeof sampler, &energy, cfg), "init")) return 1;
    if (check(tebm_sampler_run(&sampler, &energy, adapt_steps, NULL), "run")) return 1;
    if (check(tebm_sampler_freeze_step_size(&sampler), "freeze")) return 1;
    if (check(tebm_sampler_run(&sampler, &energy, steps, NULL), "run")) return 1;
    TebmSamplerStats st;
    static float pos[TEBM_MAX_WALKERS * TEBM_MAX_DIM];
    static float u[TEBM_MAX_WALKERS];
    tebm_sampler_stats(&sampler, &st);
    tebm_sampler_positions(&sampler, pos, sizeof pos / sizeof pos[0]);
    tebm_sampler_energies(&sampler, u, TEBM_MAX_WALKERS);
    printf("run %s: steps %lu, step size %08lx\n", name, (unsigned long)st.steps,
           (unsigned long)bits(st.step_size));
    for (size_t w = 0; w < st.n_walkers; w++) {
        printf("%2lu", (unsigned long)w);
        for (size_t i = 0; i < st.dim; i++) printf(" %08lx", (unsigned long)bits(pos[w * st.dim + i]));
        printf(" u %08lx\n", (unsigned long)bits(u[w]));
    }
    return 0;
}

int main(void) {
    TebmSamplerConfig cfg;
    int bad = 0;

    /* A: callback, MALA with adaptation. */
    static const float centre_a[2] = {0.5f, -0.5f};
    tebm_energy_init_callback(&energy, sizeof energy, 2, quartic, NULL);
    tebm_sampler_config_default(&cfg);
    cfg.kernel.kind = TEBM_KERNEL_MALA;
    cfg.n_walkers = 16;
    cfg.seed = 7;
    cfg.kernel.step_size = 0.1f;
    cfg.adapt = 1;
    cfg.init_center = centre_a;
    bad |= run("A callback/MALA", &cfg, 150, 150);

    /* B: MLP 3 -> 8 -> 8 -> 1 (tanh) with weights from an LCG, HMC with a
     * diagonal mass, 40 walkers (a 32-lane batch and a remainder on x86_64). */
    static float theta[8 * (3 + 8 + 3) + 1];
    size_t np = tebm_mlp_num_params(3, 8);
    uint32_t state = 12345u;
    for (size_t i = 0; i < np; i++) {
        state = state * 1664525u + 1013904223u;
        theta[i] = (float)((state >> 16) & 0xffffu) / 65536.0f - 0.5f; /* exact */
    }
    if (check(tebm_energy_init_mlp(&energy, sizeof energy, 3, 8, TEBM_ACTIVATION_TANH, 0.5f, theta, np),
              "mlp")) return 1;
    static const float mass[3] = {1.0f, 2.0f, 0.5f};
    tebm_sampler_config_default(&cfg);
    cfg.kernel.kind = TEBM_KERNEL_HMC;
    cfg.n_walkers = 40;
    cfg.seed = 11;
    cfg.kernel.step_size = 0.15f;
    cfg.kernel.leapfrog_steps = 5;
    cfg.kernel.mass = mass;
    bad |= run("B MLP/HMC", &cfg, 0, 60);

    /* C: full-precision Gaussian, ULA at beta = 2. */
    static const float mean_c[2] = {1.0f, -1.0f};
    static const float prec_c[4] = {2.0f, 0.6f, 0.6f, 1.0f};
    if (check(tebm_energy_init_gaussian_full(&energy, sizeof energy, 2, mean_c, prec_c), "gaussian"))
        return 1;
    tebm_sampler_config_default(&cfg);
    cfg.kernel.kind = TEBM_KERNEL_ULA;
    cfg.n_walkers = 8;
    cfg.seed = 3;
    cfg.kernel.step_size = 0.05f;
    cfg.beta = 2.0f;
    bad |= run("C Gaussian/ULA", &cfg, 0, 100);

    /* D: two-component mixture, random-walk MH with adaptation. */
    static const float w_d[2] = {0.7f, 0.3f};
    static const float m_d[4] = {0.0f, 0.0f, 3.0f, 1.0f};
    static const float s_d[4] = {1.0f, 1.0f, 0.5f, 0.5f};
    if (check(tebm_energy_init_mixture(&energy, sizeof energy, 2, 2, w_d, m_d, s_d), "mixture"))
        return 1;
    tebm_sampler_config_default(&cfg);
    cfg.kernel.kind = TEBM_KERNEL_MH;
    cfg.n_walkers = 12;
    cfg.seed = 5;
    cfg.kernel.step_size = 0.5f;
    cfg.adapt = 1;
    bad |= run("D mixture/MH", &cfg, 100, 100);

    /* E: double well, MALA from given positions. */
    static float init_e[10];
    for (int w = 0; w < 10; w++) init_e[w] = -1.5f + 0.3f * (float)w;
    if (check(tebm_energy_init_double_well(&energy, sizeof energy, 2.0f), "double well")) return 1;
    tebm_sampler_config_default(&cfg);
    cfg.kernel.kind = TEBM_KERNEL_MALA;
    cfg.n_walkers = 10;
    cfg.seed = 99;
    cfg.kernel.step_size = 0.05f;
    cfg.init_positions = init_e;
    bad |= run("E double well/MALA", &cfg, 0, 200);

    /* F: the weight format: MLP B saved through the C API; the Rust
     * reference prints what Persist::encode writes for it. */
    static uint8_t buf[8192];
    size_t need = 0, written = 0;
    if (check(tebm_energy_init_mlp(&energy, sizeof energy, 3, 8, TEBM_ACTIVATION_TANH, 0.5f, theta, np),
              "mlp")) return 1;
    if (check(tebm_weights_size(&energy, &need), "weights size")) return 1;
    if (check(tebm_weights_save(&energy, buf, sizeof buf, &written), "weights save")) return 1;
    if (written != need) { printf("FAILED: wrote %lu of %lu\n", (unsigned long)written, (unsigned long)need); return 1; }
    print_hex("weights B", buf, written);

    /* G: bytes written by Rust load in C, evaluate to the same bits, and
     * save to the same bytes. */
    static uint8_t rust_bytes[sizeof rust_weights_hex / 2];
    size_t nb = (sizeof rust_weights_hex - 1) / 2;
    for (size_t i = 0; i < nb; i++) {
        unsigned v;
        sscanf(rust_weights_hex + 2 * i, "%2x", &v);
        rust_bytes[i] = (uint8_t)v;
    }
    if (check(tebm_energy_init_from_weights(&energy, sizeof energy, rust_bytes, nb), "init from weights"))
        return 1;
    if (check(tebm_weights_save(&energy, buf, sizeof buf, &written), "weights save")) return 1;
    print_hex("weights G", buf, written);
    static const float pts[3][2] = {{0.0f, 0.0f}, {0.5f, -1.0f}, {-1.25f, 2.0f}};
    for (int k = 0; k < 3; k++) {
        float u, g[2];
        if (check(tebm_energy_eval(&energy, pts[k], 2, &u, g), "eval")) return 1;
        printf("G u %08lx grad %08lx %08lx\n", (unsigned long)bits(u), (unsigned long)bits(g[0]),
               (unsigned long)bits(g[1]));
    }
    if (written != nb || memcmp(buf, rust_bytes, nb) != 0) {
        printf("FAILED: the Rust bytes do not save back identically\n");
        bad = 1;
    }
    return bad;
}

/* Every status path of the C API: NULL for each pointer argument of each
 * function, sizes above capacity, zero sizes, tiny and misaligned object
 * memory, uninitialised and wrong-type handles, bad configuration and
 * parameters, NaN and errors from the energy callback. After each failing
 * call the objects involved are compared with copies taken before it:
 *   - energies: every byte (memcmp);
 *   - samplers: every byte after the header (TEBM_SAMPLER_HEADER_SIZE bytes
 *     holding the type tag and the last-error record, which a failing call
 *     may rewrite); calls that never record an error (NULL arguments,
 *     read-only functions) must leave every byte, header included;
 *   - failed steps (ULA meeting NaN or a callback error, a failed refresh
 *     after tebm_sampler_invalidate) also write scratch space (proposals and
 *     evaluations built aside): their positions, energies and statistics
 *     must equal the copy's, and after one more successful step from both,
 *     the sampler and the copy must be byte-identical after the header.
 * Exit status 0 when every check passes. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tinyebm.h"

#include "check.h"

/* ---- a controllable callback energy: U = |x|^2 / 2 ---- */
enum { NORMAL, NAN_ENERGY, NAN_GRAD, ERROR_CODE, FAIL_AFTER };
typedef struct {
    int mode;
    long calls, fail_after;
} Ctl;

static int cb(void *user, const float *x, size_t dim, float *energy, float *grad) {
    Ctl *c = (Ctl *)user;
    c->calls++;
    if (c->mode == ERROR_CODE || (c->mode == FAIL_AFTER && c->calls > c->fail_after)) return 3;
    float u = 0.0f;
    for (size_t i = 0; i < dim; i++) {
        u += 0.5f * x[i] * x[i];
        if (grad) grad[i] = c->mode == NAN_GRAD ? NAN : x[i];
    }
    *energy = c->mode == NAN_ENERGY ? NAN : u;
    return 0;
}

/* ---- objects ---- */
static Ctl ctl;
static TebmEnergy e_cb, e_cb2, e_gauss, e_dim3, e_copy;
static TebmSampler s_mala, s_ula, s_copy, s_zero;
static TebmSampler s_target, s_target_copy;
static TebmEnergy e_target, e_target_copy;
/* Byte memory for misalignment tests, 16-aligned by the union. */
static union {
    TebmSampler s;
    unsigned char bytes[sizeof(TebmSampler) + 64];
} raw;

#define snap_sampler(s, copy) memcpy((copy), (s), sizeof *(s))
/* A failing call on the energy init target: nothing written. */
#define EXPECT_E(call, want) EXPECT_KEEPS(call, want, &e_target, &e_target_copy, bytes_same)
/* A failing call on the sampler init target: nothing written. */
#define EXPECT_S_INIT(call, want) EXPECT_KEEPS(call, want, &s_target, &s_target_copy, bytes_same)

/* A failing init on s_target that fails while evaluating the energy at the
 * initial positions: scratch may differ; the same positions, and the same
 * bytes once both have taken one more step. */
#define EXPECT_S_EVAL(call, want)                                                          \
    do {                                                                                   \
        float p1_[16], p2_[16];                                                            \
        snap_sampler(&s_target, &s_target_copy);                                           \
        EXPECT(call, want);                                                                \
        ctl.mode = NORMAL;                                                                 \
        tebm_sampler_positions(&s_target, p1_, 16);                                        \
        tebm_sampler_positions(&s_target_copy, p2_, 16);                                   \
        CHECK(memcmp(p1_, p2_, sizeof p1_) == 0);                                          \
        EXPECT(tebm_sampler_run(&s_target, &e_gauss, 1, NULL), TEBM_STATUS_OK);            \
        EXPECT(tebm_sampler_run(&s_target_copy, &e_gauss, 1, NULL), TEBM_STATUS_OK);       \
        CHECK(state_bytes_same(&s_target, &s_target_copy, sizeof s_target));                                      \
    } while (0)

/* A failing call on s_mala that never records an error: nothing written. */
#define EXPECT_RO(call, want) EXPECT_KEEPS(call, want, &s_mala, &s_copy, bytes_same)
/* A failing call on s_mala that records an error: state unchanged. */
#define EXPECT_ST(call, want) EXPECT_KEEPS(call, want, &s_mala, &s_copy, state_bytes_same)

static void last_error(const TebmSampler *s, char *buf, size_t len) {
    if (tebm_sampler_last_error(s, buf, len) != TEBM_STATUS_OK) buf[0] = 0;
}

static void test_energy_init(void) {
    float one[TEBM_MAX_DIM + 17];
    for (size_t i = 0; i < sizeof one / sizeof one[0]; i++) one[i] = 1.0f;
    const float zero[TEBM_MAX_DIM * TEBM_MAX_DIM + 16] = {0};
    float prec2[4] = {1, 0, 0, 1};
    size_t el = sizeof e_target;

    /* NULL for each pointer argument. */
    EXPECT(tebm_energy_init_gaussian_diag(NULL, el, 2, zero, one), TEBM_STATUS_NULL_POINTER);
    EXPECT_E(tebm_energy_init_gaussian_diag(&e_target, el, 2, NULL, one), TEBM_STATUS_NULL_POINTER);
    EXPECT_E(tebm_energy_init_gaussian_diag(&e_target, el, 2, zero, NULL), TEBM_STATUS_NULL_POINTER);
    EXPECT(tebm_energy_init_gaussian_full(NULL, el, 2, zero, prec2), TEBM_STATUS_NULL_POINTER);
    EXPECT_E(tebm_energy_init_gaussian_full(&e_target, el, 2, NULL, prec2), TEBM_STATUS_NULL_POINTER);
    EXPECT_E(tebm_energy_init_gaussian_full(&e_target, el, 2, zero, NULL), TEBM_STATUS_NULL_POINTER);
    EXPECT(tebm_energy_init_polynomial(NULL, el, 1, 2, one, 3), TEBM_STATUS_NULL_POINTER);
    EXPECT_E(tebm_energy_init_polynomial(&e_target, el, 1, 2, NULL, 3), TEBM_STATUS_NULL_POINTER);
    EXPECT(tebm_energy_init_double_well(NULL, el, 1.0f), TEBM_STATUS_NULL_POINTER);
    EXPECT(tebm_energy_init_mixture(NULL, el, 1, 1, one, zero, one), TEBM_STATUS_NULL_POINTER);
    EXPECT_E(tebm_energy_init_mixture(&e_target, el, 1, 1, NULL, zero, one), TEBM_STATUS_NULL_POINTER);
    EXPECT_E(tebm_energy_init_mixture(&e_target, el, 1, 1, one, NULL, one), TEBM_STATUS_NULL_POINTER);
    EXPECT_E(tebm_energy_init_mixture(&e_target, el, 1, 1, one, zero, NULL), TEBM_STATUS_NULL_POINTER);
    EXPECT(tebm_energy_init_mlp(NULL, el, 1, 1, 0, 1.0f, zero, 6), TEBM_STATUS_NULL_POINTER);
    EXPECT_E(tebm_energy_init_mlp(&e_target, el, 1, 1, 0, 1.0f, NULL, 6), TEBM_STATUS_NULL_POINTER);
    EXPECT(tebm_energy_init_callback(NULL, el, 2, cb, &ctl), TEBM_STATUS_NULL_POINTER);
    EXPECT_E(tebm_energy_init_callback(&e_target, el, 2, NULL, &ctl), TEBM_STATUS_NULL_POINTER);

    /* Zero sizes and sizes above capacity. */
    EXPECT_E(tebm_energy_init_gaussian_diag(&e_target, el, 0, zero, one), TEBM_STATUS_BAD_DIMENSION);
    EXPECT_E(tebm_energy_init_gaussian_diag(&e_target, el, TEBM_MAX_DIM + 1, zero, one),
             TEBM_STATUS_CAPACITY_EXCEEDED);
    EXPECT_E(tebm_energy_init_gaussian_full(&e_target, el, TEBM_MAX_DIM + 1, zero, zero),
             TEBM_STATUS_CAPACITY_EXCEEDED);
    EXPECT_E(tebm_energy_init_polynomial(&e_target, el, 1, TEBM_MAX_POLY_DEGREE + 1, one, 8),
             TEBM_STATUS_CAPACITY_EXCEEDED);
    EXPECT_E(tebm_energy_init_polynomial(&e_target, el, 4, 6, zero, 210), TEBM_STATUS_CAPACITY_EXCEEDED);
    EXPECT_E(tebm_energy_init_polynomial(&e_target, el, 1, 2, one, 4), TEBM_STATUS_BAD_DIMENSION);
    EXPECT_E(tebm_energy_init_polynomial(&e_target, el, TEBM_MAX_DIM + 1, 1, one, 18),
             TEBM_STATUS_CAPACITY_EXCEEDED);
    EXPECT_E(tebm_energy_init_mixture(&e_target, el, 0, 1, one, zero, one), TEBM_STATUS_BAD_DIMENSION);
    EXPECT_E(tebm_energy_init_mixture(&e_target, el, TEBM_MAX_COMPONENTS + 1, 1, one, zero, one),
             TEBM_STATUS_CAPACITY_EXCEEDED);
    EXPECT_E(tebm_energy_init_mixture(&e_target, el, 1, TEBM_MAX_DIM + 1, one, zero, one),
             TEBM_STATUS_CAPACITY_EXCEEDED);
    EXPECT_E(tebm_energy_init_mlp(&e_target, el, 1, TEBM_MAX_HIDDEN + 1, 0, 1.0f, zero, 6),
             TEBM_STATUS_CAPACITY_EXCEEDED);
    EXPECT_E(tebm_energy_init_mlp(&e_target, el, TEBM_MAX_DIM + 1, 1, 0, 1.0f, zero, 6),
             TEBM_STATUS_CAPACITY_EXCEEDED);
    EXPECT_E(tebm_energy_init_mlp(&e_target, el, 1, 0, 0, 1.0f, zero, 7), TEBM_STATUS_BAD_DIMENSION);
    EXPECT_E(tebm_energy_init_mlp(&e_target, el, 1, 1, 0, 1.0f, zero, 7), TEBM_STATUS_BAD_DIMENSION);
    EXPECT_E(tebm_energy_init_callback(&e_target, el, TEBM_MAX_DIM + 1, cb, &ctl),
             TEBM_STATUS_CAPACITY_EXCEEDED);
    EXPECT_E(tebm_energy_init_callback(&e_target, el, 0, cb, &ctl), TEBM_STATUS_BAD_DIMENSION);
    CHECK(tebm_mlp_num_params(1, 1) == 6);
    CHECK(tebm_mlp_num_params(TEBM_MAX_DIM + 1, 1) == 0);
    CHECK(tebm_polynomial_num_coefficients(2, 2) == 6);
    CHECK(tebm_polynomial_num_coefficients(2, TEBM_MAX_POLY_DEGREE + 1) == 0);

    /* Bad configuration and parameters. */
    float neg[2] = {1.0f, -1.0f}, nanv[2] = {NAN, 0.0f}, asym[4] = {1, 0.5f, 0.4f, 1};
    float indef[4] = {1, 2, 2, 1};
    EXPECT_E(tebm_energy_init_gaussian_diag(&e_target, el, 2, zero, neg), TEBM_STATUS_BAD_PARAMETERS);
    EXPECT_E(tebm_energy_init_gaussian_diag(&e_target, el, 2, nanv, one), TEBM_STATUS_BAD_PARAMETERS);
    EXPECT_E(tebm_energy_init_gaussian_full(&e_target, el, 2, zero, asym), TEBM_STATUS_BAD_PARAMETERS);
    EXPECT_E(tebm_energy_init_gaussian_full(&e_target, el, 2, zero, indef), TEBM_STATUS_BAD_PARAMETERS);
    EXPECT_E(tebm_energy_init_polynomial(&e_target, el, 1, 1, nanv, 2), TEBM_STATUS_BAD_PARAMETERS);
    EXPECT_E(tebm_energy_init_double_well(&e_target, el, -1.0f), TEBM_STATUS_BAD_PARAMETERS);
    EXPECT_E(tebm_energy_init_double_well(&e_target, el, NAN), TEBM_STATUS_BAD_PARAMETERS);
    EXPECT_E(tebm_energy_init_mixture(&e_target, el, 2, 1, neg, zero, one), TEBM_STATUS_BAD_PARAMETERS);
    EXPECT_E(tebm_energy_init_mixture(&e_target, el, 2, 1, one, zero, neg), TEBM_STATUS_BAD_PARAMETERS);
    EXPECT_E(tebm_energy_init_mlp(&e_target, el, 1, 1, 7, 1.0f, zero, 6), TEBM_STATUS_BAD_CONFIG);
    EXPECT_E(tebm_energy_init_mlp(&e_target, el, 1, 1, 0, 0.0f, zero, 6), TEBM_STATUS_BAD_CONFIG);
    EXPECT_E(tebm_energy_init_mlp(&e_target, el, 1, 1, 0, 1.0f, nanv, 6), TEBM_STATUS_BAD_PARAMETERS);

    /* Tiny and misaligned memory. */
    EXPECT_E(tebm_energy_init_gaussian_diag(&e_target, 0, 2, zero, one), TEBM_STATUS_BUFFER_TOO_SMALL);
    memset(raw.bytes, 0xA5, sizeof raw.bytes);
    unsigned char before[sizeof raw.bytes];
    memcpy(before, raw.bytes, sizeof raw.bytes);
    for (size_t off = 1; off < tebm_energy_align(); off++) {
        EXPECT(tebm_energy_init_gaussian_diag(raw.bytes + off, tebm_energy_size(), 2, zero, one),
               TEBM_STATUS_MISALIGNED);
        EXPECT(tebm_energy_init_callback(raw.bytes + off, tebm_energy_size(), 2, cb, &ctl),
               TEBM_STATUS_MISALIGNED);
    }
    CHECK(memcmp(before, raw.bytes, sizeof raw.bytes) == 0);
    /* Arena style: exact size at an aligned offset works. */
    EXPECT(tebm_energy_init_gaussian_diag(raw.bytes + tebm_energy_align(), tebm_energy_size(), 2, zero, one),
           TEBM_STATUS_OK);
    CHECK(tebm_energy_size() <= sizeof(TebmEnergy) && tebm_energy_align() <= TEBM_OBJECT_ALIGN);
    /* Per-kind sizes: a callback energy in just its own size works, one byte
     * less does not. */
    size_t cbsize = tebm_energy_size_for(TEBM_ENERGY_KIND_CALLBACK);
    CHECK(cbsize > 0 && cbsize < 64 && tebm_energy_size_for(TEBM_ENERGY_KIND_MLP) == tebm_energy_size());
    CHECK(tebm_energy_size_for(99) == 0);
    EXPECT(tebm_energy_init_callback(raw.bytes + 16, cbsize - 1, 2, cb, &ctl), TEBM_STATUS_BUFFER_TOO_SMALL);
    EXPECT(tebm_energy_init_callback(raw.bytes + 16, cbsize, 2, cb, &ctl), TEBM_STATUS_OK);
    {
        float x2[2] = {3.0f, 4.0f}, u2 = 0.0f;
        EXPECT(tebm_energy_eval((const TebmEnergy *)(const void *)(raw.bytes + 16), x2, 2, &u2, NULL),
               TEBM_STATUS_OK);
        CHECK(u2 == 12.5f);
    }
    EXPECT_E(tebm_energy_init_gaussian_diag(&e_target, tebm_energy_size_for(TEBM_ENERGY_KIND_GAUSSIAN) - 1, 2,
                                            zero, one),
             TEBM_STATUS_BUFFER_TOO_SMALL);
}

static void test_energy_use(void) {
    float x[3] = {1.0f, 2.0f, 0.0f}, u = 0.0f, g[3];
    size_t d = 0;
    /* (NULL pointers and dimensions: api_edges.c) */
    EXPECT(tebm_energy_dim(&e_cb, &d), TEBM_STATUS_OK);
    CHECK(d == 2);
    EXPECT(tebm_energy_eval(&e_cb, x, 2, &u, NULL), TEBM_STATUS_OK);
    CHECK(u == 2.5f);
    EXPECT(tebm_energy_eval(&e_cb, x, 2, &u, g), TEBM_STATUS_OK);
    CHECK(u == 2.5f && g[0] == 1.0f && g[1] == 2.0f);
    ctl.mode = NAN_ENERGY;
    EXPECT(tebm_energy_eval(&e_cb, x, 2, &u, g), TEBM_STATUS_NON_FINITE);
    ctl.mode = NAN_GRAD;
    EXPECT(tebm_energy_eval(&e_cb, x, 2, &u, g), TEBM_STATUS_NON_FINITE);
    EXPECT(tebm_energy_eval(&e_cb, x, 2, &u, NULL), TEBM_STATUS_OK);
    ctl.mode = ERROR_CODE;
    EXPECT(tebm_energy_eval(&e_cb, x, 2, &u, g), TEBM_STATUS_CALLBACK_ERROR);
    ctl.mode = NORMAL;

    /* Uninitialised and wrong-type handles. */
    static TebmEnergy zero_e;
    EXPECT(tebm_energy_dim(&zero_e, &d), TEBM_STATUS_NOT_INITIALISED);
    EXPECT(tebm_energy_eval(&zero_e, x, 2, &u, g), TEBM_STATUS_NOT_INITIALISED);
    EXPECT(tebm_energy_dim((const TebmEnergy *)(const void *)&s_mala, &d), TEBM_STATUS_WRONG_OBJECT);
}

static void config(TebmSamplerConfig *cfg, uint32_t kernel) {
    tebm_sampler_config_default(cfg);
    cfg->kernel.kind = kernel;
    cfg->n_walkers = 8;
    cfg->seed = 42;
    cfg->kernel.step_size = 0.3f;
}

static void test_sampler_init(void) {
    TebmSamplerConfig cfg, bad;
    size_t sl = sizeof s_target;
    EXPECT(tebm_sampler_config_default(NULL), TEBM_STATUS_NULL_POINTER);
    config(&cfg, TEBM_KERNEL_MALA);
    EXPECT(tebm_sampler_init(&s_target, sl, &e_gauss, &cfg), TEBM_STATUS_OK);

    EXPECT(tebm_sampler_init(NULL, sl, &e_gauss, &cfg), TEBM_STATUS_NULL_POINTER);
    EXPECT_S_INIT(tebm_sampler_init(&s_target, sl, NULL, &cfg), TEBM_STATUS_NULL_POINTER);
    EXPECT_S_INIT(tebm_sampler_init(&s_target, sl, &e_gauss, NULL), TEBM_STATUS_NULL_POINTER);
    EXPECT_S_INIT(tebm_sampler_init(&s_target, tebm_sampler_size() - 1, &e_gauss, &cfg),
                  TEBM_STATUS_BUFFER_TOO_SMALL);
    EXPECT_S_INIT(tebm_sampler_init(&s_target, sl, (const TebmEnergy *)(const void *)&s_mala, &cfg),
                  TEBM_STATUS_WRONG_OBJECT);
    static TebmEnergy zero_e;
    EXPECT_S_INIT(tebm_sampler_init(&s_target, sl, &zero_e, &cfg), TEBM_STATUS_NOT_INITIALISED);

    memset(raw.bytes, 0x5A, sizeof raw.bytes);
    unsigned char before[sizeof raw.bytes];
    memcpy(before, raw.bytes, sizeof raw.bytes);
    for (size_t off = 1; off < tebm_sampler_align(); off++)
        EXPECT(tebm_sampler_init(raw.bytes + off, tebm_sampler_size(), &e_gauss, &cfg),
               TEBM_STATUS_MISALIGNED);
    CHECK(memcmp(before, raw.bytes, sizeof raw.bytes) == 0);

#define BAD(field, value, want)                                                            \
    do {                                                                                   \
        bad = cfg;                                                                         \
        bad.field = value;                                                                 \
        EXPECT_S_INIT(tebm_sampler_init(&s_target, sl, &e_gauss, &bad), want);             \
    } while (0)
    BAD(n_walkers, 0, TEBM_STATUS_BAD_DIMENSION);
    BAD(n_walkers, TEBM_MAX_WALKERS + 1, TEBM_STATUS_CAPACITY_EXCEEDED);
    BAD(kernel.kind, TEBM_KERNEL_COUNT, TEBM_STATUS_BAD_CONFIG);
    BAD(kernel.step_size, 0.0f, TEBM_STATUS_BAD_CONFIG);
    BAD(kernel.step_size, NAN, TEBM_STATUS_BAD_CONFIG);
    BAD(beta, 0.0f, TEBM_STATUS_BAD_CONFIG);
    BAD(beta, INFINITY, TEBM_STATUS_BAD_CONFIG);
    BAD(init_sd, -1.0f, TEBM_STATUS_BAD_CONFIG);
    bad = cfg;
    bad.adapt = 1;
    bad.target_accept = 1.5f;
    EXPECT_S_INIT(tebm_sampler_init(&s_target, sl, &e_gauss, &bad), TEBM_STATUS_BAD_CONFIG);
    bad.kernel.kind = TEBM_KERNEL_ULA;
    bad.target_accept = 0.0f;
    EXPECT_S_INIT(tebm_sampler_init(&s_target, sl, &e_gauss, &bad), TEBM_STATUS_BAD_CONFIG);
    bad = cfg;
    bad.kernel.kind = TEBM_KERNEL_HMC;
    bad.kernel.leapfrog_steps = 0;
    EXPECT_S_INIT(tebm_sampler_init(&s_target, sl, &e_gauss, &bad), TEBM_STATUS_BAD_CONFIG);
    float mass[2] = {1.0f, -1.0f};
    bad.kernel.leapfrog_steps = 3;
    bad.kernel.mass = mass;
    EXPECT_S_INIT(tebm_sampler_init(&s_target, sl, &e_gauss, &bad), TEBM_STATUS_BAD_CONFIG);
    float centre[2] = {NAN, 0.0f};
    bad = cfg;
    bad.init_center = centre;
    EXPECT_S_INIT(tebm_sampler_init(&s_target, sl, &e_gauss, &bad), TEBM_STATUS_BAD_CONFIG);
    float pos[16] = {0};
    pos[5] = INFINITY;
    bad = cfg;
    bad.init_positions = pos;
    EXPECT_S_EVAL(tebm_sampler_init(&s_target, sl, &e_gauss, &bad), TEBM_STATUS_NON_FINITE);
    /* The callback at the initial positions: NaN, NaN gradient, error code. */
    ctl.mode = NAN_ENERGY;
    EXPECT_S_EVAL(tebm_sampler_init(&s_target, sl, &e_cb, &cfg), TEBM_STATUS_NON_FINITE);
    ctl.mode = NAN_GRAD;
    EXPECT_S_EVAL(tebm_sampler_init(&s_target, sl, &e_cb, &cfg), TEBM_STATUS_NON_FINITE);
    ctl.mode = ERROR_CODE;
    EXPECT_S_EVAL(tebm_sampler_init(&s_target, sl, &e_cb, &cfg), TEBM_STATUS_CALLBACK_ERROR);
    /* Fresh memory: a failure there leaves no sampler behind. */
    static TebmSampler s_fresh;
    TebmSamplerStats st;
    ctl.mode = ERROR_CODE;
    EXPECT(tebm_sampler_init(&s_fresh, sizeof s_fresh, &e_cb, &cfg), TEBM_STATUS_CALLBACK_ERROR);
    EXPECT(tebm_sampler_stats(&s_fresh, &st), TEBM_STATUS_NOT_INITIALISED);
    ctl.mode = NORMAL;
    EXPECT(tebm_sampler_init(&s_fresh, sizeof s_fresh, &e_cb, &cfg), TEBM_STATUS_OK);
    EXPECT(tebm_sampler_stats(&s_fresh, &st), TEBM_STATUS_OK);
    /* Re-initialising in place resets everything: the same as a fresh init. */
    EXPECT(tebm_sampler_run(&s_fresh, &e_cb, 7, NULL), TEBM_STATUS_OK);
    EXPECT(tebm_sampler_init(&s_fresh, sizeof s_fresh, &e_cb, &cfg), TEBM_STATUS_OK);
    memset(&s_copy, 0, sizeof s_copy);
    EXPECT(tebm_sampler_init(&s_copy, sizeof s_copy, &e_cb, &cfg), TEBM_STATUS_OK);
    {
        float a[16], b[16];
        tebm_sampler_positions(&s_fresh, a, 16);
        tebm_sampler_positions(&s_copy, b, 16);
        CHECK(memcmp(a, b, sizeof a) == 0);
        EXPECT(tebm_sampler_run(&s_fresh, &e_cb, 5, NULL), TEBM_STATUS_OK);
        EXPECT(tebm_sampler_run(&s_copy, &e_cb, 5, NULL), TEBM_STATUS_OK);
        /* Different paths write different padding: compare what is observable. */
        TebmSamplerStats sa, sb;
        float ua[8], ub[8];
        tebm_sampler_positions(&s_fresh, a, 16);
        tebm_sampler_positions(&s_copy, b, 16);
        tebm_sampler_energies(&s_fresh, ua, 8);
        tebm_sampler_energies(&s_copy, ub, 8);
        tebm_sampler_stats(&s_fresh, &sa);
        tebm_sampler_stats(&s_copy, &sb);
        CHECK(memcmp(a, b, sizeof a) == 0 && memcmp(ua, ub, sizeof ua) == 0);
        CHECK(sa.steps == sb.steps && sa.draws == sb.draws && sa.step_size == sb.step_size &&
              sa.acceptance_rate == sb.acceptance_rate);
    }
    CHECK(tebm_sampler_size() <= sizeof(TebmSampler) && tebm_sampler_align() <= TEBM_OBJECT_ALIGN);
}

static void test_sampler_use(void) {
    TebmSamplerConfig cfg;
    char msg[TEBM_ERROR_MESSAGE_CAPACITY];
    float pos[TEBM_MAX_WALKERS * TEBM_MAX_DIM], pos2[TEBM_MAX_WALKERS * TEBM_MAX_DIM];
    float u[TEBM_MAX_WALKERS], prob[TEBM_MAX_WALKERS];
    uint8_t acc[TEBM_MAX_WALKERS];
    double diag[TEBM_MAX_DIM];
    size_t done = 99;
    TebmSamplerStats st;

    config(&cfg, TEBM_KERNEL_MALA);
    EXPECT(tebm_sampler_init(&s_mala, sizeof s_mala, &e_cb, &cfg), TEBM_STATUS_OK);
    EXPECT(tebm_sampler_run(&s_mala, &e_cb, 10, &done), TEBM_STATUS_OK);
    CHECK(done == 10);
    last_error(&s_mala, msg, sizeof msg);
    CHECK(msg[0] == 0);

    /* NULL for each pointer argument; read-only functions write nothing. */
    EXPECT(tebm_sampler_run(NULL, &e_cb, 1, NULL), TEBM_STATUS_NULL_POINTER);
    EXPECT_RO(tebm_sampler_run(&s_mala, NULL, 1, NULL), TEBM_STATUS_NULL_POINTER);
    EXPECT(tebm_sampler_positions(NULL, pos, 16), TEBM_STATUS_NULL_POINTER);
    EXPECT_RO(tebm_sampler_positions(&s_mala, NULL, 16), TEBM_STATUS_NULL_POINTER);
    EXPECT(tebm_sampler_energies(NULL, u, 8), TEBM_STATUS_NULL_POINTER);
    EXPECT_RO(tebm_sampler_energies(&s_mala, NULL, 8), TEBM_STATUS_NULL_POINTER);
    EXPECT(tebm_sampler_last_accepted(NULL, acc, prob, 8), TEBM_STATUS_NULL_POINTER);
    EXPECT_RO(tebm_sampler_last_accepted(&s_mala, NULL, prob, 8), TEBM_STATUS_NULL_POINTER);
    EXPECT_RO(tebm_sampler_last_accepted(&s_mala, acc, NULL, 8), TEBM_STATUS_OK); /* optional */
    EXPECT(tebm_sampler_stats(NULL, &st), TEBM_STATUS_NULL_POINTER);
    EXPECT_RO(tebm_sampler_stats(&s_mala, NULL), TEBM_STATUS_NULL_POINTER);
    EXPECT(tebm_sampler_diagnostic(NULL, TEBM_DIAGNOSTIC_MEAN, diag, 2), TEBM_STATUS_NULL_POINTER);
    EXPECT_RO(tebm_sampler_diagnostic(&s_mala, TEBM_DIAGNOSTIC_MEAN, NULL, 2), TEBM_STATUS_NULL_POINTER);
    EXPECT(tebm_sampler_set_step_size(NULL, 0.1f), TEBM_STATUS_NULL_POINTER);
    EXPECT(tebm_sampler_set_beta(NULL, 1.0f), TEBM_STATUS_NULL_POINTER);
    EXPECT(tebm_sampler_start_adaptation(NULL, 0.0f), TEBM_STATUS_NULL_POINTER);
    EXPECT(tebm_sampler_freeze_step_size(NULL), TEBM_STATUS_NULL_POINTER);
    EXPECT(tebm_sampler_reset_diagnostics(NULL), TEBM_STATUS_NULL_POINTER);
    EXPECT(tebm_sampler_last_error(NULL, msg, sizeof msg), TEBM_STATUS_NULL_POINTER);
    EXPECT_RO(tebm_sampler_last_error(&s_mala, NULL, 8), TEBM_STATUS_NULL_POINTER);

    /* Output buffers too small: nothing written but the last-error record. */
    for (size_t i = 0; i < 16; i++) pos[i] = -7.0f;
    EXPECT_ST(tebm_sampler_positions(&s_mala, pos, 15), TEBM_STATUS_BUFFER_TOO_SMALL);
    CHECK(pos[0] == -7.0f && pos[14] == -7.0f);
    EXPECT(tebm_sampler_last_error(&s_mala, msg, sizeof msg), TEBM_STATUS_OK);
    CHECK(strcmp(msg, "tebm_sampler_positions: buffer too small, need 16") == 0);
    EXPECT_ST(tebm_sampler_energies(&s_mala, u, 7), TEBM_STATUS_BUFFER_TOO_SMALL);
    EXPECT_ST(tebm_sampler_last_accepted(&s_mala, acc, prob, 7), TEBM_STATUS_BUFFER_TOO_SMALL);
    EXPECT_ST(tebm_sampler_diagnostic(&s_mala, TEBM_DIAGNOSTIC_ESS, diag, 1), TEBM_STATUS_BUFFER_TOO_SMALL);
    EXPECT(tebm_sampler_last_error(&s_mala, msg, sizeof msg), TEBM_STATUS_OK);
    CHECK(strcmp(msg, "tebm_sampler_diagnostic: buffer too small, need 2") == 0);
    EXPECT_ST(tebm_sampler_diagnostic(&s_mala, 6, diag, 2), TEBM_STATUS_BAD_CONFIG);

    /* Uninitialised and wrong-type handles. */
    {
        static TebmSampler garbage_s;
        static TebmEnergy garbage_e;
        memset(&garbage_s, 0xA5, sizeof garbage_s);
        memset(&garbage_e, 0x5A, sizeof garbage_e);
        EXPECT(tebm_sampler_run(&garbage_s, &e_cb, 1, NULL), TEBM_STATUS_NOT_INITIALISED);
        EXPECT(tebm_sampler_run(&s_mala, &garbage_e, 1, NULL), TEBM_STATUS_NOT_INITIALISED);
        EXPECT(tebm_energy_dim(&garbage_e, &done), TEBM_STATUS_NOT_INITIALISED);
        /* A right tag with a wrong kind is still refused. */
        memcpy(&garbage_e, &e_cb, 4);
        EXPECT(tebm_energy_dim(&garbage_e, &done), TEBM_STATUS_NOT_INITIALISED);
    }
    EXPECT(tebm_sampler_run(&s_zero, &e_cb, 1, NULL), TEBM_STATUS_NOT_INITIALISED);
    EXPECT(tebm_sampler_positions(&s_zero, pos, 16), TEBM_STATUS_NOT_INITIALISED);
    EXPECT(tebm_sampler_set_beta(&s_zero, 1.0f), TEBM_STATUS_NOT_INITIALISED);
    EXPECT(tebm_sampler_last_error(&s_zero, msg, sizeof msg), TEBM_STATUS_NOT_INITIALISED);
    {
        static const TebmSampler zeros;
        CHECK(memcmp(&s_zero, &zeros, sizeof zeros) == 0);
    }
    EXPECT(tebm_sampler_run((TebmSampler *)(void *)&e_cb, &e_cb, 1, NULL), TEBM_STATUS_WRONG_OBJECT);
    EXPECT_RO(tebm_sampler_run(&s_mala, (const TebmEnergy *)(const void *)&s_mala, 1, NULL),
              TEBM_STATUS_WRONG_OBJECT);
    EXPECT(tebm_sampler_stats((const TebmSampler *)(const void *)&e_gauss, &st), TEBM_STATUS_WRONG_OBJECT);

    /* Bad values: state unchanged, error recorded. */
    EXPECT_ST(tebm_sampler_set_step_size(&s_mala, -1.0f), TEBM_STATUS_BAD_CONFIG);
    last_error(&s_mala, msg, sizeof msg);
    CHECK(strstr(msg, "step size") != NULL);
    EXPECT_ST(tebm_sampler_set_step_size(&s_mala, NAN), TEBM_STATUS_BAD_CONFIG);
    EXPECT_ST(tebm_sampler_set_beta(&s_mala, 0.0f), TEBM_STATUS_BAD_CONFIG);
    EXPECT_ST(tebm_sampler_start_adaptation(&s_mala, 1.0f), TEBM_STATUS_BAD_CONFIG);
    /* Energy of another dimension. */
    EXPECT_ST(tebm_sampler_run(&s_mala, &e_dim3, 1, &done), TEBM_STATUS_BAD_DIMENSION);
    CHECK(done == 0);
    last_error(&s_mala, msg, sizeof msg);
    CHECK(strstr(msg, "dimension mismatch") != NULL);
    /* Truncated error text. */
    EXPECT(tebm_sampler_last_error(&s_mala, msg, 8), TEBM_STATUS_BUFFER_TOO_SMALL);
    CHECK(strlen(msg) == 7);

    /* MALA: NaN and callback errors at proposals are rejections. */
    EXPECT(tebm_sampler_positions(&s_mala, pos, 16), TEBM_STATUS_OK);
    ctl.mode = NAN_ENERGY;
    EXPECT(tebm_sampler_run(&s_mala, &e_cb, 3, &done), TEBM_STATUS_OK);
    CHECK(done == 3);
    EXPECT(tebm_sampler_last_accepted(&s_mala, acc, prob, 8), TEBM_STATUS_OK);
    for (int w = 0; w < 8; w++) CHECK(acc[w] == 0 && prob[w] == 0.0f);
    ctl.mode = ERROR_CODE;
    EXPECT(tebm_sampler_run(&s_mala, &e_cb, 2, NULL), TEBM_STATUS_OK);
    ctl.mode = NAN_GRAD;
    EXPECT(tebm_sampler_run(&s_mala, &e_cb, 2, NULL), TEBM_STATUS_OK);
    ctl.mode = NORMAL;
    EXPECT(tebm_sampler_positions(&s_mala, pos2, 16), TEBM_STATUS_OK);
    CHECK(memcmp(pos, pos2, 16 * sizeof pos[0]) == 0);
    EXPECT(tebm_sampler_stats(&s_mala, &st), TEBM_STATUS_OK);
    CHECK(st.steps == 17 && st.n_walkers == 8 && st.dim == 2);

    /* ULA: NaN, NaN gradient and callback errors fail the step, state kept. */
    config(&cfg, TEBM_KERNEL_ULA);
    cfg.kernel.step_size = 0.05f;
    EXPECT(tebm_sampler_init(&s_ula, sizeof s_ula, &e_cb, &cfg), TEBM_STATUS_OK);
    EXPECT(tebm_sampler_run(&s_ula, &e_cb, 5, NULL), TEBM_STATUS_OK);
    const int modes[3] = {NAN_ENERGY, NAN_GRAD, ERROR_CODE};
    const TebmStatus want[3] = {TEBM_STATUS_NON_FINITE, TEBM_STATUS_NON_FINITE, TEBM_STATUS_CALLBACK_ERROR};
    for (int m = 0; m < 3; m++) {
        TebmSamplerStats a, b;
        snap_sampler(&s_ula, &s_copy);
        ctl.mode = modes[m];
        EXPECT(tebm_sampler_run(&s_ula, &e_cb, 1, &done), want[m]);
        ctl.mode = NORMAL;
        CHECK(done == 0);
        EXPECT(tebm_sampler_positions(&s_ula, pos, 16), TEBM_STATUS_OK);
        EXPECT(tebm_sampler_positions(&s_copy, pos2, 16), TEBM_STATUS_OK);
        CHECK(memcmp(pos, pos2, 16 * sizeof pos[0]) == 0);
        EXPECT(tebm_sampler_energies(&s_ula, pos, 8), TEBM_STATUS_OK);
        EXPECT(tebm_sampler_energies(&s_copy, pos2, 8), TEBM_STATUS_OK);
        CHECK(memcmp(pos, pos2, 8 * sizeof pos[0]) == 0);
        tebm_sampler_stats(&s_ula, &a);
        tebm_sampler_stats(&s_copy, &b);
        CHECK(a.steps == b.steps && a.draws == b.draws && a.step_size == b.step_size);
        EXPECT(tebm_sampler_run(&s_ula, &e_cb, 1, NULL), TEBM_STATUS_OK);
        EXPECT(tebm_sampler_run(&s_copy, &e_cb, 1, NULL), TEBM_STATUS_OK);
        CHECK(state_bytes_same(&s_ula, &s_copy, sizeof s_ula));
    }
    last_error(&s_ula, msg, sizeof msg);
    CHECK(strstr(msg, "callback returned 3") != NULL);

    /* A run that fails part-way keeps the steps before the failing one. */
    TebmSamplerStats a;
    tebm_sampler_stats(&s_ula, &a);
    ctl.mode = FAIL_AFTER;
    ctl.calls = 0;
    ctl.fail_after = 8 * 3; /* three ULA steps of 8 walkers */
    EXPECT(tebm_sampler_run(&s_ula, &e_cb, 10, &done), TEBM_STATUS_CALLBACK_ERROR);
    ctl.mode = NORMAL;
    CHECK(done == 3);
    tebm_sampler_stats(&s_ula, &st);
    CHECK(st.steps == a.steps + 3);

    /* Another energy object: the first step re-evaluates the cached energies
     * there; if that fails (even for MALA: there is no state to fall back
     * to), the sampler is exactly as before, scratch included. */
    const int modes2[3] = {NAN_ENERGY, ERROR_CODE, NAN_GRAD};
    const TebmStatus want2[3] = {TEBM_STATUS_NON_FINITE, TEBM_STATUS_CALLBACK_ERROR, TEBM_STATUS_NON_FINITE};
    for (int m = 0; m < 3; m++) {
        ctl.mode = modes2[m];
        EXPECT_ST(tebm_sampler_run(&s_mala, &e_cb2, 2, &done), want2[m]);
        CHECK(done == 0);
        snap_sampler(&s_ula, &s_copy);
        EXPECT(tebm_sampler_run(&s_ula, &e_cb2, 1, NULL), want2[m]);
        CHECK(state_bytes_same(&s_ula, &s_copy, sizeof s_ula));
    }
    ctl.mode = NORMAL;
    EXPECT(tebm_sampler_run(&s_mala, &e_cb2, 2, &done), TEBM_STATUS_OK);
    CHECK(done == 2);
    /* tebm_sampler_invalidate, then a failing refresh: unchanged too. */
    EXPECT(tebm_sampler_invalidate(NULL), TEBM_STATUS_NULL_POINTER);
    EXPECT(tebm_sampler_invalidate(&s_zero), TEBM_STATUS_NOT_INITIALISED);
    EXPECT(tebm_sampler_invalidate(&s_mala), TEBM_STATUS_OK);
    snap_sampler(&s_mala, &s_copy);
    ctl.mode = NAN_ENERGY;
    EXPECT(tebm_sampler_run(&s_mala, &e_cb2, 1, NULL), TEBM_STATUS_NON_FINITE);
    ctl.mode = NORMAL;
    /* The failed refresh wrote scratch only: same positions, and the same
     * bytes once both have taken the next step. */
    EXPECT(tebm_sampler_positions(&s_mala, pos, 16), TEBM_STATUS_OK);
    EXPECT(tebm_sampler_positions(&s_copy, pos2, 16), TEBM_STATUS_OK);
    CHECK(memcmp(pos, pos2, 16 * sizeof pos[0]) == 0);
    EXPECT(tebm_sampler_run(&s_mala, &e_cb2, 1, NULL), TEBM_STATUS_OK);
    EXPECT(tebm_sampler_run(&s_copy, &e_cb2, 1, NULL), TEBM_STATUS_OK);
    CHECK(state_bytes_same(&s_mala, &s_copy, sizeof s_mala));

    /* Every exact kernel (all but ULA: MALA, MH, HMC, Barker, and any kernel
     * added later): NaN at proposals are rejections. */
    for (uint32_t k = 0; k < TEBM_KERNEL_COUNT; k++) {
        if (k == TEBM_KERNEL_ULA) continue;
        config(&cfg, k);
        cfg.kernel.leapfrog_steps = 3;
        EXPECT(tebm_sampler_init(&s_target, sizeof s_target, &e_cb, &cfg), TEBM_STATUS_OK);
        EXPECT(tebm_sampler_positions(&s_target, pos, 16), TEBM_STATUS_OK);
        ctl.mode = NAN_ENERGY;
        EXPECT(tebm_sampler_run(&s_target, &e_cb, 3, &done), TEBM_STATUS_OK);
        ctl.mode = NORMAL;
        CHECK(done == 3);
        EXPECT(tebm_sampler_last_accepted(&s_target, acc, prob, 8), TEBM_STATUS_OK);
        for (int w = 0; w < 8; w++) CHECK(acc[w] == 0 && prob[w] == 0.0f);
        EXPECT(tebm_sampler_positions(&s_target, pos2, 16), TEBM_STATUS_OK);
        CHECK(memcmp(pos, pos2, 16 * sizeof pos[0]) == 0);
        EXPECT(tebm_sampler_run(&s_target, &e_cb, 20, NULL), TEBM_STATUS_OK);
        tebm_sampler_stats(&s_target, &st);
        CHECK(st.acceptance_rate > 0.0 && st.acceptance_rate < 1.0);
    }
}

int main(void) {
    float zero2[2] = {0, 0}, one2[2] = {1, 1}, zero3[3] = {0, 0, 0}, one3[3] = {1, 1, 1};
    if (tebm_energy_init_callback(&e_cb, sizeof e_cb, 2, cb, &ctl) != TEBM_STATUS_OK ||
        tebm_energy_init_callback(&e_cb2, sizeof e_cb2, 2, cb, &ctl) != TEBM_STATUS_OK ||
        tebm_energy_init_gaussian_diag(&e_gauss, sizeof e_gauss, 2, zero2, one2) != TEBM_STATUS_OK ||
        tebm_energy_init_gaussian_diag(&e_dim3, sizeof e_dim3, 3, zero3, one3) != TEBM_STATUS_OK ||
        tebm_energy_init_gaussian_diag(&e_target, sizeof e_target, 2, zero2, one2) != TEBM_STATUS_OK) {
        fprintf(stderr, "status_test: setup failed\n");
        return 1;
    }
    TebmSamplerConfig cfg;
    config(&cfg, TEBM_KERNEL_MALA);
    if (tebm_sampler_init(&s_mala, sizeof s_mala, &e_gauss, &cfg) != TEBM_STATUS_OK) return 1;
    (void)e_copy;
    check_status_messages();
    test_energy_init();
    test_energy_use();
    test_sampler_init();
    test_sampler_use();
    printf("energy object sizes: gaussian %lu, polynomial %lu, mixture %lu, mlp %lu, callback %lu\n",
           (unsigned long)tebm_energy_size_for(TEBM_ENERGY_KIND_GAUSSIAN),
           (unsigned long)tebm_energy_size_for(TEBM_ENERGY_KIND_POLYNOMIAL),
           (unsigned long)tebm_energy_size_for(TEBM_ENERGY_KIND_MIXTURE),
           (unsigned long)tebm_energy_size_for(TEBM_ENERGY_KIND_MLP),
           (unsigned long)tebm_energy_size_for(TEBM_ENERGY_KIND_CALLBACK));
    printf("object sizes: energy %lu (align %lu), sampler %lu (align %lu); reserved %d and %d\n",
           (unsigned long)tebm_energy_size(), (unsigned long)tebm_energy_align(),
           (unsigned long)tebm_sampler_size(), (unsigned long)tebm_sampler_align(), TEBM_ENERGY_SIZE,
           TEBM_SAMPLER_SIZE);
    printf("status_test: %d checks, %d failures\n", checks, failures);
    return failures == 0 ? 0 : 1;
}

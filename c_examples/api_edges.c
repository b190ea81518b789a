/* Edge tests of every function of include/tinyebm.h (issue 7), one block per
 * function, in the header's order: each pointer argument NULL; each size
 * argument at 0, at capacity and at capacity + 1 (dimensions, walkers,
 * hidden units, components, degree, coefficient and parameter counts,
 * output lengths, object memory, steps); the expected status every time;
 * and after every failing call the objects involved compared with copies
 * taken before it:
 *   - energies and never-initialised memory: every byte;
 *   - samplers: every byte for calls that cannot record an error (NULL
 *     arguments, bad handles, read-only functions), every byte after the
 *     header (TEBM_SAMPLER_HEADER_SIZE) otherwise.
 * scripts/check-api-edges.sh fails CI when a function of the header is not
 * called here (unless listed in c_examples/api_edges.todo). Complements
 * status_test.c (error paths of the energy, callbacks, scratch space).
 * Exit status 0 when every check passes. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tinyebm.h"

#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define DEFINED(p, n) (void)VALGRIND_MAKE_MEM_DEFINED((p), (n))
#endif
#endif
#ifndef DEFINED
#define DEFINED(p, n) ((void)(p), (void)(n))
#endif

static int checks, failures;

#define CHECK(cond)                                                                        \
    do {                                                                                   \
        checks++;                                                                          \
        if (!(cond)) {                                                                     \
            failures++;                                                                    \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);      \
        }                                                                                  \
    } while (0)

#define EXPECT(call, want)                                                                 \
    do {                                                                                   \
        TebmStatus got_ = (call);                                                          \
        checks++;                                                                          \
        if (got_ != (want)) {                                                              \
            failures++;                                                                    \
            fprintf(stderr, "%s:%d: %s returned %d, expected %d (%s)\n", __FILE__, __LINE__, \
                    #call, (int)got_, (int)(want), #want);                                 \
        }                                                                                  \
    } while (0)

/* ---- objects: a few static ones (the Cortex-M4F build runs this too) ---- */
static TebmEnergy e2, e_full, e_copy; /* e2: 2-D Gaussian, e_full: 16-D */
static TebmEnergy et, et_copy;        /* init target */
static TebmSampler s2, s_copy;        /* s2: MALA, 4 walkers, 2-D */
static TebmSampler st, st_copy;       /* init target */
static TebmSampler never;             /* zeros: not an object */
static union {
    TebmSampler s;
    unsigned char b[sizeof(TebmSampler) + 16];
} raw; /* 16-aligned bytes for misaligned and short object memory */

static int same(const void *a, const void *b, size_t n) {
    DEFINED(a, n);
    DEFINED(b, n);
    return memcmp(a, b, n) == 0;
}
static int state_same(const TebmSampler *a, const TebmSampler *b) {
    return same((const unsigned char *)a + TEBM_SAMPLER_HEADER_SIZE,
                (const unsigned char *)b + TEBM_SAMPLER_HEADER_SIZE,
                sizeof *a - TEBM_SAMPLER_HEADER_SIZE);
}

/* A failing energy init on `et`: nothing written. */
#define EXPECT_E(call, want)                                                               \
    do {                                                                                   \
        memcpy(&et_copy, &et, sizeof et);                                                  \
        EXPECT(call, want);                                                                \
        CHECK(same(&et, &et_copy, sizeof et));                                             \
    } while (0)
/* A call with s2 that must not write any byte of s2 or of e2. */
#define EXPECT_RO(call, want)                                                              \
    do {                                                                                   \
        memcpy(&s_copy, &s2, sizeof s2);                                                   \
        memcpy(&e_copy, &e2, sizeof e2);                                                   \
        EXPECT(call, want);                                                                \
        CHECK(same(&s2, &s_copy, sizeof s2));                                              \
        CHECK(same(&e2, &e_copy, sizeof e2));                                              \
    } while (0)
/* A failing call on s2 that may record an error: the state unchanged. */
#define EXPECT_ST(call, want)                                                              \
    do {                                                                                   \
        memcpy(&s_copy, &s2, sizeof s2);                                                   \
        EXPECT(call, want);                                                                \
        CHECK(state_same(&s2, &s_copy));                                                   \
    } while (0)
/* A failing sampler init on `st` (fresh or holding a sampler). */
#define EXPECT_SI(call, want)                                                              \
    do {                                                                                   \
        memcpy(&st_copy, &st, sizeof st);                                                  \
        EXPECT(call, want);                                                                \
        CHECK(state_same(&st, &st_copy));                                                  \
    } while (0)

static int cb(void *user, const float *x, size_t dim, float *u, float *grad) {
    (void)user;
    float s = 0.0f;
    for (size_t i = 0; i < dim; i++) {
        s += 0.5f * x[i] * x[i];
        if (grad) grad[i] = x[i];
    }
    *u = s;
    return 0;
}

static float ones[TEBM_MAX_MONOMIALS + 2 * TEBM_MAX_WALKERS * TEBM_MAX_DIM];
static float zeros[TEBM_MAX_MONOMIALS + 2 * TEBM_MAX_WALKERS * TEBM_MAX_DIM];
static float params[34 * 64 + 1 + 64]; /* ≥ tebm_mlp_num_params(16, 32) + 1 */
static float eye[TEBM_MAX_DIM * TEBM_MAX_DIM];

static void setup(void) {
    for (size_t i = 0; i < sizeof ones / sizeof ones[0]; i++) ones[i] = 1.0f;
    for (size_t i = 0; i < sizeof params / sizeof params[0]; i++) params[i] = 0.01f * (float)(i % 7);
    for (size_t i = 0; i < TEBM_MAX_DIM; i++) eye[i * TEBM_MAX_DIM + i] = 1.0f;
    EXPECT(tebm_energy_init_gaussian_diag(&e2, sizeof e2, 2, zeros, ones), TEBM_STATUS_OK);
    EXPECT(tebm_energy_init_gaussian_diag(&e_full, sizeof e_full, TEBM_MAX_DIM, zeros, ones),
           TEBM_STATUS_OK);
    TebmSamplerConfig c;
    EXPECT(tebm_sampler_config_default(&c), TEBM_STATUS_OK);
    c.n_walkers = 4;
    EXPECT(tebm_sampler_init(&s2, sizeof s2, &e2, &c), TEBM_STATUS_OK);
    EXPECT(tebm_sampler_run(&s2, &e2, 3, NULL), TEBM_STATUS_OK);
}

/* ---- sizes and alignment ---- */
static void t_sizes(void) {
    CHECK(tebm_energy_size() > 0 && tebm_energy_size() <= TEBM_ENERGY_SIZE);
    CHECK(tebm_energy_align() > 0 && tebm_energy_align() <= TEBM_OBJECT_ALIGN);
    CHECK(tebm_sampler_size() > 0 && tebm_sampler_size() <= TEBM_SAMPLER_SIZE);
    CHECK(tebm_sampler_align() > 0 && tebm_sampler_align() <= TEBM_OBJECT_ALIGN);
    for (uint32_t k = 0; k <= TEBM_ENERGY_KIND_CALLBACK; k++) {
        CHECK(tebm_energy_size_for(k) > 0);
        CHECK(tebm_energy_size_for(k) <= tebm_energy_size());
    }
    CHECK(tebm_energy_size_for(TEBM_ENERGY_KIND_CALLBACK + 1) == 0);
    CHECK(tebm_energy_size_for(UINT32_MAX) == 0);
}

/* Memory arguments shared by every energy init: NULL, 0 bytes, one byte
 * short of the kind's size, misaligned; then exactly the kind's size. */
#define ENERGY_MEM_EDGES(kind, ...)                                                        \
    do {                                                                                   \
        size_t need_ = tebm_energy_size_for(kind);                                         \
        EXPECT(INIT_(NULL, sizeof et, __VA_ARGS__), TEBM_STATUS_NULL_POINTER);             \
        EXPECT_E(INIT_(&et, 0, __VA_ARGS__), TEBM_STATUS_BUFFER_TOO_SMALL);                \
        EXPECT_E(INIT_(&et, need_ - 1, __VA_ARGS__), TEBM_STATUS_BUFFER_TOO_SMALL);        \
        memcpy(&st_copy, &raw, sizeof st_copy);                                            \
        EXPECT(INIT_(raw.b + 1, need_, __VA_ARGS__), TEBM_STATUS_MISALIGNED);              \
        CHECK(same(&raw, &st_copy, sizeof st_copy));                                       \
        memset(raw.b, 0, sizeof raw.b);                                                    \
        EXPECT(INIT_(raw.b, need_, __VA_ARGS__), TEBM_STATUS_OK);                          \
        memset(raw.b, 0, sizeof raw.b);                                                    \
        EXPECT(INIT_(&et, sizeof et, __VA_ARGS__), TEBM_STATUS_OK);                        \
    } while (0)

static void t_gaussian(void) {
    size_t el = sizeof et;
#define INIT_ tebm_energy_init_gaussian_diag
    ENERGY_MEM_EDGES(TEBM_ENERGY_KIND_GAUSSIAN, 2, zeros, ones);
    EXPECT_E(INIT_(&et, el, 2, NULL, ones), TEBM_STATUS_NULL_POINTER);
    EXPECT_E(INIT_(&et, el, 2, zeros, NULL), TEBM_STATUS_NULL_POINTER);
    EXPECT_E(INIT_(&et, el, 0, zeros, ones), TEBM_STATUS_BAD_DIMENSION);
    EXPECT(INIT_(&et, el, TEBM_MAX_DIM, zeros, ones), TEBM_STATUS_OK);
    EXPECT_E(INIT_(&et, el, TEBM_MAX_DIM + 1, zeros, ones), TEBM_STATUS_CAPACITY_EXCEEDED);
    EXPECT_E(INIT_(&et, el, SIZE_MAX, zeros, ones), TEBM_STATUS_CAPACITY_EXCEEDED);
    EXPECT_E(INIT_(&et, el, 2, zeros, zeros), TEBM_STATUS_BAD_PARAMETERS);
#undef INIT_
#define INIT_ tebm_energy_init_gaussian_full
    ENERGY_MEM_EDGES(TEBM_ENERGY_KIND_GAUSSIAN, TEBM_MAX_DIM, zeros, eye);
    EXPECT_E(INIT_(&et, el, 2, NULL, eye), TEBM_STATUS_NULL_POINTER);
    EXPECT_E(INIT_(&et, el, 2, zeros, NULL), TEBM_STATUS_NULL_POINTER);
    EXPECT_E(INIT_(&et, el, 0, zeros, eye), TEBM_STATUS_BAD_DIMENSION);
    EXPECT(INIT_(&et, el, TEBM_MAX_DIM, zeros, eye), TEBM_STATUS_OK);
    EXPECT_E(INIT_(&et, el, TEBM_MAX_DIM + 1, zeros, eye), TEBM_STATUS_CAPACITY_EXCEEDED);
    EXPECT_E(INIT_(&et, el, 2, zeros, ones), TEBM_STATUS_BAD_PARAMETERS); /* singular */
#undef INIT_
}

static void t_polynomial(void) {
    size_t el = sizeof et;
    /* counts */
    CHECK(tebm_polynomial_num_coefficients(0, 2) == 0);
    CHECK(tebm_polynomial_num_coefficients(1, 0) == 1);
    CHECK(tebm_polynomial_num_coefficients(2, 2) == 6);
    CHECK(tebm_polynomial_num_coefficients(2, TEBM_MAX_POLY_DEGREE) == 28);
    CHECK(tebm_polynomial_num_coefficients(2, TEBM_MAX_POLY_DEGREE + 1) == 0);
    CHECK(tebm_polynomial_num_coefficients(TEBM_MAX_DIM, 1) == TEBM_MAX_DIM + 1);
    CHECK(tebm_polynomial_num_coefficients(TEBM_MAX_DIM + 1, 1) == 0);
    CHECK(tebm_polynomial_num_coefficients(SIZE_MAX, SIZE_MAX) == 0);
#define INIT_ tebm_energy_init_polynomial
    /* degree 2 in 1-D: 1, x, x² with θ = (0, 0, 1) */
    float c3[3] = {0.0f, 0.0f, 1.0f};
    ENERGY_MEM_EDGES(TEBM_ENERGY_KIND_POLYNOMIAL, 1, 2, c3, 3);
    EXPECT_E(INIT_(&et, el, 1, 2, NULL, 3), TEBM_STATUS_NULL_POINTER);
    EXPECT_E(INIT_(&et, el, 0, 2, c3, 3), TEBM_STATUS_BAD_DIMENSION);
    EXPECT_E(INIT_(&et, el, TEBM_MAX_DIM + 1, 1, ones, TEBM_MAX_DIM + 2), TEBM_STATUS_CAPACITY_EXCEEDED);
    EXPECT(INIT_(&et, el, TEBM_MAX_DIM, 1, ones, TEBM_MAX_DIM + 1), TEBM_STATUS_OK);
    /* degree: 0, capacity, capacity + 1 */
    EXPECT(INIT_(&et, el, 1, 0, ones, 1), TEBM_STATUS_OK);
    EXPECT(INIT_(&et, el, 2, TEBM_MAX_POLY_DEGREE, ones, 28), TEBM_STATUS_OK);
    EXPECT_E(INIT_(&et, el, 2, TEBM_MAX_POLY_DEGREE + 1, ones, 36), TEBM_STATUS_CAPACITY_EXCEEDED);
    EXPECT_E(INIT_(&et, el, 1, SIZE_MAX, ones, 3), TEBM_STATUS_CAPACITY_EXCEEDED);
    /* monomials: 126 (d = 4, degree 5) fits, 210 (d = 4, degree 6) not */
    EXPECT(INIT_(&et, el, 4, 5, ones, 126), TEBM_STATUS_OK);
    EXPECT_E(INIT_(&et, el, 4, 6, ones, 210), TEBM_STATUS_CAPACITY_EXCEEDED);
    /* n_coef: 0, one short, one over */
    EXPECT_E(INIT_(&et, el, 1, 2, c3, 0), TEBM_STATUS_BAD_DIMENSION);
    EXPECT_E(INIT_(&et, el, 1, 2, c3, 2), TEBM_STATUS_BAD_DIMENSION);
    EXPECT_E(INIT_(&et, el, 1, 2, ones, 4), TEBM_STATUS_BAD_DIMENSION);
    float nanc[3] = {0.0f, NAN, 1.0f};
    EXPECT_E(INIT_(&et, el, 1, 2, nanc, 3), TEBM_STATUS_BAD_PARAMETERS);
#undef INIT_
#define INIT_ tebm_energy_init_double_well
    ENERGY_MEM_EDGES(TEBM_ENERGY_KIND_POLYNOMIAL, 1.0f);
    EXPECT_E(INIT_(&et, el, 0.0f), TEBM_STATUS_BAD_PARAMETERS);
    EXPECT_E(INIT_(&et, el, -1.0f), TEBM_STATUS_BAD_PARAMETERS);
    EXPECT_E(INIT_(&et, el, INFINITY), TEBM_STATUS_BAD_PARAMETERS);
#undef INIT_
}

static void t_mixture(void) {
    size_t el = sizeof et;
#define INIT_ tebm_energy_init_mixture
    ENERGY_MEM_EDGES(TEBM_ENERGY_KIND_MIXTURE, 2, 2, ones, zeros, ones);
    EXPECT_E(INIT_(&et, el, 2, 2, NULL, zeros, ones), TEBM_STATUS_NULL_POINTER);
    EXPECT_E(INIT_(&et, el, 2, 2, ones, NULL, ones), TEBM_STATUS_NULL_POINTER);
    EXPECT_E(INIT_(&et, el, 2, 2, ones, zeros, NULL), TEBM_STATUS_NULL_POINTER);
    /* components k: 0, capacity, capacity + 1 */
    EXPECT_E(INIT_(&et, el, 0, 2, ones, zeros, ones), TEBM_STATUS_BAD_DIMENSION);
    EXPECT(INIT_(&et, el, TEBM_MAX_COMPONENTS, 2, ones, zeros, ones), TEBM_STATUS_OK);
    EXPECT_E(INIT_(&et, el, TEBM_MAX_COMPONENTS + 1, 2, ones, zeros, ones), TEBM_STATUS_CAPACITY_EXCEEDED);
    EXPECT_E(INIT_(&et, el, SIZE_MAX, 2, ones, zeros, ones), TEBM_STATUS_CAPACITY_EXCEEDED);
    /* dim: 0, capacity (with k at capacity), capacity + 1 */
    EXPECT_E(INIT_(&et, el, 2, 0, ones, zeros, ones), TEBM_STATUS_BAD_DIMENSION);
    EXPECT(INIT_(&et, el, TEBM_MAX_COMPONENTS, TEBM_MAX_DIM, ones, zeros, ones), TEBM_STATUS_OK);
    EXPECT_E(INIT_(&et, el, 2, TEBM_MAX_DIM + 1, ones, zeros, ones), TEBM_STATUS_CAPACITY_EXCEEDED);
    EXPECT_E(INIT_(&et, el, 2, SIZE_MAX, ones, zeros, ones), TEBM_STATUS_CAPACITY_EXCEEDED);
    EXPECT_E(INIT_(&et, el, 2, 2, zeros, zeros, ones), TEBM_STATUS_BAD_PARAMETERS); /* weights 0 */
    EXPECT_E(INIT_(&et, el, 2, 2, ones, zeros, zeros), TEBM_STATUS_BAD_PARAMETERS); /* sds 0 */
#undef INIT_
}

static void t_mlp(void) {
    size_t el = sizeof et;
    CHECK(tebm_mlp_num_params(2, 32) == 32 * (2 + 32 + 3) + 1);
    CHECK(tebm_mlp_num_params(TEBM_MAX_DIM, TEBM_MAX_HIDDEN) == 32 * (16 + 32 + 3) + 1);
    CHECK(tebm_mlp_num_params(0, 4) == 0);
    CHECK(tebm_mlp_num_params(2, 0) == 0);
    CHECK(tebm_mlp_num_params(TEBM_MAX_DIM + 1, 4) == 0);
    CHECK(tebm_mlp_num_params(2, TEBM_MAX_HIDDEN + 1) == 0);
    CHECK(tebm_mlp_num_params(SIZE_MAX, SIZE_MAX) == 0);
    size_t np = tebm_mlp_num_params(2, 4), npmax = tebm_mlp_num_params(TEBM_MAX_DIM, TEBM_MAX_HIDDEN);
#define INIT_ tebm_energy_init_mlp
    ENERGY_MEM_EDGES(TEBM_ENERGY_KIND_MLP, TEBM_MAX_DIM, TEBM_MAX_HIDDEN, TEBM_ACTIVATION_TANH, 0.5f, params,
                     npmax);
    EXPECT_E(INIT_(&et, el, 2, 4, 0, 0.5f, NULL, np), TEBM_STATUS_NULL_POINTER);
    /* dim, hidden: 0, capacity, capacity + 1 */
    EXPECT_E(INIT_(&et, el, 0, 4, 0, 0.5f, params, np), TEBM_STATUS_BAD_DIMENSION);
    EXPECT_E(INIT_(&et, el, TEBM_MAX_DIM + 1, 4, 0, 0.5f, params, np), TEBM_STATUS_CAPACITY_EXCEEDED);
    EXPECT_E(INIT_(&et, el, 2, 0, 0, 0.5f, params, np), TEBM_STATUS_BAD_DIMENSION);
    EXPECT(INIT_(&et, el, 2, TEBM_MAX_HIDDEN, 0, 0.5f, params, tebm_mlp_num_params(2, 32)), TEBM_STATUS_OK);
    EXPECT_E(INIT_(&et, el, 2, TEBM_MAX_HIDDEN + 1, 0, 0.5f, params, np), TEBM_STATUS_CAPACITY_EXCEEDED);
    /* n_params: 0, one short, one over */
    EXPECT_E(INIT_(&et, el, 2, 4, 0, 0.5f, params, 0), TEBM_STATUS_BAD_DIMENSION);
    EXPECT_E(INIT_(&et, el, 2, 4, 0, 0.5f, params, np - 1), TEBM_STATUS_BAD_DIMENSION);
    EXPECT_E(INIT_(&et, el, 2, 4, 0, 0.5f, params, np + 1), TEBM_STATUS_BAD_DIMENSION);
    /* activation: last valid, one past; alpha */
    EXPECT(INIT_(&et, el, 2, 4, TEBM_ACTIVATION_SOFTPLUS, 0.5f, params, np), TEBM_STATUS_OK);
    EXPECT_E(INIT_(&et, el, 2, 4, TEBM_ACTIVATION_SOFTPLUS + 1, 0.5f, params, np), TEBM_STATUS_BAD_CONFIG);
    EXPECT_E(INIT_(&et, el, 2, 4, UINT32_MAX, 0.5f, params, np), TEBM_STATUS_BAD_CONFIG);
    EXPECT_E(INIT_(&et, el, 2, 4, 0, 0.0f, params, np), TEBM_STATUS_BAD_CONFIG);
    EXPECT_E(INIT_(&et, el, 2, 4, 0, NAN, params, np), TEBM_STATUS_BAD_CONFIG);
    float keep = params[3];
    params[3] = INFINITY;
    EXPECT_E(INIT_(&et, el, 2, 4, 0, 0.5f, params, np), TEBM_STATUS_BAD_PARAMETERS);
    params[3] = keep;
#undef INIT_
}

static void t_callback(void) {
    size_t el = sizeof et;
#define INIT_ tebm_energy_init_callback
    ENERGY_MEM_EDGES(TEBM_ENERGY_KIND_CALLBACK, 2, cb, NULL);
    EXPECT_E(INIT_(&et, el, 2, NULL, NULL), TEBM_STATUS_NULL_POINTER);
    EXPECT_E(INIT_(&et, el, 0, cb, NULL), TEBM_STATUS_BAD_DIMENSION);
    EXPECT(INIT_(&et, el, TEBM_MAX_DIM, cb, NULL), TEBM_STATUS_OK);
    EXPECT_E(INIT_(&et, el, TEBM_MAX_DIM + 1, cb, NULL), TEBM_STATUS_CAPACITY_EXCEEDED);
#undef INIT_
}

static void t_energy_dim_eval(void) {
    size_t d = 99;
    float x[TEBM_MAX_DIM + 1] = {0.5f, -0.5f}, u = -1.0f, g[TEBM_MAX_DIM + 1];
    EXPECT_RO(tebm_energy_dim(NULL, &d), TEBM_STATUS_NULL_POINTER);
    EXPECT_RO(tebm_energy_dim(&e2, NULL), TEBM_STATUS_NULL_POINTER);
    EXPECT_RO(tebm_energy_dim((const TebmEnergy *)&never, &d), TEBM_STATUS_NOT_INITIALISED);
    EXPECT_RO(tebm_energy_dim((const TebmEnergy *)&s2, &d), TEBM_STATUS_WRONG_OBJECT);
    EXPECT_RO(tebm_energy_dim((const TebmEnergy *)(raw.b + 1), &d), TEBM_STATUS_NOT_INITIALISED);
    CHECK(d == 99);
    EXPECT_RO(tebm_energy_dim(&e2, &d), TEBM_STATUS_OK);
    CHECK(d == 2);

    EXPECT_RO(tebm_energy_eval(NULL, x, 2, &u, g), TEBM_STATUS_NULL_POINTER);
    EXPECT_RO(tebm_energy_eval(&e2, NULL, 2, &u, g), TEBM_STATUS_NULL_POINTER);
    EXPECT_RO(tebm_energy_eval(&e2, x, 2, NULL, g), TEBM_STATUS_NULL_POINTER);
    EXPECT_RO(tebm_energy_eval(&e2, x, 0, &u, g), TEBM_STATUS_BAD_DIMENSION);
    EXPECT_RO(tebm_energy_eval(&e2, x, 3, &u, g), TEBM_STATUS_BAD_DIMENSION);
    EXPECT_RO(tebm_energy_eval(&e2, x, SIZE_MAX, &u, g), TEBM_STATUS_BAD_DIMENSION);
    EXPECT_RO(tebm_energy_eval(&e_full, x, TEBM_MAX_DIM + 1, &u, g), TEBM_STATUS_BAD_DIMENSION);
    EXPECT_RO(tebm_energy_eval((const TebmEnergy *)&never, x, 2, &u, g), TEBM_STATUS_NOT_INITIALISED);
    EXPECT_RO(tebm_energy_eval((const TebmEnergy *)&s2, x, 2, &u, g), TEBM_STATUS_WRONG_OBJECT);
    CHECK(u == -1.0f);
    EXPECT_RO(tebm_energy_eval(&e2, x, 2, &u, NULL), TEBM_STATUS_OK);
    CHECK(fabsf(u - 0.25f) < 1e-6f);
    EXPECT_RO(tebm_energy_eval(&e_full, x, TEBM_MAX_DIM, &u, g), TEBM_STATUS_OK);
    CHECK(g[0] == 0.5f && g[1] == -0.5f);
}

/* ---- sampler ---- */
static TebmSamplerConfig cfg(size_t n) {
    TebmSamplerConfig c;
    tebm_sampler_config_default(&c);
    c.n_walkers = n;
    return c;
}

static void t_sampler_init(void) {
    TebmSamplerConfig c = cfg(4);
    EXPECT(tebm_sampler_config_default(NULL), TEBM_STATUS_NULL_POINTER);
    EXPECT(tebm_sampler_config_default(&c), TEBM_STATUS_OK);
    CHECK(c.kernel == TEBM_KERNEL_MALA && c.n_walkers == 32 && c.beta == 1.0f);
    c.n_walkers = 4;
    size_t sl = sizeof st;

    /* fresh memory (st is all zeros): nothing written on any failure below */
    EXPECT(tebm_sampler_init(NULL, sl, &e2, &c), TEBM_STATUS_NULL_POINTER);
    EXPECT_SI(tebm_sampler_init(&st, sl, NULL, &c), TEBM_STATUS_NULL_POINTER);
    EXPECT_SI(tebm_sampler_init(&st, sl, &e2, NULL), TEBM_STATUS_NULL_POINTER);
    CHECK(same(&st, &never, sizeof st));
    EXPECT_SI(tebm_sampler_init(&st, 0, &e2, &c), TEBM_STATUS_BUFFER_TOO_SMALL);
    EXPECT_SI(tebm_sampler_init(&st, tebm_sampler_size() - 1, &e2, &c), TEBM_STATUS_BUFFER_TOO_SMALL);
    memcpy(&st_copy, &raw, sizeof st_copy);
    EXPECT(tebm_sampler_init(raw.b + 1, tebm_sampler_size(), &e2, &c), TEBM_STATUS_MISALIGNED);
    CHECK(same(&raw, &st_copy, sizeof st_copy));
    EXPECT_SI(tebm_sampler_init(&st, sl, (const TebmEnergy *)&never, &c), TEBM_STATUS_NOT_INITIALISED);
    EXPECT_SI(tebm_sampler_init(&st, sl, (const TebmEnergy *)&s2, &c), TEBM_STATUS_WRONG_OBJECT);
    /* walkers: 0, capacity, capacity + 1 */
    c.n_walkers = 0;
    EXPECT_SI(tebm_sampler_init(&st, sl, &e2, &c), TEBM_STATUS_BAD_DIMENSION);
    c.n_walkers = TEBM_MAX_WALKERS + 1;
    EXPECT_SI(tebm_sampler_init(&st, sl, &e2, &c), TEBM_STATUS_CAPACITY_EXCEEDED);
    c.n_walkers = SIZE_MAX;
    EXPECT_SI(tebm_sampler_init(&st, sl, &e2, &c), TEBM_STATUS_CAPACITY_EXCEEDED);
    c.n_walkers = 4;
    /* configuration values */
    c.kernel = TEBM_KERNEL_HMC + 1;
    EXPECT_SI(tebm_sampler_init(&st, sl, &e2, &c), TEBM_STATUS_BAD_CONFIG);
    c.kernel = TEBM_KERNEL_HMC;
    c.leapfrog_steps = 0;
    EXPECT_SI(tebm_sampler_init(&st, sl, &e2, &c), TEBM_STATUS_BAD_CONFIG);
    c.hmc_mass = zeros;
    c.leapfrog_steps = 3;
    EXPECT_SI(tebm_sampler_init(&st, sl, &e2, &c), TEBM_STATUS_BAD_CONFIG);
    c = cfg(4);
    float bad[] = {0.0f, -1.0f, NAN, INFINITY};
    for (int i = 0; i < 4; i++) {
        c.step_size = bad[i];
        EXPECT_SI(tebm_sampler_init(&st, sl, &e2, &c), TEBM_STATUS_BAD_CONFIG);
        c.step_size = 0.1f;
        c.beta = bad[i];
        EXPECT_SI(tebm_sampler_init(&st, sl, &e2, &c), TEBM_STATUS_BAD_CONFIG);
        c.beta = 1.0f;
    }
    c.adapt = 1;
    c.target_accept = 1.0f;
    EXPECT_SI(tebm_sampler_init(&st, sl, &e2, &c), TEBM_STATUS_BAD_CONFIG);
    c.target_accept = 0.0f;
    c.kernel = TEBM_KERNEL_ULA;
    EXPECT_SI(tebm_sampler_init(&st, sl, &e2, &c), TEBM_STATUS_BAD_CONFIG);
    c = cfg(4);
    c.init_sd = -1.0f;
    EXPECT_SI(tebm_sampler_init(&st, sl, &e2, &c), TEBM_STATUS_BAD_CONFIG);
    c.init_sd = NAN;
    EXPECT_SI(tebm_sampler_init(&st, sl, &e2, &c), TEBM_STATUS_BAD_CONFIG);
    c.init_sd = 1.0f;
    float nanc[2] = {NAN, 0.0f};
    c.init_center = nanc;
    EXPECT_SI(tebm_sampler_init(&st, sl, &e2, &c), TEBM_STATUS_BAD_CONFIG);
    CHECK(same(&st, &never, sizeof st)); /* still fresh: no failure wrote it */
    c.init_center = NULL;
    /* non-finite initial positions: refused (may write scratch only) */
    float pos[4 * 2] = {0, 0, 1, 1, NAN, 0, 2, 2};
    c.init_positions = pos;
    EXPECT(tebm_sampler_init(&st, sl, &e2, &c), TEBM_STATUS_NON_FINITE);
    TebmSamplerStats stats;
    EXPECT(tebm_sampler_stats(&st, &stats), TEBM_STATUS_NOT_INITIALISED);
    pos[4] = 3.0f;
    c.init_positions = NULL;
    /* capacity: 64 walkers in 16-D, exactly tebm_sampler_size() bytes */
    memset(raw.b, 0, sizeof raw.b);
    c = cfg(TEBM_MAX_WALKERS);
    EXPECT(tebm_sampler_init(raw.b, tebm_sampler_size(), &e_full, &c), TEBM_STATUS_OK);
    EXPECT(tebm_sampler_stats((const TebmSampler *)raw.b, &stats), TEBM_STATUS_OK);
    CHECK(stats.n_walkers == TEBM_MAX_WALKERS && stats.dim == TEBM_MAX_DIM);
    memset(raw.b, 0, sizeof raw.b);
    /* one walker, at given positions */
    c = cfg(1);
    c.init_positions = pos;
    EXPECT(tebm_sampler_init(&st, sl, &e2, &c), TEBM_STATUS_OK);
    /* re-initialising a live sampler: failures leave its state */
    c = cfg(TEBM_MAX_WALKERS + 1);
    EXPECT_SI(tebm_sampler_init(&st, sl, &e2, &c), TEBM_STATUS_CAPACITY_EXCEEDED);
    c = cfg(4);
    c.init_sd = INFINITY;
    EXPECT_SI(tebm_sampler_init(&st, sl, &e2, &c), TEBM_STATUS_BAD_CONFIG);
    c.init_sd = 1.0f;
    c.init_positions = pos;
    pos[1] = INFINITY;
    EXPECT(tebm_sampler_init(&st, sl, &e2, &c), TEBM_STATUS_NON_FINITE);
    EXPECT(tebm_sampler_stats(&st, &stats), TEBM_STATUS_OK);
    CHECK(stats.n_walkers == 1);
    pos[1] = 0.0f;
}

static void t_run(void) {
    size_t done = 77;
    EXPECT_RO(tebm_sampler_run(NULL, &e2, 1, &done), TEBM_STATUS_NULL_POINTER);
    EXPECT_RO(tebm_sampler_run(&s2, NULL, 1, &done), TEBM_STATUS_NULL_POINTER);
    CHECK(done == 77);
    EXPECT_RO(tebm_sampler_run(&never, &e2, 1, &done), TEBM_STATUS_NOT_INITIALISED);
    EXPECT_RO(tebm_sampler_run((TebmSampler *)&e2, &e2, 1, &done), TEBM_STATUS_WRONG_OBJECT);
    EXPECT_RO(tebm_sampler_run(&s2, (const TebmEnergy *)&never, 1, &done), TEBM_STATUS_NOT_INITIALISED);
    EXPECT_RO(tebm_sampler_run(&s2, (const TebmEnergy *)&s2, 1, &done), TEBM_STATUS_WRONG_OBJECT);
    /* an energy of another dimension */
    EXPECT_ST(tebm_sampler_run(&s2, &e_full, 1, &done), TEBM_STATUS_BAD_DIMENSION);
    CHECK(done == 0);
    /* k steps: 0 (nothing happens but the status), 1, several, NULL done */
    done = 77;
    EXPECT_ST(tebm_sampler_run(&s2, &e2, 0, &done), TEBM_STATUS_OK);
    CHECK(done == 0);
    TebmSamplerStats a, b;
    tebm_sampler_stats(&s2, &a);
    EXPECT(tebm_sampler_run(&s2, &e2, 1, &done), TEBM_STATUS_OK);
    CHECK(done == 1);
    EXPECT(tebm_sampler_run(&s2, &e2, 5, NULL), TEBM_STATUS_OK);
    tebm_sampler_stats(&s2, &b);
    CHECK(b.steps == a.steps + 6);
}

static void t_mutators(void) {
    EXPECT(tebm_sampler_invalidate(NULL), TEBM_STATUS_NULL_POINTER);
    EXPECT_RO(tebm_sampler_invalidate(&never), TEBM_STATUS_NOT_INITIALISED);
    EXPECT_RO(tebm_sampler_invalidate((TebmSampler *)&e2), TEBM_STATUS_WRONG_OBJECT);
    EXPECT(tebm_sampler_invalidate(&s2), TEBM_STATUS_OK);
    EXPECT(tebm_sampler_run(&s2, &e2, 1, NULL), TEBM_STATUS_OK);

    float bad[] = {0.0f, -0.0f, -1.0f, NAN, INFINITY, -INFINITY};
    EXPECT(tebm_sampler_set_step_size(NULL, 0.1f), TEBM_STATUS_NULL_POINTER);
    EXPECT_RO(tebm_sampler_set_step_size(&never, 0.1f), TEBM_STATUS_NOT_INITIALISED);
    EXPECT(tebm_sampler_set_beta(NULL, 1.0f), TEBM_STATUS_NULL_POINTER);
    EXPECT_RO(tebm_sampler_set_beta((TebmSampler *)&e2, 1.0f), TEBM_STATUS_WRONG_OBJECT);
    for (int i = 0; i < 6; i++) {
        EXPECT_ST(tebm_sampler_set_step_size(&s2, bad[i]), TEBM_STATUS_BAD_CONFIG);
        EXPECT_ST(tebm_sampler_set_beta(&s2, bad[i]), TEBM_STATUS_BAD_CONFIG);
    }
    EXPECT(tebm_sampler_set_step_size(&s2, 0.2f), TEBM_STATUS_OK);
    EXPECT(tebm_sampler_set_beta(&s2, 2.0f), TEBM_STATUS_OK);

    EXPECT(tebm_sampler_start_adaptation(NULL, 0.0f), TEBM_STATUS_NULL_POINTER);
    EXPECT_RO(tebm_sampler_start_adaptation(&never, 0.0f), TEBM_STATUS_NOT_INITIALISED);
    float bad_t[] = {1.0f, -0.5f, 2.0f, NAN, INFINITY};
    for (int i = 0; i < 5; i++) EXPECT_ST(tebm_sampler_start_adaptation(&s2, bad_t[i]), TEBM_STATUS_BAD_CONFIG);
    EXPECT(tebm_sampler_start_adaptation(&s2, 0.0f), TEBM_STATUS_OK);
    EXPECT(tebm_sampler_run(&s2, &e2, 2, NULL), TEBM_STATUS_OK);

    EXPECT(tebm_sampler_freeze_step_size(NULL), TEBM_STATUS_NULL_POINTER);
    EXPECT_RO(tebm_sampler_freeze_step_size(&never), TEBM_STATUS_NOT_INITIALISED);
    EXPECT_RO(tebm_sampler_freeze_step_size((TebmSampler *)&e2), TEBM_STATUS_WRONG_OBJECT);
    EXPECT(tebm_sampler_freeze_step_size(&s2), TEBM_STATUS_OK);
    EXPECT(tebm_sampler_freeze_step_size(&s2), TEBM_STATUS_OK); /* no-op */
    /* adaptation from the largest float: its averaged step overflows, and
     * freezing fails with the state unchanged (still adapting) */
    EXPECT(tebm_sampler_set_step_size(&s2, 3.4e38f), TEBM_STATUS_OK);
    EXPECT(tebm_sampler_start_adaptation(&s2, 0.5f), TEBM_STATUS_OK);
    TebmStatus fz;
    memcpy(&s_copy, &s2, sizeof s2);
    fz = tebm_sampler_freeze_step_size(&s2);
    CHECK(fz == TEBM_STATUS_OK || fz == TEBM_STATUS_BAD_CONFIG);
    if (fz != TEBM_STATUS_OK) CHECK(state_same(&s2, &s_copy));
    EXPECT(tebm_sampler_set_step_size(&s2, 0.2f), TEBM_STATUS_OK);
    EXPECT(tebm_sampler_start_adaptation(&s2, 0.5f), TEBM_STATUS_OK);
    EXPECT(tebm_sampler_freeze_step_size(&s2), TEBM_STATUS_OK);

    EXPECT(tebm_sampler_reset_diagnostics(NULL), TEBM_STATUS_NULL_POINTER);
    EXPECT_RO(tebm_sampler_reset_diagnostics(&never), TEBM_STATUS_NOT_INITIALISED);
    EXPECT_RO(tebm_sampler_reset_diagnostics((TebmSampler *)&e2), TEBM_STATUS_WRONG_OBJECT);
    EXPECT(tebm_sampler_reset_diagnostics(&s2), TEBM_STATUS_OK);
    EXPECT(tebm_sampler_run(&s2, &e2, 3, NULL), TEBM_STATUS_OK);
}

/* Output buffers: len 0, need − 1, need, need + 1; guard elements after. */
static void t_readers(void) {
    enum { N = 4, D = 2 };
    float out[N * D + 8];
    double dout[D + 4];
    uint8_t acc[N + 4];
    TebmSamplerStats stats;
    char buf[TEBM_ERROR_MESSAGE_CAPACITY + 8];

    /* positions: need N·D */
    EXPECT_RO(tebm_sampler_positions(NULL, out, N * D), TEBM_STATUS_NULL_POINTER);
    EXPECT_RO(tebm_sampler_positions(&s2, NULL, N * D), TEBM_STATUS_NULL_POINTER);
    EXPECT_RO(tebm_sampler_positions(&never, out, N * D), TEBM_STATUS_NOT_INITIALISED);
    EXPECT_RO(tebm_sampler_positions((const TebmSampler *)&e2, out, N * D), TEBM_STATUS_WRONG_OBJECT);
    EXPECT_RO(tebm_sampler_positions(&s2, out, 0), TEBM_STATUS_BUFFER_TOO_SMALL);
    EXPECT_RO(tebm_sampler_positions(&s2, out, N * D - 1), TEBM_STATUS_BUFFER_TOO_SMALL);
    for (int i = 0; i < N * D + 8; i++) out[i] = -7.0f;
    EXPECT_RO(tebm_sampler_positions(&s2, out, N * D), TEBM_STATUS_OK);
    EXPECT_RO(tebm_sampler_positions(&s2, out, N * D + 1), TEBM_STATUS_OK);
    CHECK(out[N * D] == -7.0f && isfinite(out[0]) && out[0] != -7.0f);

    /* energies: need N */
    EXPECT_RO(tebm_sampler_energies(NULL, out, N), TEBM_STATUS_NULL_POINTER);
    EXPECT_RO(tebm_sampler_energies(&s2, NULL, N), TEBM_STATUS_NULL_POINTER);
    EXPECT_RO(tebm_sampler_energies(&never, out, N), TEBM_STATUS_NOT_INITIALISED);
    EXPECT_RO(tebm_sampler_energies(&s2, out, 0), TEBM_STATUS_BUFFER_TOO_SMALL);
    EXPECT_RO(tebm_sampler_energies(&s2, out, N - 1), TEBM_STATUS_BUFFER_TOO_SMALL);
    for (int i = 0; i < N * D + 8; i++) out[i] = -7.0f;
    EXPECT_RO(tebm_sampler_energies(&s2, out, N + 1), TEBM_STATUS_OK);
    CHECK(out[N] == -7.0f && out[0] >= 0.0f);

    /* last_accepted: need N (accept_prob optional) */
    EXPECT_RO(tebm_sampler_last_accepted(NULL, acc, out, N), TEBM_STATUS_NULL_POINTER);
    EXPECT_RO(tebm_sampler_last_accepted(&s2, NULL, out, N), TEBM_STATUS_NULL_POINTER);
    EXPECT_RO(tebm_sampler_last_accepted(&never, acc, out, N), TEBM_STATUS_NOT_INITIALISED);
    EXPECT_RO(tebm_sampler_last_accepted(&s2, acc, out, 0), TEBM_STATUS_BUFFER_TOO_SMALL);
    EXPECT_RO(tebm_sampler_last_accepted(&s2, acc, out, N - 1), TEBM_STATUS_BUFFER_TOO_SMALL);
    memset(acc, 9, sizeof acc);
    for (int i = 0; i < N * D + 8; i++) out[i] = -7.0f;
    EXPECT_RO(tebm_sampler_last_accepted(&s2, acc, NULL, N), TEBM_STATUS_OK);
    EXPECT_RO(tebm_sampler_last_accepted(&s2, acc, out, N + 1), TEBM_STATUS_OK);
    CHECK(acc[0] <= 1 && acc[N] == 9 && out[N] == -7.0f && out[0] >= 0.0f && out[0] <= 1.0f);

    /* stats */
    EXPECT_RO(tebm_sampler_stats(NULL, &stats), TEBM_STATUS_NULL_POINTER);
    EXPECT_RO(tebm_sampler_stats(&s2, NULL), TEBM_STATUS_NULL_POINTER);
    EXPECT_RO(tebm_sampler_stats(&never, &stats), TEBM_STATUS_NOT_INITIALISED);
    EXPECT_RO(tebm_sampler_stats((const TebmSampler *)&e2, &stats), TEBM_STATUS_WRONG_OBJECT);
    EXPECT_RO(tebm_sampler_stats(&s2, &stats), TEBM_STATUS_OK);
    CHECK(stats.n_walkers == N && stats.dim == D);

    /* diagnostic: need D; which: last valid, one past */
    EXPECT_RO(tebm_sampler_diagnostic(NULL, 0, dout, D), TEBM_STATUS_NULL_POINTER);
    EXPECT_RO(tebm_sampler_diagnostic(&s2, 0, NULL, D), TEBM_STATUS_NULL_POINTER);
    EXPECT_RO(tebm_sampler_diagnostic(&never, 0, dout, D), TEBM_STATUS_NOT_INITIALISED);
    EXPECT_RO(tebm_sampler_diagnostic(&s2, TEBM_DIAGNOSTIC_RHAT + 1, dout, D), TEBM_STATUS_BAD_CONFIG);
    EXPECT_RO(tebm_sampler_diagnostic(&s2, UINT32_MAX, dout, D), TEBM_STATUS_BAD_CONFIG);
    EXPECT_RO(tebm_sampler_diagnostic(&s2, 0, dout, 0), TEBM_STATUS_BUFFER_TOO_SMALL);
    EXPECT_RO(tebm_sampler_diagnostic(&s2, 0, dout, D - 1), TEBM_STATUS_BUFFER_TOO_SMALL);
    for (int i = 0; i < D + 4; i++) dout[i] = -7.0;
    for (uint32_t w = 0; w <= TEBM_DIAGNOSTIC_RHAT; w++)
        EXPECT_RO(tebm_sampler_diagnostic(&s2, w, dout, D + 1), TEBM_STATUS_OK);
    CHECK(dout[D] == -7.0);

    /* last_error: len 0 (nothing written), 1 (""), capacity */
    EXPECT_ST(tebm_sampler_set_beta(&s2, -1.0f), TEBM_STATUS_BAD_CONFIG); /* records an error */
    EXPECT_RO(tebm_sampler_last_error(NULL, buf, sizeof buf), TEBM_STATUS_NULL_POINTER);
    EXPECT_RO(tebm_sampler_last_error(&s2, NULL, sizeof buf), TEBM_STATUS_NULL_POINTER);
    EXPECT_RO(tebm_sampler_last_error(&never, buf, sizeof buf), TEBM_STATUS_NOT_INITIALISED);
    memset(buf, 'x', sizeof buf);
    EXPECT_RO(tebm_sampler_last_error(&s2, buf, 0), TEBM_STATUS_BUFFER_TOO_SMALL);
    CHECK(buf[0] == 'x');
    EXPECT_RO(tebm_sampler_last_error(&s2, buf, 1), TEBM_STATUS_BUFFER_TOO_SMALL);
    CHECK(buf[0] == 0 && buf[1] == 'x');
    EXPECT_RO(tebm_sampler_last_error(&s2, buf, TEBM_ERROR_MESSAGE_CAPACITY), TEBM_STATUS_OK);
    CHECK(strlen(buf) > 0 && strlen(buf) < TEBM_ERROR_MESSAGE_CAPACITY);
    size_t l = strlen(buf);
    EXPECT_RO(tebm_sampler_last_error(&s2, buf, l), TEBM_STATUS_BUFFER_TOO_SMALL);
    CHECK(strlen(buf) == l - 1);
    EXPECT_RO(tebm_sampler_last_error(&s2, buf, l + 1), TEBM_STATUS_OK);
}

static void t_status_message(void) {
    char buf[80];
    EXPECT(tebm_status_message(TEBM_STATUS_OK, NULL, 10), TEBM_STATUS_NULL_POINTER);
    memset(buf, 'x', sizeof buf);
    EXPECT(tebm_status_message(TEBM_STATUS_OK, buf, 0), TEBM_STATUS_BUFFER_TOO_SMALL);
    CHECK(buf[0] == 'x');
    EXPECT(tebm_status_message(TEBM_STATUS_OK, buf, 1), TEBM_STATUS_BUFFER_TOO_SMALL);
    CHECK(buf[0] == 0 && buf[1] == 'x');
    for (int s = 0; s <= TEBM_STATUS_UNKNOWN + 1; s++) {
        EXPECT(tebm_status_message(s, buf, sizeof buf), TEBM_STATUS_OK);
        CHECK(strlen(buf) > 0);
    }
    EXPECT(tebm_status_message(INT32_MIN, buf, sizeof buf), TEBM_STATUS_OK);
    EXPECT(tebm_status_message(INT32_MAX, buf, sizeof buf), TEBM_STATUS_OK);
}

int main(void) {
    setup();
    t_sizes();
    t_gaussian();
    t_polynomial();
    t_mixture();
    t_mlp();
    t_callback();
    t_energy_dim_eval();
    t_sampler_init();
    t_run();
    t_mutators();
    t_readers();
    t_status_message();
    printf("api_edges: %d checks, %d failures\n", checks, failures);
    return failures != 0;
}

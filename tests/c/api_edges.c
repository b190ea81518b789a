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
 * called here (unless listed in tests/c/api_edges.todo). Complements
 * status_test.c (error paths of the energy, callbacks, scratch space).
 * Exit status 0 when every check passes. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tinyebm.h"

#include "check.h"

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

#define same bytes_same /* every byte */
#define state_same(a, b) state_bytes_same((a), (b), sizeof *(a)) /* after the header */

/* A failing energy init on `et`: nothing written. */
#define EXPECT_E(call, want) EXPECT_KEEPS(call, want, &et, &et_copy, same)
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
#define EXPECT_ST(call, want) EXPECT_KEEPS(call, want, &s2, &s_copy, state_bytes_same)
/* A failing sampler init on `st` (fresh or holding a sampler). */
#define EXPECT_SI(call, want) EXPECT_KEEPS(call, want, &st, &st_copy, state_bytes_same)

/* True when the last error of `obj` (read with `fn`) is set and is not the
 * sentinel: the text of the call `sentinel` records. */
#define ERR_REPLACED(fn, obj, sentinel)                                                     \
    do {                                                                                   \
        char m_[TEBM_ERROR_MESSAGE_CAPACITY];                                              \
        EXPECT(fn(obj, m_, sizeof m_), TEBM_STATUS_OK);                                    \
        CHECK(m_[0] != 0 && strncmp(m_, sentinel, strlen(sentinel)) != 0);               \
    } while (0)
/* A failing read-back on s2 (it has the object: it records its error, and
 * nothing else changes). The sentinel error is set first. */
#define EXPECT_RO_ERR(call, want)                                                          \
    do {                                                                                   \
        EXPECT(tebm_sampler_set_beta(&s2, -1.0f), TEBM_STATUS_BAD_CONFIG);                 \
        EXPECT_ST(call, want);                                                             \
        ERR_REPLACED(tebm_sampler_last_error, &s2, "tebm_sampler_set_beta");               \
    } while (0)

#define cb quad_energy

static float ones[TEBM_MAX_MONOMIALS + 2 * TEBM_MAX_WALKERS * TEBM_MAX_DIM];
static float zeros[TEBM_MAX_MONOMIALS + 2 * TEBM_MAX_WALKERS * TEBM_MAX_DIM];
/* Config defaults are capped by the capacities. */
#define MIN_(a, b) ((a) < (b) ? (a) : (b))
/* Coefficients of a 2-D polynomial of degree p: C(p + 2, 2). */
#define NCOEF2(p) (((p) + 1) * ((p) + 2) / 2)
static float params[TEBM_MAX_PARAMS + 64]; /* ≥ tebm_mlp_num_params(TEBM_MAX_DIM, TEBM_MAX_HIDDEN) + 1 */
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

/* ---- version: the library's string is the header's numbers ---- */
static void t_version(void) {
    char want[32];
    const char *v = tebm_version();
    snprintf(want, sizeof want, "%d.%d.%d", TEBM_VERSION_MAJOR, TEBM_VERSION_MINOR, TEBM_VERSION_PATCH);
    CHECK(v != NULL);
    if (v == NULL) return;
    CHECK(strcmp(v, want) == 0);
    if (strcmp(v, want) != 0) fprintf(stderr, "tebm_version() = \"%s\", header %s\n", v, want);
    CHECK(tebm_version() == v); /* a static string: the same pointer every call */
    CHECK(TEBM_VERSION_MAJOR >= 0 && TEBM_VERSION_MINOR >= 0 && TEBM_VERSION_PATCH >= 0);
}

/* ---- sizes and alignment ---- */
static void t_sizes(void) {
    CHECK(tebm_energy_size() > 0 && tebm_energy_size() <= TEBM_ENERGY_SIZE);
    CHECK(tebm_energy_align() > 0 && tebm_energy_align() <= TEBM_OBJECT_ALIGN);
    CHECK(tebm_sampler_size() > 0 && tebm_sampler_size() <= TEBM_SAMPLER_SIZE);
    CHECK(tebm_sampler_align() > 0 && tebm_sampler_align() <= TEBM_OBJECT_ALIGN);
    for (uint32_t k = 0; k <= TEBM_ENERGY_KIND_DEEP_MLP; k++) {
        CHECK(tebm_energy_size_for(k) > 0);
        CHECK(tebm_energy_size_for(k) <= tebm_energy_size());
    }
    CHECK(tebm_energy_size_for(TEBM_ENERGY_KIND_DEEP_MLP + 1) == 0);
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
    CHECK(tebm_polynomial_num_coefficients(2, TEBM_MAX_POLY_DEGREE) == NCOEF2(TEBM_MAX_POLY_DEGREE));
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
    EXPECT(INIT_(&et, el, 2, TEBM_MAX_POLY_DEGREE, ones, NCOEF2(TEBM_MAX_POLY_DEGREE)), TEBM_STATUS_OK);
    EXPECT_E(INIT_(&et, el, 2, TEBM_MAX_POLY_DEGREE + 1, ones, NCOEF2(TEBM_MAX_POLY_DEGREE + 1)),
             TEBM_STATUS_CAPACITY_EXCEEDED);
    EXPECT_E(INIT_(&et, el, 1, SIZE_MAX, ones, 3), TEBM_STATUS_CAPACITY_EXCEEDED);
#if TEBM_MAX_MONOMIALS == 128 && TEBM_MAX_DIM >= 4 && TEBM_MAX_POLY_DEGREE >= 6
    /* monomials: 126 (d = 4, degree 5) fits, 210 (d = 4, degree 6) not */
    EXPECT(INIT_(&et, el, 4, 5, ones, 126), TEBM_STATUS_OK);
    EXPECT_E(INIT_(&et, el, 4, 6, ones, 210), TEBM_STATUS_CAPACITY_EXCEEDED);
#else
    /* other capacities (scripts/ci-capacities.sh): the most monomials that fit
     * TEBM_MAX_MONOMIALS fit, the fewest above do not */
    {
        size_t fit = 0, fd = 1, fp = 0, over = SIZE_MAX, od = 1, op = 0;
        for (size_t d = 1; d <= TEBM_MAX_DIM; d++) {
            for (size_t p = 0; p <= TEBM_MAX_POLY_DEGREE; p++) {
                size_t m = tebm_polynomial_num_coefficients(d, p);
                if (m <= TEBM_MAX_MONOMIALS && m > fit) fit = m, fd = d, fp = p;
                if (m > TEBM_MAX_MONOMIALS && m < over) over = m, od = d, op = p;
            }
        }
        EXPECT(INIT_(&et, el, fd, fp, ones, fit), TEBM_STATUS_OK);
        if (over != SIZE_MAX) EXPECT_E(INIT_(&et, el, od, op, ones, over), TEBM_STATUS_CAPACITY_EXCEEDED);
    }
#endif
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
    /* weights whose sum overflows, or one that vanishes next to the sum: a
     * logit of -inf (the energy could not be saved and reloaded) */
    float wbig[2] = {FLT_MAX, FLT_MAX}, wtiny[2] = {3e38f, 1e-40f};
    EXPECT_E(INIT_(&et, el, 2, 1, wbig, zeros, ones), TEBM_STATUS_BAD_PARAMETERS);
    EXPECT_E(INIT_(&et, el, 2, 1, wtiny, zeros, ones), TEBM_STATUS_BAD_PARAMETERS);
    wtiny[0] = 1.0f;
    EXPECT(INIT_(&et, el, 2, 1, wtiny, zeros, ones), TEBM_STATUS_OK); /* 1e-40: tiny, not 0 */
    EXPECT_E(INIT_(&et, el, 2, 2, ones, zeros, zeros), TEBM_STATUS_BAD_PARAMETERS); /* sds 0 */
#undef INIT_
}

static void t_mlp(void) {
    size_t el = sizeof et;
    CHECK(tebm_mlp_num_params(2, TEBM_MAX_HIDDEN) == TEBM_MAX_HIDDEN * (2 + TEBM_MAX_HIDDEN + 3) + 1);
    CHECK(tebm_mlp_num_params(TEBM_MAX_DIM, TEBM_MAX_HIDDEN) ==
          TEBM_MAX_HIDDEN * (TEBM_MAX_DIM + TEBM_MAX_HIDDEN + 3) + 1);
    CHECK(tebm_mlp_num_params(TEBM_MAX_DIM, TEBM_MAX_HIDDEN) == TEBM_MAX_PARAMS);
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
    EXPECT(INIT_(&et, el, 2, TEBM_MAX_HIDDEN, 0, 0.5f, params, tebm_mlp_num_params(2, TEBM_MAX_HIDDEN)),
           TEBM_STATUS_OK);
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

static void t_deep_mlp(void) {
    size_t el = sizeof et, W = TEBM_MAX_DEEP_WIDTH, L = TEBM_MAX_DEEP_LAYERS;
    size_t w3[3] = {3, 4, 2}, wmax[TEBM_MAX_DEEP_LAYERS], wbad[2] = {3, 0}, wbig[2] = {3, W + 1};
    for (size_t k = 0; k < L; k++) wmax[k] = W;
    /* counts: Σ w_k (w_{k-1} + 1) + w_last + 1 */
    CHECK(tebm_deep_mlp_num_params(2, 3, w3) == 3 * 3 + 4 * 4 + 2 * 5 + 2 + 1);
    CHECK(tebm_deep_mlp_num_params(TEBM_MAX_DIM, L, wmax) ==
          W * (TEBM_MAX_DIM + 1) + (L - 1) * W * (W + 1) + W + 1);
    CHECK(tebm_deep_mlp_num_params(TEBM_MAX_DIM, L, wmax) <= TEBM_MAX_PARAMS);
    CHECK(tebm_deep_mlp_num_params(2, 2, (size_t[]){4, 4}) == tebm_mlp_num_params(2, 4));
    CHECK(tebm_deep_mlp_num_params(2, 3, NULL) == 0);
    CHECK(tebm_deep_mlp_num_params(0, 3, w3) == 0);
    CHECK(tebm_deep_mlp_num_params(TEBM_MAX_DIM + 1, 3, w3) == 0);
    CHECK(tebm_deep_mlp_num_params(2, 0, w3) == 0);
    CHECK(tebm_deep_mlp_num_params(2, L + 1, wmax) == 0); /* not read past L */
    CHECK(tebm_deep_mlp_num_params(2, 2, wbad) == 0);
    CHECK(tebm_deep_mlp_num_params(2, 2, wbig) == 0);
    CHECK(tebm_deep_mlp_num_params(SIZE_MAX, SIZE_MAX, w3) == 0);
    size_t np = tebm_deep_mlp_num_params(2, 3, w3), npmax = tebm_deep_mlp_num_params(TEBM_MAX_DIM, L, wmax);
#define INIT_ tebm_energy_init_deep_mlp
    ENERGY_MEM_EDGES(TEBM_ENERGY_KIND_DEEP_MLP, TEBM_MAX_DIM, L, wmax, TEBM_ACTIVATION_TANH, 0.5f, params,
                     npmax);
    EXPECT_E(INIT_(&et, el, 2, 3, NULL, 0, 0.5f, params, np), TEBM_STATUS_NULL_POINTER);
    EXPECT_E(INIT_(&et, el, 2, 3, w3, 0, 0.5f, NULL, np), TEBM_STATUS_NULL_POINTER);
    /* dim: 0, capacity + 1; layers: 0, capacity + 1; a width 0 or above capacity */
    EXPECT_E(INIT_(&et, el, 0, 3, w3, 0, 0.5f, params, np), TEBM_STATUS_BAD_DIMENSION);
    EXPECT_E(INIT_(&et, el, TEBM_MAX_DIM + 1, 3, w3, 0, 0.5f, params, np), TEBM_STATUS_CAPACITY_EXCEEDED);
    EXPECT_E(INIT_(&et, el, 2, 0, w3, 0, 0.5f, params, np), TEBM_STATUS_BAD_DIMENSION);
    EXPECT_E(INIT_(&et, el, 2, L + 1, wmax, 0, 0.5f, params, np), TEBM_STATUS_CAPACITY_EXCEEDED);
    EXPECT_E(INIT_(&et, el, 2, 2, wbad, 0, 0.5f, params, np), TEBM_STATUS_BAD_DIMENSION);
    EXPECT_E(INIT_(&et, el, 2, 2, wbig, 0, 0.5f, params, np), TEBM_STATUS_CAPACITY_EXCEEDED);
    EXPECT(INIT_(&et, el, 2, 1, (size_t[]){W}, 0, 0.5f, params, tebm_deep_mlp_num_params(2, 1, (size_t[]){W})),
           TEBM_STATUS_OK);
    /* n_params: 0, one short, one over */
    EXPECT_E(INIT_(&et, el, 2, 3, w3, 0, 0.5f, params, 0), TEBM_STATUS_BAD_DIMENSION);
    EXPECT_E(INIT_(&et, el, 2, 3, w3, 0, 0.5f, params, np - 1), TEBM_STATUS_BAD_DIMENSION);
    EXPECT_E(INIT_(&et, el, 2, 3, w3, 0, 0.5f, params, np + 1), TEBM_STATUS_BAD_DIMENSION);
    /* activation: last valid, one past; alpha */
    EXPECT(INIT_(&et, el, 2, 3, w3, TEBM_ACTIVATION_SOFTPLUS, 0.5f, params, np), TEBM_STATUS_OK);
    EXPECT_E(INIT_(&et, el, 2, 3, w3, TEBM_ACTIVATION_SOFTPLUS + 1, 0.5f, params, np), TEBM_STATUS_BAD_CONFIG);
    EXPECT_E(INIT_(&et, el, 2, 3, w3, UINT32_MAX, 0.5f, params, np), TEBM_STATUS_BAD_CONFIG);
    EXPECT_E(INIT_(&et, el, 2, 3, w3, 0, 0.0f, params, np), TEBM_STATUS_BAD_CONFIG);
    EXPECT_E(INIT_(&et, el, 2, 3, w3, 0, NAN, params, np), TEBM_STATUS_BAD_CONFIG);
    float keep = params[3];
    params[3] = INFINITY;
    EXPECT_E(INIT_(&et, el, 2, 3, w3, 0, 0.5f, params, np), TEBM_STATUS_BAD_PARAMETERS);
    params[3] = keep;
#undef INIT_
    /* Two layers of width h are the MLP d → h → h → 1: same U, same bits. */
    static TebmEnergy a, b;
    size_t n4 = tebm_mlp_num_params(2, 4);
    for (size_t k = 0; k < n4; k++) params[k] = 0.3f * sinf((float)k);
    EXPECT(tebm_energy_init_mlp(&a, sizeof a, 2, 4, TEBM_ACTIVATION_SILU, 0.5f, params, n4), TEBM_STATUS_OK);
    EXPECT(tebm_energy_init_deep_mlp(&b, sizeof b, 2, 2, (size_t[]){4, 4}, TEBM_ACTIVATION_SILU, 0.5f, params, n4),
           TEBM_STATUS_OK);
    float x[2] = {0.3f, -1.1f}, ua, ub, ga[2], gb[2];
    EXPECT(tebm_energy_eval(&a, x, 2, &ua, ga), TEBM_STATUS_OK);
    EXPECT(tebm_energy_eval(&b, x, 2, &ub, gb), TEBM_STATUS_OK);
    CHECK(memcmp(&ua, &ub, sizeof ua) == 0 && memcmp(ga, gb, sizeof ga) == 0);
}

/* Trains a 2-16-16-16-1 deep MLP a little through the C trainer (PCD, MALA)
 * on a 2-D mixture, then checks its weights round-trip: saved, peeked,
 * loaded into a new energy and into an existing one, same bits. */
static void t_deep_mlp_train(void) {
    static TebmEnergy e, f;
    static TebmTrainer t;
    static uint8_t w0[8192], w1[8192], w2[8192];
    size_t widths[3] = {16, 16, 16}, np = tebm_deep_mlp_num_params(2, 3, widths);
    if (TEBM_MAX_DEEP_WIDTH < 16 || TEBM_MAX_DIM < 2) return; /* a small build */
    CHECK(np == 2 * 16 + 16 + 2 * (16 * 16 + 16) + 16 + 1);
    uint32_t r = 12345;
    for (size_t k = 0; k < np; k++) {
        r = r * 1664525u + 1013904223u;
        params[k] = 0.25f * ((float)(r >> 8) / 16777216.0f - 0.5f);
    }
    EXPECT(tebm_energy_init_deep_mlp(&e, sizeof e, 2, 3, widths, TEBM_ACTIVATION_TANH, 0.5f, params, np),
           TEBM_STATUS_OK);
    size_t n0 = 0, n1 = 0, n2 = 0;
    EXPECT(tebm_weights_save(&e, w0, sizeof w0, &n0), TEBM_STATUS_OK);
    CHECK(n0 == 8 + 4 * (3 + 3) + 4 + 4 + 4 * np + 4);
    TebmTrainerConfig c;
    EXPECT(tebm_trainer_config_default(&c), TEBM_STATUS_OK);
    c.kernel.kind = TEBM_KERNEL_MALA;
    c.kernel.step_size = 0.05f;
    c.n_walkers = 16;
    c.batch_size = 16;
    c.steps = 2;
    c.learning_rate = 0.01f;
    EXPECT(tebm_trainer_init(&t, sizeof t, &e, &c), TEBM_STATUS_OK);
    float pts[2 * 16];
    int updates = 0, u = 0;
    for (int it = 0; it < 10; it++) {
        for (int k = 0; k < 16; k++) {
            r = r * 1664525u + 1013904223u;
            float s = (r >> 31) ? 1.5f : -1.5f, j = (float)((r >> 8) & 0xFFFF) / 65536.0f - 0.5f;
            pts[2 * k] = s + 0.3f * j;
            pts[2 * k + 1] = s - 0.3f * j;
        }
        EXPECT(tebm_trainer_push_batch(&t, &e, pts, 16, 2, &u), TEBM_STATUS_OK);
        updates += u;
    }
    CHECK(updates == 10);
    EXPECT(tebm_weights_save(&e, w1, sizeof w1, &n1), TEBM_STATUS_OK);
    CHECK(n1 == n0 && memcmp(w0, w1, n0) != 0); /* trained: same layout, new weights */
    TebmWeightsHeader h;
    EXPECT(tebm_weights_peek(w1, n1, &h), TEBM_STATUS_OK);
    CHECK(h.kind == TEBM_ENERGY_KIND_DEEP_MLP && h.dim == 2 && h.layers == 3 && h.hidden == 16 &&
          h.activation == TEBM_ACTIVATION_TANH && h.num_params == np && h.encoded_len == n1 && h.fits == 1);
    EXPECT(tebm_energy_init_from_weights(&f, tebm_energy_size_for(TEBM_ENERGY_KIND_DEEP_MLP), w1, n1),
           TEBM_STATUS_OK);
    EXPECT(tebm_weights_save(&f, w2, sizeof w2, &n2), TEBM_STATUS_OK);
    CHECK(n2 == n1 && memcmp(w1, w2, n1) == 0);
    float x[2] = {0.7f, -0.4f}, ue, uf, ge[2], gf[2];
    EXPECT(tebm_energy_eval(&e, x, 2, &ue, ge), TEBM_STATUS_OK);
    EXPECT(tebm_energy_eval(&f, x, 2, &uf, gf), TEBM_STATUS_OK);
    CHECK(memcmp(&ue, &uf, sizeof ue) == 0 && memcmp(ge, gf, sizeof ge) == 0);
    /* Back to the untrained weights in place, then the trained ones again. */
    EXPECT(tebm_weights_load(&f, w0, n0), TEBM_STATUS_OK);
    EXPECT(tebm_energy_eval(&f, x, 2, &uf, gf), TEBM_STATUS_OK);
    CHECK(memcmp(&ue, &uf, sizeof ue) != 0);
    EXPECT(tebm_weights_load(&f, w1, n1), TEBM_STATUS_OK);
    EXPECT(tebm_energy_eval(&f, x, 2, &uf, gf), TEBM_STATUS_OK);
    CHECK(memcmp(&ue, &uf, sizeof ue) == 0 && memcmp(ge, gf, sizeof ge) == 0);
    /* A damaged layer count is refused. */
    memcpy(w2, w1, n1);
    w2[12] = 9; /* 9 layers > the format's 8 */
    EXPECT(tebm_energy_init_from_weights(&f, sizeof f, w2, n1), TEBM_STATUS_CAPACITY_EXCEEDED);
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
static TebmSamplerConfig cfg(size_t n) { return sampler_config(TEBM_KERNEL_MALA, n, 0.1f); } /* the defaults */

static void t_sampler_init(void) {
    TebmSamplerConfig c = cfg(4);
    EXPECT(tebm_sampler_config_default(NULL), TEBM_STATUS_NULL_POINTER);
    EXPECT(tebm_sampler_config_default(&c), TEBM_STATUS_OK);
    CHECK(c.kernel.kind == TEBM_KERNEL_MALA && c.n_walkers == MIN_(32, TEBM_MAX_WALKERS) && c.beta == 1.0f);
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
    c.kernel.kind = TEBM_KERNEL_COUNT;
    EXPECT_SI(tebm_sampler_init(&st, sl, &e2, &c), TEBM_STATUS_BAD_CONFIG);
    c.kernel.kind = TEBM_KERNEL_HMC;
    c.kernel.leapfrog_steps = 0;
    EXPECT_SI(tebm_sampler_init(&st, sl, &e2, &c), TEBM_STATUS_BAD_CONFIG);
    c.kernel.mass = zeros;
    c.kernel.leapfrog_steps = 3;
    EXPECT_SI(tebm_sampler_init(&st, sl, &e2, &c), TEBM_STATUS_BAD_CONFIG);
    c = cfg(4);
    float bad[] = {0.0f, -1.0f, NAN, INFINITY};
    for (int i = 0; i < 4; i++) {
        c.kernel.step_size = bad[i];
        EXPECT_SI(tebm_sampler_init(&st, sl, &e2, &c), TEBM_STATUS_BAD_CONFIG);
        c.kernel.step_size = 0.1f;
        c.beta = bad[i];
        EXPECT_SI(tebm_sampler_init(&st, sl, &e2, &c), TEBM_STATUS_BAD_CONFIG);
        c.beta = 1.0f;
    }
    c.adapt = 1;
    c.target_accept = 1.0f;
    EXPECT_SI(tebm_sampler_init(&st, sl, &e2, &c), TEBM_STATUS_BAD_CONFIG);
    c.target_accept = 0.0f;
    c.kernel.kind = TEBM_KERNEL_ULA;
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
    /* every kernel, with and without adaptation (not for ULA), and UINT32_MAX */
    for (uint32_t k = 0; k < TEBM_KERNEL_COUNT; k++)
        for (uint32_t adapt = 0; adapt <= 1; adapt++) {
            c = cfg(4);
            c.kernel.kind = k;
            c.adapt = adapt;
            TebmStatus want = adapt && k == TEBM_KERNEL_ULA ? TEBM_STATUS_BAD_CONFIG : TEBM_STATUS_OK;
            EXPECT(tebm_sampler_init(&st, sl, &e2, &c), want);
            if (want == TEBM_STATUS_OK) EXPECT(tebm_sampler_run(&st, &e2, 2, NULL), TEBM_STATUS_OK);
        }
    c = cfg(4);
    c.kernel.kind = UINT32_MAX;
    EXPECT_SI(tebm_sampler_init(&st, sl, &e2, &c), TEBM_STATUS_BAD_CONFIG);
    memset(&st, 0, sizeof st);
    c = cfg(4);
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

/* A reader of `need` floats into `out` (an array longer than need) of the
 * object `obj`, each call checked by RO (which compares the object's bytes):
 * NULL object and output, never-initialised and wrong-type handles; len 0
 * and need − 1 (BUFFER_TOO_SMALL), need and need + 1 (OK), a guard element
 * after need left as it was. */
#define READER_EDGES(RO, fn, obj, nv, wrong, out, need)                                    \
    do {                                                                                   \
        RO(fn(NULL, out, need), TEBM_STATUS_NULL_POINTER);                                 \
        RO(fn(obj, NULL, need), TEBM_STATUS_NULL_POINTER);                                 \
        RO(fn(nv, out, need), TEBM_STATUS_NOT_INITIALISED);                                \
        RO(fn(wrong, out, need), TEBM_STATUS_WRONG_OBJECT);                                \
        RO##_ERR(fn(obj, out, 0), TEBM_STATUS_BUFFER_TOO_SMALL);                           \
        RO##_ERR(fn(obj, out, (need) - 1), TEBM_STATUS_BUFFER_TOO_SMALL);                  \
        for (size_t i_ = 0; i_ < sizeof out / sizeof out[0]; i_++) out[i_] = -7.0f;        \
        RO(fn(obj, out, need), TEBM_STATUS_OK);                                            \
        RO(fn(obj, out, (need) + 1), TEBM_STATUS_OK);                                      \
        CHECK(out[need] == -7.0f && isfinite(out[0]) && out[0] != -7.0f);                  \
    } while (0)
/* A last-error reader into `buf` (an array of TEBM_ERROR_MESSAGE_CAPACITY + 8
 * chars; the object holds an error): handles as above; len 0 (nothing
 * written), 1 (""), capacity, the message's length (truncated) and + 1. */
#define LAST_ERROR_EDGES(RO, fn, obj, nv, wrong, buf)                                      \
    do {                                                                                   \
        RO(fn(NULL, buf, sizeof buf), TEBM_STATUS_NULL_POINTER);                           \
        RO(fn(obj, NULL, sizeof buf), TEBM_STATUS_NULL_POINTER);                           \
        RO(fn(nv, buf, sizeof buf), TEBM_STATUS_NOT_INITIALISED);                          \
        RO(fn(wrong, buf, sizeof buf), TEBM_STATUS_WRONG_OBJECT);                          \
        memset(buf, 'x', sizeof buf);                                                      \
        RO(fn(obj, buf, 0), TEBM_STATUS_BUFFER_TOO_SMALL);                                 \
        CHECK(buf[0] == 'x');                                                              \
        RO(fn(obj, buf, 1), TEBM_STATUS_BUFFER_TOO_SMALL);                                 \
        CHECK(buf[0] == 0 && buf[1] == 'x');                                               \
        RO(fn(obj, buf, TEBM_ERROR_MESSAGE_CAPACITY), TEBM_STATUS_OK);                     \
        CHECK(strlen(buf) > 0 && strlen(buf) < TEBM_ERROR_MESSAGE_CAPACITY);               \
        size_t l_ = strlen(buf);                                                           \
        RO(fn(obj, buf, l_), TEBM_STATUS_BUFFER_TOO_SMALL);                                \
        CHECK(strlen(buf) == l_ - 1);                                                      \
        RO(fn(obj, buf, l_ + 1), TEBM_STATUS_OK);                                          \
    } while (0)

/* Mass, warm-up and NUTS read-backs: s2 (MALA) has no mass; `st` becomes a
 * 2-D NUTS sampler of 4 walkers. Failures keep the state (EXPECT_SI on st,
 * EXPECT_ST on s2); readers of u32 arrays: len 0 and need − 1 refused,
 * need and need + 1 fill exactly need values. */
static void t_mass(void) {
    float m[4] = {2.0f, 0.5f, -7.0f, -7.0f}, out[4];
    uint32_t u[TEBM_TREE_DEPTH_BINS + 2];
    size_t done = 99;
    TebmSamplerConfig c = sampler_config(TEBM_KERNEL_NUTS, 4, 0.3f);
    EXPECT(tebm_sampler_init(&st, sizeof st, &e2, &c), TEBM_STATUS_OK);

    /* set_mass / mass */
    EXPECT(tebm_sampler_set_mass(NULL, m, 2), TEBM_STATUS_NULL_POINTER);
    EXPECT_RO(tebm_sampler_set_mass(&never, m, 2), TEBM_STATUS_NOT_INITIALISED);
    EXPECT_RO(tebm_sampler_set_mass((TebmSampler *)&e2, m, 2), TEBM_STATUS_WRONG_OBJECT);
    EXPECT_ST(tebm_sampler_set_mass(&s2, m, 2), TEBM_STATUS_BAD_CONFIG); /* MALA: no mass */
    EXPECT_ST(tebm_sampler_set_mass(&s2, NULL, 0), TEBM_STATUS_BAD_CONFIG);
    EXPECT_SI(tebm_sampler_set_mass(&st, m, 1), TEBM_STATUS_BAD_DIMENSION);
    EXPECT_SI(tebm_sampler_set_mass(&st, m, 3), TEBM_STATUS_BAD_DIMENSION);
    EXPECT_SI(tebm_sampler_set_mass(&st, m + 1, 2), TEBM_STATUS_BAD_CONFIG); /* -7 */
    EXPECT(tebm_sampler_set_mass(&st, m, 2), TEBM_STATUS_OK);
    EXPECT(tebm_sampler_mass(NULL, out, 2), TEBM_STATUS_NULL_POINTER);
    EXPECT(tebm_sampler_mass(&st, NULL, 2), TEBM_STATUS_NULL_POINTER);
    EXPECT(tebm_sampler_mass(&never, out, 2), TEBM_STATUS_NOT_INITIALISED);
    EXPECT(tebm_sampler_mass((const TebmSampler *)&e2, out, 2), TEBM_STATUS_WRONG_OBJECT);
    EXPECT_SI(tebm_sampler_mass(&st, out, 0), TEBM_STATUS_BUFFER_TOO_SMALL);
    EXPECT_SI(tebm_sampler_mass(&st, out, 1), TEBM_STATUS_BUFFER_TOO_SMALL);
    EXPECT_ST(tebm_sampler_mass(&s2, out, 2), TEBM_STATUS_BAD_CONFIG);
    out[2] = -7.0f;
    EXPECT(tebm_sampler_mass(&st, out, 3), TEBM_STATUS_OK);
    CHECK(out[0] == 2.0f && out[1] == 0.5f && out[2] == -7.0f);
    EXPECT(tebm_sampler_set_mass(&st, NULL, 0), TEBM_STATUS_OK); /* identity */
    EXPECT(tebm_sampler_mass(&st, out, 2), TEBM_STATUS_OK);
    CHECK(out[0] == 1.0f && out[1] == 1.0f);

    /* set_leapfrog_steps: HMC only, >= 1 */
    EXPECT(tebm_sampler_set_leapfrog_steps(NULL, 3), TEBM_STATUS_NULL_POINTER);
    EXPECT_RO(tebm_sampler_set_leapfrog_steps(&never, 3), TEBM_STATUS_NOT_INITIALISED);
    EXPECT_ST(tebm_sampler_set_leapfrog_steps(&s2, 3), TEBM_STATUS_BAD_CONFIG);
    EXPECT_SI(tebm_sampler_set_leapfrog_steps(&st, 3), TEBM_STATUS_BAD_CONFIG); /* NUTS */

    /* warmup: argument checks change nothing */
    EXPECT(tebm_sampler_warmup(NULL, &e2, 30, 2, 0.0f, &done), TEBM_STATUS_NULL_POINTER);
    CHECK(done == 0);
    EXPECT_SI(tebm_sampler_warmup(&st, NULL, 30, 2, 0.0f, NULL), TEBM_STATUS_NULL_POINTER);
    EXPECT_RO(tebm_sampler_warmup(&never, &e2, 30, 2, 0.0f, NULL), TEBM_STATUS_NOT_INITIALISED);
    EXPECT_SI(tebm_sampler_warmup(&st, &e_full, 30, 2, 0.0f, NULL), TEBM_STATUS_BAD_DIMENSION);
    EXPECT_SI(tebm_sampler_warmup(&st, &e2, 0, 2, 0.0f, NULL), TEBM_STATUS_BAD_CONFIG);
    EXPECT_SI(tebm_sampler_warmup(&st, &e2, 30, 3, 0.0f, NULL), TEBM_STATUS_BAD_CONFIG);
    EXPECT_SI(tebm_sampler_warmup(&st, &e2, 30, 2, 1.0f, NULL), TEBM_STATUS_BAD_CONFIG);
    EXPECT_SI(tebm_sampler_warmup(&st, &e2, 30, 2, -0.5f, NULL), TEBM_STATUS_BAD_CONFIG);
    EXPECT_ST(tebm_sampler_warmup(&s2, &e2, 30, TEBM_MASS_ADAPTATION_STAN, 0.0f, NULL), TEBM_STATUS_BAD_CONFIG);
    {
        char m_[TEBM_ERROR_MESSAGE_CAPACITY];
        EXPECT(tebm_sampler_last_error(&s2, m_, sizeof m_), TEBM_STATUS_OK);
        CHECK(strstr(m_, "tebm_sampler_warmup") != NULL && strstr(m_, "mass") != NULL);
    }
    EXPECT(tebm_sampler_warmup(&st, &e2, 40, TEBM_MASS_ADAPTATION_DEFAULT, 0.0f, &done), TEBM_STATUS_OK);
    CHECK(done == 40);
    TebmSamplerStats stats;
    EXPECT(tebm_sampler_stats(&st, &stats), TEBM_STATUS_OK);
    CHECK(stats.adapting == 0 && stats.draws == 0);
    EXPECT(tebm_sampler_mass(&st, out, 2), TEBM_STATUS_OK);
    CHECK(out[0] > 0.0f && out[0] != 1.0f && out[1] > 0.0f);
    EXPECT(tebm_sampler_run(&st, &e2, 5, NULL), TEBM_STATUS_OK);

    /* divergences (need walkers), tree_depths (need TEBM_TREE_DEPTH_BINS) */
    EXPECT(tebm_sampler_divergences(NULL, u, 4), TEBM_STATUS_NULL_POINTER);
    EXPECT(tebm_sampler_divergences(&st, NULL, 4), TEBM_STATUS_NULL_POINTER);
    EXPECT(tebm_sampler_divergences(&never, u, 4), TEBM_STATUS_NOT_INITIALISED);
    EXPECT(tebm_sampler_divergences((const TebmSampler *)&e2, u, 4), TEBM_STATUS_WRONG_OBJECT);
    EXPECT_SI(tebm_sampler_divergences(&st, u, 0), TEBM_STATUS_BUFFER_TOO_SMALL);
    EXPECT_SI(tebm_sampler_divergences(&st, u, 3), TEBM_STATUS_BUFFER_TOO_SMALL);
    u[4] = 77;
    EXPECT(tebm_sampler_divergences(&st, u, 5), TEBM_STATUS_OK);
    CHECK(u[4] == 77 && u[0] <= 5);
    EXPECT(tebm_sampler_tree_depths(NULL, u, TEBM_TREE_DEPTH_BINS), TEBM_STATUS_NULL_POINTER);
    EXPECT(tebm_sampler_tree_depths(&st, NULL, TEBM_TREE_DEPTH_BINS), TEBM_STATUS_NULL_POINTER);
    EXPECT(tebm_sampler_tree_depths(&never, u, TEBM_TREE_DEPTH_BINS), TEBM_STATUS_NOT_INITIALISED);
    EXPECT_SI(tebm_sampler_tree_depths(&st, u, 0), TEBM_STATUS_BUFFER_TOO_SMALL);
    EXPECT_SI(tebm_sampler_tree_depths(&st, u, TEBM_TREE_DEPTH_BINS - 1), TEBM_STATUS_BUFFER_TOO_SMALL);
    u[TEBM_TREE_DEPTH_BINS] = 77;
    EXPECT(tebm_sampler_tree_depths(&st, u, TEBM_TREE_DEPTH_BINS + 1), TEBM_STATUS_OK);
    uint32_t total = 0;
    for (int k = 0; k < TEBM_TREE_DEPTH_BINS; k++) total += u[k];
    CHECK(total == 5 * 4 && u[TEBM_TREE_DEPTH_BINS] == 77 && u[0] == 0);
    EXPECT(tebm_sampler_tree_depths(&s2, u, TEBM_TREE_DEPTH_BINS), TEBM_STATUS_OK);
    for (int k = 0; k < TEBM_TREE_DEPTH_BINS; k++) CHECK(u[k] == 0); /* MALA */
}

/* Output buffers: len 0, need − 1, need, need + 1; guard elements after. */
static void t_readers(void) {
    enum { N = 4, D = 2 };
    float out[N * D + 8];
    double dout[D + 4];
    uint8_t acc[N + 4];
    TebmSamplerStats stats;
    char buf[TEBM_ERROR_MESSAGE_CAPACITY + 8];

    READER_EDGES(EXPECT_RO, tebm_sampler_positions, &s2, &never, (const TebmSampler *)&e2, out, N * D);
    READER_EDGES(EXPECT_RO, tebm_sampler_energies, &s2, &never, (const TebmSampler *)&e2, out, N);

    /* last_accepted: need N (accept_prob optional) */
    EXPECT_RO(tebm_sampler_last_accepted(NULL, acc, out, N), TEBM_STATUS_NULL_POINTER);
    EXPECT_RO(tebm_sampler_last_accepted(&s2, NULL, out, N), TEBM_STATUS_NULL_POINTER);
    EXPECT_RO(tebm_sampler_last_accepted(&never, acc, out, N), TEBM_STATUS_NOT_INITIALISED);
    EXPECT_RO_ERR(tebm_sampler_last_accepted(&s2, acc, out, 0), TEBM_STATUS_BUFFER_TOO_SMALL);
    EXPECT_RO_ERR(tebm_sampler_last_accepted(&s2, acc, out, N - 1), TEBM_STATUS_BUFFER_TOO_SMALL);
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
    EXPECT_RO_ERR(tebm_sampler_diagnostic(&s2, TEBM_DIAGNOSTIC_TAU + 1, dout, D), TEBM_STATUS_BAD_CONFIG);
    EXPECT_RO_ERR(tebm_sampler_diagnostic(&s2, UINT32_MAX, dout, D), TEBM_STATUS_BAD_CONFIG);
    EXPECT_RO_ERR(tebm_sampler_diagnostic(&s2, 0, dout, 0), TEBM_STATUS_BUFFER_TOO_SMALL);
    EXPECT_RO_ERR(tebm_sampler_diagnostic(&s2, 0, dout, D - 1), TEBM_STATUS_BUFFER_TOO_SMALL);
    for (int i = 0; i < D + 4; i++) dout[i] = -7.0;
    for (uint32_t w = 0; w <= TEBM_DIAGNOSTIC_TAU; w++)
        EXPECT_RO(tebm_sampler_diagnostic(&s2, w, dout, D + 1), TEBM_STATUS_OK);
    CHECK(dout[D] == -7.0);

    /* last_error: len 0 (nothing written), 1 (""), capacity */
    EXPECT_ST(tebm_sampler_set_beta(&s2, -1.0f), TEBM_STATUS_BAD_CONFIG); /* records an error */
    LAST_ERROR_EDGES(EXPECT_RO, tebm_sampler_last_error, &s2, &never, (const TebmSampler *)&e2, buf);
}

/* ==== second round: trainer, weights, tempering ====
 * Trainers and tempering objects: every byte unchanged for calls that
 * cannot record an error (NULL arguments, bad handles, read-only calls) and
 * for failing inits (nothing written); every byte after the header
 * otherwise. Energies given to training calls: every byte. */
static TebmEnergy eg, ecb, epoly;     /* 2-D Gaussian (trained), 2-D callback, 1-D polynomial */
static TebmTrainer tr, trt, tr_copy;  /* tr: PCD on eg, 4 walkers, batches of 4; trt: init target */
static TebmTempering xt, xti, xt_copy; /* xt: 3 replicas x 4 walkers on e2; xti: init target */
static union {
    TebmTrainer t;
    TebmTempering x;
    unsigned char b[sizeof(TebmTrainer) + 16];
} rawt; /* misaligned and exactly-sized trainer/tempering memory */

/* A call that must not write any byte of tr or eg. */
#define EXPECT_TRO(call, want)                                                             \
    do {                                                                                   \
        memcpy(&tr_copy, &tr, sizeof tr);                                                  \
        memcpy(&e_copy, &eg, sizeof eg);                                                   \
        EXPECT(call, want);                                                                \
        CHECK(same(&tr, &tr_copy, sizeof tr));                                             \
        CHECK(same(&eg, &e_copy, sizeof eg));                                              \
    } while (0)
/* A failing call on tr that may record an error: state and eg unchanged. */
#define EXPECT_TST(call, want)                                                             \
    do {                                                                                   \
        memcpy(&tr_copy, &tr, sizeof tr);                                                  \
        memcpy(&e_copy, &eg, sizeof eg);                                                   \
        EXPECT(call, want);                                                                \
        CHECK(state_same(&tr, &tr_copy));                                               \
        CHECK(same(&eg, &e_copy, sizeof eg));                                              \
    } while (0)
/* A failing trainer init on trt: nothing written. */
#define EXPECT_TI(call, want) EXPECT_KEEPS(call, want, &trt, &tr_copy, same)
/* A failing read-back on tr: records its error, nothing else changes. */
#define EXPECT_TRO_ERR(call, want)                                                         \
    do {                                                                                   \
        EXPECT(tebm_trainer_set_learning_rate(&tr, -1.0f), TEBM_STATUS_BAD_CONFIG);        \
        EXPECT_TST(call, want);                                                            \
        ERR_REPLACED(tebm_trainer_last_error, &tr, "tebm_trainer_set_learning_rate");      \
    } while (0)
/* The same on xt (sentinel: a run on an energy of another dimension). */
#define EXPECT_XRO_ERR(call, want)                                                         \
    do {                                                                                   \
        EXPECT(tebm_tempering_run(&xt, &e_full, 1, NULL), TEBM_STATUS_BAD_DIMENSION);      \
        EXPECT_XST(call, want);                                                            \
        ERR_REPLACED(tebm_tempering_last_error, &xt, "tebm_tempering_run");                \
    } while (0)
#define EXPECT_XRO(call, want) EXPECT_KEEPS(call, want, &xt, &xt_copy, same)
#define EXPECT_XST(call, want) EXPECT_KEEPS(call, want, &xt, &xt_copy, state_bytes_same)
#define EXPECT_XI(call, want) EXPECT_KEEPS(call, want, &xti, &xt_copy, same)

static TebmTrainerConfig tcfg(size_t n) {
    TebmTrainerConfig c = trainer_config(TEBM_KERNEL_MALA, n, 0.1f);
    c.batch_size = 4;
    c.learning_rate = 0.01f;
    return c;
}

static void t_trainer_init(void) {
    TebmTrainerConfig c;
    size_t tl = sizeof trt;
    CHECK(tebm_trainer_size() > 0 && tebm_trainer_size() <= TEBM_TRAINER_SIZE);
    CHECK(tebm_trainer_align() > 0 && tebm_trainer_align() <= TEBM_OBJECT_ALIGN);
    EXPECT(tebm_trainer_config_default(NULL), TEBM_STATUS_NULL_POINTER);
    EXPECT(tebm_trainer_config_default(&c), TEBM_STATUS_OK);
    CHECK(c.kernel.kind == TEBM_KERNEL_ULA && c.n_walkers == MIN_(16, TEBM_MAX_TRAIN_WALKERS) && c.mode == TEBM_TRAIN_MODE_PCD &&
          c.optimizer == TEBM_OPTIMIZER_ADAM && c.batch_size == 16 && c.steps == 1);
    EXPECT(tebm_energy_init_gaussian_diag(&eg, sizeof eg, 2, zeros, ones), TEBM_STATUS_OK);
    EXPECT(tebm_energy_init_callback(&ecb, sizeof ecb, 2, cb, NULL), TEBM_STATUS_OK);
    EXPECT(tebm_energy_init_double_well(&epoly, sizeof epoly, 1.0f), TEBM_STATUS_OK);
    c = tcfg(4);

    /* fresh memory: pointers, memory, handles */
    EXPECT(tebm_trainer_init(NULL, tl, &eg, &c), TEBM_STATUS_NULL_POINTER);
    EXPECT_TI(tebm_trainer_init(&trt, tl, NULL, &c), TEBM_STATUS_NULL_POINTER);
    EXPECT_TI(tebm_trainer_init(&trt, tl, &eg, NULL), TEBM_STATUS_NULL_POINTER);
    EXPECT_TI(tebm_trainer_init(&trt, 0, &eg, &c), TEBM_STATUS_BUFFER_TOO_SMALL);
    EXPECT_TI(tebm_trainer_init(&trt, tebm_trainer_size() - 1, &eg, &c), TEBM_STATUS_BUFFER_TOO_SMALL);
    memcpy(&tr_copy, &rawt, sizeof tr_copy);
    EXPECT(tebm_trainer_init(rawt.b + 1, tebm_trainer_size(), &eg, &c), TEBM_STATUS_MISALIGNED);
    CHECK(same(&rawt, &tr_copy, sizeof tr_copy));
    EXPECT_TI(tebm_trainer_init(&trt, tl, (const TebmEnergy *)&never, &c), TEBM_STATUS_NOT_INITIALISED);
    EXPECT_TI(tebm_trainer_init(&trt, tl, (const TebmEnergy *)&s2, &c), TEBM_STATUS_WRONG_OBJECT);
    EXPECT_TI(tebm_trainer_init(&trt, tl, &ecb, &c), TEBM_STATUS_BAD_CONFIG); /* not trainable */
    /* walkers, batch size, steps: 0, capacity, capacity + 1 */
    c.n_walkers = 0;
    EXPECT_TI(tebm_trainer_init(&trt, tl, &eg, &c), TEBM_STATUS_BAD_DIMENSION);
    c.n_walkers = TEBM_MAX_TRAIN_WALKERS + 1;
    EXPECT_TI(tebm_trainer_init(&trt, tl, &eg, &c), TEBM_STATUS_CAPACITY_EXCEEDED);
    c.n_walkers = SIZE_MAX;
    EXPECT_TI(tebm_trainer_init(&trt, tl, &eg, &c), TEBM_STATUS_CAPACITY_EXCEEDED);
    c = tcfg(4);
    c.batch_size = 0;
    EXPECT_TI(tebm_trainer_init(&trt, tl, &eg, &c), TEBM_STATUS_BAD_DIMENSION);
    c = tcfg(4);
    c.steps = 0;
    EXPECT_TI(tebm_trainer_init(&trt, tl, &eg, &c), TEBM_STATUS_BAD_DIMENSION);
    /* enumerations: last valid + 1, UINT32_MAX */
    uint32_t *enums[4];
    uint32_t firstbad[4] = {TEBM_KERNEL_COUNT, TEBM_TRAIN_MODE_JARZYNSKI + 1, TEBM_REINIT_GAUSSIAN + 1,
                            TEBM_OPTIMIZER_ADAM + 1};
    for (int i = 0; i < 4; i++) {
        c = tcfg(4);
        enums[0] = &c.kernel.kind;
        enums[1] = &c.mode;
        enums[2] = &c.reinit;
        enums[3] = &c.optimizer;
        *enums[i] = firstbad[i];
        EXPECT_TI(tebm_trainer_init(&trt, tl, &eg, &c), TEBM_STATUS_BAD_CONFIG);
        *enums[i] = UINT32_MAX;
        EXPECT_TI(tebm_trainer_init(&trt, tl, &eg, &c), TEBM_STATUS_BAD_CONFIG);
    }
    /* float values */
    float bad[] = {0.0f, -1.0f, NAN, INFINITY};
    for (int i = 0; i < 4; i++) {
        c = tcfg(4);
        c.kernel.step_size = bad[i];
        EXPECT_TI(tebm_trainer_init(&trt, tl, &eg, &c), TEBM_STATUS_BAD_CONFIG);
        c = tcfg(4);
        c.beta = bad[i];
        EXPECT_TI(tebm_trainer_init(&trt, tl, &eg, &c), TEBM_STATUS_BAD_CONFIG);
        c = tcfg(4);
        c.adam_eps = bad[i];
        EXPECT_TI(tebm_trainer_init(&trt, tl, &eg, &c), TEBM_STATUS_BAD_CONFIG);
        if (i == 0) continue; /* 0 is fine below */
        c = tcfg(4);
        c.learning_rate = bad[i];
        EXPECT_TI(tebm_trainer_init(&trt, tl, &eg, &c), TEBM_STATUS_BAD_CONFIG);
        c = tcfg(4);
        c.weight_decay = bad[i];
        EXPECT_TI(tebm_trainer_init(&trt, tl, &eg, &c), TEBM_STATUS_BAD_CONFIG);
        c = tcfg(4);
        c.init_sd = i == 3 ? -INFINITY : bad[i];
        EXPECT_TI(tebm_trainer_init(&trt, tl, &eg, &c), TEBM_STATUS_BAD_CONFIG);
    }
    /* [0, 1) ranges: 1 and -ε refused */
    float bad01[] = {1.0f, -0.01f, NAN};
    for (int i = 0; i < 3; i++) {
        c = tcfg(4);
        c.adam_beta1 = bad01[i];
        EXPECT_TI(tebm_trainer_init(&trt, tl, &eg, &c), TEBM_STATUS_BAD_CONFIG);
        c = tcfg(4);
        c.adam_beta2 = bad01[i];
        EXPECT_TI(tebm_trainer_init(&trt, tl, &eg, &c), TEBM_STATUS_BAD_CONFIG);
        c = tcfg(4);
        c.optimizer = TEBM_OPTIMIZER_SGD;
        c.momentum = bad01[i];
        EXPECT_TI(tebm_trainer_init(&trt, tl, &eg, &c), TEBM_STATUS_BAD_CONFIG);
    }
    c = tcfg(4);
    c.kernel.kind = TEBM_KERNEL_HMC;
    c.kernel.leapfrog_steps = 0;
    EXPECT_TI(tebm_trainer_init(&trt, tl, &eg, &c), TEBM_STATUS_BAD_CONFIG);
    c.kernel.leapfrog_steps = 3;
    c.kernel.mass = zeros;
    EXPECT_TI(tebm_trainer_init(&trt, tl, &eg, &c), TEBM_STATUS_BAD_CONFIG);
    c = tcfg(4);
    c.mode = TEBM_TRAIN_MODE_JARZYNSKI; /* needs ULA */
    EXPECT_TI(tebm_trainer_init(&trt, tl, &eg, &c), TEBM_STATUS_BAD_CONFIG);
    /* non-finite initial positions: refused, nothing written */
    float pos[4 * 2] = {0, 0, 1, 1, NAN, 0, 2, 2};
    c = tcfg(4);
    c.init_positions = pos;
    EXPECT_TI(tebm_trainer_init(&trt, tl, &eg, &c), TEBM_STATUS_NON_FINITE);
    pos[4] = 3.0f;
    TebmTrainerMetrics m;
    EXPECT(tebm_trainer_metrics(&trt, &m), TEBM_STATUS_NOT_INITIALISED); /* still fresh */
    /* every kernel x mode x optimiser that is allowed */
    for (uint32_t k = 0; k < TEBM_KERNEL_COUNT; k++)
        for (uint32_t md = 0; md <= TEBM_TRAIN_MODE_JARZYNSKI; md++)
            for (uint32_t o = 0; o <= TEBM_OPTIMIZER_ADAM; o++) {
                c = tcfg(4);
                c.kernel.kind = k;
                c.mode = md;
                c.optimizer = o;
                c.reinit = md == TEBM_TRAIN_MODE_PCD ? (k + o) % 3 : TEBM_REINIT_NEVER;
                TebmStatus want = md == TEBM_TRAIN_MODE_JARZYNSKI && k != TEBM_KERNEL_ULA
                                      ? TEBM_STATUS_BAD_CONFIG : TEBM_STATUS_OK;
                EXPECT(tebm_trainer_init(&trt, tl, &eg, &c), want);
            }
    /* capacity: 32 walkers in 16-D, exactly tebm_trainer_size() bytes */
    memset(rawt.b, 0, sizeof rawt.b);
    c = tcfg(TEBM_MAX_TRAIN_WALKERS);
    EXPECT(tebm_trainer_init(rawt.b, tebm_trainer_size(), &e_full, &c), TEBM_STATUS_OK);
    EXPECT(tebm_trainer_metrics((const TebmTrainer *)rawt.b, &m), TEBM_STATUS_OK);
    CHECK(m.n_walkers == TEBM_MAX_TRAIN_WALKERS && m.dim == TEBM_MAX_DIM && m.updates == 0);
    memset(rawt.b, 0, sizeof rawt.b);
    /* one walker at given positions; then re-initialising a live trainer:
     * failures leave every byte */
    c = tcfg(1);
    c.init_positions = pos;
    EXPECT(tebm_trainer_init(&trt, tl, &eg, &c), TEBM_STATUS_OK);
    c = tcfg(TEBM_MAX_TRAIN_WALKERS + 1);
    EXPECT_TI(tebm_trainer_init(&trt, tl, &eg, &c), TEBM_STATUS_CAPACITY_EXCEEDED);
    c = tcfg(4);
    c.init_positions = pos;
    pos[1] = INFINITY;
    EXPECT_TI(tebm_trainer_init(&trt, tl, &eg, &c), TEBM_STATUS_NON_FINITE);
    pos[1] = 0.0f;
    EXPECT_TI(tebm_trainer_init(&trt, tl, &ecb, &c), TEBM_STATUS_BAD_CONFIG);
    EXPECT(tebm_trainer_metrics(&trt, &m), TEBM_STATUS_OK);
    CHECK(m.n_walkers == 1);
    /* the trainer used below */
    c = tcfg(4);
    EXPECT(tebm_trainer_init(&tr, sizeof tr, &eg, &c), TEBM_STATUS_OK);
}

static void t_trainer_train(void) {
    float x[8 * 2 + 1];
    for (int i = 0; i < 8 * 2 + 1; i++) x[i] = 0.25f * (float)(i % 5) - 0.5f;
    float xn[2] = {0.5f, NAN};
    int upd = -9;
    TebmTrainerMetrics m;
    TebmTrainer *nv = (TebmTrainer *)&never, *wrong = (TebmTrainer *)&s2;

    /* push: pointers, handles, dim 0 / 1 / capacity / capacity + 1 */
    EXPECT_TRO(tebm_trainer_push(NULL, &eg, x, 2, &upd), TEBM_STATUS_NULL_POINTER);
    EXPECT_TRO(tebm_trainer_push(&tr, NULL, x, 2, &upd), TEBM_STATUS_NULL_POINTER);
    EXPECT_TRO(tebm_trainer_push(&tr, &eg, NULL, 2, &upd), TEBM_STATUS_NULL_POINTER);
    EXPECT_TRO(tebm_trainer_push(nv, &eg, x, 2, &upd), TEBM_STATUS_NOT_INITIALISED);
    EXPECT_TRO(tebm_trainer_push(wrong, &eg, x, 2, &upd), TEBM_STATUS_WRONG_OBJECT);
    EXPECT_TRO(tebm_trainer_push(&tr, (TebmEnergy *)&never, x, 2, &upd), TEBM_STATUS_NOT_INITIALISED);
    EXPECT_TRO(tebm_trainer_push(&tr, (TebmEnergy *)&tr, x, 2, &upd), TEBM_STATUS_WRONG_OBJECT);
    EXPECT_TRO(tebm_trainer_push(&tr, &ecb, x, 2, &upd), TEBM_STATUS_BAD_CONFIG);
    CHECK(upd == -9);
    EXPECT_TST(tebm_trainer_push(&tr, &eg, x, 0, &upd), TEBM_STATUS_BAD_DIMENSION);
    EXPECT_TST(tebm_trainer_push(&tr, &eg, x, 1, &upd), TEBM_STATUS_BAD_DIMENSION);
    EXPECT_TST(tebm_trainer_push(&tr, &eg, x, 3, &upd), TEBM_STATUS_BAD_DIMENSION);
    EXPECT_TST(tebm_trainer_push(&tr, &eg, x, TEBM_MAX_DIM, &upd), TEBM_STATUS_BAD_DIMENSION);
    EXPECT_TST(tebm_trainer_push(&tr, &eg, x, TEBM_MAX_DIM + 1, &upd), TEBM_STATUS_CAPACITY_EXCEEDED);
    EXPECT_TST(tebm_trainer_push(&tr, &eg, x, SIZE_MAX, &upd), TEBM_STATUS_CAPACITY_EXCEEDED);
    /* another energy: other dimension, other kind; a non-finite point */
    EXPECT_TST(tebm_trainer_push(&tr, &e_full, x, 2, &upd), TEBM_STATUS_BAD_DIMENSION);
    EXPECT_TST(tebm_trainer_push(&tr, &epoly, x, 2, &upd), TEBM_STATUS_BAD_CONFIG);
    EXPECT_TST(tebm_trainer_push(&tr, &eg, xn, 2, &upd), TEBM_STATUS_NON_FINITE);
    CHECK(upd == -9);
    /* batch of 4: three pushes collect, the fourth updates */
    for (int i = 0; i < 3; i++) {
        EXPECT(tebm_trainer_push(&tr, &eg, x + 2 * i, 2, &upd), TEBM_STATUS_OK);
        CHECK(upd == 0);
    }
    EXPECT(tebm_trainer_push(&tr, &eg, x + 6, 2, NULL), TEBM_STATUS_OK);
    EXPECT(tebm_trainer_metrics(&tr, &m), TEBM_STATUS_OK);
    CHECK(m.updates == 1 && m.batch_len == 0);

    /* push_batch: n 0 / 1 / batch / 2 batches; n x dim overflowing */
    EXPECT_TRO(tebm_trainer_push_batch(NULL, &eg, x, 1, 2, &upd), TEBM_STATUS_NULL_POINTER);
    EXPECT_TRO(tebm_trainer_push_batch(&tr, NULL, x, 1, 2, &upd), TEBM_STATUS_NULL_POINTER);
    EXPECT_TRO(tebm_trainer_push_batch(&tr, &eg, NULL, 1, 2, &upd), TEBM_STATUS_NULL_POINTER);
    EXPECT_TRO(tebm_trainer_push_batch(nv, &eg, x, 1, 2, &upd), TEBM_STATUS_NOT_INITIALISED);
    EXPECT_TRO(tebm_trainer_push_batch(wrong, &eg, x, 1, 2, &upd), TEBM_STATUS_WRONG_OBJECT);
    EXPECT_TRO(tebm_trainer_push_batch(&tr, &ecb, x, 1, 2, &upd), TEBM_STATUS_BAD_CONFIG);
    EXPECT_TST(tebm_trainer_push_batch(&tr, &eg, x, 0, 2, &upd), TEBM_STATUS_BAD_DIMENSION);
    EXPECT_TST(tebm_trainer_push_batch(&tr, &eg, x, 1, 0, &upd), TEBM_STATUS_BAD_DIMENSION);
    EXPECT_TST(tebm_trainer_push_batch(&tr, &eg, x, 1, TEBM_MAX_DIM + 1, &upd), TEBM_STATUS_CAPACITY_EXCEEDED);
    EXPECT_TST(tebm_trainer_push_batch(&tr, &eg, x, SIZE_MAX, 2, &upd), TEBM_STATUS_CAPACITY_EXCEEDED);
    EXPECT_TST(tebm_trainer_push_batch(&tr, &e_full, x, 1, 2, &upd), TEBM_STATUS_BAD_DIMENSION);
    float xb[8 * 2];
    memcpy(xb, x, sizeof xb);
    xb[15] = INFINITY; /* the last point: all are checked before any is pushed */
    upd = -9;
    EXPECT_TST(tebm_trainer_push_batch(&tr, &eg, xb, 8, 2, &upd), TEBM_STATUS_NON_FINITE);
    CHECK(upd == -9);
    EXPECT(tebm_trainer_push_batch(&tr, &eg, x, 1, 2, &upd), TEBM_STATUS_OK);
    CHECK(upd == 0);
    EXPECT(tebm_trainer_push_batch(&tr, &eg, x, 3, 2, &upd), TEBM_STATUS_OK);
    CHECK(upd == 1);
    EXPECT(tebm_trainer_push_batch(&tr, &eg, x, 8, 2, &upd), TEBM_STATUS_OK);
    CHECK(upd == 2);
    EXPECT(tebm_trainer_metrics(&tr, &m), TEBM_STATUS_OK);
    CHECK(m.updates == 4 && m.batch_len == 0);

    /* update: empty batch, then one point */
    EXPECT_TRO(tebm_trainer_update(NULL, &eg), TEBM_STATUS_NULL_POINTER);
    EXPECT_TRO(tebm_trainer_update(&tr, NULL), TEBM_STATUS_NULL_POINTER);
    EXPECT_TRO(tebm_trainer_update(nv, &eg), TEBM_STATUS_NOT_INITIALISED);
    EXPECT_TRO(tebm_trainer_update(wrong, &eg), TEBM_STATUS_WRONG_OBJECT);
    EXPECT_TRO(tebm_trainer_update(&tr, (TebmEnergy *)&never), TEBM_STATUS_NOT_INITIALISED);
    EXPECT_TRO(tebm_trainer_update(&tr, &ecb), TEBM_STATUS_BAD_CONFIG);
    EXPECT_TST(tebm_trainer_update(&tr, &eg), TEBM_STATUS_BAD_DIMENSION);
    EXPECT(tebm_trainer_push(&tr, &eg, x, 2, &upd), TEBM_STATUS_OK);
    EXPECT_TST(tebm_trainer_update(&tr, &epoly), TEBM_STATUS_BAD_CONFIG);
    EXPECT_TST(tebm_trainer_update(&tr, &e_full), TEBM_STATUS_BAD_DIMENSION);
    EXPECT(tebm_trainer_update(&tr, &eg), TEBM_STATUS_OK);
    EXPECT(tebm_trainer_metrics(&tr, &m), TEBM_STATUS_OK);
    CHECK(m.updates == 5 && m.batch_len == 0);

    /* invalidate: drops the batch */
    EXPECT(tebm_trainer_invalidate(NULL), TEBM_STATUS_NULL_POINTER);
    EXPECT_TRO(tebm_trainer_invalidate(nv), TEBM_STATUS_NOT_INITIALISED);
    EXPECT_TRO(tebm_trainer_invalidate(wrong), TEBM_STATUS_WRONG_OBJECT);
    EXPECT(tebm_trainer_push(&tr, &eg, x, 2, &upd), TEBM_STATUS_OK);
    EXPECT(tebm_trainer_invalidate(&tr), TEBM_STATUS_OK);
    EXPECT(tebm_trainer_metrics(&tr, &m), TEBM_STATUS_OK);
    CHECK(m.batch_len == 0);
    EXPECT(tebm_trainer_push_batch(&tr, &eg, x, 4, 2, &upd), TEBM_STATUS_OK);
    CHECK(upd == 1);

    /* set_learning_rate: 0 allowed (freezes θ), negative / non-finite not */
    float badlr[] = {-0.0001f, -1.0f, NAN, INFINITY, -INFINITY};
    EXPECT(tebm_trainer_set_learning_rate(NULL, 0.1f), TEBM_STATUS_NULL_POINTER);
    EXPECT_TRO(tebm_trainer_set_learning_rate(nv, 0.1f), TEBM_STATUS_NOT_INITIALISED);
    EXPECT_TRO(tebm_trainer_set_learning_rate(wrong, 0.1f), TEBM_STATUS_WRONG_OBJECT);
    for (int i = 0; i < 5; i++) EXPECT_TST(tebm_trainer_set_learning_rate(&tr, badlr[i]), TEBM_STATUS_BAD_CONFIG);
    EXPECT(tebm_trainer_set_learning_rate(&tr, 0.0f), TEBM_STATUS_OK);
    memcpy(&e_copy, &eg, sizeof eg);
    EXPECT(tebm_trainer_push_batch(&tr, &eg, x, 4, 2, &upd), TEBM_STATUS_OK);
    CHECK(upd == 1);
    EXPECT(tebm_trainer_metrics(&tr, &m), TEBM_STATUS_OK);
    CHECK(m.learning_rate == 0.0f);
    EXPECT(tebm_trainer_set_learning_rate(&tr, 0.02f), TEBM_STATUS_OK);
    EXPECT(tebm_trainer_metrics(&tr, &m), TEBM_STATUS_OK);
    CHECK(m.learning_rate == 0.02f);
}

static void t_trainer_readers(void) {
    enum { N = 4, D = 2 };
    float out[N * D + 8];
    TebmTrainerMetrics m;
    char buf[TEBM_ERROR_MESSAGE_CAPACITY + 8];
    const TebmTrainer *nv = (const TebmTrainer *)&never, *wrong = (const TebmTrainer *)&s2;

    EXPECT_TRO(tebm_trainer_metrics(NULL, &m), TEBM_STATUS_NULL_POINTER);
    EXPECT_TRO(tebm_trainer_metrics(&tr, NULL), TEBM_STATUS_NULL_POINTER);
    EXPECT_TRO(tebm_trainer_metrics(nv, &m), TEBM_STATUS_NOT_INITIALISED);
    EXPECT_TRO(tebm_trainer_metrics(wrong, &m), TEBM_STATUS_WRONG_OBJECT);
    EXPECT_TRO(tebm_trainer_metrics((const TebmTrainer *)&e2, &m), TEBM_STATUS_WRONG_OBJECT);
    EXPECT_TRO(tebm_trainer_metrics(&tr, &m), TEBM_STATUS_OK);
    CHECK(m.n_walkers == N && m.dim == D && m.num_params == 4 && isfinite(m.data_energy));

    READER_EDGES(EXPECT_TRO, tebm_trainer_positions, &tr, nv, wrong, out, N * D);
    READER_EDGES(EXPECT_TRO, tebm_trainer_energies, &tr, nv, wrong, out, N);

    /* last_error: len 0 (nothing written), 1 (""), capacity */
    EXPECT_TST(tebm_trainer_set_learning_rate(&tr, -1.0f), TEBM_STATUS_BAD_CONFIG); /* records one */
    LAST_ERROR_EDGES(EXPECT_TRO, tebm_trainer_last_error, &tr, nv, wrong, buf);
    /* a fresh trainer has no error: "" */
    EXPECT(tebm_trainer_last_error(&trt, buf, sizeof buf), TEBM_STATUS_OK);
    CHECK(buf[0] == 0);
}

/* ---- weights ---- */
static uint8_t wf[512 + 8], wf2[512 + 8];
#define EXPECT_W(call, want) EXPECT_KEEPS(call, want, &eg, &e_copy, same)

static void t_weights(void) {
    size_t n = 0, w = 12345;
    const TebmEnergy *nv = (const TebmEnergy *)&never, *wrong = (const TebmEnergy *)&s2;
    /* size */
    EXPECT_W(tebm_weights_size(NULL, &n), TEBM_STATUS_NULL_POINTER);
    EXPECT_W(tebm_weights_size(&eg, NULL), TEBM_STATUS_NULL_POINTER);
    EXPECT_W(tebm_weights_size(nv, &n), TEBM_STATUS_NOT_INITIALISED);
    EXPECT_W(tebm_weights_size(wrong, &n), TEBM_STATUS_WRONG_OBJECT);
    EXPECT_W(tebm_weights_size(&ecb, &n), TEBM_STATUS_BAD_CONFIG);
    CHECK(n == 0);
    EXPECT_W(tebm_weights_size(&eg, &n), TEBM_STATUS_OK);
    CHECK(n > 20 && n + 1 <= sizeof wf);
    size_t nfull = 0;
    EXPECT(tebm_weights_size(&e_full, &nfull), TEBM_STATUS_OK);

    /* save: len 0, n − 1 (nothing written), n, n + 1 (guard) */
    memset(wf, 0xA5, sizeof wf);
    EXPECT_W(tebm_weights_save(NULL, wf, n, &w), TEBM_STATUS_NULL_POINTER);
    EXPECT_W(tebm_weights_save(&eg, NULL, n, &w), TEBM_STATUS_NULL_POINTER);
    EXPECT_W(tebm_weights_save(nv, wf, n, &w), TEBM_STATUS_NOT_INITIALISED);
    EXPECT_W(tebm_weights_save(wrong, wf, n, &w), TEBM_STATUS_WRONG_OBJECT);
    EXPECT_W(tebm_weights_save(&ecb, wf, n, &w), TEBM_STATUS_BAD_CONFIG);
    EXPECT_W(tebm_weights_save(&eg, wf, 0, &w), TEBM_STATUS_BUFFER_TOO_SMALL);
    EXPECT_W(tebm_weights_save(&eg, wf, n - 1, &w), TEBM_STATUS_BUFFER_TOO_SMALL);
    CHECK(w == 12345 && wf[0] == 0xA5 && wf[n - 2] == 0xA5);
    EXPECT_W(tebm_weights_save(&eg, wf, n, NULL), TEBM_STATUS_OK);
    EXPECT_W(tebm_weights_save(&eg, wf, n + 1, &w), TEBM_STATUS_OK);
    CHECK(w == n && wf[n] == 0xA5);
    memcpy(wf2, wf, sizeof wf);

    /* peek: 0, 1 .. 19 (TRUNCATED until the kind's fields are in), 20
     * (always enough), whole file; out unchanged on failure */
    TebmWeightsHeader h, h0;
    memset(&h, 0x5A, sizeof h);
    h0 = h;
    EXPECT(tebm_weights_peek(NULL, n, &h), TEBM_STATUS_NULL_POINTER);
    EXPECT(tebm_weights_peek(wf, n, NULL), TEBM_STATUS_NULL_POINTER);
    EXPECT(tebm_weights_peek(wf, 0, &h), TEBM_STATUS_TRUNCATED);
    CHECK(same(&h, &h0, sizeof h));
    int was_ok = 0;
    for (size_t k = 1; k < 20; k++) {
        TebmStatus ps = tebm_weights_peek(wf, k, &h);
        CHECK(ps == TEBM_STATUS_TRUNCATED || ps == TEBM_STATUS_OK);
        CHECK(ps == TEBM_STATUS_OK || same(&h, &h0, sizeof h));
        CHECK(!was_ok || ps == TEBM_STATUS_OK); /* monotone in the length */
        if (ps == TEBM_STATUS_OK) CHECK(h.encoded_len == n);
        was_ok |= ps == TEBM_STATUS_OK;
        memcpy(&h, &h0, sizeof h);
    }
    wf2[0] ^= 0xFF;
    EXPECT(tebm_weights_peek(wf2, n, &h), TEBM_STATUS_CORRUPT_DATA); /* magic */
    CHECK(same(&h, &h0, sizeof h));
    wf2[0] ^= 0xFF;
    EXPECT(tebm_weights_peek(wf, 20, &h), TEBM_STATUS_OK);
    CHECK(h.kind == TEBM_ENERGY_KIND_GAUSSIAN && h.dim == 2 && h.encoded_len == n && h.fits == 1);
    EXPECT(tebm_weights_peek(wf, n, &h), TEBM_STATUS_OK);
    CHECK(h.diagonal == 1 && h.num_params > 0);

    /* check: message NULL / len 0 / 1 / capacity */
    char msg[TEBM_ERROR_MESSAGE_CAPACITY + 8];
    EXPECT(tebm_weights_check(NULL, n, msg, sizeof msg), TEBM_STATUS_NULL_POINTER);
    EXPECT(tebm_weights_check(wf, n, NULL, 0), TEBM_STATUS_OK);
    memset(msg, 'x', sizeof msg);
    EXPECT(tebm_weights_check(wf, n, msg, sizeof msg), TEBM_STATUS_OK);
    CHECK(msg[0] == 0);
    EXPECT(tebm_weights_check(wf, 0, msg, sizeof msg), TEBM_STATUS_TRUNCATED);
    EXPECT(tebm_weights_check(wf, n - 1, msg, sizeof msg), TEBM_STATUS_TRUNCATED);
    CHECK(strlen(msg) > 0);
    EXPECT(tebm_weights_check(wf, n + 1, msg, sizeof msg), TEBM_STATUS_CORRUPT_DATA); /* trailing byte */
    memset(msg, 'x', sizeof msg);
    EXPECT(tebm_weights_check(wf, n - 1, msg, 0), TEBM_STATUS_TRUNCATED); /* the file's status */
    CHECK(msg[0] == 'x');
    EXPECT(tebm_weights_check(wf, n - 1, msg, 1), TEBM_STATUS_TRUNCATED);
    CHECK(msg[0] == 0 && msg[1] == 'x');
    EXPECT(tebm_weights_check(wf, n - 1, msg, TEBM_ERROR_MESSAGE_CAPACITY), TEBM_STATUS_TRUNCATED);
    CHECK(strlen(msg) > 0 && strlen(msg) < TEBM_ERROR_MESSAGE_CAPACITY);
    wf2[n - 1] ^= 1;
    EXPECT(tebm_weights_check(wf2, n, msg, sizeof msg), TEBM_STATUS_CHECKSUM);
    wf2[n - 1] ^= 1;

    /* load into eg (same kind): every failure leaves every byte */
    EXPECT_W(tebm_weights_load(NULL, wf, n), TEBM_STATUS_NULL_POINTER);
    EXPECT_W(tebm_weights_load(&eg, NULL, n), TEBM_STATUS_NULL_POINTER);
    EXPECT_W(tebm_weights_load((TebmEnergy *)&never, wf, n), TEBM_STATUS_NOT_INITIALISED);
    EXPECT_W(tebm_weights_load((TebmEnergy *)&s2, wf, n), TEBM_STATUS_WRONG_OBJECT);
    EXPECT_W(tebm_weights_load(&ecb, wf, n), TEBM_STATUS_BAD_CONFIG);
    EXPECT_W(tebm_weights_load(&epoly, wf, n), TEBM_STATUS_CORRUPT_DATA); /* another kind */
    EXPECT_W(tebm_weights_load(&eg, wf, 0), TEBM_STATUS_TRUNCATED);
    EXPECT_W(tebm_weights_load(&eg, wf, 19), TEBM_STATUS_TRUNCATED);
    EXPECT_W(tebm_weights_load(&eg, wf, n - 1), TEBM_STATUS_TRUNCATED);
    EXPECT_W(tebm_weights_load(&eg, wf, n + 1), TEBM_STATUS_CORRUPT_DATA);
    wf2[n / 2] ^= 0x10;
    EXPECT_W(tebm_weights_load(&eg, wf2, n), TEBM_STATUS_CHECKSUM);
    wf2[n / 2] ^= 0x10;
    EXPECT(tebm_weights_load(&eg, wf, n), TEBM_STATUS_OK);
    EXPECT(tebm_trainer_invalidate(&tr), TEBM_STATUS_OK);
    /* a 16-D file into the 2-D energy: sizes may differ; it is 16-D now */
    static uint8_t wfull[4096];
    size_t dim = 0;
    CHECK(nfull <= sizeof wfull);
    EXPECT(tebm_energy_init_gaussian_diag(&et, sizeof et, 2, zeros, ones), TEBM_STATUS_OK);
    EXPECT(tebm_weights_save(&e_full, wfull, sizeof wfull, &w), TEBM_STATUS_OK);
    EXPECT(tebm_weights_load(&et, wfull, nfull), TEBM_STATUS_OK);
    EXPECT(tebm_energy_dim(&et, &dim), TEBM_STATUS_OK);
    CHECK(dim == TEBM_MAX_DIM);

    /* init_from_weights: memory NULL / 0 / kind's size − 1 / misaligned /
     * exactly the kind's size; bytes NULL / 0 / n − 1 / n + 1 */
    size_t need = tebm_energy_size_for(TEBM_ENERGY_KIND_GAUSSIAN), el = sizeof et;
    EXPECT(tebm_energy_init_from_weights(NULL, el, wf, n), TEBM_STATUS_NULL_POINTER);
    EXPECT_E(tebm_energy_init_from_weights(&et, el, NULL, n), TEBM_STATUS_NULL_POINTER);
    EXPECT_E(tebm_energy_init_from_weights(&et, 0, wf, n), TEBM_STATUS_BUFFER_TOO_SMALL);
    EXPECT_E(tebm_energy_init_from_weights(&et, need - 1, wf, n), TEBM_STATUS_BUFFER_TOO_SMALL);
    memcpy(&st_copy, &raw, sizeof st_copy);
    EXPECT(tebm_energy_init_from_weights(raw.b + 1, need, wf, n), TEBM_STATUS_MISALIGNED);
    CHECK(same(&raw, &st_copy, sizeof st_copy));
    EXPECT_E(tebm_energy_init_from_weights(&et, el, wf, 0), TEBM_STATUS_TRUNCATED);
    EXPECT_E(tebm_energy_init_from_weights(&et, el, wf, n - 1), TEBM_STATUS_TRUNCATED);
    EXPECT_E(tebm_energy_init_from_weights(&et, el, wf, n + 1), TEBM_STATUS_CORRUPT_DATA);
    wf2[n - 2] ^= 0x80;
    EXPECT_E(tebm_energy_init_from_weights(&et, el, wf2, n), TEBM_STATUS_CHECKSUM);
    wf2[n - 2] ^= 0x80;
    memset(raw.b, 0, sizeof raw.b);
    EXPECT(tebm_energy_init_from_weights(raw.b, need, wf, n), TEBM_STATUS_OK);
    memset(raw.b, 0, sizeof raw.b);
    EXPECT(tebm_energy_init_from_weights(&et, el, wf, n), TEBM_STATUS_OK);
    EXPECT(tebm_energy_dim(&et, &dim), TEBM_STATUS_OK);
    CHECK(dim == 2);
}

/* ---- tempering ---- */
#define xcfg tempering_config

static void t_tempering_init(void) {
    TebmTemperingConfig c;
    size_t xl = sizeof xti;
    CHECK(tebm_tempering_size() > 0 && tebm_tempering_size() <= TEBM_TEMPERING_SIZE);
    CHECK(tebm_tempering_align() > 0 && tebm_tempering_align() <= TEBM_OBJECT_ALIGN);
    EXPECT(tebm_tempering_config_default(NULL), TEBM_STATUS_NULL_POINTER);
    EXPECT(tebm_tempering_config_default(&c), TEBM_STATUS_OK);
    CHECK(c.kernel.kind == TEBM_KERNEL_MALA && c.n_walkers == MIN_(16, TEBM_MAX_TEMPERING_WALKERS) && c.replicas == MIN_(4, TEBM_MAX_REPLICAS) && c.beta_min == 0.1f);
    c = xcfg(4, 3);
    EXPECT(tebm_tempering_init(NULL, xl, &e2, &c), TEBM_STATUS_NULL_POINTER);
    EXPECT_XI(tebm_tempering_init(&xti, xl, NULL, &c), TEBM_STATUS_NULL_POINTER);
    EXPECT_XI(tebm_tempering_init(&xti, xl, &e2, NULL), TEBM_STATUS_NULL_POINTER);
    EXPECT_XI(tebm_tempering_init(&xti, 0, &e2, &c), TEBM_STATUS_BUFFER_TOO_SMALL);
    EXPECT_XI(tebm_tempering_init(&xti, tebm_tempering_size() - 1, &e2, &c), TEBM_STATUS_BUFFER_TOO_SMALL);
    memcpy(&tr_copy, &rawt, sizeof tr_copy);
    EXPECT(tebm_tempering_init(rawt.b + 1, tebm_tempering_size(), &e2, &c), TEBM_STATUS_MISALIGNED);
    CHECK(same(&rawt, &tr_copy, sizeof tr_copy));
    EXPECT_XI(tebm_tempering_init(&xti, xl, (const TebmEnergy *)&never, &c), TEBM_STATUS_NOT_INITIALISED);
    EXPECT_XI(tebm_tempering_init(&xti, xl, (const TebmEnergy *)&tr, &c), TEBM_STATUS_WRONG_OBJECT);
    /* walkers and replicas: 0, capacity, capacity + 1 */
    c = xcfg(0, 3);
    EXPECT_XI(tebm_tempering_init(&xti, xl, &e2, &c), TEBM_STATUS_BAD_DIMENSION);
    c = xcfg(TEBM_MAX_TEMPERING_WALKERS + 1, 3);
    EXPECT_XI(tebm_tempering_init(&xti, xl, &e2, &c), TEBM_STATUS_CAPACITY_EXCEEDED);
    c = xcfg(SIZE_MAX, 3);
    EXPECT_XI(tebm_tempering_init(&xti, xl, &e2, &c), TEBM_STATUS_CAPACITY_EXCEEDED);
    c = xcfg(4, 0);
    EXPECT_XI(tebm_tempering_init(&xti, xl, &e2, &c), TEBM_STATUS_BAD_DIMENSION);
    c = xcfg(4, TEBM_MAX_REPLICAS + 1);
    EXPECT_XI(tebm_tempering_init(&xti, xl, &e2, &c), TEBM_STATUS_CAPACITY_EXCEEDED);
    c = xcfg(4, SIZE_MAX);
    EXPECT_XI(tebm_tempering_init(&xti, xl, &e2, &c), TEBM_STATUS_CAPACITY_EXCEEDED);
    /* values */
    c = xcfg(4, 3);
    c.kernel.kind = TEBM_KERNEL_COUNT;
    EXPECT_XI(tebm_tempering_init(&xti, xl, &e2, &c), TEBM_STATUS_BAD_CONFIG);
    c.kernel.kind = UINT32_MAX;
    EXPECT_XI(tebm_tempering_init(&xti, xl, &e2, &c), TEBM_STATUS_BAD_CONFIG);
    c = xcfg(4, 3);
    c.kernel.kind = TEBM_KERNEL_HMC;
    c.kernel.leapfrog_steps = 0;
    EXPECT_XI(tebm_tempering_init(&xti, xl, &e2, &c), TEBM_STATUS_BAD_CONFIG);
    float bad[] = {0.0f, -1.0f, NAN, INFINITY};
    for (int i = 0; i < 4; i++) {
        c = xcfg(4, 3);
        c.kernel.step_size = bad[i];
        EXPECT_XI(tebm_tempering_init(&xti, xl, &e2, &c), TEBM_STATUS_BAD_CONFIG);
        c = xcfg(4, 3);
        c.beta_min = bad[i];
        EXPECT_XI(tebm_tempering_init(&xti, xl, &e2, &c), TEBM_STATUS_BAD_CONFIG);
        if (i == 0) continue;
        c = xcfg(4, 3);
        c.init_sd = bad[i];
        EXPECT_XI(tebm_tempering_init(&xti, xl, &e2, &c), TEBM_STATUS_BAD_CONFIG);
    }
    c = xcfg(4, 3);
    c.beta_min = 1.0f;
    EXPECT_XI(tebm_tempering_init(&xti, xl, &e2, &c), TEBM_STATUS_BAD_CONFIG);
    float pos[4 * 2] = {0, 0, 1, 1, 0, NAN, 2, 2};
    c = xcfg(4, 3);
    c.init_positions = pos;
    EXPECT_XI(tebm_tempering_init(&xti, xl, &e2, &c), TEBM_STATUS_NON_FINITE);
    pos[5] = 0.5f;
    float betas[TEBM_MAX_REPLICAS];
    EXPECT(tebm_tempering_ladder(&xti, betas, NULL, TEBM_MAX_REPLICAS, NULL), TEBM_STATUS_NOT_INITIALISED);
    /* every kernel (in scratch memory: xti stays fresh for the next check) */
    for (uint32_t k = 0; k < TEBM_KERNEL_COUNT; k++) {
        c = xcfg(4, 3);
        c.kernel.kind = k;
        memset(rawt.b, 0, sizeof rawt.b);
        EXPECT(tebm_tempering_init(rawt.b, tebm_tempering_size(), &e2, &c), TEBM_STATUS_OK);
        EXPECT(tebm_tempering_run((TebmTempering *)rawt.b, &e2, 2, NULL), TEBM_STATUS_OK);
    }
    memset(rawt.b, 0, sizeof rawt.b);
    /* one replica, one walker (beta_min ignored); callbacks are fine */
    c = xcfg(1, 1);
    c.beta_min = 0.0f;
    EXPECT(tebm_tempering_init(&xti, xl, &e2, &c), TEBM_STATUS_OK);
    c = xcfg(4, 3);
    c.init_positions = pos;
    EXPECT(tebm_tempering_init(&xti, xl, &ecb, &c), TEBM_STATUS_OK);
    /* capacity: 16 walkers x 8 replicas in 16-D, exactly tebm_tempering_size() bytes */
    memset(rawt.b, 0, sizeof rawt.b);
    c = xcfg(TEBM_MAX_TEMPERING_WALKERS, TEBM_MAX_REPLICAS);
    EXPECT(tebm_tempering_init(rawt.b, tebm_tempering_size(), &e_full, &c), TEBM_STATUS_OK);
    EXPECT(tebm_tempering_run((TebmTempering *)rawt.b, &e_full, 2, NULL), TEBM_STATUS_OK);
    memset(rawt.b, 0, sizeof rawt.b);
    /* re-initialising a live object: failures leave every byte */
    c = xcfg(4, TEBM_MAX_REPLICAS + 1);
    EXPECT_XI(tebm_tempering_init(&xti, xl, &e2, &c), TEBM_STATUS_CAPACITY_EXCEEDED);
    c = xcfg(4, 3);
    c.init_positions = pos;
    pos[0] = -INFINITY;
    EXPECT_XI(tebm_tempering_init(&xti, xl, &e2, &c), TEBM_STATUS_NON_FINITE);
    pos[0] = 0.0f;
    /* the object used below: 3 replicas x 4 walkers on e2 */
    c = xcfg(4, 3);
    EXPECT(tebm_tempering_init(&xt, sizeof xt, &e2, &c), TEBM_STATUS_OK);
}

static void t_tempering_use(void) {
    enum { N = 4, D = 2, R = 3 };
    TebmTempering *nv = (TebmTempering *)&never, *wrong = (TebmTempering *)&tr;
    size_t done = 77;
    uint64_t sweeps = 99;
    float out[N * D + 8];
    TebmSwapStats sw[R + 4];
    char buf[TEBM_ERROR_MESSAGE_CAPACITY + 8];

    /* run: steps 0 / 1 / several; another energy's dimension */
    EXPECT_XRO(tebm_tempering_run(NULL, &e2, 1, &done), TEBM_STATUS_NULL_POINTER);
    EXPECT_XRO(tebm_tempering_run(&xt, NULL, 1, &done), TEBM_STATUS_NULL_POINTER);
    CHECK(done == 77);
    EXPECT_XRO(tebm_tempering_run(nv, &e2, 1, &done), TEBM_STATUS_NOT_INITIALISED);
    EXPECT_XRO(tebm_tempering_run(wrong, &e2, 1, &done), TEBM_STATUS_WRONG_OBJECT);
    EXPECT_XRO(tebm_tempering_run(&xt, (const TebmEnergy *)&never, 1, &done), TEBM_STATUS_NOT_INITIALISED);
    EXPECT_XRO(tebm_tempering_run(&xt, (const TebmEnergy *)&xt, 1, &done), TEBM_STATUS_WRONG_OBJECT);
    EXPECT_XST(tebm_tempering_run(&xt, &e_full, 1, &done), TEBM_STATUS_BAD_DIMENSION);
    CHECK(done == 0);
    done = 77;
    EXPECT_XST(tebm_tempering_run(&xt, &e2, 0, &done), TEBM_STATUS_OK);
    CHECK(done == 0);
    EXPECT(tebm_tempering_run(&xt, &e2, 1, &done), TEBM_STATUS_OK);
    CHECK(done == 1);
    EXPECT(tebm_tempering_run(&xt, &e2, 5, NULL), TEBM_STATUS_OK);

    /* invalidate */
    EXPECT(tebm_tempering_invalidate(NULL), TEBM_STATUS_NULL_POINTER);
    EXPECT_XRO(tebm_tempering_invalidate(nv), TEBM_STATUS_NOT_INITIALISED);
    EXPECT_XRO(tebm_tempering_invalidate(wrong), TEBM_STATUS_WRONG_OBJECT);
    EXPECT(tebm_tempering_invalidate(&xt), TEBM_STATUS_OK);
    EXPECT(tebm_tempering_run(&xt, &e2, 1, NULL), TEBM_STATUS_OK);

    READER_EDGES(EXPECT_XRO, tebm_tempering_positions, &xt, nv, wrong, out, N * D);
    READER_EDGES(EXPECT_XRO, tebm_tempering_energies, &xt, nv, wrong, out, N);

    /* ladder: need R (betas) and R − 1 (swaps); swaps and sweeps optional */
    EXPECT_XRO(tebm_tempering_ladder(NULL, out, sw, R, &sweeps), TEBM_STATUS_NULL_POINTER);
    EXPECT_XRO(tebm_tempering_ladder(&xt, NULL, sw, R, &sweeps), TEBM_STATUS_NULL_POINTER);
    EXPECT_XRO(tebm_tempering_ladder(nv, out, sw, R, &sweeps), TEBM_STATUS_NOT_INITIALISED);
    EXPECT_XRO(tebm_tempering_ladder(wrong, out, sw, R, &sweeps), TEBM_STATUS_WRONG_OBJECT);
    EXPECT_XRO_ERR(tebm_tempering_ladder(&xt, out, sw, 0, &sweeps), TEBM_STATUS_BUFFER_TOO_SMALL);
    EXPECT_XRO_ERR(tebm_tempering_ladder(&xt, out, sw, R - 1, &sweeps), TEBM_STATUS_BUFFER_TOO_SMALL);
    CHECK(sweeps == 99);
    for (int i = 0; i < N * D + 8; i++) out[i] = -7.0f;
    memset(sw, 0x5A, sizeof sw);
    EXPECT_XRO(tebm_tempering_ladder(&xt, out, NULL, R, NULL), TEBM_STATUS_OK);
    EXPECT_XRO(tebm_tempering_ladder(&xt, out, sw, R + 1, &sweeps), TEBM_STATUS_OK);
    CHECK(out[0] == 1.0f && out[1] < 1.0f && out[2] < out[1] && out[R] == -7.0f);
    CHECK(sweeps == 7 && sw[0].accepted <= sw[0].attempted && sw[1].attempted > 0);
    unsigned char pat[sizeof sw[0]];
    memset(pat, 0x5A, sizeof pat);
    CHECK(memcmp(&sw[R - 1], pat, sizeof pat) == 0); /* only R − 1 entries written */

    /* last_error */
    EXPECT_XST(tebm_tempering_run(&xt, &e_full, 1, NULL), TEBM_STATUS_BAD_DIMENSION); /* records one */
    LAST_ERROR_EDGES(EXPECT_XRO, tebm_tempering_last_error, &xt, nv, wrong, buf);
}

/* ---- annealed importance sampling and held-out NLL ---- */
static TebmAis ais, ais_copy; /* ais: a finished run on e2 after t_ais */
static union {
    TebmAis a;
    unsigned char b[sizeof(TebmAis) + 16];
} rawa; /* misaligned and exactly-sized AIS memory */
/* A failing run on `ais`: every byte kept (fresh memory, or arguments
 * refused before the object is taken). */
#define EXPECT_AI(call, want) EXPECT_KEEPS(call, want, &ais, &ais_copy, same)
/* A failing run on a live `ais`: the state kept (the header may record). */
#define EXPECT_AST(call, want) EXPECT_KEEPS(call, want, &ais, &ais_copy, state_bytes_same)

/* A callback that declines where x[0] > 3 (U = |x|²/2 elsewhere). */
static int declines_right(void *user, const float *x, size_t dim, float *energy, float *grad) {
    if (x[0] > 3.0f) return 5;
    return quad_energy(user, x, dim, energy, grad);
}

static TebmAisConfig ais_cfg(size_t n, size_t steps) {
    TebmAisConfig c;
    EXPECT(tebm_ais_config_default(&c), TEBM_STATUS_OK);
    c.n_walkers = n;
    c.steps = steps;
    c.kernel.step_size = 0.5f;
    return c;
}

/* Every configuration value that tebm_ais_run refuses, on `ais` (fresh or
 * live) with the matching byte check: `result` is never written. */
#define AIS_BAD_CONFIGS(EXP)                                                               \
    do {                                                                                   \
        float bad_[] = {0.0f, -1.0f, NAN, INFINITY};                                       \
        float sched_[3] = {0.5f, 0.25f, 1.0f};                                             \
        float pts_[4] = {1.0f, 2.0f, 1.0f, 2.0f};                                          \
        c = ais_cfg(0, 5);                                                                 \
        EXP(tebm_ais_run(&ais, al, &e2, &c, &r), TEBM_STATUS_BAD_DIMENSION);               \
        c = ais_cfg(1, 5);                                                                 \
        EXP(tebm_ais_run(&ais, al, &e2, &c, &r), TEBM_STATUS_BAD_DIMENSION);               \
        c = ais_cfg(TEBM_MAX_WALKERS + 1, 5);                                              \
        EXP(tebm_ais_run(&ais, al, &e2, &c, &r), TEBM_STATUS_CAPACITY_EXCEEDED);           \
        c = ais_cfg(SIZE_MAX, 5);                                                          \
        EXP(tebm_ais_run(&ais, al, &e2, &c, &r), TEBM_STATUS_CAPACITY_EXCEEDED);           \
        c = ais_cfg(4, 0);                                                                 \
        EXP(tebm_ais_run(&ais, al, &e2, &c, &r), TEBM_STATUS_BAD_CONFIG);                  \
        c = ais_cfg(4, 5);                                                                 \
        c.moves = 0;                                                                       \
        EXP(tebm_ais_run(&ais, al, &e2, &c, &r), TEBM_STATUS_BAD_CONFIG);                  \
        c = ais_cfg(4, 5);                                                                 \
        c.kernel.kind = TEBM_KERNEL_COUNT;                                                 \
        EXP(tebm_ais_run(&ais, al, &e2, &c, &r), TEBM_STATUS_BAD_CONFIG);                  \
        c = ais_cfg(4, 5);                                                                 \
        c.schedule = TEBM_AIS_SCHEDULE_CUSTOM + 1;                                         \
        EXP(tebm_ais_run(&ais, al, &e2, &c, &r), TEBM_STATUS_BAD_CONFIG);                  \
        for (int i_ = 0; i_ < 4; i_++) {                                                   \
            c = ais_cfg(4, 5);                                                             \
            c.kernel.step_size = bad_[i_];                                                 \
            EXP(tebm_ais_run(&ais, al, &e2, &c, &r), TEBM_STATUS_BAD_CONFIG);              \
            c = ais_cfg(4, 5);                                                             \
            c.beta = bad_[i_];                                                             \
            EXP(tebm_ais_run(&ais, al, &e2, &c, &r), TEBM_STATUS_BAD_CONFIG);              \
            c = ais_cfg(4, 5);                                                             \
            c.schedule_param = bad_[i_];                                                   \
            EXP(tebm_ais_run(&ais, al, &e2, &c, &r), TEBM_STATUS_BAD_CONFIG);              \
            c.schedule = TEBM_AIS_SCHEDULE_GEOMETRIC;                                      \
            EXP(tebm_ais_run(&ais, al, &e2, &c, &r), TEBM_STATUS_BAD_CONFIG);              \
            c = ais_cfg(4, 5);                                                             \
            c.base_sd = ones;                                                              \
            c.base_mean = zeros;                                                           \
            c.fit_points = pts_;                                                           \
            c.fit_count = 2;                                                               \
            c.fit_inflate = bad_[i_];                                                      \
            EXP(tebm_ais_run(&ais, al, &e2, &c, &r), TEBM_STATUS_BAD_CONFIG);              \
        }                                                                                  \
        c = ais_cfg(4, 5);                                                                 \
        c.base_sd = zeros; /* sd 0 */                                                      \
        EXP(tebm_ais_run(&ais, al, &e2, &c, &r), TEBM_STATUS_BAD_CONFIG);                  \
        c = ais_cfg(4, 5);                                                                 \
        c.fit_points = pts_;                                                               \
        c.fit_count = 1;                                                                   \
        EXP(tebm_ais_run(&ais, al, &e2, &c, &r), TEBM_STATUS_BAD_CONFIG);                  \
        c.fit_count = 2; /* two equal points: zero spread */                               \
        EXP(tebm_ais_run(&ais, al, &e2, &c, &r), TEBM_STATUS_BAD_CONFIG);                  \
        c = ais_cfg(4, 3);                                                                 \
        c.schedule = TEBM_AIS_SCHEDULE_CUSTOM;                                             \
        EXP(tebm_ais_run(&ais, al, &e2, &c, &r), TEBM_STATUS_NULL_POINTER);                \
        c.schedule_values = sched_; /* decreasing */                                       \
        EXP(tebm_ais_run(&ais, al, &e2, &c, &r), TEBM_STATUS_BAD_CONFIG);                  \
        c.steps = 2; /* does not end at 1 */                                               \
        EXP(tebm_ais_run(&ais, al, &e2, &c, &r), TEBM_STATUS_BAD_CONFIG);                  \
        c.steps = 0;                                                                       \
        EXP(tebm_ais_run(&ais, al, &e2, &c, &r), TEBM_STATUS_BAD_CONFIG);                  \
        c.steps = TEBM_AIS_MAX_CUSTOM_STEPS + 1;                                           \
        EXP(tebm_ais_run(&ais, al, &e2, &c, &r), TEBM_STATUS_CAPACITY_EXCEEDED);           \
    } while (0)

static void t_ais(void) {
    TebmAisConfig c;
    TebmAisResult r, r_copy;
    TebmHeldOut h, h_copy;
    size_t al = sizeof ais;
    TebmAis *nv = (TebmAis *)&never, *wrong = (TebmAis *)&s2;
    char buf[TEBM_ERROR_MESSAGE_CAPACITY + 8];
    static float custom[TEBM_AIS_MAX_CUSTOM_STEPS];
    static TebmEnergy edecl;

    CHECK(tebm_ais_size() > 0 && tebm_ais_size() <= TEBM_AIS_SIZE);
    CHECK(tebm_ais_align() > 0 && tebm_ais_align() <= TEBM_OBJECT_ALIGN);
    EXPECT(tebm_ais_config_default(NULL), TEBM_STATUS_NULL_POINTER);
    EXPECT(tebm_ais_config_default(&c), TEBM_STATUS_OK);
    CHECK(c.kernel.kind == TEBM_KERNEL_MALA && c.n_walkers == TEBM_MAX_WALKERS && c.steps == 200);
    CHECK(c.schedule == TEBM_AIS_SCHEDULE_SIGMOIDAL && c.schedule_param == 4.0f && c.moves == 1);
    CHECK(c.base_mean == NULL && c.base_sd == NULL && c.fit_points == NULL && c.beta == 1.0f);

    memset(&r, 0x5A, sizeof r);
    memcpy(&r_copy, &r, sizeof r);
    c = ais_cfg(4, 5);
    /* NULL arguments, memory, handles: nothing written */
    EXPECT(tebm_ais_run(NULL, al, &e2, &c, &r), TEBM_STATUS_NULL_POINTER);
    EXPECT_AI(tebm_ais_run(&ais, al, NULL, &c, &r), TEBM_STATUS_NULL_POINTER);
    EXPECT_AI(tebm_ais_run(&ais, al, &e2, NULL, &r), TEBM_STATUS_NULL_POINTER);
    EXPECT_AI(tebm_ais_run(&ais, al, &e2, &c, NULL), TEBM_STATUS_NULL_POINTER);
    EXPECT_AI(tebm_ais_run(&ais, 0, &e2, &c, &r), TEBM_STATUS_BUFFER_TOO_SMALL);
    EXPECT_AI(tebm_ais_run(&ais, tebm_ais_size() - 1, &e2, &c, &r), TEBM_STATUS_BUFFER_TOO_SMALL);
    memcpy(&ais_copy, &rawa, sizeof ais_copy);
    EXPECT(tebm_ais_run(rawa.b + 1, tebm_ais_size(), &e2, &c, &r), TEBM_STATUS_MISALIGNED);
    CHECK(same(&rawa, &ais_copy, sizeof ais_copy));
    EXPECT_AI(tebm_ais_run(&ais, al, (const TebmEnergy *)&never, &c, &r), TEBM_STATUS_NOT_INITIALISED);
    EXPECT_AI(tebm_ais_run(&ais, al, (const TebmEnergy *)&s2, &c, &r), TEBM_STATUS_WRONG_OBJECT);
    /* every refused value, on fresh memory: nothing written (zeroed memory,
     * then a pattern, which a zeroing before the checks would change) */
    AIS_BAD_CONFIGS(EXPECT_AI);
    memset(&ais, 0xA5, sizeof ais);
    AIS_BAD_CONFIGS(EXPECT_AI);
    memset(&ais, 0, sizeof ais);
    CHECK(memcmp(&r, &r_copy, sizeof r) == 0);
    EXPECT(tebm_ais_last_error(&ais, buf, sizeof buf), TEBM_STATUS_NOT_INITIALISED);

    /* every kernel; exactly tebm_ais_size() bytes; capacity: 64 walkers in 16-D */
    for (uint32_t k = 0; k < TEBM_KERNEL_COUNT; k++) {
        c = ais_cfg(4, 5);
        c.kernel.kind = k;
        memset(rawa.b, 0, sizeof rawa.b);
        EXPECT(tebm_ais_run(rawa.b, tebm_ais_size(), &e2, &c, &r), TEBM_STATUS_OK);
        CHECK(r.n_walkers == 4 && isfinite(r.log_z) && r.ess >= 1.0f && r.ess <= 4.0f);
    }
    c = ais_cfg(TEBM_MAX_WALKERS, 3);
    EXPECT(tebm_ais_run(rawa.b, tebm_ais_size(), &e_full, &c, &r), TEBM_STATUS_OK);
    CHECK(r.n_walkers == TEBM_MAX_WALKERS && r.se >= 0.0f);
    /* every schedule: linear, geometric, custom of capacity length; one step */
    c = ais_cfg(4, 5);
    c.schedule = TEBM_AIS_SCHEDULE_LINEAR;
    EXPECT(tebm_ais_run(&ais, al, &e2, &c, &r), TEBM_STATUS_OK);
    c.schedule = TEBM_AIS_SCHEDULE_GEOMETRIC;
    c.schedule_param = 0.01f;
    EXPECT(tebm_ais_run(&ais, al, &e2, &c, &r), TEBM_STATUS_OK);
    for (int k = 0; k < TEBM_AIS_MAX_CUSTOM_STEPS; k++) custom[k] = (float)(k + 1) / TEBM_AIS_MAX_CUSTOM_STEPS;
    c.schedule = TEBM_AIS_SCHEDULE_CUSTOM;
    c.schedule_values = custom;
    c.steps = TEBM_AIS_MAX_CUSTOM_STEPS;
    EXPECT(tebm_ais_run(&ais, al, &e2, &c, &r), TEBM_STATUS_OK);
    c = ais_cfg(2, 1);
    EXPECT(tebm_ais_run(&ais, al, &e2, &c, &r), TEBM_STATUS_OK);
    /* a fitted base: the standard Gaussian from its quartiles-like points */
    float pts[4 * 2] = {-1, -1, 1, 1, -1, 1, 1, -1};
    c = ais_cfg(TEBM_MAX_WALKERS < 8 ? TEBM_MAX_WALKERS : 8, 20);
    c.fit_points = pts;
    c.fit_count = 4;
    c.fit_inflate = 1.0f;
    EXPECT(tebm_ais_run(&ais, al, &e2, &c, &r), TEBM_STATUS_OK);
    /* log Z0 of N(0, diag(4/3)) in 2-D: ln(2π·4/3) */
    CHECK(fabsf(r.log_z_base - logf(6.2831853f * 4.0f / 3.0f)) < 1e-4f);
    /* a callback energy; one that declines during the run */
    c = ais_cfg(TEBM_MAX_WALKERS < 8 ? TEBM_MAX_WALKERS : 8, 20);
    EXPECT(tebm_ais_run(&ais, al, &ecb, &c, &r), TEBM_STATUS_OK);
    EXPECT(tebm_energy_init_callback(&edecl, sizeof edecl, 2, declines_right, NULL), TEBM_STATUS_OK);
    c = ais_cfg(TEBM_MAX_WALKERS < 16 ? TEBM_MAX_WALKERS : 16, 20);
    c.base_sd = ones;
    float far[2] = {3.5f, 0.0f};
    c.base_mean = far;
    memcpy(&r_copy, &r, sizeof r);
    EXPECT(tebm_ais_run(&ais, al, &edecl, &c, &r), TEBM_STATUS_CALLBACK_ERROR);
    CHECK(memcmp(&r, &r_copy, sizeof r) == 0);
    EXPECT(tebm_ais_last_error(&ais, buf, sizeof buf), TEBM_STATUS_OK);
    CHECK(strstr(buf, "tebm_ais_run") != NULL);
    /* the live object: every refused value keeps its state */
    c = ais_cfg(4, 5);
    EXPECT(tebm_ais_run(&ais, al, &e2, &c, &r), TEBM_STATUS_OK);
    memcpy(&r_copy, &r, sizeof r);
    AIS_BAD_CONFIGS(EXPECT_AST);
    CHECK(memcmp(&r, &r_copy, sizeof r) == 0);
    LAST_ERROR_EDGES(EXPECT_AST, tebm_ais_last_error, &ais, nv, wrong, buf);

    /* held-out NLL: NULLs, 0 points, bad beta / log Z / se, a declining energy */
    float data[4 * 2] = {0, 0, 1, 0, 0, 1, -1, -1};
    memset(&h, 0x5A, sizeof h);
    memcpy(&h_copy, &h, sizeof h);
    EXPECT(tebm_heldout_nll(NULL, 1.0f, data, 4, 0.0f, 0.0f, &h), TEBM_STATUS_NULL_POINTER);
    EXPECT(tebm_heldout_nll(&e2, 1.0f, NULL, 4, 0.0f, 0.0f, &h), TEBM_STATUS_NULL_POINTER);
    EXPECT(tebm_heldout_nll(&e2, 1.0f, data, 4, 0.0f, 0.0f, NULL), TEBM_STATUS_NULL_POINTER);
    EXPECT(tebm_heldout_nll((const TebmEnergy *)&never, 1.0f, data, 4, 0.0f, 0.0f, &h),
           TEBM_STATUS_NOT_INITIALISED);
    EXPECT(tebm_heldout_nll((const TebmEnergy *)&s2, 1.0f, data, 4, 0.0f, 0.0f, &h),
           TEBM_STATUS_WRONG_OBJECT);
    EXPECT(tebm_heldout_nll(&e2, 1.0f, data, 0, 0.0f, 0.0f, &h), TEBM_STATUS_BAD_DIMENSION);
    EXPECT(tebm_heldout_nll(&e2, 1.0f, data, SIZE_MAX, 0.0f, 0.0f, &h), TEBM_STATUS_CAPACITY_EXCEEDED);
    float badv[] = {0.0f, -1.0f, NAN, INFINITY};
    for (int i = 0; i < 4; i++) {
        EXPECT(tebm_heldout_nll(&e2, badv[i], data, 4, 0.0f, 0.0f, &h), TEBM_STATUS_BAD_CONFIG);
        if (i == 1 || i == 2) EXPECT(tebm_heldout_nll(&e2, 1.0f, data, 4, 0.0f, badv[i], &h), TEBM_STATUS_BAD_CONFIG);
        if (i > 1) EXPECT(tebm_heldout_nll(&e2, 1.0f, data, 4, badv[i], 0.0f, &h), TEBM_STATUS_BAD_CONFIG);
    }
    float right[2] = {4.0f, 0.0f};
    EXPECT(tebm_heldout_nll(&edecl, 1.0f, right, 1, 0.0f, 0.0f, &h), TEBM_STATUS_CALLBACK_ERROR);
    CHECK(memcmp(&h, &h_copy, sizeof h) == 0);
    /* values: U = |x|²/2 (edecl where x0 ≤ 3): mean 0.5 over the 4 points;
     * one point: se_energy 0 */
    EXPECT(tebm_heldout_nll(&edecl, 2.0f, data, 4, 1.0f, 0.3f, &h), TEBM_STATUS_OK);
    CHECK(fabsf(h.mean_energy - 1.0f) < 1e-6f && fabsf(h.nll - 2.0f) < 1e-6f);
    CHECK(h.se >= 0.3f && h.se_energy > 0.0f);
    EXPECT(tebm_heldout_nll(&edecl, 1.0f, data + 2, 1, 0.0f, 0.0f, &h), TEBM_STATUS_OK);
    CHECK(h.se_energy == 0.0f && h.se == 0.0f && fabsf(h.nll - 0.5f) < 1e-6f);
}

/* Recording, draws and their diagnostics; stop adaptation; target_accept. */
static void t_draws(void) {
    enum { N = 4, D = 2, STEPS = 6, THIN = 2, R = 2 };
    static float out[D * R * (STEPS / THIN) + 4];
    static double scratch[2 * 4 * 8];
    size_t written = 99;
    TebmSamplerStats stats;
    TebmDrawsDiagnostics dd;
    /* set_recording / stop_adaptation: handles */
    EXPECT(tebm_sampler_set_recording(NULL, 0), TEBM_STATUS_NULL_POINTER);
    EXPECT_RO(tebm_sampler_set_recording(&never, 0), TEBM_STATUS_NOT_INITIALISED);
    EXPECT_RO(tebm_sampler_set_recording((TebmSampler *)&e2, 0), TEBM_STATUS_WRONG_OBJECT);
    EXPECT(tebm_sampler_stop_adaptation(NULL), TEBM_STATUS_NULL_POINTER);
    EXPECT_RO(tebm_sampler_stop_adaptation(&never), TEBM_STATUS_NOT_INITIALISED);
    EXPECT(tebm_sampler_stop_adaptation(&s2), TEBM_STATUS_OK); /* not adapting: a no-op */
    EXPECT(tebm_sampler_stats(&s2, &stats), TEBM_STATUS_OK);
    CHECK(stats.recording == 1 && stats.invalid_proposals == 0);
    uint64_t draws0 = stats.draws;
    EXPECT(tebm_sampler_set_recording(&s2, 0), TEBM_STATUS_OK);
    EXPECT(tebm_sampler_run(&s2, &e2, 2, NULL), TEBM_STATUS_OK);
    EXPECT(tebm_sampler_stats(&s2, &stats), TEBM_STATUS_OK);
    CHECK(stats.recording == 0 && stats.draws == draws0);
    EXPECT(tebm_sampler_set_recording(&s2, 7), TEBM_STATUS_OK);

    /* record_draws: NULLs (draws_written zeroed first), handles, arguments */
    EXPECT(tebm_sampler_record_draws(NULL, &e2, STEPS, THIN, 1, R, out, 12, &written), TEBM_STATUS_NULL_POINTER);
    CHECK(written == 0);
    EXPECT_RO(tebm_sampler_record_draws(&s2, NULL, STEPS, THIN, 1, R, out, 12, NULL), TEBM_STATUS_NULL_POINTER);
    EXPECT_RO(tebm_sampler_record_draws(&s2, &e2, STEPS, THIN, 1, R, NULL, 12, NULL), TEBM_STATUS_NULL_POINTER);
    EXPECT_RO(tebm_sampler_record_draws(&never, &e2, STEPS, THIN, 1, R, out, 12, NULL), TEBM_STATUS_NOT_INITIALISED);
    EXPECT_RO(tebm_sampler_record_draws(&s2, (const TebmEnergy *)&s2, STEPS, THIN, 1, R, out, 12, NULL),
              TEBM_STATUS_WRONG_OBJECT);
    EXPECT_RO_ERR(tebm_sampler_record_draws(&s2, &e2, STEPS, 0, 1, R, out, 12, NULL), TEBM_STATUS_BAD_CONFIG);
    EXPECT_RO_ERR(tebm_sampler_record_draws(&s2, &e2, STEPS, THIN, 1, 0, out, 12, NULL), TEBM_STATUS_BAD_DIMENSION);
    EXPECT_RO_ERR(tebm_sampler_record_draws(&s2, &e2, STEPS, THIN, N - 1, 2, out, 12, NULL),
                  TEBM_STATUS_CAPACITY_EXCEEDED);
    EXPECT_RO_ERR(tebm_sampler_record_draws(&s2, &e2, STEPS, THIN, SIZE_MAX, 2, out, 12, NULL),
                  TEBM_STATUS_CAPACITY_EXCEEDED);
    EXPECT_RO_ERR(tebm_sampler_record_draws(&s2, &e2, STEPS, THIN, 1, R, out, 0, NULL), TEBM_STATUS_BUFFER_TOO_SMALL);
    EXPECT_RO_ERR(tebm_sampler_record_draws(&s2, &e2, STEPS, THIN, 1, R, out, 11, NULL),
                  TEBM_STATUS_BUFFER_TOO_SMALL);
    EXPECT_RO_ERR(tebm_sampler_record_draws(&s2, &e_full, STEPS, THIN, 1, R, out, 12, NULL),
                  TEBM_STATUS_BAD_DIMENSION);
    for (size_t i = 0; i < sizeof out / sizeof out[0]; i++) out[i] = -7.0f;
    EXPECT(tebm_sampler_stats(&s2, &stats), TEBM_STATUS_OK);
    uint64_t steps0 = stats.steps;
    EXPECT(tebm_sampler_record_draws(&s2, &e2, STEPS, THIN, 1, R, out, 12, &written), TEBM_STATUS_OK);
    CHECK(written == STEPS / THIN && out[12] == -7.0f && out[11] != -7.0f && isfinite(out[0]));
    /* The last draw of walker 2 (w = 1 of the range) is its position now. */
    float pos[N * D];
    EXPECT(tebm_sampler_positions(&s2, pos, N * D), TEBM_STATUS_OK);
    CHECK(out[(0 * R + 1) * 3 + 2] == pos[2 * D + 0] && out[(1 * R + 1) * 3 + 2] == pos[2 * D + 1]);
    EXPECT(tebm_sampler_stats(&s2, &stats), TEBM_STATUS_OK);
    CHECK(stats.steps == steps0 + STEPS && stats.ess_draws <= stats.draws && stats.rhat_draws <= stats.draws);
    EXPECT(tebm_sampler_record_draws(&s2, &e2, 1, 2, 0, N, out, 0, &written), TEBM_STATUS_OK); /* no draw */
    CHECK(written == 0);

    /* draws diagnostics: 4 chains x 8 draws, scratch 64 doubles */
    static float x[4 * 8];
    for (int i = 0; i < 32; i++) x[i] = (float)((i * 7) % 11) - 5.0f;
    EXPECT(tebm_draws_diagnostics(NULL, 4, 8, scratch, 64, &dd), TEBM_STATUS_NULL_POINTER);
    EXPECT(tebm_draws_diagnostics(x, 4, 8, NULL, 64, &dd), TEBM_STATUS_NULL_POINTER);
    EXPECT(tebm_draws_diagnostics(x, 4, 8, scratch, 64, NULL), TEBM_STATUS_NULL_POINTER);
    EXPECT(tebm_draws_diagnostics(x, 0, 8, scratch, 64, &dd), TEBM_STATUS_BAD_DIMENSION);
    EXPECT(tebm_draws_diagnostics(x, 4, 0, scratch, 64, &dd), TEBM_STATUS_BAD_DIMENSION);
    EXPECT(tebm_draws_diagnostics(x, SIZE_MAX, 2, scratch, 64, &dd), TEBM_STATUS_CAPACITY_EXCEEDED);
    EXPECT(tebm_draws_diagnostics(x, 4, 8, scratch, 0, &dd), TEBM_STATUS_BUFFER_TOO_SMALL);
    EXPECT(tebm_draws_diagnostics(x, 4, 8, scratch, 63, &dd), TEBM_STATUS_BUFFER_TOO_SMALL);
    EXPECT(tebm_draws_diagnostics(x, 4, 8, scratch, 64, &dd), TEBM_STATUS_OK);
    CHECK(dd.split_chains == 8 && dd.split_draws == 4 && isfinite(dd.rhat) && dd.ess_bulk > 0.0);
    EXPECT(tebm_draws_diagnostics(x, 4, 3, scratch, 64, &dd), TEBM_STATUS_OK); /* < 4 draws: NaN */
    CHECK(isnan(dd.rhat) && isnan(dd.ess_tail));

    /* target_accept is checked without adapt */
    TebmSamplerConfig c;
    EXPECT(tebm_sampler_config_default(&c), TEBM_STATUS_OK);
    c.n_walkers = 4;
    c.target_accept = 1.5f;
    EXPECT_SI(tebm_sampler_init(&st, sizeof st, &e2, &c), TEBM_STATUS_BAD_CONFIG);
    c.target_accept = -0.1f;
    EXPECT_SI(tebm_sampler_init(&st, sizeof st, &e2, &c), TEBM_STATUS_BAD_CONFIG);
    c.target_accept = NAN;
    EXPECT_SI(tebm_sampler_init(&st, sizeof st, &e2, &c), TEBM_STATUS_BAD_CONFIG);
}

/* ---- checkpoints ---- */
/* One object type's three checkpoint functions on `obj` (a used object of
 * handle type T, whose functions are size, save and restore; `copy` a T to compare states with; EXTRA the energy
 * argument of the trainer's calls with its comma, or nothing): size with NULL object or
 * output, never-initialised and wrong-type handles; save into NULL, len 0
 * and size − 1 (BUFFER_TOO_SMALL: nothing written, `written` untouched),
 * size and size + 1 (OK); restore with NULL arguments, handles as above,
 * 0 and size − 1 bytes (TRUNCATED), size + 1 (CORRUPT_DATA: trailing
 * bytes), a flipped byte (CHECKSUM), each leaving the state unchanged, and
 * the file itself (OK, then saving again gives the same bytes). */
#define CHECKPOINT_EDGES(T, size, save, restore, obj, copy, wrong, EXTRA)                                    \
    do {                                                                                   \
        size_t n_ = 0, w_ = 77;                                                            \
        EXPECT(size(NULL, &n_), TEBM_STATUS_NULL_POINTER);                \
        EXPECT(size(obj, NULL), TEBM_STATUS_NULL_POINTER);                \
        EXPECT(size((const T *)&never, &n_), TEBM_STATUS_NOT_INITIALISED); \
        EXPECT(size((const T *)(wrong), &n_), TEBM_STATUS_WRONG_OBJECT);  \
        EXPECT(size(obj, &n_), TEBM_STATUS_OK);                           \
        CHECK(n_ > 16);                                                                    \
        uint8_t *b_ = calloc(n_ + 2, 1), *b2_ = calloc(n_ + 2, 1);                         \
        if (!b_ || !b2_) return;                                                           \
        EXPECT(save(NULL, EXTRA b_, n_, &w_), TEBM_STATUS_NULL_POINTER); \
        EXPECT(save(obj, EXTRA NULL, n_, &w_), TEBM_STATUS_NULL_POINTER); \
        EXPECT(save(obj, EXTRA b_, 0, &w_), TEBM_STATUS_BUFFER_TOO_SMALL); \
        EXPECT(save(obj, EXTRA b_, n_ - 1, &w_),                   \
               TEBM_STATUS_BUFFER_TOO_SMALL);                                              \
        CHECK(w_ == 77 && b_[0] == 0 && b_[n_ - 2] == 0);                                  \
        EXPECT(save(obj, EXTRA b_, n_ + 1, &w_), TEBM_STATUS_OK);   \
        CHECK(w_ == n_ && b_[n_] == 0);                                                    \
        EXPECT(save(obj, EXTRA b_, n_, NULL), TEBM_STATUS_OK);      \
        EXPECT_KEEPS(restore(NULL, EXTRA b_, n_),                   \
                     TEBM_STATUS_NULL_POINTER, obj, copy, bytes_same);                     \
        EXPECT_KEEPS(restore(obj, EXTRA NULL, n_),                  \
                     TEBM_STATUS_NULL_POINTER, obj, copy, bytes_same);                     \
        EXPECT(restore((T *)&never, EXTRA b_, n_),                  \
               TEBM_STATUS_NOT_INITIALISED);                                               \
        EXPECT(restore((T *)(wrong), EXTRA b_, n_),                 \
               TEBM_STATUS_WRONG_OBJECT);                                                  \
        EXPECT_KEEPS(restore(obj, EXTRA b_, 0), TEBM_STATUS_TRUNCATED, \
                     obj, copy, state_bytes_same);                                         \
        EXPECT_KEEPS(restore(obj, EXTRA b_, n_ - 1),                \
                     TEBM_STATUS_TRUNCATED, obj, copy, state_bytes_same);                  \
        EXPECT_KEEPS(restore(obj, EXTRA b_, n_ + 1),                \
                     TEBM_STATUS_CORRUPT_DATA, obj, copy, state_bytes_same);               \
        b_[n_ / 2] ^= 1;                                                                   \
        EXPECT_KEEPS(restore(obj, EXTRA b_, n_), TEBM_STATUS_CHECKSUM, \
                     obj, copy, state_bytes_same);                                         \
        b_[n_ / 2] ^= 1;                                                                   \
        EXPECT(restore(obj, EXTRA b_, n_), TEBM_STATUS_OK);         \
        EXPECT(save(obj, EXTRA b2_, n_, NULL), TEBM_STATUS_OK);     \
        CHECK(memcmp(b_, b2_, n_) == 0);                                                   \
        free(b_), free(b2_);                                                               \
    } while (0)

static void t_checkpoint(void) {
#define TRAINER_ENERGY &eg,
    CHECKPOINT_EDGES(TebmSampler, tebm_sampler_checkpoint_size, tebm_sampler_checkpoint_save,
                     tebm_sampler_checkpoint_restore, &s2, &s_copy, &e2, );
    CHECKPOINT_EDGES(TebmTempering, tebm_tempering_checkpoint_size,
                     tebm_tempering_checkpoint_save, tebm_tempering_checkpoint_restore, &xt,
                     &xt_copy, &s2, );
    CHECKPOINT_EDGES(TebmTrainer, tebm_trainer_checkpoint_size, tebm_trainer_checkpoint_save,
                     tebm_trainer_checkpoint_restore, &tr, &tr_copy, &s2, TRAINER_ENERGY);
    /* Another object type's checkpoint: CORRUPT_DATA, state unchanged. */
    size_t ns = 0, nx = 0;
    EXPECT(tebm_sampler_checkpoint_size(&s2, &ns), TEBM_STATUS_OK);
    EXPECT(tebm_tempering_checkpoint_size(&xt, &nx), TEBM_STATUS_OK);
    uint8_t *bs = calloc(ns, 1), *bx = calloc(nx, 1);
    if (!bs || !bx) return;
    EXPECT(tebm_sampler_checkpoint_save(&s2, bs, ns, NULL), TEBM_STATUS_OK);
    EXPECT(tebm_tempering_checkpoint_save(&xt, bx, nx, NULL), TEBM_STATUS_OK);
    EXPECT_KEEPS(tebm_sampler_checkpoint_restore(&s2, bx, nx), TEBM_STATUS_CORRUPT_DATA, &s2,
                 &s_copy, state_bytes_same);
    EXPECT_KEEPS(tebm_tempering_checkpoint_restore(&xt, bs, ns), TEBM_STATUS_CORRUPT_DATA, &xt,
                 &xt_copy, state_bytes_same);
    free(bs), free(bx);
    /* The trainer's energy: another kind (BAD_CONFIG), not an energy. */
    size_t n = 0;
    EXPECT(tebm_trainer_checkpoint_size(&tr, &n), TEBM_STATUS_OK);
    uint8_t *b = calloc(n, 1);
    if (!b) return;
    EXPECT(tebm_trainer_checkpoint_save(&tr, &eg, b, n, NULL), TEBM_STATUS_OK);
    EXPECT(tebm_trainer_checkpoint_save(&tr, &epoly, b, n, NULL), TEBM_STATUS_BAD_CONFIG);
    EXPECT(tebm_trainer_checkpoint_save(&tr, (const TebmEnergy *)&s2, b, n, NULL),
           TEBM_STATUS_WRONG_OBJECT);
    EXPECT_KEEPS(tebm_trainer_checkpoint_restore(&tr, &epoly, b, n), TEBM_STATUS_BAD_CONFIG, &tr,
                 &tr_copy, state_bytes_same);
    EXPECT_KEEPS(tebm_trainer_checkpoint_restore(&tr, &ecb, b, n), TEBM_STATUS_BAD_CONFIG, &tr,
                 &tr_copy, bytes_same);
    free(b);
}

/* ==== energy-discrepancy trainer (TebmEd) ====
 * As for trainers: every byte unchanged for calls that cannot record an
 * error and for failing inits; every byte after the header otherwise. */
static TebmEd ed, edi, ed_copy; /* ed: on eg, batches of 4, 3 negatives; edi: init target */
#define EXPECT_DRO(call, want)                                                             \
    do {                                                                                   \
        memcpy(&ed_copy, &ed, sizeof ed);                                                  \
        memcpy(&e_copy, &eg, sizeof eg);                                                   \
        EXPECT(call, want);                                                                \
        CHECK(same(&ed, &ed_copy, sizeof ed));                                             \
        CHECK(same(&eg, &e_copy, sizeof eg));                                              \
    } while (0)
#define EXPECT_DST(call, want)                                                             \
    do {                                                                                   \
        memcpy(&ed_copy, &ed, sizeof ed);                                                  \
        memcpy(&e_copy, &eg, sizeof eg);                                                   \
        EXPECT(call, want);                                                                \
        CHECK(state_same(&ed, &ed_copy));                                                  \
        CHECK(same(&eg, &e_copy, sizeof eg));                                              \
    } while (0)
#define EXPECT_DI(call, want) EXPECT_KEEPS(call, want, &edi, &ed_copy, same)

static void t_ed(void) {
    TebmEdConfig c;
    TebmEdMetrics m;
    size_t el = sizeof edi;
    float x[8 * 2];
    for (int i = 0; i < 8 * 2; i++) x[i] = 0.25f * (float)(i % 5) - 0.5f;
    float xn[2] = {0.5f, NAN};
    int upd = -9;
    TebmEd *nv = (TebmEd *)&never, *wrong = (TebmEd *)&s2;
    char buf[TEBM_ERROR_MESSAGE_CAPACITY];

    CHECK(tebm_ed_size() > 0 && tebm_ed_size() <= TEBM_ED_SIZE);
    CHECK(tebm_ed_align() > 0 && tebm_ed_align() <= TEBM_OBJECT_ALIGN);
    CHECK(tebm_ed_size() < tebm_trainer_size()); /* no walkers */
    EXPECT(tebm_ed_config_default(NULL), TEBM_STATUS_NULL_POINTER);
    EXPECT(tebm_ed_config_default(&c), TEBM_STATUS_OK);
    CHECK(c.negatives == 8 && c.w == 1.0f && c.t > 0.0f && c.batch_size == 32 &&
          c.optimizer == TEBM_OPTIMIZER_ADAM);
    c.batch_size = 4;
    c.negatives = 3;
    c.learning_rate = 0.01f;

    /* init: pointers, memory, handles, every configuration field */
    EXPECT(tebm_ed_init(NULL, el, &eg, &c), TEBM_STATUS_NULL_POINTER);
    EXPECT_DI(tebm_ed_init(&edi, el, NULL, &c), TEBM_STATUS_NULL_POINTER);
    EXPECT_DI(tebm_ed_init(&edi, el, &eg, NULL), TEBM_STATUS_NULL_POINTER);
    EXPECT_DI(tebm_ed_init(&edi, 0, &eg, &c), TEBM_STATUS_BUFFER_TOO_SMALL);
    EXPECT_DI(tebm_ed_init(&edi, tebm_ed_size() - 1, &eg, &c), TEBM_STATUS_BUFFER_TOO_SMALL);
    EXPECT_DI(tebm_ed_init(&edi, el, (const TebmEnergy *)&never, &c), TEBM_STATUS_NOT_INITIALISED);
    EXPECT_DI(tebm_ed_init(&edi, el, (const TebmEnergy *)&s2, &c), TEBM_STATUS_WRONG_OBJECT);
    EXPECT_DI(tebm_ed_init(&edi, el, &ecb, &c), TEBM_STATUS_BAD_CONFIG);
    TebmEdConfig b = c;
    b.negatives = 0;
    EXPECT_DI(tebm_ed_init(&edi, el, &eg, &b), TEBM_STATUS_BAD_DIMENSION);
    b.negatives = TEBM_MAX_ED_NEGATIVES + 1;
    EXPECT_DI(tebm_ed_init(&edi, el, &eg, &b), TEBM_STATUS_CAPACITY_EXCEEDED);
    b = c;
    b.batch_size = 0;
    EXPECT_DI(tebm_ed_init(&edi, el, &eg, &b), TEBM_STATUS_BAD_DIMENSION);
    float badt[] = {0.0f, -1.0f, NAN, INFINITY};
    for (int i = 0; i < 4; i++) {
        b = c;
        b.t = badt[i];
        EXPECT_DI(tebm_ed_init(&edi, el, &eg, &b), TEBM_STATUS_BAD_CONFIG);
        b = c;
        b.w = i == 0 ? -0.5f : badt[i];
        EXPECT_DI(tebm_ed_init(&edi, el, &eg, &b), TEBM_STATUS_BAD_CONFIG);
    }
    b = c;
    b.optimizer = 7;
    EXPECT_DI(tebm_ed_init(&edi, el, &eg, &b), TEBM_STATUS_BAD_CONFIG);
    b = c;
    b.learning_rate = -1.0f;
    EXPECT_DI(tebm_ed_init(&edi, el, &eg, &b), TEBM_STATUS_BAD_CONFIG);
    b = c;
    b.negatives = TEBM_MAX_ED_NEGATIVES;
    EXPECT(tebm_ed_init(&edi, el, &eg, &b), TEBM_STATUS_OK); /* at capacity */
    /* over an existing object: a failing init changes nothing */
    b.t = 0.0f;
    EXPECT_KEEPS(tebm_ed_init(&edi, el, &eg, &b), TEBM_STATUS_BAD_CONFIG, &edi, &ed_copy, same);
    EXPECT(tebm_ed_init(&ed, sizeof ed, &eg, &c), TEBM_STATUS_OK);

    /* push: pointers, handles, dim 0 / 1 / 3 / capacity / capacity + 1 */
    EXPECT_DRO(tebm_ed_push(NULL, &eg, x, 2, &upd), TEBM_STATUS_NULL_POINTER);
    EXPECT_DRO(tebm_ed_push(&ed, NULL, x, 2, &upd), TEBM_STATUS_NULL_POINTER);
    EXPECT_DRO(tebm_ed_push(&ed, &eg, NULL, 2, &upd), TEBM_STATUS_NULL_POINTER);
    EXPECT_DRO(tebm_ed_push(nv, &eg, x, 2, &upd), TEBM_STATUS_NOT_INITIALISED);
    EXPECT_DRO(tebm_ed_push(wrong, &eg, x, 2, &upd), TEBM_STATUS_WRONG_OBJECT);
    EXPECT_DRO(tebm_ed_push(&ed, (TebmEnergy *)&never, x, 2, &upd), TEBM_STATUS_NOT_INITIALISED);
    EXPECT_DRO(tebm_ed_push(&ed, &ecb, x, 2, &upd), TEBM_STATUS_BAD_CONFIG);
    CHECK(upd == -9);
    EXPECT_DST(tebm_ed_push(&ed, &eg, x, 0, &upd), TEBM_STATUS_BAD_DIMENSION);
    EXPECT_DST(tebm_ed_push(&ed, &eg, x, 1, &upd), TEBM_STATUS_BAD_DIMENSION);
    EXPECT_DST(tebm_ed_push(&ed, &eg, x, 3, &upd), TEBM_STATUS_BAD_DIMENSION);
    EXPECT_DST(tebm_ed_push(&ed, &eg, x, TEBM_MAX_DIM + 1, &upd), TEBM_STATUS_CAPACITY_EXCEEDED);
    EXPECT_DST(tebm_ed_push(&ed, &e_full, x, 2, &upd), TEBM_STATUS_BAD_DIMENSION);
    EXPECT_DST(tebm_ed_push(&ed, &epoly, x, 2, &upd), TEBM_STATUS_BAD_CONFIG);
    EXPECT_DST(tebm_ed_push(&ed, &eg, xn, 2, &upd), TEBM_STATUS_NON_FINITE);
    CHECK(upd == -9);
    for (int i = 0; i < 3; i++) {
        EXPECT(tebm_ed_push(&ed, &eg, x + 2 * i, 2, &upd), TEBM_STATUS_OK);
        CHECK(upd == 0);
    }
    EXPECT(tebm_ed_push(&ed, &eg, x + 6, 2, NULL), TEBM_STATUS_OK);
    EXPECT(tebm_ed_metrics(&ed, &m), TEBM_STATUS_OK);
    CHECK(m.updates == 1 && m.batch_len == 0 && m.dim == 2 && m.num_params == 4);
    CHECK(isfinite(m.loss) && m.data_weight >= 0.0f && m.data_weight < 1.0f);

    /* push_batch: n 0 / 1 / batch / 2 batches; n x dim overflowing */
    EXPECT_DRO(tebm_ed_push_batch(NULL, &eg, x, 1, 2, &upd), TEBM_STATUS_NULL_POINTER);
    EXPECT_DRO(tebm_ed_push_batch(&ed, NULL, x, 1, 2, &upd), TEBM_STATUS_NULL_POINTER);
    EXPECT_DRO(tebm_ed_push_batch(&ed, &eg, NULL, 1, 2, &upd), TEBM_STATUS_NULL_POINTER);
    EXPECT_DRO(tebm_ed_push_batch(nv, &eg, x, 1, 2, &upd), TEBM_STATUS_NOT_INITIALISED);
    EXPECT_DRO(tebm_ed_push_batch(wrong, &eg, x, 1, 2, &upd), TEBM_STATUS_WRONG_OBJECT);
    EXPECT_DST(tebm_ed_push_batch(&ed, &eg, x, 0, 2, &upd), TEBM_STATUS_BAD_DIMENSION);
    EXPECT_DST(tebm_ed_push_batch(&ed, &eg, x, 1, 0, &upd), TEBM_STATUS_BAD_DIMENSION);
    EXPECT_DST(tebm_ed_push_batch(&ed, &eg, x, SIZE_MAX, 2, &upd), TEBM_STATUS_CAPACITY_EXCEEDED);
    float xb[8 * 2];
    memcpy(xb, x, sizeof xb);
    xb[15] = INFINITY; /* the last point: all are checked before any is pushed */
    upd = -9;
    EXPECT_DST(tebm_ed_push_batch(&ed, &eg, xb, 8, 2, &upd), TEBM_STATUS_NON_FINITE);
    CHECK(upd == -9);
    EXPECT(tebm_ed_push_batch(&ed, &eg, x, 1, 2, &upd), TEBM_STATUS_OK);
    CHECK(upd == 0);
    EXPECT(tebm_ed_push_batch(&ed, &eg, x, 3, 2, &upd), TEBM_STATUS_OK);
    CHECK(upd == 1);
    EXPECT(tebm_ed_push_batch(&ed, &eg, x, 8, 2, &upd), TEBM_STATUS_OK);
    CHECK(upd == 2);
    EXPECT(tebm_ed_metrics(&ed, &m), TEBM_STATUS_OK);
    CHECK(m.updates == 4 && m.batch_len == 0);

    /* update: empty batch, then one point */
    EXPECT_DRO(tebm_ed_update(NULL, &eg), TEBM_STATUS_NULL_POINTER);
    EXPECT_DRO(tebm_ed_update(&ed, NULL), TEBM_STATUS_NULL_POINTER);
    EXPECT_DRO(tebm_ed_update(nv, &eg), TEBM_STATUS_NOT_INITIALISED);
    EXPECT_DRO(tebm_ed_update(wrong, &eg), TEBM_STATUS_WRONG_OBJECT);
    EXPECT_DRO(tebm_ed_update(&ed, &ecb), TEBM_STATUS_BAD_CONFIG);
    EXPECT_DST(tebm_ed_update(&ed, &eg), TEBM_STATUS_BAD_DIMENSION);
    EXPECT(tebm_ed_push(&ed, &eg, x, 2, &upd), TEBM_STATUS_OK);
    EXPECT_DST(tebm_ed_update(&ed, &epoly), TEBM_STATUS_BAD_CONFIG);
    EXPECT(tebm_ed_update(&ed, &eg), TEBM_STATUS_OK);
    EXPECT(tebm_ed_metrics(&ed, &m), TEBM_STATUS_OK);
    CHECK(m.updates == 5 && m.batch_len == 0 && m.rejected == 0);

    /* set_learning_rate: 0 allowed, negative / non-finite not */
    float badlr[] = {-0.0001f, -1.0f, NAN, INFINITY, -INFINITY};
    EXPECT(tebm_ed_set_learning_rate(NULL, 0.1f), TEBM_STATUS_NULL_POINTER);
    EXPECT_DRO(tebm_ed_set_learning_rate(nv, 0.1f), TEBM_STATUS_NOT_INITIALISED);
    EXPECT_DRO(tebm_ed_set_learning_rate(wrong, 0.1f), TEBM_STATUS_WRONG_OBJECT);
    for (int i = 0; i < 5; i++) EXPECT_DST(tebm_ed_set_learning_rate(&ed, badlr[i]), TEBM_STATUS_BAD_CONFIG);
    ERR_REPLACED(tebm_ed_last_error, &ed, "tebm_ed_push");
    EXPECT(tebm_ed_set_learning_rate(&ed, 0.0f), TEBM_STATUS_OK);
    memcpy(&e_copy, &eg, sizeof eg);
    EXPECT(tebm_ed_push_batch(&ed, &eg, x, 4, 2, &upd), TEBM_STATUS_OK);
    CHECK(upd == 1);
    EXPECT(tebm_ed_metrics(&ed, &m), TEBM_STATUS_OK);
    CHECK(m.learning_rate == 0.0f);

    /* metrics and last_error: pointers and handles */
    EXPECT_DRO(tebm_ed_metrics(NULL, &m), TEBM_STATUS_NULL_POINTER);
    EXPECT_DRO(tebm_ed_metrics(&ed, NULL), TEBM_STATUS_NULL_POINTER);
    EXPECT_DRO(tebm_ed_metrics(nv, &m), TEBM_STATUS_NOT_INITIALISED);
    EXPECT_DRO(tebm_ed_metrics(wrong, &m), TEBM_STATUS_WRONG_OBJECT);
    EXPECT_DRO(tebm_ed_last_error(NULL, buf, sizeof buf), TEBM_STATUS_NULL_POINTER);
    EXPECT_DRO(tebm_ed_last_error(&ed, NULL, sizeof buf), TEBM_STATUS_NULL_POINTER);
    EXPECT_DRO(tebm_ed_last_error(nv, buf, sizeof buf), TEBM_STATUS_NOT_INITIALISED);
    EXPECT_DRO(tebm_ed_last_error(&ed, buf, sizeof buf), TEBM_STATUS_OK);
}

int main(void) {
    setup();
    t_version();
    t_sizes();
    t_gaussian();
    t_polynomial();
    t_mixture();
    t_mlp();
    t_deep_mlp();
    t_deep_mlp_train();
    t_callback();
    t_energy_dim_eval();
    t_sampler_init();
    t_run();
    t_mutators();
    t_readers();
    t_mass();
    t_draws();
    t_trainer_init();
    t_trainer_train();
    t_trainer_readers();
    t_ed();
    t_weights();
    t_tempering_init();
    t_tempering_use();
    t_checkpoint();
    t_ais();
    check_status_messages(); /* the edges of tebm_status_message(): check.h */
    printf("api_edges: %d checks, %d failures\n", checks, failures);
    return failures != 0;
}

/* Fuzz target for tinyebm's C API (issue 7): the input is a program, a
 * sequence of opcodes with their arguments, run against a few energy and
 * sampler slots (plus byte arenas for misaligned and short object memory).
 * Every public function has an opcode; arguments come from the input:
 * sizes (0, capacity, capacity + 1, SIZE_MAX, raw), floats (NaN, ±inf,
 * ±huge, denormal, 0, raw bits, small values), pointers (NULL, each slot,
 * an object of the other type, never-initialised memory, misaligned), and
 * callback energies whose behaviour the input switches (NaN energy or
 * gradient, error codes, infinities, failing after k calls, constant).
 *
 * Invariants (abort → libFuzzer reports a crash):
 *   - every call returns a status in 0..=TEBM_STATUS_UNKNOWN;
 *   - a failing energy init leaves every byte of its memory unchanged;
 *   - read-only calls (energy_dim/eval, positions, energies, last_accepted,
 *     stats, diagnostic, last_error) change no byte of the sampler/energy;
 *   - a failing sampler call leaves every byte after the header
 *     (TEBM_SAMPLER_HEADER_SIZE) unchanged, except the documented cases
 *     (failures met while evaluating the energy: run, init), where the
 *     positions and the statistics must be unchanged;
 *   - output buffers are written only within their length (guard floats
 *     after them);
 *   - positions and energies read back, step size and β are finite;
 *     steps_done ≤ steps, and = steps exactly on success.
 *
 * Built with clang -fsanitize=fuzzer,address,undefined against a
 * coverage-instrumented libtinyebm.a (scripts/fuzz.sh); replay.c runs a
 * corpus without libFuzzer (valgrind). To add an API function: write an
 * op_* function and append it to OPS[] (existing inputs keep their meaning
 * as long as OPS[] only grows). */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tinyebm.h"

/* Padding inside the Rust objects holds unspecified bytes that memcmp also
 * compares (as in status_test.c); under valgrind (replay.c) they are marked
 * defined for these comparisons only. */
#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define DEFINED(p, n) (void)VALGRIND_MAKE_MEM_DEFINED((p), (n))
#endif
#endif
#ifndef DEFINED
#define DEFINED(p, n) ((void)(p), (void)(n))
#endif

/* ------------------------------------------------------------------ input */
typedef struct {
    const uint8_t *p;
    size_t n;
} In;

static uint8_t u8(In *in) {
    if (!in->n) return 0;
    in->n--;
    return *in->p++;
}
static uint32_t u32raw(In *in) {
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) v = v << 8 | u8(in);
    return v;
}
/* A size around capacity `cap`: small, 0, cap, cap + 1, huge, raw. */
static size_t size_arg(In *in, size_t cap) {
    uint8_t b = u8(in);
    switch (b >> 5) {
    case 0: return 0;
    case 1: return cap;
    case 2: return cap + 1;
    case 3: return b & 1 ? SIZE_MAX : (SIZE_MAX / 2) + 1;
    case 4: return u32raw(in);
    default: return 1 + (b & 31) % (cap ? cap : 1);
    }
}
static float float_arg(In *in) {
    uint8_t b = u8(in);
    switch (b & 15) {
    case 0: return 0.0f;
    case 1: return -0.0f;
    case 2: return NAN;
    case 3: return INFINITY;
    case 4: return -INFINITY;
    case 5: return FLT_MAX;
    case 6: return -FLT_MAX;
    case 7: return 1e-40f;
    case 8: return FLT_MIN;
    case 9: {
        uint32_t v = u32raw(in);
        float f;
        memcpy(&f, &v, sizeof f);
        return f;
    }
    case 10: return 1.0f;
    case 11: return 1e20f;
    default: return (float)((int)(b >> 4) - 8) * 0.25f + (float)(b & 3) * 0.0625f;
    }
}
/* A positive, mostly sane float (step sizes, sds, precisions). */
static float pos_arg(In *in) {
    uint8_t b = u8(in);
    if (b < 200) return 0.01f + (float)b * 0.01f;
    return float_arg(in);
}

/* --------------------------------------------------------------- checks */
#define FAIL(...)                                                                          \
    do {                                                                                   \
        fprintf(stderr, "capi_fuzz: " __VA_ARGS__);                                        \
        fprintf(stderr, " (line %d)\n", __LINE__);                                         \
        abort();                                                                           \
    } while (0)

static TebmStatus valid(TebmStatus s, const char *what) {
    if ((int)s < 0 || (int)s > TEBM_STATUS_UNKNOWN) FAIL("%s returned %d", what, (int)s);
    return s;
}
#define CALL(call) valid((call), #call)

/* --------------------------------------------------------------- objects */
#define N_ENERGY 3
#define N_SAMPLER 2
#define ARENA_PAD 64

/* Energy and sampler slots, each a union with extra bytes for misaligned
 * placement; `used` is what the harness told the library it may use. */
typedef union {
    TebmEnergy e;
    unsigned char b[sizeof(TebmEnergy) + ARENA_PAD];
} ESlot;
typedef union {
    TebmSampler s;
    unsigned char b[sizeof(TebmSampler) + ARENA_PAD];
} SSlot;

static ESlot eslot[N_ENERGY];
static SSlot sslot[N_SAMPLER];
static size_t eoff[N_ENERGY], soff[N_SAMPLER]; /* offset of the object */
static ESlot ecopy;
static SSlot scopy;
static TebmSampler never_init; /* all zeros: not an object */

/* Callback control, one per energy slot (the `user` pointer). */
enum { CB_QUAD, CB_NAN_U, CB_NAN_G, CB_ERR, CB_INF_U, CB_FAIL_AFTER, CB_CONST, CB_HUGE_G, CB_MODES };
typedef struct {
    int mode;
    long calls, after;
} Ctl;
static Ctl ctl[N_ENERGY];

static int cb(void *user, const float *x, size_t dim, float *u, float *grad) {
    Ctl *c = (Ctl *)user;
    c->calls++;
    if (c->mode == CB_ERR) return -7;
    if (c->mode == CB_FAIL_AFTER && c->calls > c->after) return 1;
    float s = 0.0f;
    for (size_t i = 0; i < dim; i++) {
        s += 0.5f * x[i] * x[i];
        if (grad) {
            switch (c->mode) {
            case CB_NAN_G: grad[i] = NAN; break;
            case CB_CONST: grad[i] = 0.0f; break;
            case CB_HUGE_G: grad[i] = x[i] >= 0 ? FLT_MAX : -FLT_MAX; break;
            default: grad[i] = x[i];
            }
        }
    }
    switch (c->mode) {
    case CB_NAN_U: *u = NAN; break;
    case CB_INF_U: *u = INFINITY; break;
    case CB_CONST: *u = 1.0f; break;
    default: *u = s;
    }
    return 0;
}

static void *eptr(int i) { return eslot[i].b + eoff[i]; }
static void *sptr(int i) { return sslot[i].b + soff[i]; }

/* An energy handle: a slot, NULL, a sampler, never-initialised memory. */
static const TebmEnergy *energy_handle(In *in, int *slot) {
    uint8_t b = u8(in);
    *slot = -1;
    if (b < 200) {
        *slot = b % N_ENERGY;
        return (const TebmEnergy *)eptr(*slot);
    }
    switch (b % 4) {
    case 0: return NULL;
    case 1: return (const TebmEnergy *)sptr(b % N_SAMPLER);
    case 2: return (const TebmEnergy *)&never_init;
    default: return (const TebmEnergy *)(eslot[0].b + 1 + b % 15); /* misaligned */
    }
}
static TebmSampler *sampler_handle(In *in, int *slot) {
    uint8_t b = u8(in);
    *slot = -1;
    if (b < 200) {
        *slot = b % N_SAMPLER;
        return (TebmSampler *)sptr(*slot);
    }
    switch (b % 4) {
    case 0: return NULL;
    case 1: return (TebmSampler *)eptr(b % N_ENERGY);
    case 2: return &never_init;
    default: return (TebmSampler *)(sslot[0].b + 1 + b % 15);
    }
}

/* Bytes of sampler slot i that the library may touch. */
static size_t sbytes(int i) { return sizeof(SSlot) - soff[i]; }
static size_t ebytes(int i) { return sizeof(ESlot) - eoff[i]; }
static void snap_s(int i) { memcpy(scopy.b, sptr(i), sbytes(i)); }
static int same_s_all(int i) {
    DEFINED(scopy.b, sbytes(i));
    DEFINED(sptr(i), sbytes(i));
    return memcmp(scopy.b, sptr(i), sbytes(i)) == 0;
}
static int same_s_state(int i) {
    DEFINED(scopy.b, sbytes(i));
    DEFINED(sptr(i), sbytes(i));
    return memcmp(scopy.b + TEBM_SAMPLER_HEADER_SIZE, (unsigned char *)sptr(i) + TEBM_SAMPLER_HEADER_SIZE,
                  sbytes(i) - TEBM_SAMPLER_HEADER_SIZE) == 0;
}
static void snap_e(int i) { memcpy(ecopy.b, eptr(i), ebytes(i)); }
static int same_e(int i) {
    DEFINED(ecopy.b, ebytes(i));
    DEFINED(eptr(i), ebytes(i));
    return memcmp(ecopy.b, eptr(i), ebytes(i)) == 0;
}

/* Heap buffers of exactly n floats (valgrind replay catches over-reads)
 * filled from the input; NULL for n == 0 sometimes. */
#define MAX_BUF 4096
static float *floats_from(In *in, size_t n) {
    if (n > MAX_BUF) n = MAX_BUF;
    float *f = (float *)malloc((n ? n : 1) * sizeof *f);
    if (!f) abort();
    uint8_t mode = u8(in);
    for (size_t i = 0; i < n; i++) {
        switch (mode % 4) {
        case 0: f[i] = float_arg(in); break;
        case 1: f[i] = 1.0f; break;
        case 2: f[i] = (float)(i % 7) * 0.1f + 0.05f; break;
        default: f[i] = i == (size_t)(mode >> 2) ? float_arg(in) : 0.5f;
        }
    }
    return f;
}
/* Optionally NULL instead (1 in 16). */
static float *maybe_floats(In *in, size_t n, float **keep) {
    float *f = floats_from(in, n);
    *keep = f;
    return (u8(in) & 15) == 15 ? NULL : f;
}

/* Output buffer of n elements of size sz followed by guard bytes. */
#define GUARD 64
static unsigned char *out_buf(size_t n, size_t sz) {
    unsigned char *b = (unsigned char *)malloc(n * sz + GUARD);
    if (!b) abort();
    memset(b, 0xA5, n * sz + GUARD);
    return b;
}
static void check_guard(const unsigned char *b, size_t n, size_t sz, const char *what) {
    for (size_t i = 0; i < GUARD; i++)
        if (b[n * sz + i] != 0xA5) FAIL("%s wrote past its output buffer", what);
}
/* An output length: exact, short by one, 0, large. */
static size_t out_len(In *in, size_t need) {
    uint8_t b = u8(in);
    switch (b % 5) {
    case 0: return need;
    case 1: return need ? need - 1 : 0;
    case 2: return 0;
    case 3: return need + 1 + b % 7;
    default: return b;
    }
}

/* The sampler's dimension and walker count (0 when not a sampler). */
static void sampler_shape(const TebmSampler *s, size_t *n, size_t *d) {
    TebmSamplerStats st;
    *n = *d = 0;
    if (s && tebm_sampler_stats(s, &st) == TEBM_STATUS_OK) {
        *n = st.n_walkers;
        *d = st.dim;
        if (*n == 0 || *n > TEBM_MAX_WALKERS || *d == 0 || *d > TEBM_MAX_DIM)
            FAIL("stats: bad shape %zu x %zu", *n, *d);
        if (!(isfinite(st.step_size) && st.step_size > 0)) FAIL("stats: step size %g", st.step_size);
        if (!(isfinite(st.beta) && st.beta > 0)) FAIL("stats: beta %g", st.beta);
    }
}
static size_t energy_dim_or(const TebmEnergy *e, size_t dflt) {
    size_t d;
    if (e && tebm_energy_dim(e, &d) == TEBM_STATUS_OK) {
        if (d == 0 || d > TEBM_MAX_DIM) FAIL("energy_dim: %zu", d);
        return d;
    }
    return dflt;
}

/* Observable state of a sampler: positions, energies, stats. */
typedef struct {
    int ok;
    float pos[TEBM_MAX_WALKERS * TEBM_MAX_DIM];
    float u[TEBM_MAX_WALKERS];
    TebmSamplerStats st;
} Obs;
static void observe(const TebmSampler *s, Obs *o) {
    memset(o, 0, sizeof *o);
    o->ok = tebm_sampler_stats(s, &o->st) == TEBM_STATUS_OK;
    if (!o->ok) return;
    if (tebm_sampler_positions(s, o->pos, TEBM_MAX_WALKERS * TEBM_MAX_DIM) != TEBM_STATUS_OK ||
        tebm_sampler_energies(s, o->u, TEBM_MAX_WALKERS) != TEBM_STATUS_OK)
        FAIL("positions/energies failed on an initialised sampler");
    for (size_t i = 0; i < o->st.n_walkers * o->st.dim; i++)
        if (!isfinite(o->pos[i])) FAIL("position %zu not finite: %g", i, o->pos[i]);
    for (size_t i = 0; i < o->st.n_walkers; i++)
        if (!isfinite(o->u[i])) FAIL("energy %zu not finite: %g", i, o->u[i]);
}
static int same_obs(const Obs *a, const Obs *b) {
    if (a->ok != b->ok) return 0;
    if (!a->ok) return 1;
    size_t nd = a->st.n_walkers * a->st.dim;
    return a->st.n_walkers == b->st.n_walkers && a->st.dim == b->st.dim && a->st.steps == b->st.steps &&
           a->st.draws == b->st.draws && a->st.adapting == b->st.adapting &&
           memcmp(&a->st.step_size, &b->st.step_size, sizeof(float)) == 0 &&
           memcmp(&a->st.beta, &b->st.beta, sizeof(float)) == 0 &&
           memcmp(a->pos, b->pos, nd * sizeof(float)) == 0;
}
static Obs obs_a, obs_b;

/* ---------------------------------------------------------- energy init */
/* Memory for an energy init: a slot at an input-chosen offset and length. */
static void *energy_mem(In *in, int *slot, size_t *len, uint32_t kind) {
    uint8_t b = u8(in);
    *slot = b % N_ENERGY;
    if ((b >> 2) % 8 == 7) { /* NULL */
        *len = sizeof(TebmEnergy);
        snap_e(*slot);
        return NULL;
    }
    uint8_t o = u8(in);
    size_t off = o < 224 ? eoff[*slot] : (o % 4 == 0 ? 16 : o % ARENA_PAD);
    if (off != eoff[*slot]) {
        /* Moving: clear the slot first, so that no stale, partly
         * overwritten object remains at the old offset. */
        memset(eslot[*slot].b, 0, sizeof eslot[*slot].b);
        eoff[*slot] = off;
    }
    size_t avail = ebytes(*slot);
    size_t want = tebm_energy_size_for(kind);
    switch ((b >> 5) % 5) {
    case 0: *len = sizeof(TebmEnergy); break;
    case 1: *len = want; break;
    case 2: *len = want ? want - 1 : 0; break;
    case 3: *len = 0; break;
    default: *len = u8(in) * 64u; break;
    }
    if (*len > avail) *len = avail;
    snap_e(*slot);
    return eptr(*slot);
}
static void after_energy_init(TebmStatus s, void *mem, int slot) {
    if (s != TEBM_STATUS_OK && !same_e(slot)) FAIL("failed energy init (status %d) wrote memory", (int)s);
    if (s == TEBM_STATUS_OK && !mem) FAIL("energy init with NULL memory succeeded");
}

static void op_init_gauss(In *in, int full) {
    int slot;
    size_t len;
    void *mem = energy_mem(in, &slot, &len, TEBM_ENERGY_KIND_GAUSSIAN);
    size_t d = size_arg(in, TEBM_MAX_DIM);
    size_t dd = d <= TEBM_MAX_DIM ? d : 1;
    float *k1, *k2;
    float *mean = maybe_floats(in, dd, &k1);
    float *prec;
    if (full) {
        /* identity-ish, or from the input */
        prec = maybe_floats(in, dd * dd, &k2);
        if (prec && (u8(in) & 1))
            for (size_t i = 0; i < dd; i++)
                for (size_t j = 0; j < dd; j++) prec[i * dd + j] = i == j ? 1.5f : 0.1f / (float)dd;
    } else {
        prec = maybe_floats(in, dd, &k2);
    }
    TebmStatus s = full ? CALL(tebm_energy_init_gaussian_full(mem, len, d, mean, prec))
                        : CALL(tebm_energy_init_gaussian_diag(mem, len, d, mean, prec));
    after_energy_init(s, mem, slot);
    free(k1);
    free(k2);
}
static void op_init_gauss_diag(In *in) { op_init_gauss(in, 0); }
static void op_init_gauss_full(In *in) { op_init_gauss(in, 1); }

static void op_init_poly(In *in) {
    int slot;
    size_t len;
    void *mem = energy_mem(in, &slot, &len, TEBM_ENERGY_KIND_POLYNOMIAL);
    size_t d = size_arg(in, 4);
    size_t deg = size_arg(in, TEBM_MAX_POLY_DEGREE);
    size_t nc = tebm_polynomial_num_coefficients(d, deg);
    uint8_t b = u8(in);
    size_t n = b % 4 == 0 ? nc : b % 4 == 1 ? nc + 1 : b % 4 == 2 ? (nc ? nc - 1 : 0) : b;
    float *k;
    float *coef = maybe_floats(in, n, &k);
    if (n > MAX_BUF) n = MAX_BUF;
    TebmStatus s = CALL(tebm_energy_init_polynomial(mem, len, d, deg, coef, n));
    after_energy_init(s, mem, slot);
    free(k);
}
static void op_init_double_well(In *in) {
    int slot;
    size_t len;
    void *mem = energy_mem(in, &slot, &len, TEBM_ENERGY_KIND_POLYNOMIAL);
    TebmStatus s = CALL(tebm_energy_init_double_well(mem, len, float_arg(in)));
    after_energy_init(s, mem, slot);
}
static void op_init_mixture(In *in) {
    int slot;
    size_t len;
    void *mem = energy_mem(in, &slot, &len, TEBM_ENERGY_KIND_MIXTURE);
    size_t k = size_arg(in, TEBM_MAX_COMPONENTS);
    size_t d = size_arg(in, TEBM_MAX_DIM);
    size_t kk = k <= TEBM_MAX_COMPONENTS ? k : 1, dd = d <= TEBM_MAX_DIM ? d : 1;
    float *k1, *k2, *k3;
    float *w = maybe_floats(in, kk, &k1);
    float *m = maybe_floats(in, kk * dd, &k2);
    float *sd = maybe_floats(in, kk * dd, &k3);
    TebmStatus s = CALL(tebm_energy_init_mixture(mem, len, k, d, w, m, sd));
    after_energy_init(s, mem, slot);
    free(k1);
    free(k2);
    free(k3);
}
static void op_init_mlp(In *in) {
    int slot;
    size_t len;
    void *mem = energy_mem(in, &slot, &len, TEBM_ENERGY_KIND_MLP);
    size_t d = size_arg(in, 4);
    size_t h = size_arg(in, TEBM_MAX_HIDDEN);
    uint32_t act = u8(in) % 4;
    float alpha = u8(in) & 1 ? 0.5f : float_arg(in);
    size_t np = tebm_mlp_num_params(d, h);
    uint8_t b = u8(in);
    size_t n = b % 4 == 0 ? np : b % 4 == 1 ? np + 1 : b % 4 == 2 ? (np ? np - 1 : 0) : b;
    float *k;
    float *params = maybe_floats(in, n, &k);
    if (n > MAX_BUF) n = MAX_BUF;
    if (params)
        for (size_t i = 0; i < n && n == np; i++)
            if (isfinite(params[i])) params[i] *= 0.3f; /* keep it a sane energy mostly */
    TebmStatus s = CALL(tebm_energy_init_mlp(mem, len, d, h, act, alpha, params, n));
    after_energy_init(s, mem, slot);
    free(k);
}
static void op_init_callback(In *in) {
    int slot;
    size_t len;
    void *mem = energy_mem(in, &slot, &len, TEBM_ENERGY_KIND_CALLBACK);
    size_t d = size_arg(in, TEBM_MAX_DIM);
    uint8_t b = u8(in);
    TebmEnergyFn f = b % 8 == 7 ? NULL : cb;
    void *user = &ctl[slot];
    TebmStatus s = CALL(tebm_energy_init_callback(mem, len, d, f, user));
    after_energy_init(s, mem, slot);
}
static void op_cb_mode(In *in) {
    int i = u8(in) % N_ENERGY;
    ctl[i].mode = u8(in) % CB_MODES;
    ctl[i].calls = 0;
    ctl[i].after = u8(in);
}

static void op_energy_dim(In *in) {
    int slot;
    const TebmEnergy *e = energy_handle(in, &slot);
    size_t d = 12345, *pd = u8(in) % 8 == 7 ? NULL : &d;
    if (slot >= 0) snap_e(slot);
    TebmStatus s = CALL(tebm_energy_dim(e, pd));
    if (slot >= 0 && !same_e(slot)) FAIL("energy_dim changed the energy");
    if (s == TEBM_STATUS_OK && (d == 0 || d > TEBM_MAX_DIM)) FAIL("energy_dim %zu", d);
}
static void op_energy_eval(In *in) {
    int slot;
    const TebmEnergy *e = energy_handle(in, &slot);
    size_t d = energy_dim_or(e, 2);
    size_t claimed = u8(in) % 4 == 0 ? size_arg(in, TEBM_MAX_DIM) : d;
    float *k;
    float *x = maybe_floats(in, claimed > d ? claimed : d, &k);
    float u = 0.0f;
    float *pu = u8(in) % 8 == 7 ? NULL : &u;
    int want_grad = u8(in) & 1;
    size_t glen = claimed <= MAX_BUF ? claimed : MAX_BUF;
    unsigned char *g = out_buf(glen, sizeof(float));
    if (slot >= 0) snap_e(slot);
    TebmStatus s = CALL(tebm_energy_eval(e, x, claimed, pu, want_grad ? (float *)g : NULL));
    if (slot >= 0 && !same_e(slot)) FAIL("energy_eval changed the energy");
    check_guard(g, glen, sizeof(float), "energy_eval");
    if (s == TEBM_STATUS_OK) {
        if (!isfinite(u)) FAIL("energy_eval OK but U = %g", u);
        if (want_grad)
            for (size_t i = 0; i < claimed; i++) {
                float gi;
                memcpy(&gi, g + i * sizeof gi, sizeof gi);
                if (!isfinite(gi)) FAIL("energy_eval OK but grad[%zu] = %g", i, gi);
            }
    }
    free(g);
    free(k);
}

/* -------------------------------------------------------------- sampler */
static void op_sampler_init(In *in) {
    uint8_t b = u8(in);
    int slot = b % N_SAMPLER;
    void *mem = NULL;
    uint8_t o = u8(in);
    /* moving a live sampler would make it another object: only re-place
     * memory that holds none, or was just cleared */
    if (o >= 240) {
        memset(sslot[slot].b, 0, sizeof sslot[slot].b);
        soff[slot] = o % 4 == 0 ? 16 : o % ARENA_PAD;
    }
    if ((b >> 1) % 16 != 15) mem = sptr(slot);
    size_t avail = sbytes(slot), len;
    switch ((b >> 5) % 4) {
    case 0: len = sizeof(TebmSampler); break;
    case 1: len = tebm_sampler_size(); break;
    case 2: len = tebm_sampler_size() - 1; break;
    default: len = u8(in) * 256u; break;
    }
    if (len > avail) len = avail;
    int eslot_i;
    const TebmEnergy *e = energy_handle(in, &eslot_i);
    size_t d = energy_dim_or(e, 2);

    TebmSamplerConfig cfg;
    TebmSamplerConfig *pcfg = u8(in) % 16 == 15 ? NULL : &cfg;
    CALL(tebm_sampler_config_default(&cfg));
    uint8_t kb = u8(in);
    cfg.kernel = kb < 250 ? kb % 4 : u32raw(in);
    cfg.n_walkers = u8(in) % 3 == 0 ? size_arg(in, TEBM_MAX_WALKERS) : 1 + u8(in) % 8;
    cfg.seed = u8(in);
    cfg.step_size = pos_arg(in);
    cfg.beta = u8(in) % 4 == 0 ? float_arg(in) : 1.0f;
    cfg.adapt = u8(in);
    cfg.target_accept = u8(in) % 4 == 0 ? float_arg(in) : 0.0f;
    cfg.leapfrog_steps = u8(in) % 4 == 0 ? u32raw(in) % 40 : 1 + u8(in) % 8;
    if (cfg.leapfrog_steps > 30) cfg.leapfrog_steps = u32raw(in) > 0x80000000u ? 0 : 30;
    size_t nw = cfg.n_walkers <= TEBM_MAX_WALKERS ? cfg.n_walkers : 1;
    float *k1 = NULL, *k2 = NULL, *k3 = NULL;
    uint8_t arrays = u8(in);
    if (arrays & 1) {
        k1 = floats_from(in, d);
        for (size_t i = 0; i < d; i++)
            if (u8(in) & 1) k1[i] = pos_arg(in);
        cfg.hmc_mass = k1;
    }
    if (arrays & 2) {
        k2 = floats_from(in, nw * d);
        cfg.init_positions = k2;
    }
    if (arrays & 4) {
        k3 = floats_from(in, d);
        cfg.init_center = k3;
    }
    cfg.init_sd = u8(in) % 4 == 0 ? float_arg(in) : 1.0f;

    snap_s(slot);
    observe((const TebmSampler *)scopy.b, &obs_a);
    if (eslot_i >= 0) snap_e(eslot_i);
    TebmStatus s = CALL(tebm_sampler_init(mem, len, e, pcfg));
    if (eslot_i >= 0 && !same_e(eslot_i)) FAIL("sampler_init changed the energy");
    if (s == TEBM_STATUS_OK) {
        if (!mem || !pcfg || !e) FAIL("sampler_init OK with NULL");
        observe((const TebmSampler *)mem, &obs_b);
        if (!obs_b.ok) FAIL("sampler_init OK but stats fail");
        if (obs_b.st.n_walkers != cfg.n_walkers || obs_b.st.dim != d) FAIL("sampler_init: wrong shape");
    } else if (mem) {
        if (s == TEBM_STATUS_NON_FINITE || s == TEBM_STATUS_CALLBACK_ERROR) {
            observe((const TebmSampler *)mem, &obs_b);
            if (!same_obs(&obs_a, &obs_b)) FAIL("failed sampler_init (%d) changed the sampler", (int)s);
        } else if (obs_a.ok ? !same_s_state(slot) : !same_s_all(slot)) {
            size_t first = 0;
            while (first < sbytes(slot) && scopy.b[first] == ((unsigned char *)mem)[first]) first++;
            FAIL("failed sampler_init (%d) wrote memory (held a sampler: %d, offset %zu, len %zu, "
                 "first changed byte %zu, kernel %u, n %zu)",
                 (int)s, obs_a.ok, soff[slot], len, first, cfg.kernel, cfg.n_walkers);
        }
    }
    free(k1);
    free(k2);
    free(k3);
}

static void op_run(In *in) {
    int slot, es;
    TebmSampler *smp = sampler_handle(in, &slot);
    const TebmEnergy *e = energy_handle(in, &es);
    uint8_t b = u8(in);
    size_t steps = b < 250 ? b % 6 : (b == 255 ? 40 : 0);
    size_t done = 777, *pdone = u8(in) % 8 == 7 ? NULL : &done;
    if (slot >= 0) {
        snap_s(slot);
        observe(smp, &obs_a);
    }
    TebmStatus s = CALL(tebm_sampler_run(smp, e, steps, pdone));
    if (pdone && done != 777) {
        if (done > steps) FAIL("run: steps_done %zu > steps %zu", done, steps);
        if (s == TEBM_STATUS_OK && done != steps) FAIL("run OK but steps_done %zu != %zu", done, steps);
        if (s != TEBM_STATUS_OK && done == steps && steps > 0) FAIL("run failed but did every step");
    }
    if (s == TEBM_STATUS_OK && pdone && done != steps) FAIL("run OK, steps_done not written");
    if (slot < 0) return;
    observe(smp, &obs_b); /* also: positions and energies finite */
    if (s != TEBM_STATUS_OK && (pdone ? done == 0 : steps <= 1)) {
        if (s == TEBM_STATUS_NON_FINITE || s == TEBM_STATUS_CALLBACK_ERROR) {
            if (!same_obs(&obs_a, &obs_b)) FAIL("failed run (%d) changed the sampler", (int)s);
        } else if (!same_s_state(slot)) {
            FAIL("failed run (%d) changed the sampler's state bytes", (int)s);
        }
    }
    if (s == TEBM_STATUS_OK && obs_b.ok && obs_b.st.steps != obs_a.st.steps + steps)
        FAIL("run: step counter %llu after %llu + %zu", (unsigned long long)obs_b.st.steps,
             (unsigned long long)obs_a.st.steps, steps);
}

/* A mutating sampler call with no output: failure leaves the state. */
static void mutate(In *in, TebmStatus (*f)(TebmSampler *, In *), const char *what) {
    int slot;
    TebmSampler *smp = sampler_handle(in, &slot);
    if (slot >= 0) snap_s(slot);
    TebmStatus s = valid(f(smp, in), what);
    if (slot >= 0) {
        if (s != TEBM_STATUS_OK && !same_s_state(slot)) FAIL("failed %s (%d) changed the sampler", what, (int)s);
        observe(smp, &obs_b);
    }
}
static TebmStatus do_invalidate(TebmSampler *s, In *in) { (void)in; return tebm_sampler_invalidate(s); }
static TebmStatus do_set_step(TebmSampler *s, In *in) { return tebm_sampler_set_step_size(s, float_arg(in)); }
static TebmStatus do_set_beta(TebmSampler *s, In *in) { return tebm_sampler_set_beta(s, float_arg(in)); }
static TebmStatus do_adapt(TebmSampler *s, In *in) {
    return tebm_sampler_start_adaptation(s, u8(in) & 1 ? 0.0f : float_arg(in));
}
static TebmStatus do_freeze(TebmSampler *s, In *in) { (void)in; return tebm_sampler_freeze_step_size(s); }
static TebmStatus do_reset(TebmSampler *s, In *in) { (void)in; return tebm_sampler_reset_diagnostics(s); }
static void op_invalidate(In *in) { mutate(in, do_invalidate, "invalidate"); }
static void op_set_step(In *in) { mutate(in, do_set_step, "set_step_size"); }
static void op_set_beta(In *in) { mutate(in, do_set_beta, "set_beta"); }
static void op_adapt(In *in) { mutate(in, do_adapt, "start_adaptation"); }
static void op_freeze(In *in) { mutate(in, do_freeze, "freeze_step_size"); }
static void op_reset(In *in) { mutate(in, do_reset, "reset_diagnostics"); }

/* Read-only sampler calls: no byte changes, outputs within bounds. */
static void op_read(In *in) {
    int slot;
    const TebmSampler *smp = sampler_handle(in, &slot);
    size_t n, d;
    sampler_shape(slot >= 0 ? smp : NULL, &n, &d);
    uint8_t which = u8(in) % 6;
    size_t need = which == 0 ? n * d : which == 3 ? d : which == 5 ? TEBM_ERROR_MESSAGE_CAPACITY : n;
    size_t len = out_len(in, need);
    int null_out = u8(in) % 8 == 7;
    size_t esz = which == 3 ? sizeof(double) : which == 5 ? 1 : sizeof(float);
    unsigned char *buf = out_buf(len, esz), *buf2 = out_buf(len, sizeof(float));
    if (slot >= 0) snap_s(slot);
    TebmStatus s;
    TebmSamplerStats st;
    switch (which) {
    case 0: s = CALL(tebm_sampler_positions(smp, null_out ? NULL : (float *)buf, len)); break;
    case 1: s = CALL(tebm_sampler_energies(smp, null_out ? NULL : (float *)buf, len)); break;
    case 2:
        s = CALL(tebm_sampler_last_accepted(smp, null_out ? NULL : buf, u8(in) & 1 ? (float *)buf2 : NULL, len));
        break;
    case 3: {
        uint8_t w = u8(in);
        s = CALL(tebm_sampler_diagnostic(smp, w < 250 ? w % 4 : u32raw(in), null_out ? NULL : (double *)buf, len));
        break;
    }
    case 4: s = CALL(tebm_sampler_stats(smp, null_out ? NULL : &st)); break;
    default: s = CALL(tebm_sampler_last_error(smp, null_out ? NULL : (char *)buf, len)); break;
    }
    if (slot >= 0 && !same_s_all(slot)) FAIL("read-only call %d changed the sampler", which);
    check_guard(buf, len, esz, "sampler read");
    check_guard(buf2, len, sizeof(float), "last_accepted prob");
    if (s == TEBM_STATUS_OK) {
        if (null_out && which != 2) FAIL("read %d OK with NULL output", which);
        if (which != 4 && which != 5 && len < need) FAIL("read %d OK with short buffer %zu < %zu", which, len, need);
        for (size_t i = 0; which <= 1 && i < need; i++) {
            float v;
            memcpy(&v, buf + i * sizeof v, sizeof v);
            if (!isfinite(v)) FAIL("read %d: value %zu = %g", which, i, v);
        }
        if (which == 2 && !null_out)
            for (size_t i = 0; i < n; i++)
                if (buf[i] > 1) FAIL("last_accepted[%zu] = %d", i, buf[i]);
        if (which == 5 && memchr(buf, 0, len) == NULL) FAIL("last_error not NUL-terminated");
    }
    if (which == 5 && s == TEBM_STATUS_BUFFER_TOO_SMALL && len > 0 && memchr(buf, 0, len) == NULL)
        FAIL("truncated last_error not NUL-terminated");
    free(buf);
    free(buf2);
}

static void op_misc(In *in) {
    uint8_t b = u8(in);
    char buf[256];
    size_t len = u8(in);
    memset(buf, 0x5A, sizeof buf);
    switch (b % 6) {
    case 0: {
        int32_t code = (int32_t)(u8(in) < 200 ? u8(in) % 20 : u32raw(in));
        TebmStatus s = CALL(tebm_status_message(code, u8(in) % 8 == 7 ? NULL : buf, len % 128));
        if (s == TEBM_STATUS_OK && memchr(buf, 0, len % 128) == NULL) FAIL("status_message not terminated");
        for (size_t i = len % 128; i < sizeof buf; i++)
            if (buf[i] != 0x5A) FAIL("status_message wrote past len");
        break;
    }
    case 1: {
        size_t s = tebm_energy_size_for(u8(in) < 250 ? u8(in) % 6 : u32raw(in));
        if (s > TEBM_ENERGY_SIZE) FAIL("energy_size_for %zu", s);
        break;
    }
    case 2:
        if (tebm_energy_size() > TEBM_ENERGY_SIZE || tebm_sampler_size() > TEBM_SAMPLER_SIZE ||
            tebm_energy_align() > TEBM_OBJECT_ALIGN || tebm_sampler_align() > TEBM_OBJECT_ALIGN)
            FAIL("sizes above the published ones");
        break;
    case 3: {
        size_t d = size_arg(in, TEBM_MAX_DIM), g = size_arg(in, TEBM_MAX_POLY_DEGREE);
        size_t n = tebm_polynomial_num_coefficients(d, g);
        if ((d == 0 || d > TEBM_MAX_DIM || g > TEBM_MAX_POLY_DEGREE) && n) FAIL("num_coefficients %zu", n);
        break;
    }
    case 4: {
        size_t d = size_arg(in, TEBM_MAX_DIM), h = size_arg(in, TEBM_MAX_HIDDEN);
        size_t n = tebm_mlp_num_params(d, h);
        if (d && h && d <= TEBM_MAX_DIM && h <= TEBM_MAX_HIDDEN && n != h * (d + h + 3) + 1)
            FAIL("mlp_num_params(%zu, %zu) = %zu", d, h, n);
        break;
    }
    default:
        if (tebm_sampler_config_default(NULL) != TEBM_STATUS_NULL_POINTER) FAIL("config_default(NULL)");
        break;
    }
}

/* Objects may be copied with memcpy: copy sampler/energy slot a to b. */
static void op_copy(In *in) {
    uint8_t b = u8(in);
    if (b & 1) {
        int x = (b >> 1) % N_SAMPLER, y = (b >> 2) % N_SAMPLER;
        if (x != y && soff[x] % 16 == 0 && soff[y] % 16 == 0) memcpy(sptr(y), sptr(x), sizeof(TebmSampler));
    } else {
        int x = (b >> 1) % N_ENERGY, y = (b >> 3) % N_ENERGY;
        /* the copy's callback context stays that of the source (same user) */
        if (x != y && eoff[x] % 16 == 0 && eoff[y] % 16 == 0) memcpy(eptr(y), eptr(x), sizeof(TebmEnergy));
    }
}

typedef void (*Op)(In *);
/* Append only: an input's opcode bytes index this table. */
static const Op OPS[] = {
    op_init_gauss_diag, op_init_gauss_full, op_init_poly, op_init_double_well, op_init_mixture,
    op_init_mlp, op_init_callback, op_cb_mode, op_energy_dim, op_energy_eval,
    op_sampler_init, op_run, op_run, op_run, op_invalidate,
    op_set_step, op_set_beta, op_adapt, op_freeze, op_reset,
    op_read, op_read, op_misc, op_copy,
};
#define N_OPS (sizeof OPS / sizeof OPS[0])

static void reset_all(void) {
    memset(eslot, 0, sizeof eslot);
    memset(sslot, 0, sizeof sslot);
    memset(eoff, 0, sizeof eoff);
    memset(soff, 0, sizeof soff);
    memset(ctl, 0, sizeof ctl);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    In in = {data, size};
    reset_all();
    for (int i = 0; i < 64 && in.n; i++) OPS[u8(&in) % N_OPS](&in);
    return 0;
}

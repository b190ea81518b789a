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
 *   - every call returns a status in 0..=TEBM_STATUS_CHECKSUM (the largest);
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

/* DEFINED: padding inside the Rust objects holds unspecified bytes that
 * memcmp also compares; under valgrind (replay.c) they are marked defined
 * for these comparisons only (tests/c/fixtures.h, shared with the tests). */
#include "fixtures.h"

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
    if ((int)s < 0 || (int)s > TEBM_STATUS_CHECKSUM) FAIL("%s returned %d", what, (int)s);
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
static int same_s_all(int i) { return bytes_same(scopy.b, sptr(i), sbytes(i)); }
static int same_s_state(int i) { return bytes_same_from(scopy.b, sptr(i), sbytes(i), TEBM_SAMPLER_HEADER_SIZE); }
static void snap_e(int i) { memcpy(ecopy.b, eptr(i), ebytes(i)); }
static int same_e(int i) { return bytes_same(ecopy.b, eptr(i), ebytes(i)); }

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

/* ------------------------------------------------- configuration pieces */
/* Object memory length for an init: the type's size, the library's size,
 * one byte short, or raw (`scale` bytes a step), at most `avail`. */
static size_t mem_len(In *in, uint8_t b, size_t type_size, size_t need, unsigned scale, size_t avail) {
    size_t len;
    switch ((b >> 5) % 4) {
    case 0: len = type_size; break;
    case 1: len = need; break;
    case 2: len = need - 1; break;
    default: len = u8(in) * scale; break;
    }
    return len > avail ? avail : len;
}
/* The kernel of any config (sampler, trainer, tempering): kind (valid, or
 * raw: one past the last kernel and beyond), step size, leapfrog steps (0
 * sometimes, up to max_leapfrog). Its mass comes with config_arrays. */
static void kernel_arg(In *in, TebmKernelConfig *k, uint32_t max_leapfrog) {
    uint8_t kb = u8(in);
    k->kind = kb < 250 ? kb % TEBM_KERNEL_COUNT : u32raw(in);
    k->step_size = pos_arg(in);
    k->leapfrog_steps = u8(in) % 4 == 0 ? (u8(in) & 1 ? 0 : u32raw(in) % (max_leapfrog + 1)) : 1u + u8(in) % 8u;
}
/* The optional arrays of a config (mass, nw x d initial positions, centre)
 * and init_sd; heap copies of exactly their size, freed by free_arrays. */
typedef struct {
    float *mass, *positions, *center;
} Arrays;
static void config_arrays(In *in, size_t d, size_t nw, TebmKernelConfig *k, const float **init_positions,
                          const float **init_center, float *init_sd, Arrays *a) {
    uint8_t arrays = u8(in);
    a->mass = a->positions = a->center = NULL;
    if (arrays & 1) {
        a->mass = floats_from(in, d);
        for (size_t i = 0; i < d; i++)
            if (u8(in) & 1) a->mass[i] = pos_arg(in);
        k->mass = a->mass;
    }
    if (arrays & 2) *init_positions = a->positions = floats_from(in, nw * d);
    if (arrays & 4) *init_center = a->center = floats_from(in, d);
    *init_sd = u8(in) % 4 == 0 ? float_arg(in) : 1.0f;
}
static void free_arrays(Arrays *a) {
    free(a->mass);
    free(a->positions);
    free(a->center);
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
    size_t len = mem_len(in, b, sizeof(TebmSampler), tebm_sampler_size(), 256u, sbytes(slot));
    int eslot_i;
    const TebmEnergy *e = energy_handle(in, &eslot_i);
    size_t d = energy_dim_or(e, 2);

    TebmSamplerConfig cfg;
    TebmSamplerConfig *pcfg = u8(in) % 16 == 15 ? NULL : &cfg;
    CALL(tebm_sampler_config_default(&cfg));
    kernel_arg(in, &cfg.kernel, 30);
    cfg.n_walkers = u8(in) % 3 == 0 ? size_arg(in, TEBM_MAX_WALKERS) : 1 + u8(in) % 8;
    cfg.seed = u8(in);
    cfg.beta = u8(in) % 4 == 0 ? float_arg(in) : 1.0f;
    cfg.adapt = u8(in);
    cfg.target_accept = u8(in) % 4 == 0 ? float_arg(in) : 0.0f;
    Arrays arr;
    config_arrays(in, d, cfg.n_walkers <= TEBM_MAX_WALKERS ? cfg.n_walkers : 1, &cfg.kernel, &cfg.init_positions,
                  &cfg.init_center, &cfg.init_sd, &arr);

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
                 (int)s, obs_a.ok, soff[slot], len, first, cfg.kernel.kind, cfg.n_walkers);
        }
    }
    free_arrays(&arr);
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

/* ------------------------------------------------ trainer (second round) */
#define TR_PAD 64
typedef union {
    TebmTrainer t;
    unsigned char b[sizeof(TebmTrainer) + TR_PAD];
} TSlot;
typedef union {
    TebmTempering t;
    unsigned char b[sizeof(TebmTempering) + TR_PAD];
} XSlot;
static TSlot tslot, tcopy;
static XSlot xslot, xcopy;
static size_t toff, xoff;
static void *tptr(void) { return tslot.b + toff; }
static void *xptr(void) { return xslot.b + xoff; }
static size_t tbytes(void) { return sizeof(TSlot) - toff; }
static size_t xbytes(void) { return sizeof(XSlot) - xoff; }
static void snap_t(void) { memcpy(tcopy.b, tptr(), tbytes()); }
static void snap_x(void) { memcpy(xcopy.b, xptr(), xbytes()); }
/* all: every byte; else every byte after the last-error header */
static int same_t(int all) { return bytes_same_from(tcopy.b, tptr(), tbytes(), all ? 0 : TEBM_SAMPLER_HEADER_SIZE); }
static int same_x(int all) { return bytes_same_from(xcopy.b, xptr(), xbytes(), all ? 0 : TEBM_SAMPLER_HEADER_SIZE); }

/* A trainer or tempering handle (one input byte): its slot `own`, NULL, a
 * slot of another kind (foreign(b % n_foreign)), never-initialised memory,
 * the other of the two (`other`), misaligned in its storage `store`. */
static void *single_handle(In *in, int *slot, void *own, void *(*foreign)(int), int n_foreign, void *other,
                           unsigned char *store) {
    uint8_t b = u8(in);
    *slot = -1;
    if (b < 216) {
        *slot = 0;
        return own;
    }
    switch (b % 5) {
    case 0: return NULL;
    case 1: return foreign(b % n_foreign);
    case 2: return &never_init;
    case 3: return other;
    default: return store + 1 + b % 15;
    }
}
static TebmTrainer *trainer_handle(In *in, int *slot) {
    return (TebmTrainer *)single_handle(in, slot, tptr(), sptr, N_SAMPLER, xptr(), tslot.b);
}
static TebmTempering *tempering_handle(In *in, int *slot) {
    return (TebmTempering *)single_handle(in, slot, xptr(), eptr, N_ENERGY, tptr(), xslot.b);
}

/* Observable state of a trainer: metrics and positions. */
typedef struct {
    int ok;
    TebmTrainerMetrics m;
    float pos[TEBM_MAX_TRAIN_WALKERS * TEBM_MAX_DIM];
} TObs;
static TObs tobs_a, tobs_b;
static void tobserve(const TebmTrainer *t, TObs *o) {
    memset(o, 0, sizeof *o);
    o->ok = t && tebm_trainer_metrics(t, &o->m) == TEBM_STATUS_OK;
    if (!o->ok) return;
    size_t n = o->m.n_walkers, d = o->m.dim;
    if (n == 0 || n > TEBM_MAX_TRAIN_WALKERS || d == 0 || d > TEBM_MAX_DIM || o->m.num_params == 0 ||
        o->m.num_params > TEBM_MAX_PARAMS)
        FAIL("trainer metrics: bad shape %zu x %zu, %zu params", n, d, o->m.num_params);
    if (!(isfinite(o->m.learning_rate) && o->m.learning_rate >= 0)) FAIL("trainer lr %g", o->m.learning_rate);
    if (tebm_trainer_positions(t, o->pos, TEBM_MAX_TRAIN_WALKERS * TEBM_MAX_DIM) != TEBM_STATUS_OK)
        FAIL("trainer positions failed on an initialised trainer");
    for (size_t i = 0; i < n * d; i++)
        if (!isfinite(o->pos[i])) FAIL("trainer position %zu not finite: %g", i, o->pos[i]);
    float u[TEBM_MAX_TRAIN_WALKERS];
    if (tebm_trainer_energies(t, u, TEBM_MAX_TRAIN_WALKERS) != TEBM_STATUS_OK)
        FAIL("trainer energies failed on an initialised trainer");
    for (size_t i = 0; i < n; i++) /* NaN: stale cache, allowed */
        if (isinf(u[i])) FAIL("trainer energy %zu infinite", i);
}
static int same_tobs(const TObs *a, const TObs *b) {
    if (a->ok != b->ok) return 0;
    if (!a->ok) return 1;
    return a->m.n_walkers == b->m.n_walkers && a->m.dim == b->m.dim && a->m.updates == b->m.updates &&
           a->m.batch_len == b->m.batch_len && a->m.num_params == b->m.num_params &&
           memcmp(&a->m.learning_rate, &b->m.learning_rate, sizeof(float)) == 0 &&
           memcmp(a->pos, b->pos, a->m.n_walkers * a->m.dim * sizeof(float)) == 0;
}

static void op_trainer_init(In *in) {
    uint8_t b = u8(in);
    uint8_t o = u8(in);
    if (o >= 240) { /* re-place: clear first (a moved trainer is another object) */
        memset(tslot.b, 0, sizeof tslot.b);
        toff = o % 4 == 0 ? 16 : o % TR_PAD;
    }
    void *mem = (b >> 1) % 16 == 15 ? NULL : tptr();
    size_t len = mem_len(in, b, sizeof(TebmTrainer), tebm_trainer_size(), 512u, tbytes());
    int es;
    const TebmEnergy *e = energy_handle(in, &es);
    size_t d = energy_dim_or(e, 2);
    TebmTrainerConfig cfg;
    const TebmTrainerConfig *pcfg = u8(in) % 16 == 15 ? NULL : &cfg;
    CALL(tebm_trainer_config_default(&cfg));
    kernel_arg(in, &cfg.kernel, 11);
    cfg.n_walkers = u8(in) % 3 == 0 ? size_arg(in, TEBM_MAX_TRAIN_WALKERS) : 1 + u8(in) % 6;
    cfg.seed = u8(in);
    cfg.beta = u8(in) % 4 == 0 ? float_arg(in) : 1.0f;
    uint8_t mb = u8(in);
    cfg.mode = mb < 250 ? mb % 3 : u32raw(in);
    cfg.ess_threshold = u8(in) % 4 == 0 ? float_arg(in) : 0.5f;
    uint8_t bb = u8(in);
    cfg.batch_size = bb % 4 == 0 ? (bb & 4 ? 0 : u32raw(in)) : 1 + bb % 5;
    uint8_t sb = u8(in);
    cfg.steps = sb % 8 == 0 ? 0 : 1 + sb % 3;
    cfg.energy_l2 = u8(in) % 3 == 0 ? float_arg(in) : 0.0f;
    uint8_t rb = u8(in);
    cfg.reinit = rb < 250 ? rb % 3 : u32raw(in);
    cfg.reinit_prob = u8(in) % 3 == 0 ? float_arg(in) : 0.3f;
    cfg.reinit_sd = u8(in) % 3 == 0 ? float_arg(in) : 1.0f;
    cfg.trainer_seed = u8(in);
    uint8_t ob = u8(in);
    cfg.optimizer = ob < 250 ? ob % 2 : u32raw(in);
    cfg.learning_rate = u8(in) % 3 == 0 ? float_arg(in) : 0.01f;
    cfg.momentum = u8(in) % 4 == 0 ? float_arg(in) : 0.9f;
    cfg.adam_beta1 = u8(in) % 4 == 0 ? float_arg(in) : 0.9f;
    cfg.adam_beta2 = u8(in) % 4 == 0 ? float_arg(in) : 0.999f;
    cfg.adam_eps = u8(in) % 4 == 0 ? float_arg(in) : 1e-8f;
    cfg.clip_norm = u8(in) % 3 == 0 ? float_arg(in) : 0.0f;
    cfg.weight_decay = u8(in) % 4 == 0 ? float_arg(in) : 0.0f;
    Arrays arr;
    config_arrays(in, d, cfg.n_walkers <= TEBM_MAX_TRAIN_WALKERS ? cfg.n_walkers : 1, &cfg.kernel,
                  &cfg.init_positions, &cfg.init_center, &cfg.init_sd, &arr);

    snap_t();
    if (es >= 0) snap_e(es);
    TebmStatus s = CALL(tebm_trainer_init(mem, len, e, pcfg));
    if (es >= 0 && !same_e(es)) FAIL("trainer_init changed the energy");
    if (s == TEBM_STATUS_OK) {
        if (!mem || !pcfg || !e) FAIL("trainer_init OK with NULL");
        tobserve((const TebmTrainer *)mem, &tobs_b);
        if (!tobs_b.ok || tobs_b.m.n_walkers != cfg.n_walkers || tobs_b.m.dim != d || tobs_b.m.updates != 0)
            FAIL("trainer_init OK: wrong shape");
    } else if (mem && !same_t(1)) {
        FAIL("failed trainer_init (%d) wrote memory", (int)s);
    }
    free_arrays(&arr);
}

/* push (n = 1), push_batch (n from the input) and update. */
static void op_trainer_push(In *in) {
    int ts, es;
    TebmTrainer *t = trainer_handle(in, &ts);
    const TebmEnergy *e = energy_handle(in, &es);
    uint8_t b = u8(in);
    int which = b % 3; /* 0 push, 1 push_batch, 2 update */
    TObs *a = &tobs_a;
    if (ts >= 0) {
        tobserve(t, a);
    } else {
        a->ok = 0;
    }
    size_t d = a->ok ? a->m.dim : energy_dim_or(e, 2);
    size_t dim = u8(in) % 5 == 0 ? size_arg(in, TEBM_MAX_DIM) : d;
    size_t n = which == 1 ? (u8(in) % 4 == 0 ? size_arg(in, 8) : 1 + u8(in) % 6) : 1;
    /* x holds n x dim floats (the contract): large n only where n x dim
     * overflows (refused before any read) */
    if (n > 64 && dim && dim <= TEBM_MAX_DIM && n <= SIZE_MAX / dim) n = 64;
    size_t nn = n <= 64 ? n : 1, dd = dim <= TEBM_MAX_DIM ? dim : 1;
    float *k;
    float *x = maybe_floats(in, nn * dd, &k);
    int upd = -5, *pupd = u8(in) % 8 == 7 ? NULL : &upd;
    if (ts >= 0) snap_t();
    if (es >= 0) snap_e(es);
    TebmStatus s;
    TebmEnergy *em = (TebmEnergy *)(uintptr_t)e;
    if (which == 0) {
        s = CALL(tebm_trainer_push(t, em, x, dim, pupd));
    } else if (which == 1) {
        s = CALL(tebm_trainer_push_batch(t, em, x, n, dim, pupd));
    } else {
        s = CALL(tebm_trainer_update(t, em));
    }
    if (s == TEBM_STATUS_OK) {
        if (pupd && which < 2 && (upd < 0 || (size_t)upd > n)) FAIL("push: updated = %d for %zu points", upd, n);
    } else {
        /* a refused update (non-finite values, or parameters that broke the
         * model's constraints: BAD_PARAMETERS) keeps θ but not the walkers'
         * steps, the rejected count or the batch (the point stays in it) */
        int energy_fail = s == TEBM_STATUS_NON_FINITE || s == TEBM_STATUS_CALLBACK_ERROR ||
                          s == TEBM_STATUS_BAD_PARAMETERS;
        /* θ unchanged after a refused push of one point or update */
        if (es >= 0 && (which != 1 || n == 1 || !energy_fail) && !same_e(es))
            FAIL("failed trainer call %d (%d) changed the energy", which, (int)s);
        if (ts >= 0 && !energy_fail && !same_t(0)) {
            size_t first = 0;
            while (first < tbytes() && tcopy.b[first] == ((unsigned char *)tptr())[first]) first++;
            tobserve(t, &tobs_b);
            char eb[200];
            tebm_trainer_last_error(t, eb, sizeof eb);
            FAIL("failed trainer call %d (%d) changed the trainer (byte %zu; updates %llu->%llu rejected %llu->%llu "
                 "batch %zu->%zu, n %zu, es %d: %s)",
                 which, (int)s, first, (unsigned long long)a->m.updates, (unsigned long long)tobs_b.m.updates,
                 (unsigned long long)a->m.rejected, (unsigned long long)tobs_b.m.rejected, a->m.batch_len,
                 tobs_b.m.batch_len, n, es, eb);
        }
        if (pupd && upd != -5) FAIL("failed push wrote *updated");
    }
    if (ts >= 0) {
        tobserve(t, &tobs_b);
        if (s == TEBM_STATUS_OK && which == 2 && tobs_b.m.batch_len != 0) FAIL("update left a batch");
    }
    free(k);
}

static void op_trainer_mut(In *in) {
    int ts;
    TebmTrainer *t = trainer_handle(in, &ts);
    uint8_t b = u8(in);
    float lr = b & 2 ? float_arg(in) : 0.001f * (float)(b >> 2);
    if (ts >= 0) snap_t();
    TebmStatus s = b & 1 ? CALL(tebm_trainer_set_learning_rate(t, lr)) : CALL(tebm_trainer_invalidate(t));
    if (ts >= 0) {
        if (s != TEBM_STATUS_OK && !same_t(0)) FAIL("failed trainer mutator (%d) changed it", (int)s);
        tobserve(t, &tobs_b);
        if (s == TEBM_STATUS_OK && (b & 1) && memcmp(&tobs_b.m.learning_rate, &lr, sizeof lr) != 0)
            FAIL("set_learning_rate OK but lr %g != %g", tobs_b.m.learning_rate, lr);
        if (s == TEBM_STATUS_OK && !(b & 1) && tobs_b.m.batch_len != 0) FAIL("invalidate kept the batch");
    }
    if (s == TEBM_STATUS_OK && (b & 1) && !(isfinite(lr) && lr >= 0)) FAIL("set_learning_rate(%g) OK", lr);
}

static void op_trainer_read(In *in) {
    int ts;
    const TebmTrainer *t = trainer_handle(in, &ts);
    TObs *a = &tobs_a;
    if (ts >= 0) tobserve(t, a);
    else a->ok = 0;
    size_t n = a->ok ? a->m.n_walkers : 0, d = a->ok ? a->m.dim : 0;
    uint8_t which = u8(in) % 4;
    size_t need = which == 0 ? n * d : which == 1 ? n : which == 3 ? TEBM_ERROR_MESSAGE_CAPACITY : 0;
    size_t len = out_len(in, need);
    int null_out = u8(in) % 8 == 7;
    size_t esz = which == 3 ? 1 : which == 2 ? sizeof(TebmTrainerMetrics) : sizeof(float);
    if (which == 2) len = 1;
    unsigned char *buf = out_buf(len, esz);
    if (ts >= 0) snap_t();
    TebmStatus s;
    switch (which) {
    case 0: s = CALL(tebm_trainer_positions(t, null_out ? NULL : (float *)buf, len)); break;
    case 1: s = CALL(tebm_trainer_energies(t, null_out ? NULL : (float *)buf, len)); break;
    case 2: s = CALL(tebm_trainer_metrics(t, null_out ? NULL : (TebmTrainerMetrics *)buf)); break;
    default: s = CALL(tebm_trainer_last_error(t, null_out ? NULL : (char *)buf, len)); break;
    }
    if (ts >= 0 && !same_t(1)) FAIL("read-only trainer call %d changed the trainer", which);
    check_guard(buf, len, esz, "trainer read");
    if (s == TEBM_STATUS_OK) {
        if (null_out) FAIL("trainer read %d OK with NULL output", which);
        if (which < 2 && len < need) FAIL("trainer read %d OK with short buffer", which);
        for (size_t i = 0; which == 0 && i < need; i++) {
            float v;
            memcpy(&v, buf + i * sizeof v, sizeof v);
            if (!isfinite(v)) FAIL("trainer position %zu = %g", i, v);
        }
        if (which == 3 && memchr(buf, 0, len) == NULL) FAIL("trainer last_error not NUL-terminated");
    }
    if (which == 3 && s == TEBM_STATUS_BUFFER_TOO_SMALL && len > 0 && memchr(buf, 0, len) == NULL)
        FAIL("truncated trainer last_error not NUL-terminated");
    free(buf);
}

/* --------------------------------------------------------------- weights */
#define WMAX 8192
static uint8_t wfile[WMAX]; /* the current weight file */
static ESlot raw_e;         /* scratch energy memory for init_from_weights */
static size_t wlen;

static void op_weights_save(In *in) {
    int es;
    const TebmEnergy *e = energy_handle(in, &es);
    size_t need = 0, *pneed = u8(in) % 8 == 7 ? NULL : &need;
    if (es >= 0) snap_e(es);
    TebmStatus s0 = CALL(tebm_weights_size(e, pneed));
    if (s0 == TEBM_STATUS_OK && (!pneed || need < 20 || need > WMAX)) FAIL("weights_size %zu", need);
    if (!pneed) s0 = CALL(tebm_weights_size(e, &need));
    size_t len = out_len(in, s0 == TEBM_STATUS_OK ? need : 64);
    if (len > WMAX) len = WMAX;
    int null_buf = u8(in) % 8 == 7;
    unsigned char *buf = out_buf(len, 1);
    size_t written = 12345, *pw = u8(in) % 8 == 7 ? NULL : &written;
    TebmStatus s = CALL(tebm_weights_save(e, null_buf ? NULL : buf, len, pw));
    if (es >= 0 && !same_e(es)) FAIL("weights_size/save changed the energy");
    check_guard(buf, len, 1, "weights_save");
    if (s == TEBM_STATUS_OK) {
        if (s0 != TEBM_STATUS_OK || len < need) FAIL("weights_save OK (size %d, len %zu < %zu)", (int)s0, len, need);
        if (pw && written != need) FAIL("weights_save wrote %zu, size %zu", written, need);
        TebmWeightsHeader h;
        if (tebm_weights_peek(buf, need, &h) != TEBM_STATUS_OK || h.encoded_len != need || !h.fits)
            FAIL("saved file does not peek");
        char msg[TEBM_ERROR_MESSAGE_CAPACITY];
        TebmStatus c = tebm_weights_check(buf, need, msg, sizeof msg);
        if (c != TEBM_STATUS_OK) FAIL("saved file does not check: %d %s", (int)c, msg);
        memcpy(wfile, buf, need);
        wlen = need;
    } else {
        for (size_t i = 0; i < len; i++)
            if (buf[i] != 0xA5) FAIL("failed weights_save (%d) wrote the buffer", (int)s);
        if (pw && written != 12345) FAIL("failed weights_save wrote *written");
    }
    free(buf);
}

/* Mutates the current file: flip bits, truncate, extend, overwrite,
 * fix the CRC-32 (so that the field checks behind it are reached). */
static uint32_t crc32_of(const uint8_t *p, size_t n) {
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) c = c >> 1 ^ (0xEDB88320u & (0u - (c & 1)));
    }
    return ~c;
}
static void op_weights_mutate(In *in) {
    uint8_t b = u8(in);
    size_t at = wlen ? (size_t)(u8(in) | (size_t)u8(in) << 8) % wlen : 0;
    switch (b % 7) {
    case 0:
        if (wlen) wfile[at] ^= (uint8_t)(1u << (b >> 5));
        break;
    case 1: wlen = at; break; /* truncate */
    case 2:
        if (wlen < WMAX) wfile[wlen++] = u8(in); /* trailing byte */
        break;
    case 3: { /* overwrite a run from the input */
        size_t n = 1 + u8(in) % 8;
        for (size_t i = 0; i < n && at + i < wlen; i++) wfile[at + i] = u8(in);
        break;
    }
    case 4: { /* raw file from the input */
        size_t n = u8(in);
        wlen = 0;
        for (size_t i = 0; i < n && in->n; i++) wfile[wlen++] = u8(in);
        break;
    }
    case 5: /* little-endian u32 field at `at` set to 0, 1, huge, raw */
        if (at + 4 <= wlen) {
            uint32_t v = b >> 5 == 0 ? 0 : b >> 5 == 1 ? 1 : b >> 5 == 2 ? 0xFFFFFFFFu : u32raw(in);
            memcpy(wfile + at, &v, 4);
        }
        break;
    default: /* recompute a trailing CRC-32 (little-endian) */
        if (wlen >= 8) {
            uint32_t c = crc32_of(wfile, wlen - 4);
            for (int i = 0; i < 4; i++) wfile[wlen - 4 + i] = (uint8_t)(c >> 8 * i);
        }
        break;
    }
}

static void op_weights_use(In *in) {
    uint8_t b = u8(in);
    /* the file in an exact-size heap buffer (valgrind sees over-reads) */
    size_t n = wlen;
    if (b & 0x80) {
        size_t m = size_arg(in, wlen);
        n = m <= wlen ? m : wlen;
    }
    uint8_t *f = (uint8_t *)malloc(n ? n : 1);
    if (!f) abort();
    memcpy(f, wfile, n);
    const uint8_t *pf = (b >> 3) % 16 == 15 ? NULL : f;
    switch (b % 4) {
    case 0: {
        int es;
        const TebmEnergy *e = energy_handle(in, &es);
        if (es >= 0) snap_e(es);
        TebmStatus s = CALL(tebm_weights_load((TebmEnergy *)(uintptr_t)e, pf, n));
        if (es >= 0 && s != TEBM_STATUS_OK && !same_e(es)) FAIL("failed weights_load (%d) changed the energy", (int)s);
        if (s == TEBM_STATUS_OK && tebm_weights_check(f, n, NULL, 0) != TEBM_STATUS_OK)
            FAIL("weights_load OK on a file that does not check");
        if (s == TEBM_STATUS_OK && es >= 0) {
            size_t d = energy_dim_or(e, 0); /* and it evaluates */
            float x[TEBM_MAX_DIM] = {0}, u;
            (void)CALL(tebm_energy_eval(e, x, d, &u, NULL));
        }
        break;
    }
    case 1: {
        TebmWeightsHeader h;
        memset(&h, 0x5A, sizeof h);
        TebmStatus s = CALL(tebm_weights_peek(pf, n, u8(in) % 8 == 7 ? NULL : &h));
        if (s == TEBM_STATUS_OK) {
            if (h.kind > TEBM_ENERGY_KIND_MLP || h.fits > 1 || h.encoded_len < 20) FAIL("peek: odd header");
        }
        break;
    }
    case 2: {
        size_t ml = u8(in) % 3 == 0 ? u8(in) : TEBM_ERROR_MESSAGE_CAPACITY;
        int null_msg = u8(in) % 8 == 7;
        unsigned char *msg = out_buf(ml, 1);
        TebmStatus s = CALL(tebm_weights_check(pf, n, null_msg ? NULL : (char *)msg, ml));
        check_guard(msg, ml, 1, "weights_check");
        if (!null_msg && pf && ml > 0 && memchr(msg, 0, ml) == NULL) FAIL("weights_check message not terminated");
        if (s == TEBM_STATUS_OK && !null_msg && ml > 0 && msg[0] != 0) FAIL("weights_check OK with a message");
        if (pf) { /* the same verdict as a real init into ample memory */
            memset(raw_e.b, 0, sizeof raw_e.b);
            TebmStatus s2 = CALL(tebm_energy_init_from_weights(raw_e.b, sizeof(TebmEnergy), f, n));
            if (s2 != s) FAIL("weights_check %d but init_from_weights %d", (int)s, (int)s2);
        }
        free(msg);
        break;
    }
    default: {
        int slot;
        size_t len;
        TebmWeightsHeader h;
        uint32_t kind = tebm_weights_peek(f, n, &h) == TEBM_STATUS_OK ? h.kind : 0;
        void *mem = energy_mem(in, &slot, &len, kind);
        TebmStatus s = CALL(tebm_energy_init_from_weights(mem, len, pf, n));
        after_energy_init(s, mem, slot);
        if (s == TEBM_STATUS_OK) {
            if (!pf) FAIL("init_from_weights OK with NULL bytes");
            size_t d = energy_dim_or((const TebmEnergy *)mem, 0);
            if (d != h.dim) FAIL("init_from_weights: dim %zu, header %zu", d, h.dim);
        }
        break;
    }
    }
    free(f);
}

/* ------------------------------------------------------------ tempering */
static void op_tempering_init(In *in) {
    uint8_t b = u8(in);
    uint8_t o = u8(in);
    if (o >= 240) {
        memset(xslot.b, 0, sizeof xslot.b);
        xoff = o % 4 == 0 ? 16 : o % TR_PAD;
    }
    void *mem = (b >> 1) % 16 == 15 ? NULL : xptr();
    size_t len = mem_len(in, b, sizeof(TebmTempering), tebm_tempering_size(), 256u, xbytes());
    int es;
    const TebmEnergy *e = energy_handle(in, &es);
    size_t d = energy_dim_or(e, 2);
    TebmTemperingConfig cfg;
    const TebmTemperingConfig *pcfg = u8(in) % 16 == 15 ? NULL : &cfg;
    CALL(tebm_tempering_config_default(&cfg));
    kernel_arg(in, &cfg.kernel, 11);
    cfg.n_walkers = u8(in) % 3 == 0 ? size_arg(in, TEBM_MAX_TEMPERING_WALKERS) : 1 + u8(in) % 6;
    cfg.replicas = u8(in) % 3 == 0 ? size_arg(in, TEBM_MAX_REPLICAS) : 1 + u8(in) % 4;
    cfg.beta_min = u8(in) % 3 == 0 ? float_arg(in) : 0.1f;
    cfg.seed = u8(in);
    Arrays arr;
    config_arrays(in, d, cfg.n_walkers <= TEBM_MAX_TEMPERING_WALKERS ? cfg.n_walkers : 1, &cfg.kernel,
                  &cfg.init_positions, &cfg.init_center, &cfg.init_sd, &arr);
    snap_x();
    if (es >= 0) snap_e(es);
    TebmStatus s = CALL(tebm_tempering_init(mem, len, e, pcfg));
    if (es >= 0 && !same_e(es)) FAIL("tempering_init changed the energy");
    if (s == TEBM_STATUS_OK) {
        if (!mem || !pcfg || !e) FAIL("tempering_init OK with NULL");
        float betas[TEBM_MAX_REPLICAS];
        uint64_t sw = 7;
        if (tebm_tempering_ladder((const TebmTempering *)mem, betas, NULL, TEBM_MAX_REPLICAS, &sw) != TEBM_STATUS_OK ||
            sw != 0 || betas[0] != 1.0f)
            FAIL("tempering_init OK but ladder fails");
    } else if (mem && !same_x(1)) {
        FAIL("failed tempering_init (%d) wrote memory", (int)s);
    }
    free_arrays(&arr);
}

/* Shape of the tempering object (0 when not one). */
static void tshape(const TebmTempering *t, size_t *n, size_t *d, size_t *r) {
    *n = *d = *r = 0;
    float betas[TEBM_MAX_REPLICAS + 1];
    if (!t || tebm_tempering_ladder(t, betas, NULL, TEBM_MAX_REPLICAS, NULL) != TEBM_STATUS_OK) return;
    static float pos[TEBM_MAX_TEMPERING_WALKERS * TEBM_MAX_DIM + 1];
    float u[TEBM_MAX_TEMPERING_WALKERS];
    for (*r = 1; *r <= TEBM_MAX_REPLICAS; ++*r)
        if (tebm_tempering_ladder(t, betas, NULL, *r, NULL) == TEBM_STATUS_OK) break;
    for (*n = 1; *n <= TEBM_MAX_TEMPERING_WALKERS; ++*n)
        if (tebm_tempering_energies(t, u, *n) == TEBM_STATUS_OK) break;
    for (*d = 1; *d <= TEBM_MAX_DIM; ++*d)
        if (tebm_tempering_positions(t, pos, *n * *d) == TEBM_STATUS_OK) break;
    if (*r > TEBM_MAX_REPLICAS || *n > TEBM_MAX_TEMPERING_WALKERS || *d > TEBM_MAX_DIM) FAIL("tempering: bad shape");
    for (size_t i = 0; i < *n * *d; i++)
        if (!isfinite(pos[i])) FAIL("tempering position %zu = %g", i, pos[i]);
    for (size_t i = 0; i < *r; i++)
        if (!(betas[i] > 0 && betas[i] <= 1) || (i && !(betas[i] < betas[i - 1]))) FAIL("ladder %zu = %g", i, betas[i]);
}

static void op_tempering_run(In *in) {
    int xs, es;
    TebmTempering *t = tempering_handle(in, &xs);
    const TebmEnergy *e = energy_handle(in, &es);
    uint8_t b = u8(in);
    size_t steps = b < 250 ? b % 4 : (b == 255 ? 12 : 0);
    size_t done = 777, *pdone = u8(in) % 8 == 7 ? NULL : &done;
    uint64_t sw0 = 0, sw1 = 0;
    float be[TEBM_MAX_REPLICAS];
    if (xs >= 0) {
        snap_x();
        tebm_tempering_ladder(t, be, NULL, TEBM_MAX_REPLICAS, &sw0);
    }
    TebmStatus s = CALL(tebm_tempering_run(t, e, steps, pdone));
    if (pdone && done != 777) {
        if (done > steps) FAIL("tempering_run: done %zu > %zu", done, steps);
        if (s == TEBM_STATUS_OK && done != steps) FAIL("tempering_run OK, done %zu != %zu", done, steps);
    }
    if (s == TEBM_STATUS_OK && pdone && done != steps) FAIL("tempering_run OK, steps_done not written");
    if (xs < 0) return;
    size_t n, d, r;
    tshape(t, &n, &d, &r); /* positions finite, ladder sane */
    if (tebm_tempering_ladder(t, be, NULL, TEBM_MAX_REPLICAS, &sw1) == TEBM_STATUS_OK) {
        if (s == TEBM_STATUS_OK && sw1 != sw0 + steps) FAIL("tempering sweeps %llu after %llu + %zu",
                                                           (unsigned long long)sw1, (unsigned long long)sw0, steps);
        if (pdone && done != 777 && sw1 != sw0 + done) FAIL("tempering sweeps disagree with steps_done");
    }
    if (s != TEBM_STATUS_OK && s != TEBM_STATUS_NON_FINITE && s != TEBM_STATUS_CALLBACK_ERROR && !same_x(0))
        FAIL("failed tempering_run (%d) changed the object", (int)s);
}

static void op_tempering_read(In *in) {
    int xs;
    TebmTempering *t = tempering_handle(in, &xs);
    size_t n = 0, d = 0, r = 0;
    if (xs >= 0) tshape(t, &n, &d, &r);
    uint8_t which = u8(in) % 5;
    if (which == 4) { /* invalidate: a mutator */
        if (xs >= 0) snap_x();
        TebmStatus s = CALL(tebm_tempering_invalidate(t));
        if (xs >= 0 && s != TEBM_STATUS_OK && !same_x(0)) FAIL("failed tempering_invalidate changed it");
        return;
    }
    size_t need = which == 0 ? n * d : which == 1 ? n : which == 2 ? r : TEBM_ERROR_MESSAGE_CAPACITY;
    size_t len = out_len(in, need);
    int null_out = u8(in) % 8 == 7;
    size_t esz = which == 3 ? 1 : sizeof(float);
    unsigned char *buf = out_buf(len, esz), *sw = out_buf(len, sizeof(TebmSwapStats));
    int want_sw = u8(in) & 1;
    uint64_t sweeps = 0;
    if (xs >= 0) snap_x();
    TebmStatus s;
    switch (which) {
    case 0: s = CALL(tebm_tempering_positions(t, null_out ? NULL : (float *)buf, len)); break;
    case 1: s = CALL(tebm_tempering_energies(t, null_out ? NULL : (float *)buf, len)); break;
    case 2:
        s = CALL(tebm_tempering_ladder(t, null_out ? NULL : (float *)buf, want_sw ? (TebmSwapStats *)sw : NULL, len,
                                       u8(in) & 1 ? &sweeps : NULL));
        break;
    default: s = CALL(tebm_tempering_last_error(t, null_out ? NULL : (char *)buf, len)); break;
    }
    if (xs >= 0 && !same_x(1)) FAIL("read-only tempering call %d changed it", which);
    check_guard(buf, len, esz, "tempering read");
    check_guard(sw, len, sizeof(TebmSwapStats), "tempering swaps");
    if (s == TEBM_STATUS_OK) {
        if (null_out) FAIL("tempering read %d OK with NULL output", which);
        if (which < 3 && len < need) FAIL("tempering read %d OK with short buffer", which);
        for (size_t i = 0; which <= 1 && i < need; i++) {
            float v;
            memcpy(&v, buf + i * sizeof v, sizeof v);
            if (!isfinite(v)) FAIL("tempering read %d: value %zu = %g", which, i, v);
        }
        if (which == 2 && want_sw)
            for (size_t i = 0; i + 1 < r; i++) {
                TebmSwapStats st;
                memcpy(&st, sw + i * sizeof st, sizeof st);
                if (st.accepted > st.attempted) FAIL("swap stats %zu: %llu of %llu", i,
                                                     (unsigned long long)st.accepted, (unsigned long long)st.attempted);
            }
        if (which == 3 && memchr(buf, 0, len) == NULL) FAIL("tempering last_error not NUL-terminated");
    }
    free(buf);
    free(sw);
}

/* sizes, config defaults of the second round; copying trainer objects */
static void op_misc2(In *in) {
    uint8_t b = u8(in);
    switch (b % 3) {
    case 0:
        if (tebm_trainer_size() > TEBM_TRAINER_SIZE || tebm_tempering_size() > TEBM_TEMPERING_SIZE ||
            tebm_trainer_align() > TEBM_OBJECT_ALIGN || tebm_tempering_align() > TEBM_OBJECT_ALIGN)
            FAIL("trainer/tempering sizes above the published ones");
        break;
    case 1:
        if (tebm_trainer_config_default(NULL) != TEBM_STATUS_NULL_POINTER ||
            tebm_tempering_config_default(NULL) != TEBM_STATUS_NULL_POINTER)
            FAIL("config_default(NULL)");
        break;
    default: /* a trainer copied to 16-aligned storage is an equal trainer */
        if (toff % 16 == 0 && xoff % 16 == 0 && (b & 8)) {
            static TebmTrainer tc;
            memcpy(&tc, tptr(), sizeof tc);
            tobserve(tptr(), &tobs_a);
            tobserve(&tc, &tobs_b);
            if (!same_tobs(&tobs_a, &tobs_b)) FAIL("copied trainer differs");
        }
        break;
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
    /* second round: trainer, weights, tempering */
    op_trainer_init, op_trainer_push, op_trainer_push, op_trainer_mut, op_trainer_read,
    op_weights_save, op_weights_mutate, op_weights_use, op_weights_use, op_tempering_init,
    op_tempering_run, op_tempering_read, op_misc2,
};
#define N_OPS (sizeof OPS / sizeof OPS[0])

static void reset_all(void) {
    memset(eslot, 0, sizeof eslot);
    memset(sslot, 0, sizeof sslot);
    memset(eoff, 0, sizeof eoff);
    memset(soff, 0, sizeof soff);
    memset(ctl, 0, sizeof ctl);
    memset(tslot.b, 0, sizeof tslot.b);
    memset(xslot.b, 0, sizeof xslot.b);
    toff = xoff = 0;
    wlen = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    In in = {data, size};
    reset_all();
    for (int i = 0; i < 64 && in.n; i++) OPS[u8(&in) % N_OPS](&in);
    return 0;
}

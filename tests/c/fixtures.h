/* Shared pieces of the C API tests (tests/c/) and the C fuzzer
 * (fuzz/capi/capi_fuzz.c): byte comparisons of objects, the quadratic
 * callback energy, and configuration builders. Everything is static inline:
 * a program includes what it uses without unused-function warnings. */
#ifndef TINYEBM_FIXTURES_H
#define TINYEBM_FIXTURES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tinyebm.h"

/* Padding bytes inside the Rust state (after a bool, say) are copied and
 * rewritten with their structs and hold unspecified values; memcmp compares
 * them too (stricter than needed, and they match here since the same code
 * wrote both copies). Valgrind would report the comparison of those
 * unspecified bytes, so it is told to treat them as defined, for these
 * comparisons only. */
#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define DEFINED(p, n) (void)VALGRIND_MAKE_MEM_DEFINED((p), (n))
#endif
#endif
#ifndef DEFINED
#define DEFINED(p, n) ((void)(p), (void)(n))
#endif

/* Bytes from..n of a and b are equal. */
static inline int bytes_same_from(const void *a, const void *b, size_t n, size_t from) {
    DEFINED(a, n);
    DEFINED(b, n);
    return memcmp((const unsigned char *)a + from, (const unsigned char *)b + from, n - from) == 0;
}
/* Every byte. */
static inline int bytes_same(const void *a, const void *b, size_t n) { return bytes_same_from(a, b, n, 0); }
/* Every byte after the header (type tag and last-error record) of a
 * sampler, trainer or tempering object of n bytes: its state. */
static inline int state_bytes_same(const void *a, const void *b, size_t n) {
    return bytes_same_from(a, b, n, TEBM_SAMPLER_HEADER_SIZE);
}

/* U = |x|^2 / 2, grad = x. */
static inline int quad_energy(void *user, const float *x, size_t dim, float *energy, float *grad) {
    (void)user;
    float u = 0.0f;
    for (size_t i = 0; i < dim; i++) {
        u += 0.5f * x[i] * x[i];
        if (grad) grad[i] = x[i];
    }
    *energy = u;
    return 0;
}

/* Configurations from the defaults with a kernel, walkers and step size:
 * sampler_config and trainer_config (kind, n_walkers, step_size). */
#define FIXTURES_CONFIG(name, Config, config_default)                                      \
    static inline Config name(uint32_t kind, size_t n_walkers, float step_size) {          \
        Config c;                                                                          \
        config_default(&c);                                                                \
        c.kernel.kind = kind;                                                              \
        c.kernel.step_size = step_size;                                                    \
        c.n_walkers = n_walkers;                                                           \
        return c;                                                                          \
    }
FIXTURES_CONFIG(sampler_config, TebmSamplerConfig, tebm_sampler_config_default)
FIXTURES_CONFIG(trainer_config, TebmTrainerConfig, tebm_trainer_config_default)
static inline TebmTemperingConfig tempering_config(size_t n_walkers, size_t replicas) {
    TebmTemperingConfig c;
    tebm_tempering_config_default(&c);
    c.n_walkers = n_walkers;
    c.replicas = replicas;
    return c;
}

#endif

/* Init functions against a callback that answers differently when asked
 * again about the same point (issue 19, item 3). tebm_sampler_init and
 * tebm_tempering_init check the energy at every start aside (nothing
 * written) and then build the object, which evaluates the starts again. A
 * callback finite at the first evaluation of a start and NaN at the second
 * made the build fail after the check had passed: tebm_tempering_init
 * returned NON_FINITE having zeroed fresh memory, and over an existing
 * object it changed scratch bytes, though a failing init writes nothing.
 *
 * Checked here, for the sampler and replica exchange, over fresh memory
 * (filled with a pattern) and over an existing object:
 *   - NaN at the first evaluation of a start, finite after: the check
 *     refuses (NON_FINITE) and every byte of the memory is as it was;
 *   - finite at the first evaluation, NaN after: a failure must leave every
 *     byte as it was, and the init succeeds (the check's verdict stands):
 *     the walkers are at the starts an init with a well-behaved energy
 *     gives, and sampling from there with that energy gives the same
 *     positions and energies as from that init.
 * (The trainer takes built-in models only, which answer the same each
 * time: tebm_trainer_init refuses callbacks, checked at the end.)
 * Exit status 0 when every check passes. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tinyebm.h"

#include "check.h"

#define DIM 2
#define MAX_SEEN 512

/* NaN at the first evaluation of a point (FIRST) or at every later one
 * (LATER); U = |x|^2 / 2 otherwise. Points are told apart by their bits. */
enum { FIRST, LATER };
static struct {
    int mode;
    size_t seen;
    float x[MAX_SEEN][DIM];
    int count[MAX_SEEN];
} flaky;

static int flaky_energy(void *user, const float *x, size_t dim, float *energy, float *grad) {
    (void)user;
    size_t k = 0;
    while (k < flaky.seen && memcmp(flaky.x[k], x, sizeof flaky.x[k]) != 0) k++;
    if (k == flaky.seen && k < MAX_SEEN) {
        memcpy(flaky.x[k], x, sizeof flaky.x[k]);
        flaky.seen++;
    }
    int calls = k < MAX_SEEN ? ++flaky.count[k] : 2;
    int nan = flaky.mode == FIRST ? calls == 1 : calls > 1;
    quad_energy(NULL, x, dim, energy, grad);
    if (nan) *energy = NAN;
    return 0;
}

static void flaky_reset(int mode) {
    memset(&flaky, 0, sizeof flaky);
    flaky.mode = mode;
}

static TebmEnergy e_flaky, e_quad;

#define OBJ_LEN (sizeof(TebmSampler) > sizeof(TebmTempering) ? sizeof(TebmSampler) : sizeof(TebmTempering))

/* Fresh memory filled with a pattern, a copy of it, and an existing object. */
static union {
    TebmSampler s;
    TebmTempering t;
    unsigned char b[OBJ_LEN];
} fresh, fresh_copy, existing, existing_copy;
/* Reference objects initialised with the well-behaved energy. */
static TebmSampler s_ref;
static TebmTempering t_ref;

static void fill_pattern(void) {
    for (size_t i = 0; i < OBJ_LEN; i++) fresh.b[i] = (unsigned char)(0xA5 ^ (i * 7));
    memcpy(fresh_copy.b, fresh.b, OBJ_LEN);
}

/* One sampler init with the flaky callback over `mem`; `copy` holds the
 * bytes before. A failure must leave them all; `want` is the status. */
static TebmStatus sampler_init_keeps(void *mem, const void *copy, const TebmSamplerConfig *c,
                                     TebmStatus want) {
    TebmStatus st = tebm_sampler_init(mem, sizeof(TebmSampler), &e_flaky, c);
    EXPECT(st, want);
    if (st != TEBM_STATUS_OK) CHECK(bytes_same(mem, copy, sizeof(TebmSampler)));
    return st;
}

static TebmStatus tempering_init_keeps(void *mem, const void *copy, const TebmTemperingConfig *c,
                                       TebmStatus want) {
    TebmStatus st = tebm_tempering_init(mem, sizeof(TebmTempering), &e_flaky, c);
    EXPECT(st, want);
    if (st != TEBM_STATUS_OK) CHECK(bytes_same(mem, copy, sizeof(TebmTempering)));
    return st;
}

/* After a successful flaky init of `s`: at the reference's starts, its
 * energies stale (read as 0), and 5 steps with the well-behaved energy give
 * the reference's positions and energies (the same seed and streams). */
static void sampler_matches_reference(TebmSampler *s, const TebmSamplerConfig *c) {
    float p[8 * DIM], q[8 * DIM], u[8], v[8];
    size_t n = c->n_walkers;
    EXPECT(tebm_sampler_init(&s_ref, sizeof s_ref, &e_quad, c), TEBM_STATUS_OK);
    EXPECT(tebm_sampler_positions(s, p, n * DIM), TEBM_STATUS_OK);
    EXPECT(tebm_sampler_positions(&s_ref, q, n * DIM), TEBM_STATUS_OK);
    CHECK(memcmp(p, q, n * DIM * sizeof *p) == 0);
    EXPECT(tebm_sampler_energies(s, u, n), TEBM_STATUS_OK);
    for (size_t w = 0; w < n; w++) CHECK(u[w] == 0.0f);
    EXPECT(tebm_sampler_run(s, &e_quad, 5, NULL), TEBM_STATUS_OK);
    EXPECT(tebm_sampler_run(&s_ref, &e_quad, 5, NULL), TEBM_STATUS_OK);
    EXPECT(tebm_sampler_positions(s, p, n * DIM), TEBM_STATUS_OK);
    EXPECT(tebm_sampler_positions(&s_ref, q, n * DIM), TEBM_STATUS_OK);
    CHECK(memcmp(p, q, n * DIM * sizeof *p) == 0);
    EXPECT(tebm_sampler_energies(s, u, n), TEBM_STATUS_OK);
    EXPECT(tebm_sampler_energies(&s_ref, v, n), TEBM_STATUS_OK);
    CHECK(memcmp(u, v, n * sizeof *u) == 0);
}

static void tempering_matches_reference(TebmTempering *t, const TebmTemperingConfig *c) {
    float p[8 * DIM], q[8 * DIM], u[8], v[8];
    size_t n = c->n_walkers;
    EXPECT(tebm_tempering_init(&t_ref, sizeof t_ref, &e_quad, c), TEBM_STATUS_OK);
    EXPECT(tebm_tempering_positions(t, p, n * DIM), TEBM_STATUS_OK);
    EXPECT(tebm_tempering_positions(&t_ref, q, n * DIM), TEBM_STATUS_OK);
    CHECK(memcmp(p, q, n * DIM * sizeof *p) == 0);
    EXPECT(tebm_tempering_energies(t, u, n), TEBM_STATUS_OK);
    for (size_t w = 0; w < n; w++) CHECK(u[w] == 0.0f);
    EXPECT(tebm_tempering_run(t, &e_quad, 5, NULL), TEBM_STATUS_OK);
    EXPECT(tebm_tempering_run(&t_ref, &e_quad, 5, NULL), TEBM_STATUS_OK);
    EXPECT(tebm_tempering_positions(t, p, n * DIM), TEBM_STATUS_OK);
    EXPECT(tebm_tempering_positions(&t_ref, q, n * DIM), TEBM_STATUS_OK);
    CHECK(memcmp(p, q, n * DIM * sizeof *p) == 0);
    EXPECT(tebm_tempering_energies(t, u, n), TEBM_STATUS_OK);
    EXPECT(tebm_tempering_energies(&t_ref, v, n), TEBM_STATUS_OK);
    CHECK(memcmp(u, v, n * sizeof *u) == 0);
}

static void test_sampler(const float *positions) {
    TebmSamplerConfig c = sampler_config(TEBM_KERNEL_MALA, 8, 0.2f);
    c.init_positions = positions;
    /* NaN at the first evaluation: the check refuses, nothing written. */
    flaky_reset(FIRST);
    fill_pattern();
    sampler_init_keeps(&fresh, &fresh_copy, &c, TEBM_STATUS_NON_FINITE);
    EXPECT(tebm_sampler_init(&existing, sizeof(TebmSampler), &e_quad, &c), TEBM_STATUS_OK);
    EXPECT(tebm_sampler_run(&existing.s, &e_quad, 3, NULL), TEBM_STATUS_OK);
    memcpy(&existing_copy, &existing, sizeof(TebmSampler));
    flaky_reset(FIRST);
    sampler_init_keeps(&existing, &existing_copy, &c, TEBM_STATUS_NON_FINITE);
    /* NaN at the second: the init keeps the check's verdict. */
    flaky_reset(LATER);
    fill_pattern();
    if (sampler_init_keeps(&fresh, &fresh_copy, &c, TEBM_STATUS_OK) == TEBM_STATUS_OK) {
        CHECK(flaky.seen == 8); /* every start evaluated, no other point */
        sampler_matches_reference(&fresh.s, &c);
    }
    flaky_reset(LATER);
    if (sampler_init_keeps(&existing, &existing_copy, &c, TEBM_STATUS_OK) == TEBM_STATUS_OK) {
        sampler_matches_reference(&existing.s, &c);
    }
}

static void test_tempering(const float *positions) {
    TebmTemperingConfig c = tempering_config(8, 3);
    c.init_positions = positions;
    flaky_reset(FIRST);
    fill_pattern();
    tempering_init_keeps(&fresh, &fresh_copy, &c, TEBM_STATUS_NON_FINITE);
    EXPECT(tebm_tempering_init(&existing, sizeof(TebmTempering), &e_quad, &c), TEBM_STATUS_OK);
    EXPECT(tebm_tempering_run(&existing.t, &e_quad, 3, NULL), TEBM_STATUS_OK);
    memcpy(&existing_copy, &existing, sizeof(TebmTempering));
    flaky_reset(FIRST);
    tempering_init_keeps(&existing, &existing_copy, &c, TEBM_STATUS_NON_FINITE);
    flaky_reset(LATER);
    fill_pattern();
    if (tempering_init_keeps(&fresh, &fresh_copy, &c, TEBM_STATUS_OK) == TEBM_STATUS_OK) {
        CHECK(flaky.seen == 8);
        tempering_matches_reference(&fresh.t, &c);
    }
    flaky_reset(LATER);
    if (tempering_init_keeps(&existing, &existing_copy, &c, TEBM_STATUS_OK) == TEBM_STATUS_OK) {
        tempering_matches_reference(&existing.t, &c);
        /* Stepping with the flaky energy itself re-evaluates the starts'
         * caches (NaN now): the step fails, the positions stay. */
        float p[8 * DIM], q[8 * DIM];
        EXPECT(tebm_tempering_init(&existing, sizeof(TebmTempering), &e_quad, &c), TEBM_STATUS_OK);
        flaky_reset(LATER);
        EXPECT(tebm_tempering_init(&existing, sizeof(TebmTempering), &e_flaky, &c), TEBM_STATUS_OK);
        EXPECT(tebm_tempering_positions(&existing.t, p, sizeof p / sizeof *p), TEBM_STATUS_OK);
        EXPECT(tebm_tempering_run(&existing.t, &e_flaky, 1, NULL), TEBM_STATUS_NON_FINITE);
        EXPECT(tebm_tempering_positions(&existing.t, q, sizeof q / sizeof *q), TEBM_STATUS_OK);
        CHECK(memcmp(p, q, sizeof p) == 0);
    }
}

int main(void) {
    EXPECT(tebm_energy_init_callback(&e_flaky, sizeof e_flaky, DIM, flaky_energy, NULL), TEBM_STATUS_OK);
    EXPECT(tebm_energy_init_callback(&e_quad, sizeof e_quad, DIM, quad_energy, NULL), TEBM_STATUS_OK);
    static const float starts[8 * DIM] = {0.5f, -1.0f, 1.5f, 0.25f, -0.75f, 2.0f, 0.0f, 1.0f,
                                          -1.5f, -0.5f, 1.25f, -2.0f, 0.75f, 0.5f, -0.25f, 1.75f};
    /* Gaussian draws (init_positions NULL) and given positions. */
    test_sampler(NULL);
    test_sampler(starts);
    test_tempering(NULL);
    test_tempering(starts);
    /* The trainer refuses callback energies outright. */
    static TebmTrainer tr;
    TebmTrainerConfig tc = trainer_config(TEBM_KERNEL_ULA, 8, 0.1f);
    EXPECT(tebm_trainer_init(&tr, sizeof tr, &e_flaky, &tc), TEBM_STATUS_BAD_CONFIG);
    printf("status_flaky: %d checks, %d failures\n", checks, failures);
    return failures != 0;
}

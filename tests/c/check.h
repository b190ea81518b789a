/* The check macros of the C test programs (status_test.c, status_train.c,
 * api_edges.c): each counts into `checks` and `failures`, prints the failing
 * line, and never stops the program, so one run reports every failure. */
#ifndef TINYEBM_CHECK_H
#define TINYEBM_CHECK_H

#include <stdio.h>
#include <string.h>

#include "tinyebm.h"

#include "fixtures.h" /* DEFINED, byte comparisons, energies, configs */

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

/* `call` must return `want` and leave `*obj` as it was by `same(obj, copy,
 * sizeof *obj)` (bytes_same: every byte; state_bytes_same: after the header),
 * against a copy taken into `*copy` just before. */
#define EXPECT_KEEPS(call, want, obj, copy, same)                                          \
    do {                                                                                   \
        memcpy((copy), (obj), sizeof *(obj));                                              \
        EXPECT(call, want);                                                                \
        CHECK(same((obj), (copy), sizeof *(obj)));                                         \
    } while (0)

#endif

/* The check macros of the C test programs (status_test.c, status_train.c,
 * api_edges.c): each counts into `checks` and `failures`, prints the failing
 * line, and never stops the program, so one run reports every failure. */
#ifndef TINYEBM_CHECK_H
#define TINYEBM_CHECK_H

#include <stdio.h>

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

#endif

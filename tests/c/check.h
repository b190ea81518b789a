/* The check macros of the C test programs (status_test.c, status_train.c,
 * api_edges.c): each counts into `checks` and `failures`, prints the failing
 * line, and never stops the program, so one run reports every failure. */
#ifndef TINYEBM_CHECK_H
#define TINYEBM_CHECK_H

#include <stdint.h>
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

/* tebm_status_message: NULL and short buffers (truncated, NUL-terminated,
 * nothing written at length 0), every status code and beyond, and codes far
 * out of range. */
static inline void check_status_messages(void) {
    char buf[80];
    EXPECT(tebm_status_message(TEBM_STATUS_OK, NULL, 10), TEBM_STATUS_NULL_POINTER);
    memset(buf, 'x', sizeof buf);
    EXPECT(tebm_status_message(TEBM_STATUS_OK, buf, 0), TEBM_STATUS_BUFFER_TOO_SMALL);
    CHECK(buf[0] == 'x');
    EXPECT(tebm_status_message(TEBM_STATUS_OK, buf, 1), TEBM_STATUS_BUFFER_TOO_SMALL);
    CHECK(buf[0] == 0 && buf[1] == 'x');
    EXPECT(tebm_status_message(TEBM_STATUS_NULL_POINTER, buf, 5), TEBM_STATUS_BUFFER_TOO_SMALL);
    CHECK(strcmp(buf, "a re") == 0);
    for (int s = 0; s <= TEBM_STATUS_COUNT; s++) {
        EXPECT(tebm_status_message(s, buf, sizeof buf), TEBM_STATUS_OK);
        CHECK(strlen(buf) > 0);
    }
    EXPECT(tebm_status_message(999, buf, sizeof buf), TEBM_STATUS_OK);
    CHECK(strcmp(buf, "unknown status code") == 0);
    EXPECT(tebm_status_message(-1, buf, sizeof buf), TEBM_STATUS_OK);
    EXPECT(tebm_status_message(INT32_MIN, buf, sizeof buf), TEBM_STATUS_OK);
    EXPECT(tebm_status_message(INT32_MAX, buf, sizeof buf), TEBM_STATUS_OK);
}

#endif

/* Runs capi_fuzz.c's LLVMFuzzerTestOneInput on each file given (a corpus),
 * without libFuzzer: for valgrind, which also sees reads and writes by the
 * (uninstrumented) Rust code past the harness's exactly-sized heap buffers.
 * scripts/fuzz-capi.sh builds it with the plain release library. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv) {
    static uint8_t buf[1 << 16];
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (!f) {
            perror(argv[i]);
            return 2;
        }
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        LLVMFuzzerTestOneInput(buf, n);
    }
    printf("replayed %d inputs\n", argc - 1);
    return 0;
}

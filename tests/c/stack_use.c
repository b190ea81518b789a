/* Peak stack use of the C API on a Cortex-M4F (QEMU mps2-an386): paints the
 * stack below the current frame, makes one call, and finds the deepest
 * overwritten word. Run by `make -C tests/c run-qemu`; informational (it
 * fails only if a call fails). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tinyebm.h"

#include "fixtures.h"

#define PAINT_BYTES (1000u * 1024u)
#define PATTERN 0xA5C3A5C3u

static TebmEnergy energy, mlp;
static TebmSampler sampler;
static TebmTrainer trainer;
static TebmTempering tempering;
static TebmEnergy reloaded;
static uint8_t weights[8192];


static uint32_t *paint_base;

static __attribute__((noinline)) void paint(void) {
    uint32_t marker;
    uint32_t *top = (uint32_t *)((uintptr_t)&marker & ~(uintptr_t)3) - 64; /* below this frame */
    paint_base = top - PAINT_BYTES / 4;
    for (uint32_t *p = paint_base; p < top; p++) *p = PATTERN;
}

static __attribute__((noinline)) unsigned long used(void) {
    uint32_t *p = paint_base;
    while (*p == PATTERN) p++;
    return (unsigned long)(PAINT_BYTES - 4u * (unsigned long)(p - paint_base));
}

#define MEASURE(label, call)                                                            \
    do {                                                                                \
        paint();                                                                        \
        TebmStatus s_ = (call);                                                         \
        unsigned long u_ = used();                                                      \
        if (u_ == 0)                                                                    \
            printf("%-44s   < 256 bytes of stack\n", label);                          \
        else                                                                            \
            printf("%-44s %7lu bytes of stack\n", label, u_);                         \
        if (s_ != TEBM_STATUS_OK) {                                                     \
            printf("FAILED: %s: status %d\n", label, (int)s_);                         \
            return 1;                                                                   \
        }                                                                               \
    } while (0)

int main(void) {
    static float theta[32 * (16 + 32 + 3) + 1];
    for (size_t i = 0; i < sizeof theta / sizeof theta[0]; i++) theta[i] = 0.01f * (float)(i % 7) - 0.03f;
    TebmSamplerConfig cfg;
    tebm_sampler_config_default(&cfg);
    cfg.n_walkers = TEBM_MAX_WALKERS;

    printf("Cortex-M4F stack use (64 walkers, 16-D energies unless noted)\n");
    MEASURE("tebm_energy_init_callback (d = 16)",
            tebm_energy_init_callback(&energy, sizeof energy, 16, quad_energy, NULL));
    MEASURE("tebm_energy_init_mlp (16 -> 32 -> 32 -> 1)",
            tebm_energy_init_mlp(&mlp, sizeof mlp, 16, 32, TEBM_ACTIVATION_TANH, 1.0f, theta,
                                 tebm_mlp_num_params(16, 32)));
    MEASURE("tebm_sampler_init (MALA, callback)", tebm_sampler_init(&sampler, sizeof sampler, &energy, &cfg));
    MEASURE("tebm_sampler_run, 1 MALA step (callback)", tebm_sampler_run(&sampler, &energy, 1, NULL));
    MEASURE("tebm_sampler_run, energy changed (MLP)", tebm_sampler_run(&sampler, &mlp, 1, NULL));
    MEASURE("tebm_sampler_run, 1 MALA step (MLP)", tebm_sampler_run(&sampler, &mlp, 1, NULL));
    cfg.kernel.kind = TEBM_KERNEL_HMC;
    cfg.kernel.leapfrog_steps = 4;
    MEASURE("tebm_sampler_init (HMC, MLP)", tebm_sampler_init(&sampler, sizeof sampler, &mlp, &cfg));
    MEASURE("tebm_sampler_run, 1 HMC step (MLP)", tebm_sampler_run(&sampler, &mlp, 1, NULL));

    printf("trainer (MLP 16 -> 32 -> 32 -> 1, %lu parameters, %d walkers; object %lu bytes)\n",
           (unsigned long)tebm_mlp_num_params(16, 32), (int)TEBM_MAX_TRAIN_WALKERS,
           (unsigned long)tebm_trainer_size());
    TebmTrainerConfig tc = trainer_config(TEBM_KERNEL_MALA, TEBM_MAX_TRAIN_WALKERS, 0.01f);
    tc.batch_size = 4;
    tc.steps = 1;
    static float x[16];
    int updated = 0;
    MEASURE("tebm_trainer_init (MALA, Adam, MLP)", tebm_trainer_init(&trainer, sizeof trainer, &mlp, &tc));
    MEASURE("tebm_trainer_push, no update", tebm_trainer_push(&trainer, &mlp, x, 16, &updated));
    MEASURE("tebm_trainer_update (1 MALA step)", tebm_trainer_update(&trainer, &mlp));
    MEASURE("tebm_trainer_init, over an existing trainer",
            tebm_trainer_init(&trainer, sizeof trainer, &mlp, &tc));
    size_t n = 0;
    MEASURE("tebm_weights_save (MLP)", tebm_weights_save(&mlp, weights, sizeof weights, &n));
    MEASURE("tebm_weights_load (MLP)", tebm_weights_load(&mlp, weights, n));
    MEASURE("tebm_energy_init_from_weights (MLP)",
            tebm_energy_init_from_weights(&reloaded, sizeof reloaded, weights, n));
    MEASURE("tebm_weights_check (MLP)", tebm_weights_check(weights, n, NULL, 0));
    TebmTemperingConfig rc = tempering_config(TEBM_MAX_TEMPERING_WALKERS, TEBM_MAX_REPLICAS);
    printf("replica exchange (%d replicas of %d walkers; object %lu bytes)\n", (int)TEBM_MAX_REPLICAS,
           (int)TEBM_MAX_TEMPERING_WALKERS, (unsigned long)tebm_tempering_size());
    MEASURE("tebm_tempering_init (MALA, MLP)", tebm_tempering_init(&tempering, sizeof tempering, &mlp, &rc));
    MEASURE("tebm_tempering_run, 1 step (MLP)", tebm_tempering_run(&tempering, &mlp, 1, NULL));
    MEASURE("tebm_tempering_init, over an existing one",
            tebm_tempering_init(&tempering, sizeof tempering, &mlp, &rc));
    puts("stack_use: OK");
    return 0;
}

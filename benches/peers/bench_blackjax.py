"""BlackJAX / JAX peer benchmark for tinyebm (one CPU core, float32).

Every workload is a jitted lax.scan over a fixed chunk of steps; the chunk is
compiled and run once before timing so that compile time is excluded.
Checks go to stderr, the JSON result is the last line of stdout.
"""
import json
import math
import os
import sys

# XLA reads its flags when the backend starts, so they must be set before import.
_ONE_CORE = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " " + _ONE_CORE).strip()
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import blackjax  # noqa: E402
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import jaxlib  # noqa: E402
import optax  # noqa: E402
from jax import lax  # noqa: E402

import common as C  # noqa: E402

H = C.STEP
SQRT_2H = math.sqrt(2 * H)


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def energy(params, x):
    """U(x) for x of shape (2,) or (n, 2)."""
    (w1, b1), (w2, b2), (w3, b3) = params
    h = jnp.tanh(x @ w1 + b1)
    h = jnp.tanh(h @ w2 + b2)
    return (h @ w3 + b3)[..., 0] + 0.5 * C.ALPHA * jnp.sum(x * x, axis=-1)


grad_x = jax.vmap(jax.grad(energy, argnums=1), in_axes=(None, 0))


def ula_step(params, x, key):
    return x - H * grad_x(params, x) + SQRT_2H * jax.random.normal(key, x.shape)


def bench(run, carry, chunk):
    """run(carry, key) -> (carry, key, stat); returns (rate, last stat)."""
    key = jax.random.key(0)
    carry, key, stat = jax.block_until_ready(run(carry, key))  # compile + warm-up
    box = [carry, key, stat]

    def chunk_fn():
        box[:] = jax.block_until_ready(run(box[0], box[1]))

    rate = C.timed(chunk_fn, chunk)
    return rate, box[0], box[2]


def mala(params, n_walkers, chunk):
    alg = blackjax.mala(lambda x: -energy(params, x), H)
    x0 = jnp.asarray(C.init_walkers(n_walkers))
    if n_walkers == 1:
        state, step = alg.init(x0[0]), alg.step
    else:
        state = jax.vmap(alg.init)(x0)

        def step(key, s):
            return jax.vmap(alg.step)(jax.random.split(key, n_walkers), s)

    @jax.jit
    def run(state, key):
        def body(carry, k):
            s, acc = carry
            s, info = step(k, s)
            return (s, acc + jnp.mean(info.is_accepted.astype(jnp.float32))), None

        keys = jax.random.split(key, chunk + 1)
        (state, acc), _ = lax.scan(body, (state, 0.0), keys[1:])
        return state, keys[0], acc / chunk

    rate, state, acc = bench(run, state, chunk)
    log(f"mala n={n_walkers}: acceptance {float(acc):.3f}, "
        f"mean |x|^2 {float(jnp.mean(jnp.sum(state.position ** 2, -1))):.3f}")
    return rate


def ula(params, chunk):
    @jax.jit
    def run(x, key):
        keys = jax.random.split(key, chunk + 1)
        x, _ = lax.scan(lambda x, k: (ula_step(params, x, k), None), x, keys[1:])
        return x, keys[0], jnp.mean(jnp.sum(x * x, -1))

    rate, _, m2 = bench(run, jnp.asarray(C.init_walkers(C.WALKERS)), chunk)
    log(f"ula n={C.WALKERS}: mean |x|^2 {float(m2):.3f}")
    return rate


def pcd(params, chunk):
    data = jnp.asarray(C.ring_data())
    opt = optax.adam(C.LR)

    def cd_loss(p, x_data, x_walk):
        return jnp.mean(energy(p, x_data)) - jnp.mean(energy(p, x_walk))

    def update(carry, key):
        params, opt_state, walkers = carry
        keys = jax.random.split(key, C.PCD_K + 1)
        walkers, _ = lax.scan(lambda x, k: (ula_step(params, x, k), None), walkers, keys[1:])
        x_data = data[jax.random.randint(keys[0], (C.PCD_BATCH,), 0, data.shape[0])]
        loss, g = jax.value_and_grad(cd_loss)(params, x_data, walkers)
        updates, opt_state = opt.update(g, opt_state, params)
        return (optax.apply_updates(params, updates), opt_state, walkers), loss

    @jax.jit
    def run(carry, key):
        keys = jax.random.split(key, chunk + 1)
        carry, losses = lax.scan(update, carry, keys[1:])
        return carry, keys[0], losses

    carry = (params, opt.init(params), jnp.asarray(C.init_walkers(C.WALKERS)))
    rate, _, losses = bench(run, carry, chunk)
    log(f"pcd: last-chunk loss first {float(losses[0]):.4f} last {float(losses[-1]):.4f}, "
        f"all finite {bool(jnp.all(jnp.isfinite(losses)))}")
    return rate


def main():
    params = jax.tree.map(jnp.asarray, tuple(C.init_params()))
    log(f"devices {jax.devices()}; U(probe) = {float(energy(params, jnp.asarray(C.PROBE))):.6f}")
    result = {
        "framework": "blackjax",
        "version": blackjax.__version__,
        "versions": {"jax": jax.__version__, "jaxlib": jaxlib.__version__, "optax": optax.__version__},
        "mala_1chain_steps_per_s": mala(params, 1, 20_000),
        "mala_64_chain_steps_per_s": C.WALKERS * mala(params, C.WALKERS, 2_000),
        "ula_64_chain_steps_per_s": C.WALKERS * ula(params, 5_000),
        "pcd_updates_per_s": pcd(params, 500),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()

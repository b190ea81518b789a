"""BlackJAX NUTS with window adaptation on two targets of tinyebm's posterior
suite (tests/posteriors.rs), for min-ESS/s and min-ESS per gradient against
`cargo run --release --features std --example nuts_peer` (docs/performance.md).

One chain (BlackJAX's window_adaptation adapts one), float32, one core,
`WARMUP` adaptation steps then `DRAWS` draws in one jitted lax.scan, compiled
and run once before the timed run (compile time excluded). ESS: BlackJAX's
effective_sample_size (Geyer, as Stan) per coordinate; min over coordinates.
Prints one JSON line per target.

usage: taskset -c 1 target/peers-venv/bin/python benches/peers/bench_nuts_posteriors.py
"""
import json
import os
import time

os.environ["XLA_FLAGS"] = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import blackjax  # noqa: E402
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
from jax import lax  # noqa: E402

WARMUP, DRAWS = 500, 2000

VAR = 10.0 ** (-4.0 * jnp.arange(100) / 99.0)


def gauss_logdensity(x):
    return -0.5 * jnp.sum(x * x / VAR)


Y = jnp.array([28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0])
SIGMA = jnp.array([15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0])


def schools_logdensity(p):
    mu, s, eta = p[0], p[1], p[2:]
    tau = jnp.exp(s)
    lp = -mu * mu / 50.0 - jnp.log1p(tau * tau / 25.0) + s - 0.5 * jnp.sum(eta * eta)
    return lp - 0.5 * jnp.sum(((Y - mu - tau * eta) / SIGMA) ** 2)


def run(name, logdensity, dim, seed=0):
    key = jax.random.key(seed)
    init = jnp.zeros(dim, dtype=jnp.float32) + 0.1

    def go(key):
        k1, k2 = jax.random.split(key)
        wa = blackjax.window_adaptation(blackjax.nuts, logdensity)
        (state, params), winfo = wa.run(k1, init, num_steps=WARMUP)
        kernel = blackjax.nuts(logdensity, **params).step

        def one(st, k):
            st, info = kernel(k, st)
            return st, (st.position, info.num_integration_steps)

        _, (xs, n) = lax.scan(one, state, jax.random.split(k2, DRAWS))
        return xs, n, winfo.info.num_integration_steps

    go = jax.jit(go)
    jax.block_until_ready(go(jax.random.key(seed + 100)))  # compile
    t0 = time.perf_counter()
    xs, n, nw = jax.block_until_ready(go(key))
    secs = time.perf_counter() - t0
    ess = blackjax.diagnostics.effective_sample_size(xs[None, ...])
    grads = int(n.sum())
    warm_grads = int(nw.sum())
    out = {
        "peer": "blackjax",
        "target": name,
        "chains": 1,
        "warmup": WARMUP,
        "draws": DRAWS,
        "min_ess": float(ess.min()),
        "seconds_warmup_and_draws": secs,
        "grads_draws": grads,
        "grads_warmup": warm_grads,
        "min_ess_per_s": float(ess.min()) / secs,
        "min_ess_per_1000_grads": 1000.0 * float(ess.min()) / (grads + warm_grads),
        "blackjax": blackjax.__version__,
        "jax": jax.__version__,
    }
    print(json.dumps(out), flush=True)


run("gaussian100", gauss_logdensity, 100)
run("eight_schools_nc", schools_logdensity, 10)

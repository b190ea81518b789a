#!/usr/bin/env python3
"""Prints the ziggurat tables of src/rng.rs (N(0, 1), 128 layers, Marsaglia &
Tsang 2000): layer edges x_0..x_128 and f(x_i) = exp(-x_i^2/2), computed in f64
and rounded to f32. `rng::tests::ziggurat_tables_match_their_definition`
recomputes them in Rust and checks every entry to 1 ulp."""
import math
import struct

N = 128
R = 3.442619855899  # x_1: where the tail starts (Marsaglia & Tsang's value for 128 layers)
f = lambda x: math.exp(-0.5 * x * x)
# Every layer has the base layer's area: the rectangle [0, R] x [0, f(R)] plus the tail.
V = R * f(R) + math.sqrt(math.pi / 2) * math.erfc(R / math.sqrt(2))
x = [V / f(R), R] + [0.0] * (N - 1)
for i in range(1, N - 1):
    x[i + 1] = math.sqrt(-2.0 * math.log(V / x[i] + f(x[i])))
fx = [f(v) for v in x]
fx[N] = 1.0  # x_128 = 0 (the recursion gives 9e-6: R's last digits)


def lit(v):
    s = "%.9g" % struct.unpack("f", struct.pack("f", v))[0]
    return s if ("." in s or "e" in s) else s + ".0"


for name, vals in (("ZIG_X", x), ("ZIG_F", fx)):
    print(f"const {name}: [f32; {N + 1}] = [")
    for i in range(0, N + 1, 4):
        print("    " + ", ".join(lit(v) for v in vals[i : i + 4]) + ",")
    print("];")

//! Energies shared by the bit-exactness reference (`bits_reference.rs`) and
//! the FFI crate's in-process tests, written with the same operations, in
//! the same order, as the C callbacks of `tests/c/bits.c`.

/// U = x₀⁴/4 − x₀² + (x₁ − x₀/2)²/2 on 2-D points; ∇U into `g`.
pub fn quartic(x: &[f32], g: &mut [f32]) -> f32 {
    let (x0, x1) = (x[0], x[1]);
    let r = x1 - 0.5 * x0;
    g[0] = x0 * x0 * x0 - 2.0 * x0 - 0.5 * r;
    g[1] = r;
    0.25 * (x0 * x0) * (x0 * x0) - x0 * x0 + 0.5 * r * r
}

/// U = |x|²/2 in any dimension; ∇U = x into `g`.
#[allow(dead_code)]
pub fn bowl(x: &[f32], g: &mut [f32]) -> f32 {
    g.copy_from_slice(x);
    x.iter().map(|v| 0.5 * v * v).sum()
}

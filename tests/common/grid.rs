//! Densities on ℝ² normalised by quadrature. Shared by the tests and the
//! examples (`examples/common`).

use tinyebm::Energy;

/// U at the cell centres of an m×m grid over [−l, l]² (x₀ the slower index),
/// as `u` gives it, and log Z = log ∫ exp(−U) by the midpoint rule.
pub fn grid_log_z(m: usize, l: f64, u: impl Fn(&[f32; 2]) -> f64) -> (Vec<f64>, f64) {
    let dx = 2.0 * l / m as f64;
    let mut us = Vec::with_capacity(m * m);
    for i in 0..m {
        for j in 0..m {
            let x = [
                (-l + (i as f64 + 0.5) * dx) as f32,
                (-l + (j as f64 + 0.5) * dx) as f32,
            ];
            us.push(u(&x));
        }
    }
    let umin = us.iter().copied().fold(f64::INFINITY, f64::min);
    let log_z = us.iter().map(|u| (umin - u).exp()).sum::<f64>().ln() + 2.0 * dx.ln() - umin;
    (us, log_z)
}

/// Mean negative log-likelihood of `points` under exp(−U)/Z, given log Z.
pub fn mean_nll<E: Energy>(e: &E, points: &[[f32; 2]], log_z: f64) -> f64 {
    points
        .iter()
        .map(|x| e.value(x).unwrap() as f64)
        .sum::<f64>()
        / points.len() as f64
        + log_z
}

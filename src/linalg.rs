//! Small dense linear algebra for construction-time checks (Cholesky,
//! inversion). Runs in f64 on the stack: it is never on a sampling path.

/// Cholesky factor L (row-major, lower) of the symmetric `d×d` matrix `a`
/// into `l`; `false` if `a` is not positive definite.
pub(crate) fn cholesky<const D: usize>(a: &[[f64; D]; D], d: usize, l: &mut [[f64; D]; D]) -> bool {
    for i in 0..d {
        for j in 0..=i {
            let mut s = a[i][j];
            for k in 0..j {
                s -= l[i][k] * l[j][k];
            }
            if i == j {
                if s.is_nan() || s <= 0.0 || s.is_infinite() {
                    return false;
                }
                l[i][i] = libm::sqrt(s);
            } else {
                l[i][j] = s / l[j][j];
            }
        }
    }
    true
}

/// Inverse of a symmetric positive-definite matrix, or `None`.
pub(crate) fn spd_inverse<const D: usize>(a: &[[f64; D]; D], d: usize) -> Option<[[f64; D]; D]> {
    let mut l = [[0f64; D]; D];
    if !cholesky(a, d, &mut l) {
        return None;
    }
    // Solve L Lᵀ X = I column by column.
    let mut inv = [[0f64; D]; D];
    for c in 0..d {
        let mut y = [0f64; D];
        for i in 0..d {
            let mut s = if i == c { 1.0 } else { 0.0 };
            for k in 0..i {
                s -= l[i][k] * y[k];
            }
            y[i] = s / l[i][i];
        }
        for i in (0..d).rev() {
            let mut s = y[i];
            for k in i + 1..d {
                s -= l[k][i] * inv[k][c];
            }
            inv[i][c] = s / l[i][i];
        }
    }
    Some(inv)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverse_of_spd() {
        let a = [[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]];
        let inv = spd_inverse(&a, 3).unwrap();
        for i in 0..3 {
            for j in 0..3 {
                let p: f64 = (0..3).map(|k| a[i][k] * inv[k][j]).sum();
                assert!((p - if i == j { 1.0 } else { 0.0 }).abs() < 1e-12);
            }
        }
        assert!(spd_inverse(&[[1.0, 2.0], [2.0, 1.0]], 2).is_none());
    }
}

//! Random streams: one PCG32 stream per walker, derived from one user seed.
//!
//! PCG32 is integer-only (u64 multiply/add), so a seed gives the same bits on
//! x86_64 and on a Cortex-M. Each walker gets its own stream so results do not
//! depend on how walkers are grouped or batched: walker `i` of an ensemble sees
//! the same numbers whether the ensemble holds 1 or 64 walkers.
//!
//! Normals use the Marsaglia polar form of Box–Muller, in f32: no
//! trigonometry (libm's `sincosf` computes in f64, which is soft-float on a
//! Cortex-M4F), one `logf`, one `sqrtf` and one division per pair.

use crate::math;
use rand_core::Rng;
use rand_pcg::Pcg32;

/// SplitMix64 finaliser: decorrelates nearby seeds before they become PCG states.
#[inline]
pub(crate) const fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// An independent random stream (PCG32 with its own state and increment).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Stream(Pcg32);

impl Stream {
    /// Stream number `index` of the family defined by `seed`.
    ///
    /// PCG streams that share a state and differ only in increment can be
    /// correlated, so both the state and the increment are derived from
    /// `(seed, index)`.
    pub fn new(seed: u64, index: u64) -> Self {
        let state = splitmix64(seed ^ splitmix64(index));
        let stream = splitmix64(index ^ splitmix64(seed.rotate_left(17)));
        Stream(Pcg32::new(state, stream))
    }

    /// 32 random bits.
    #[inline]
    pub fn next_u32(&mut self) -> u32 {
        self.0.next_u32()
    }

    /// Uniform in the open interval (0, 1): never 0 (safe under `ln`) and never 1.
    ///
    /// The 23 high bits of one draw pick one of 2^23 equal cells and the
    /// result is its centre, (k + ½)·2⁻²³: exact in f32 (with 24 bits the top
    /// cell's centre would round up to 1.0).
    #[inline]
    pub fn uniform(&mut self) -> f32 {
        ((self.next_u32() >> 9) as f32 + 0.5) * (1.0 / 8_388_608.0)
    }

    /// Uniform integer in `0..n` (n ≥ 1), by Lemire's multiply-shift with rejection.
    pub fn below(&mut self, n: u32) -> u32 {
        debug_assert!(n > 0);
        let n = n.max(1);
        let threshold = n.wrapping_neg() % n;
        loop {
            let m = u64::from(self.next_u32()) * u64::from(n);
            if (m as u32) >= threshold {
                return (m >> 32) as u32;
            }
        }
    }

    /// Two independent N(0, 1) draws (Marsaglia polar method).
    #[inline]
    pub fn normal_pair(&mut self) -> (f32, f32) {
        loop {
            // Cell centres of a 2^23 grid on (−1, 1), exact in f32 and never
            // exactly 0, so s > 0.
            let u = ((self.next_u32() >> 9) as f32 + 0.5) * (1.0 / 4_194_304.0) - 1.0;
            let v = ((self.next_u32() >> 9) as f32 + 0.5) * (1.0 / 4_194_304.0) - 1.0;
            let s = u * u + v * v;
            if s < 1.0 {
                let f = math::sqrt(-2.0 * math::ln(s) / s);
                return (u * f, v * f);
            }
        }
    }

    /// Fills `out` with N(0, 1) draws, two per pair; an odd tail discards the
    /// pair's second value so the stream position depends only on `out.len()`.
    pub fn fill_normal(&mut self, out: &mut [f32]) {
        let mut pairs = out.chunks_exact_mut(2);
        for p in &mut pairs {
            let (a, b) = self.normal_pair();
            p[0] = a;
            p[1] = b;
        }
        if let [last] = pairs.into_remainder() {
            *last = self.normal_pair().0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phi(x: f64) -> f64 {
        0.5 * (1.0 + libm::erf(x / core::f64::consts::SQRT_2))
    }

    #[test]
    fn uniform_is_open_and_centred() {
        let mut s = Stream::new(1, 0);
        let n = 200_000;
        let mut sum = 0f64;
        for _ in 0..n {
            let u = s.uniform();
            assert!(u > 0.0 && u < 1.0);
            sum += u as f64;
        }
        // Var(U) = 1/12; 5 standard errors.
        let se = (1.0 / 12.0 / n as f64).sqrt();
        assert!((sum / n as f64 - 0.5).abs() < 5.0 * se);
        // Extremes of the grid stay inside (0, 1) and (−1, 1) \ {0}.
        let cell = |k: u32| (k as f32 + 0.5) * (1.0 / 8_388_608.0);
        assert!(cell(0) > 0.0 && cell((1 << 23) - 1) < 1.0);
        let sym = |k: u32| (k as f32 + 0.5) * (1.0 / 4_194_304.0) - 1.0;
        assert!(sym(0) > -1.0 && sym((1 << 23) - 1) < 1.0);
        assert!((0..1u32 << 23).all(|k| sym(k) != 0.0));
    }

    #[test]
    fn below_is_uniform() {
        let mut s = Stream::new(9, 3);
        let mut counts = [0u32; 7];
        let n = 70_000;
        for _ in 0..n {
            counts[s.below(7) as usize] += 1;
        }
        // χ² with 6 degrees of freedom; P(χ² > 22.46) = 0.001.
        let e = n as f64 / 7.0;
        let chi2: f64 = counts.iter().map(|&c| (c as f64 - e).powi(2) / e).sum();
        assert!(chi2 < 22.46, "chi2 {chi2}");
    }

    /// Mean, variance and a Kolmogorov–Smirnov test against N(0, 1).
    #[test]
    fn normals_are_standard() {
        let mut s = Stream::new(42, 7);
        let n = 100_000;
        let mut v = [0f32; 100_000];
        s.fill_normal(&mut v);
        let mean = v.iter().map(|&a| a as f64).sum::<f64>() / n as f64;
        let var = v.iter().map(|&a| (a as f64 - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        // SE(mean) = 1/√n, SE(var) = √(2/n); 5 standard errors.
        assert!(mean.abs() < 5.0 / (n as f64).sqrt(), "mean {mean}");
        assert!(
            (var - 1.0).abs() < 5.0 * (2.0 / n as f64).sqrt(),
            "var {var}"
        );
        let mut sorted = v;
        sorted.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let d = ks_statistic(&sorted, phi);
        // Critical value at α = 0.001: 1.95/√n.
        assert!(d < 1.95 / (n as f64).sqrt(), "KS D = {d}");
    }

    /// Power check for the KS test used above: a slightly wrong variance fails it.
    #[test]
    fn ks_test_detects_wrong_scale() {
        let mut s = Stream::new(42, 7);
        let mut v = [0f32; 100_000];
        s.fill_normal(&mut v);
        for a in v.iter_mut() {
            *a *= 1.03;
        }
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        assert!(ks_statistic(&v, phi) > 1.95 / (1e5f64).sqrt());
    }

    pub(crate) fn ks_statistic(sorted: &[f32], cdf: impl Fn(f64) -> f64) -> f64 {
        let n = sorted.len() as f64;
        let mut d = 0f64;
        for (i, &x) in sorted.iter().enumerate() {
            let f = cdf(x as f64);
            d = d
                .max((f - i as f64 / n).abs())
                .max(((i + 1) as f64 / n - f).abs());
        }
        d
    }

    #[test]
    fn streams_are_distinct_and_reproducible() {
        let a: [u32; 4] = core::array::from_fn({
            let mut s = Stream::new(5, 0);
            move |_| s.next_u32()
        });
        let b: [u32; 4] = core::array::from_fn({
            let mut s = Stream::new(5, 0);
            move |_| s.next_u32()
        });
        let c: [u32; 4] = core::array::from_fn({
            let mut s = Stream::new(5, 1);
            move |_| s.next_u32()
        });
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn odd_fill_discards_second_of_pair() {
        let mut a = Stream::new(3, 3);
        let mut b = a.clone();
        let mut v = [0f32; 3];
        a.fill_normal(&mut v);
        let (p, q) = b.normal_pair();
        let (r, _) = b.normal_pair();
        assert_eq!([p, q, r], v);
        assert_eq!(a, b);
    }
}

//! Random streams: one PCG32 stream per walker, derived from one user seed.
//!
//! PCG32 is integer-only (u64 multiply/add), so a seed gives the same bits on
//! x86_64 and on a Cortex-M. Each walker gets its own stream so results do not
//! depend on how walkers are grouped or batched: walker `i` of an ensemble sees
//! the same numbers whether the ensemble holds 1 or 64 walkers.
//!
//! Normals use the ziggurat method (Marsaglia & Tsang 2000; 128 layers, f32
//! tables): one 32-bit draw picks a layer, a sign and a position, and 98.8 %
//! of draws stop there with one multiply and one comparison; the rest test a
//! wedge against `expf` or sample the tail beyond 3.44 with two `logf`. No
//! trigonometry (libm's `sincosf` computes in f64, which is soft-float on a
//! Cortex-M4F). It replaced the Marsaglia polar method, whose rejection branch,
//! `logf`, `sqrtf` and division were 13–15 % of a sampling step on x86_64.

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

    /// The generator's state and stream selector: with
    /// [`Stream::from_parts`], an exact copy of the stream at this point
    /// (what a checkpoint stores).
    pub fn to_parts(&self) -> (u64, u64) {
        (self.0.state(), self.0.stream())
    }

    /// The stream whose [`Stream::to_parts`] is `(state, stream)` (the
    /// selector's top bit is discarded, as PCG does).
    pub fn from_parts(state: u64, stream: u64) -> Self {
        Stream(Pcg32::from_state(state, stream))
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

    /// Uniform integer in `0..n` (n ≥ 1), by Lemire's multiply-shift with
    /// rejection. `below(0)` is `below(1)`: 0, after one draw (no panic).
    pub fn below(&mut self, n: u32) -> u32 {
        let n = n.max(1);
        let threshold = n.wrapping_neg() % n;
        loop {
            let m = u64::from(self.next_u32()) * u64::from(n);
            if (m as u32) >= threshold {
                return (m >> 32) as u32;
            }
        }
    }

    /// One N(0, 1) draw (ziggurat, see the module documentation).
    #[inline]
    pub fn normal(&mut self) -> f32 {
        loop {
            let bits = self.next_u32();
            let i = (bits & 0x7f) as usize;
            let sign = if bits & 0x80 == 0 { 1.0 } else { -1.0 };
            // 24 bits: exact in f32, in [0, 1).
            let x = (bits >> 8) as f32 * (1.0 / 16_777_216.0) * ZIG_X[i];
            if x < ZIG_X[i + 1] {
                return sign * x;
            }
            if i == 0 {
                return sign * self.normal_tail();
            }
            let y = ZIG_F[i] + self.uniform() * (ZIG_F[i + 1] - ZIG_F[i]);
            if y < math::exp(-0.5 * x * x) {
                return sign * x;
            }
        }
    }

    /// |N(0, 1)| conditioned on exceeding R = x₁ (Marsaglia's exponential
    /// rejection: a = E/R, accepted when 2E′ ≥ a²).
    #[cold]
    fn normal_tail(&mut self) -> f32 {
        let r = ZIG_X[1];
        loop {
            let a = -math::ln(self.uniform()) / r;
            let b = -math::ln(self.uniform());
            if b + b >= a * a {
                return r + a;
            }
        }
    }

    /// Two independent N(0, 1) draws: `(self.normal(), self.normal())`.
    #[inline]
    pub fn normal_pair(&mut self) -> (f32, f32) {
        let a = self.normal();
        (a, self.normal())
    }

    /// Fills `out` with independent N(0, 1) draws, one [`Stream::normal`] each.
    #[inline]
    pub fn fill_normal(&mut self, out: &mut [f32]) {
        for v in out {
            *v = self.normal();
        }
    }
}

/// Ziggurat layer edges for N(0, 1), 128 layers of equal area: x₀ = V/f(R) (the
/// base layer, whose part beyond x₁ = R is the tail), x₁ = R … x₁₂₈ = 0, rounded
/// to f32 from f64 by `scripts/gen-ziggurat.py`.
#[allow(clippy::excessive_precision)] // 9 digits: what the generator prints
const ZIG_X: [f32; 129] = [
    3.71308613,
    3.4426198,
    3.22308493,
    3.08322883,
    2.97869635,
    2.89434409,
    2.82312536,
    2.76116943,
    2.70611358,
    2.6564064,
    2.61097217,
    2.56903362,
    2.53000975,
    2.49345446,
    2.45901823,
    2.42642069,
    2.39543438,
    2.36587143,
    2.3375752,
    2.3104136,
    2.2842741,
    2.25905967,
    2.23468637,
    2.2110815,
    2.18818045,
    2.16592669,
    2.14427018,
    2.12316561,
    2.10257316,
    2.08245635,
    2.06278229,
    2.04352164,
    2.024647,
    2.00613379,
    1.98795962,
    1.97010326,
    1.95254576,
    1.93526924,
    1.91825736,
    1.90149462,
    1.88496709,
    1.86866117,
    1.85256445,
    1.83666551,
    1.82095301,
    1.80541682,
    1.79004693,
    1.77483439,
    1.75977027,
    1.74484611,
    1.73005414,
    1.71538675,
    1.70083666,
    1.68639684,
    1.67206073,
    1.65782189,
    1.64367414,
    1.62961149,
    1.61562812,
    1.60171843,
    1.58787692,
    1.57409823,
    1.56037724,
    1.54670882,
    1.53308785,
    1.51950955,
    1.50596905,
    1.49246144,
    1.47898197,
    1.46552598,
    1.45208859,
    1.43866527,
    1.42525125,
    1.41184175,
    1.3984319,
    1.38501704,
    1.37159216,
    1.35815251,
    1.34469271,
    1.33120799,
    1.31769276,
    1.30414188,
    1.29054964,
    1.27691031,
    1.26321793,
    1.24946654,
    1.23564947,
    1.22176027,
    1.20779181,
    1.19373667,
    1.17958736,
    1.16533566,
    1.15097284,
    1.13648987,
    1.12187696,
    1.10712361,
    1.09221888,
    1.07715058,
    1.06190598,
    1.04647088,
    1.03083026,
    1.01496744,
    0.998864233,
    0.982500792,
    0.965855062,
    0.948902607,
    0.931616187,
    0.913965225,
    0.895915329,
    0.877427459,
    0.85845685,
    0.838952243,
    0.818853915,
    0.798092067,
    0.77658397,
    0.754230678,
    0.730911911,
    0.706479609,
    0.680747926,
    0.653478622,
    0.624358594,
    0.592962921,
    0.558692157,
    0.520656049,
    0.477437824,
    0.426547974,
    0.362871438,
    0.272320867,
    0.0,
];
/// f(xᵢ) = exp(−xᵢ²/2) at the same edges.
#[allow(clippy::excessive_precision)]
const ZIG_F: [f32; 129] = [
    0.00101435254,
    0.00266962918,
    0.00554899499,
    0.00862448476,
    0.0118394783,
    0.0151672978,
    0.0185921025,
    0.022103304,
    0.0256932918,
    0.0293563176,
    0.0330878869,
    0.0368843898,
    0.0407428667,
    0.0446608625,
    0.0486362949,
    0.0526674017,
    0.0567526631,
    0.0608907714,
    0.0650805831,
    0.0693211183,
    0.0736115053,
    0.0779509842,
    0.0823388994,
    0.0867746696,
    0.0912578031,
    0.0957878456,
    0.100364439,
    0.104987256,
    0.109656021,
    0.11437051,
    0.119130544,
    0.123935983,
    0.128786713,
    0.133682653,
    0.138623774,
    0.143610075,
    0.148641571,
    0.153718308,
    0.158840373,
    0.164007857,
    0.169220895,
    0.174479634,
    0.179784268,
    0.185134992,
    0.190532044,
    0.195975646,
    0.201466113,
    0.207003713,
    0.212588772,
    0.21822165,
    0.223902702,
    0.229632318,
    0.235410944,
    0.241238996,
    0.247116953,
    0.253045291,
    0.25902456,
    0.265055299,
    0.271138072,
    0.277273506,
    0.283462197,
    0.289704859,
    0.29600215,
    0.302354842,
    0.308763623,
    0.315229386,
    0.321752906,
    0.328335106,
    0.334976852,
    0.341679156,
    0.348442972,
    0.355269372,
    0.362159491,
    0.369114459,
    0.376135468,
    0.383223802,
    0.3903808,
    0.397607863,
    0.404906422,
    0.412278026,
    0.419724345,
    0.427246988,
    0.434847832,
    0.442528725,
    0.450291634,
    0.458138704,
    0.466072142,
    0.474094301,
    0.482207656,
    0.490414828,
    0.498718649,
    0.50712204,
    0.515628219,
    0.524240553,
    0.53296268,
    0.541798353,
    0.550751805,
    0.559827387,
    0.569029987,
    0.57836467,
    0.58783704,
    0.597453177,
    0.607219517,
    0.617143393,
    0.627232492,
    0.637495458,
    0.647941828,
    0.658581972,
    0.669427693,
    0.680491865,
    0.69178915,
    0.70333612,
    0.715151489,
    0.727256894,
    0.73967725,
    0.752441585,
    0.765584171,
    0.779146075,
    0.793177009,
    0.807738304,
    0.822907209,
    0.838783622,
    0.855500579,
    0.873243034,
    0.892281651,
    0.913043618,
    0.936282694,
    0.963599682,
    1.0,
];

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
    fn fill_is_one_normal_per_value() {
        let mut a = Stream::new(3, 3);
        let mut b = a.clone();
        let mut v = [0f32; 3];
        a.fill_normal(&mut v);
        let (p, q) = b.normal_pair();
        assert_eq!([p, q, b.normal()], v);
        assert_eq!(a, b);
    }

    /// The tables are what their definition gives: the recursion of
    /// `scripts/gen-ziggurat.py` in f64, here with Rust's f64 functions,
    /// matches every f32 entry to 1 ulp; and every layer has the same area.
    #[test]
    fn ziggurat_tables_match_their_definition() {
        let f = |x: f64| (-0.5 * x * x).exp();
        let r = 3.442619855899f64;
        // V = R f(R) + ∫_R^∞ f, the tail by a fine trapezoid sum to 40.
        let (mut tail, h) = (0f64, 1e-5);
        let mut x = r;
        while x < 40.0 {
            tail += 0.5 * h * (f(x) + f(x + h));
            x += h;
        }
        let v = r * f(r) + tail;
        let mut xs = [0f64; 129];
        xs[0] = v / f(r);
        xs[1] = r;
        for i in 1..127 {
            xs[i + 1] = (-2.0 * (v / xs[i] + f(xs[i])).ln()).sqrt();
        }
        let ulp = |a: f32, b: f32| (a.to_bits() as i64 - b.to_bits() as i64).abs();
        for i in 0..129 {
            let fx = if i == 128 { 1.0 } else { f(xs[i]) as f32 };
            assert!(
                ulp(xs[i] as f32, ZIG_X[i]) <= 1,
                "x[{i}] {} vs {}",
                xs[i],
                ZIG_X[i]
            );
            assert!(ulp(fx, ZIG_F[i]) <= 1, "f[{i}] {fx} vs {}", ZIG_F[i]);
        }
        for i in 1..128 {
            let area = ZIG_X[i] as f64 * (ZIG_F[i + 1] as f64 - ZIG_F[i] as f64);
            assert!(
                (area / v - 1.0).abs() < 1e-5,
                "layer {i}: area {area} vs {v}"
            );
        }
    }

    /// A χ² test of 10⁷ draws in 40 bins of width 0.25 on [−5, 5] plus the two
    /// outer tails, against exact probabilities: fine enough to see the wedge
    /// tests (1.2 % of draws) go wrong, which the KS test above is not.
    #[test]
    fn normals_chi_square() {
        let mut s = Stream::new(5, 9);
        let mut counts = [0u64; 42];
        let n = 10_000_000u64;
        for _ in 0..n {
            let z = s.normal() as f64;
            let k = ((z + 5.0) / 0.25).floor();
            counts[if k < 0.0 {
                0
            } else if k >= 40.0 {
                41
            } else {
                k as usize + 1
            }] += 1;
        }
        let cdf = |k: usize| {
            if k == 0 {
                0.0
            } else if k == 42 {
                1.0
            } else {
                phi(-5.0 + 0.25 * (k - 1) as f64)
            }
        };
        let chi2: f64 = (0..42)
            .map(|k| {
                let e = n as f64 * (cdf(k + 1) - cdf(k));
                (counts[k] as f64 - e).powi(2) / e
            })
            .sum();
        // 41 degrees of freedom: the 0.1 % critical value is 74.7.
        assert!(chi2 < 74.7, "chi2 {chi2}");
    }

    /// The tail beyond R (0.058 % of draws) has its exact frequency and
    /// mean: P(|Z| > R) = erfc(R/√2), E[|Z| | |Z| > R] = φ(R)/(1 − Φ(R)).
    #[test]
    fn normal_tail_is_exact() {
        let mut s = Stream::new(11, 2);
        let n = 4_000_000usize;
        let r = 3.442619855899f64;
        let (mut k, mut sum) = (0usize, 0f64);
        for _ in 0..n {
            let z = s.normal().abs() as f64;
            if z > r {
                k += 1;
                sum += z;
            }
        }
        let p = 2.0 * (1.0 - phi(r));
        let se = (p * (1.0 - p) / n as f64).sqrt();
        let freq = k as f64 / n as f64;
        // 4.5 standard errors: about 2,300 tail draws, SE ≈ 2 %.
        assert!((freq - p).abs() < 4.5 * se, "tail frequency {freq} vs {p}");
        let pdf = (-0.5 * r * r).exp() / (2.0 * core::f64::consts::PI).sqrt();
        let mean = pdf / (1.0 - phi(r));
        // SD of the conditional tail ≈ 0.26 for this R; 4.5 SE of the mean.
        let m = sum / k as f64;
        assert!(
            (m - mean).abs() < 4.5 * 0.26 / (k as f64).sqrt(),
            "tail mean {m} vs {mean}"
        );
    }
}

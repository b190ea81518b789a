//! Where walkers start: initialisation at given positions or Gaussian
//! draws (built aside, committed only when every start is usable), and the
//! same checks made without writing anything, which front ends run before
//! they touch an object.

use super::{StepInfo, Walkers, first_invalid};
use crate::energy::{Energy, Evals, Soa};
use crate::error::{Error, check_dim, check_size};
use crate::rng::Stream;

/// A Gaussian start's refusal of its centre (mean) and sd.
const BAD_GAUSSIAN_START: Error =
    Error::InvalidConfig("initial centre and sd must be finite, sd ≥ 0");

impl<const N: usize, const D: usize> Walkers<N, D> {
    /// `n` walkers at `positions` (`n×d`, walker-major), streams from `seed`.
    pub fn from_positions<E: Energy>(
        energy: &E,
        n: usize,
        seed: u64,
        positions: &[f32],
    ) -> Result<Self, Error> {
        let mut w = Self::empty();
        w.init_positions(energy, n, seed, positions)?;
        Ok(w)
    }

    /// `n` walkers drawn from N(center, sd²·I), streams from `seed`.
    pub fn gaussian<E: Energy>(
        energy: &E,
        n: usize,
        seed: u64,
        center: &[f32],
        sd: f32,
    ) -> Result<Self, Error> {
        let mut w = Self::empty();
        w.init_gaussian(energy, n, seed, center, sd)?;
        Ok(w)
    }

    /// Re-initialises in place at `positions`; on error nothing changes.
    pub fn init_positions<E: Energy>(
        &mut self,
        energy: &E,
        n: usize,
        seed: u64,
        positions: &[f32],
    ) -> Result<(), Error> {
        let d = Self::checked_dim(energy, n)?;
        check_dim(n * d, positions.len())?;
        for w in 0..n {
            for i in 0..d {
                self.s.y[i][w] = positions[w * d + i];
            }
        }
        for w in 0..n {
            self.s.rng[w] = Stream::new(seed, w as u64);
        }
        self.commit_init(energy, n, d)
    }

    /// Re-initialises in place with draws from N(center, sd²·I) taken from
    /// each walker's own stream; on error nothing changes.
    pub fn init_gaussian<E: Energy>(
        &mut self,
        energy: &E,
        n: usize,
        seed: u64,
        center: &[f32],
        sd: f32,
    ) -> Result<(), Error> {
        let d = Self::check_gaussian_args(energy, n, center, sd)?;
        let mut xi = [0f32; D];
        for w in 0..n {
            self.s.rng[w] = gaussian_start(seed, w, center, sd, &mut xi[..d]);
            for i in 0..d {
                self.s.y[i][w] = xi[i];
            }
        }
        self.commit_init(energy, n, d)
    }

    /// Re-initialises in place with draws from N(`mean`, diag `sd`²) (one
    /// sd per coordinate), walker w from stream (`seed`, w); on error
    /// nothing changes.
    pub fn init_diagonal_gaussian<E: Energy>(
        &mut self,
        energy: &E,
        n: usize,
        seed: u64,
        mean: &[f32],
        sd: &[f32],
    ) -> Result<(), Error> {
        let d = Self::checked_dim(energy, n)?;
        check_dim(d, mean.len())?;
        check_dim(d, sd.len())?;
        if !(mean.iter().all(|c| c.is_finite()) && sd.iter().all(|s| s.is_finite() && *s >= 0.0)) {
            return Err(BAD_GAUSSIAN_START);
        }
        let mut xi = [0f32; D];
        for w in 0..n {
            let mut s = Stream::new(seed, w as u64);
            s.fill_normal(&mut xi[..d]);
            for i in 0..d {
                self.s.y[i][w] = mean[i] + sd[i] * xi[i];
            }
            self.s.rng[w] = s;
        }
        self.commit_init(energy, n, d)
    }

    /// The energy's dimension, once `n` walkers of it are known to fit.
    fn checked_dim<E: Energy>(energy: &E, n: usize) -> Result<usize, Error> {
        let d = energy.dim();
        check_size(n, N)?;
        check_size(d, D)?;
        Ok(d)
    }

    fn check_gaussian_args<E: Energy>(
        energy: &E,
        n: usize,
        center: &[f32],
        sd: f32,
    ) -> Result<usize, Error> {
        let d = Self::checked_dim(energy, n)?;
        check_dim(d, center.len())?;
        if !(sd.is_finite() && sd >= 0.0 && center.iter().all(|c| c.is_finite())) {
            return Err(BAD_GAUSSIAN_START);
        }
        Ok(d)
    }

    /// Returns what [`Walkers::init_positions`] with these arguments would
    /// return, without changing anything (scratch included): the positions
    /// are evaluated a few walkers at a time in a small buffer on the stack,
    /// for callers that must leave an existing ensemble byte for byte as it
    /// was on failure. The energy is evaluated again by the init itself.
    pub fn check_init_positions<E: Energy>(
        energy: &E,
        n: usize,
        positions: &[f32],
    ) -> Result<(), Error> {
        let d = Self::checked_dim(energy, n)?;
        check_dim(n * d, positions.len())?;
        check_starts::<E, D>(energy, n, d, true, |w, x| {
            x.copy_from_slice(&positions[w * d..(w + 1) * d])
        })
    }

    /// Returns what [`Walkers::init_gaussian`] with these arguments would
    /// return, without changing anything, as [`Walkers::check_init_positions`].
    pub fn check_init_gaussian<E: Energy>(
        energy: &E,
        n: usize,
        seed: u64,
        center: &[f32],
        sd: f32,
    ) -> Result<(), Error> {
        let d = Self::check_gaussian_args(energy, n, center, sd)?;
        check_starts::<E, D>(energy, n, d, true, |w, x| {
            gaussian_start(seed, w, center, sd, x);
        })
    }

    /// Checks, without changing anything, that `energy` is usable at every
    /// walker's current position (U, and ∇U with `with_grad`, finite and not
    /// declined), evaluating a few walkers at a time on the stack: how a
    /// front end vets a new energy before it replaces the cached values.
    /// Returns the error a refresh would return.
    pub fn check_energy<E: Energy>(&self, energy: &E, with_grad: bool) -> Result<(), Error> {
        let (n, d) = (self.c.n, self.c.d);
        check_dim(d, energy.dim())?;
        check_starts::<E, D>(energy, n, d, with_grad, |w, x| {
            for (i, xi) in x.iter_mut().enumerate() {
                *xi = self.c.x[i][w];
            }
        })
    }

    /// Evaluates the staged positions `s.y` and, if all are valid, makes them
    /// the state with fresh caches and the staged streams.
    fn commit_init<E: Energy>(&mut self, energy: &E, n: usize, d: usize) -> Result<(), Error> {
        // A non-finite position is refused even where the energy is finite
        // there (found by fuzz/capi: a constant callback accepted NaN).
        for w in 0..n {
            if !(0..d).all(|i| self.s.y[i][w].is_finite()) {
                return Err(Error::NonFinite { walker: w });
            }
        }
        energy.eval_batch(&self.s.y, n, true, &mut self.s.ev);
        first_invalid(&self.s.ev, n, d, true)?;
        let c = &mut self.c;
        c.n = n;
        c.d = d;
        for i in 0..d {
            c.x[i][..n].copy_from_slice(&self.s.y[i][..n]);
            c.g[i][..n].copy_from_slice(&self.s.ev.grad[i][..n]);
        }
        c.u[..n].copy_from_slice(&self.s.ev.u[..n]);
        c.rng[..n].clone_from_slice(&self.s.rng[..n]);
        for w in 0..n {
            c.info[w] = StepInfo {
                energy: c.u[w],
                ..StepInfo::default()
            };
        }
        // Unused slots (walkers n.., coordinates d..) as in `Walkers::empty`,
        // so an ensemble re-initialised in place equals one built by value.
        for (i, (xi, gi)) in c.x.iter_mut().zip(c.g.iter_mut()).enumerate() {
            let from = if i < d { n } else { 0 };
            xi[from..].fill(0.0);
            gi[from..].fill(0.0);
        }
        c.u[n..].fill(0.0);
        c.info[n..].fill(StepInfo::default());
        for w in n..N {
            c.rng[w] = Stream::new(0, w as u64);
        }
        c.u_fresh = true;
        c.g_fresh = true;
        c.steps = 0;
        Ok(())
    }
}

/// Walker `w`'s start drawn from N(center, sd²·I) into `x` (d values), and
/// its stream after the draw.
fn gaussian_start(seed: u64, w: usize, center: &[f32], sd: f32, x: &mut [f32]) -> Stream {
    let mut s = Stream::new(seed, w as u64);
    s.fill_normal(x);
    for (xi, c) in x.iter_mut().zip(center) {
        *xi = c + sd * *xi;
    }
    s
}

/// Walkers evaluated at a time by [`check_starts`].
const CHECK_LANES: usize = 4;

/// Checks the starts `start(w, x)` of walkers `0..n` (d ≤ D values each)
/// as `commit_init` does (finite, then evaluated, `CHECK_LANES` at a time)
/// and returns its error. `start` must give the same values each call.
fn check_starts<E: Energy, const D: usize>(
    energy: &E,
    n: usize,
    d: usize,
    with_grad: bool,
    mut start: impl FnMut(usize, &mut [f32]),
) -> Result<(), Error> {
    let mut y: Soa<CHECK_LANES, D> = [[0.0; CHECK_LANES]; D];
    let mut ev = Evals::<CHECK_LANES, D>::new();
    let mut x = [0f32; D];
    // As `commit_init`: every position must be finite before any is evaluated.
    for w in 0..n {
        start(w, &mut x[..d]);
        if !x[..d].iter().all(|v| v.is_finite()) {
            return Err(Error::NonFinite { walker: w });
        }
    }
    let mut w0 = 0;
    while w0 < n {
        let m = (n - w0).min(CHECK_LANES);
        for l in 0..m {
            start(w0 + l, &mut x[..d]);
            for i in 0..d {
                y[i][l] = x[i];
            }
        }
        energy.eval_batch(&y, m, with_grad, &mut ev);
        first_invalid(&ev, m, d, with_grad).map_err(|e| match e {
            Error::NonFinite { walker } => Error::NonFinite {
                walker: walker + w0,
            },
            Error::EnergyDeclined { walker, code } => Error::EnergyDeclined {
                walker: walker + w0,
                code,
            },
            e => e,
        })?;
        w0 += m;
    }
    Ok(())
}

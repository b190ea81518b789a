//! Training data on a fixed budget: shuffled epochs of minibatches over a
//! caller's slice of points, with no copy and no heap (the slice is
//! reordered in place), reproducible from a seed on every target.

use crate::error::Error;
use crate::rng::Stream;

/// Minibatches of `batch` points in shuffled epochs over `data`.
///
/// Each epoch starts with a Fisher–Yates shuffle of the whole slice (in
/// place) and then hands out consecutive minibatches; a last partial
/// minibatch is handed out too (an epoch sees every point exactly once).
/// [`Epochs::next_batch`] returns a flat, point-major slice, the layout the
/// trainers' `push_batch` take.
#[derive(Debug)]
pub struct Epochs<'a, const D: usize> {
    data: &'a mut [[f32; D]],
    batch: usize,
    next: usize,
    epoch: u64,
    rng: Stream,
}

impl<'a, const D: usize> Epochs<'a, D> {
    /// Epochs over `data` (at least one point, at most `u32::MAX`) in
    /// minibatches of `batch ≥ 1` points, shuffled from `seed`. The first
    /// shuffle happens at the first [`Epochs::next_batch`].
    pub fn new(data: &'a mut [[f32; D]], batch: usize, seed: u64) -> Result<Self, Error> {
        if data.is_empty() || batch == 0 {
            return Err(Error::Empty);
        }
        if u32::try_from(data.len()).is_err() {
            return Err(Error::InvalidConfig("at most u32::MAX points"));
        }
        let next = data.len();
        Ok(Epochs {
            data,
            batch,
            next,
            epoch: 0,
            rng: Stream::new(seed, 0x4550_4f43),
        })
    }

    /// The next minibatch (flat, `len·D` floats, `len ≤ batch`), starting a
    /// new shuffled epoch when the current one is used up.
    pub fn next_batch(&mut self) -> &[f32] {
        if self.next >= self.data.len() {
            self.shuffle();
            self.next = 0;
            self.epoch += 1;
        }
        let start = self.next;
        let end = (start + self.batch).min(self.data.len());
        self.next = end;
        self.data[start..end].as_flattened()
    }

    /// Epochs started so far (1 during the first).
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Whether the last minibatch handed out ended an epoch.
    pub fn epoch_done(&self) -> bool {
        self.next >= self.data.len()
    }

    /// Minibatches per epoch, ⌈points / batch⌉.
    pub fn batches_per_epoch(&self) -> usize {
        self.data.len().div_ceil(self.batch)
    }

    /// Fisher–Yates: position i swaps with a uniform j ≤ i (len ≤ u32::MAX
    /// checked at construction).
    fn shuffle(&mut self) {
        for i in (1..self.data.len()).rev() {
            let j = self.rng.below(i as u32 + 1) as usize;
            self.data.swap(i, j);
        }
    }
}

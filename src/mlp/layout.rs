//! The MLP's flat parameter order, written once: [`BLOCKS`] lists the
//! blocks and [`Block::shape`] their sizes. The parameter count, the
//! gradient's split ([`GradParts`]), reading θ out (`visit_params`,
//! `params`) and writing it in (`write_params`: `set_params`,
//! `load_params`, `init`) all walk this one table.

use super::Mlp;
use crate::error::Error;

/// One block of the flat parameter vector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Block {
    /// W₁, by rows: row j = the weights into hidden unit j.
    W1,
    /// b₁.
    B1,
    /// W₂, by rows: row k = the weights into unit k of layer 2.
    W2,
    /// b₂.
    B2,
    /// w₃.
    W3,
    /// b₃.
    B3,
}

/// The flat order of [`crate::Trainable::params`].
const BLOCKS: [Block; 6] = [
    Block::W1,
    Block::B1,
    Block::W2,
    Block::B2,
    Block::W3,
    Block::B3,
];

impl Block {
    /// (rows, columns) of the block for sizes `d → h → h → 1`; its values
    /// are stored row by row.
    const fn shape(self, d: usize, h: usize) -> (usize, usize) {
        match self {
            Block::W1 => (h, d),
            Block::W2 => (h, h),
            Block::B1 | Block::B2 | Block::W3 => (1, h),
            Block::B3 => (1, 1),
        }
    }
}

/// Parameter count of a `d → h → h → 1` MLP, h·(d + h + 3) + 1: the sum
/// of the blocks' sizes; `None` when it overflows `usize`.
pub const fn checked_mlp_param_count(d: usize, h: usize) -> Option<usize> {
    let mut total = 0usize;
    let mut i = 0;
    while i < BLOCKS.len() {
        let (rows, cols) = BLOCKS[i].shape(d, h);
        total = match rows.checked_mul(cols) {
            Some(n) => match total.checked_add(n) {
                Some(t) => t,
                None => return None,
            },
            None => return None,
        };
        i += 1;
    }
    Some(total)
}

/// Parameter count of a `d → h → h → 1` MLP, h·(d + h + 3) + 1 (0 when
/// that overflows `usize`).
pub const fn mlp_param_count(d: usize, h: usize) -> usize {
    match checked_mlp_param_count(d, h) {
        Some(n) => n,
        None => 0,
    }
}

/// A flat parameter gradient cut into its blocks.
pub(super) struct GradParts<'a> {
    pub(super) w1: &'a mut [f32],
    pub(super) b1: &'a mut [f32],
    pub(super) w2: &'a mut [f32],
    pub(super) b2: &'a mut [f32],
    pub(super) w3: &'a mut [f32],
    pub(super) b3: &'a mut [f32],
}

impl<'a> GradParts<'a> {
    /// Cuts `grad` (at least `mlp_param_count(d, h)` long) into its blocks.
    pub(super) fn split(grad: &'a mut [f32], d: usize, h: usize) -> Self {
        let mut rest = grad;
        let [w1, b1, w2, b2, w3, b3] = BLOCKS.map(|b| {
            let (rows, cols) = b.shape(d, h);
            let (block, tail) = core::mem::take(&mut rest).split_at_mut(rows * cols);
            rest = tail;
            block
        });
        GradParts {
            w1,
            b1,
            w2,
            b2,
            w3,
            b3,
        }
    }
}

impl<const D: usize, const H: usize> Mlp<D, H> {
    /// Row `r` of block `b` as stored (W₁ and W₂ by rows).
    fn row(&self, b: Block, r: usize) -> &[f32] {
        match b {
            Block::W1 => &self.w1[r],
            Block::B1 => &self.b1,
            Block::W2 => &self.w2[r],
            Block::B2 => &self.b2,
            Block::W3 => &self.w3,
            Block::B3 => core::slice::from_ref(&self.b3),
        }
    }

    /// Sets entry (`r`, `c`) of block `b`, and its transposed copy.
    #[inline]
    fn set(&mut self, b: Block, r: usize, c: usize, v: f32) {
        match b {
            Block::W1 => (self.w1[r][c], self.w1t[c][r]) = (v, v),
            Block::B1 => self.b1[c] = v,
            Block::W2 => (self.w2[r][c], self.w2t[c][r]) = (v, v),
            Block::B2 => self.b2[c] = v,
            Block::W3 => self.w3[c] = v,
            Block::B3 => self.b3 = v,
        }
    }

    /// Calls `f` on each parameter in the flat order of
    /// [`crate::Trainable::params`].
    pub(crate) fn visit_params(&self, mut f: impl FnMut(f32)) {
        for b in BLOCKS {
            let (rows, cols) = b.shape(self.d, self.h);
            for r in 0..rows {
                self.row(b, r)[..cols].iter().for_each(|&v| f(v));
            }
        }
    }

    /// Writes every parameter in the flat order, each the value
    /// `next(block, column)` returns; stops at the first error, with `self`
    /// partly written.
    pub(super) fn write_params(
        &mut self,
        mut next: impl FnMut(Block, usize) -> Result<f32, Error>,
    ) -> Result<(), Error> {
        for b in BLOCKS {
            let (rows, cols) = b.shape(self.d, self.h);
            for r in 0..rows {
                for c in 0..cols {
                    let v = next(b, c)?;
                    self.set(b, r, c, v);
                }
            }
        }
        Ok(())
    }

    /// Writes `num_params()` finite values from `theta` as θ, as
    /// [`crate::Trainable::set_params`] would. On error `self` is partly
    /// written: the loader calls this on a fresh model it then drops (no
    /// second copy of the weights on a microcontroller's stack).
    pub(crate) fn load_params(&mut self, theta: impl Iterator<Item = f32>) -> Result<(), Error> {
        let expected = mlp_param_count(self.d, self.h);
        let (mut theta, mut found) = (theta.take(expected), 0);
        self.write_params(|_, _| {
            let v = theta
                .next()
                .ok_or(Error::DimensionMismatch { expected, found })?;
            if !v.is_finite() {
                return Err(Error::InvalidParameters("MLP weights"));
            }
            found += 1;
            Ok(v)
        })
    }
}

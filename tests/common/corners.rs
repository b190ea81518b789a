//! The 2-D training task of tests/pcd.rs and tests/deep_mlp.rs: four
//! Gaussians at (±1.5, ±1.5), sd 0.5, weights 0.4/0.3/0.2/0.1, and the PCD
//! trainer both test files start from.

use tinyebm::{
    Adam, Energy, Mode, Pcd, PcdConfig, Reinit, Sampler, Stream, Trainable, Ula, Walkers,
};

use super::{grid_log_z, mean_nll};

pub const CORNERS: [[f32; 2]; 4] = [[1.5, 1.5], [-1.5, 1.5], [-1.5, -1.5], [1.5, -1.5]];
pub const CORNER_W: [f32; 4] = [0.4, 0.3, 0.2, 0.1];
pub const CORNER_SD: f32 = 0.5;

/// One exact draw from the mixture.
pub fn corners_draw(s: &mut Stream) -> [f32; 2] {
    let u = s.uniform();
    let mut c = 0;
    let mut acc = CORNER_W[0];
    while u > acc && c < 3 {
        c += 1;
        acc += CORNER_W[c];
    }
    let (a, b) = s.normal_pair();
    [CORNERS[c][0] + CORNER_SD * a, CORNERS[c][1] + CORNER_SD * b]
}

/// Mean NLL of `points` under ρ ∝ exp(−U), log Z by the midpoint rule on a
/// `cells`² grid over [−6, 6]² (the confinement makes the mass outside
/// negligible; 240 cells give spacing 0.05 ≪ the MLP's length scales).
pub fn corners_nll<E: Energy>(e: &E, points: &[[f32; 2]], cells: usize) -> f64 {
    let (_, log_z) = grid_log_z(cells, 6.0, |x| e.value(x).unwrap() as f64);
    mean_nll(e, points, log_z)
}

/// NLL of the true mixture density.
pub fn corners_true_nll(points: &[[f32; 2]]) -> f64 {
    let v = (CORNER_SD as f64).powi(2);
    points
        .iter()
        .map(|x| {
            let p: f64 = (0..4)
                .map(|c| {
                    let r2 = (x[0] - CORNERS[c][0]).powi(2) as f64
                        + (x[1] - CORNERS[c][1]).powi(2) as f64;
                    CORNER_W[c] as f64 * (-r2 / (2.0 * v)).exp() / (2.0 * std::f64::consts::PI * v)
                })
                .sum();
            -p.ln()
        })
        .sum::<f64>()
        / points.len() as f64
}

/// The PCD trainer both test files use on this task: N ULA walkers of
/// h = 0.02 from N(0, 1.5²), Adam (lr 0.003, clip 10), batches of `batch`,
/// 5 steps per update, energy regulariser 1e-3, 1 % data re-initialisation.
pub fn corners_pcd<E: Trainable, const N: usize, const P: usize>(
    model: &E,
    batch: usize,
) -> Pcd<Sampler<Ula, N, 2>, Adam<P>, N, 2, P> {
    let walkers = Walkers::<N, 2>::gaussian(model, N, 9, &[0.0, 0.0], 1.5).unwrap();
    let sampler = Sampler::new(Ula::new(0.02).unwrap(), walkers);
    let opt = Adam::<P>::new(P, 0.003)
        .unwrap()
        .with_clip_norm(10.0)
        .unwrap();
    let cfg = PcdConfig {
        batch_size: batch,
        steps: 5,
        energy_l2: 1e-3,
        reinit: Reinit::Data { prob: 0.01 },
        seed: 4,
        ..PcdConfig::new(Mode::Pcd)
    };
    Pcd::new(model, sampler, opt, cfg).unwrap()
}

//! Where does the Jarzynski trainer's running log Z drift? Trains the MLP of
//! `train_pcd` (8 Gaussians on a ring, ULA walkers, Jarzynski mode) and
//! compares, every `updates/5` updates, the trainer's log Z − log Z₀
//! (`Pcd::log_z`) with grid quadrature and with annealed importance
//! sampling (`tinyebm::Ais`, MALA, 64 walkers × 4 runs, 500 temperatures).
//!
//!     cargo run --release --features std --example jarzynski_log_z -- [adam|sgd|adam-frozen] [updates]
//!
//! `adam-frozen`: Adam with learning rate 0 after the first fifth (θ fixed):
//! the weights then see a fixed path. Results: docs/evaluation.md.

mod common;

use common::grid_log_z;
use tinyebm::ais::pool;
use tinyebm::{
    Activation, Adam, Ais, AisConfig, AnyOptimizer, Base, Confined, Energy, Mala, Mlp, Mode,
    NegativePhase, Optimizer, Pcd, PcdConfig, Reinit, Sampler, Sgd, Stream, Ula, Walkers,
    mlp_param_count,
};

const N: usize = 256;
const H: usize = 32;
const P: usize = mlp_param_count(2, H);
const ALPHA: f32 = 0.5;

fn ring_draw(s: &mut Stream) -> [f32; 2] {
    let a = s.below(8) as f32 * core::f32::consts::TAU / 8.0;
    let (z0, z1) = s.normal_pair();
    [2.0 * a.cos() + 0.25 * z0, 2.0 * a.sin() + 0.25 * z1]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let which = std::env::args().nth(1).unwrap_or_else(|| "adam".into());
    let updates: usize = std::env::args().nth(2).map_or(Ok(15_000), |s| s.parse())?;
    // Random hidden layers, zero output layer: U = ½α|x|² exactly.
    let mut model = Mlp::<2, H>::init_confined(2, H, Activation::Tanh, ALPHA, 2024)?;
    let log_z0 = model.confinement_log_z(1.0);
    let walkers = Walkers::<N, 2>::from_confinement(&model, N, 7, 1.0)?;
    let sampler = Sampler::new(Ula::new(0.01)?, walkers);
    let opt: AnyOptimizer<P> = match which.as_str() {
        "sgd" => AnyOptimizer::Sgd(Sgd::new(P, 0.05, 0.0)?),
        _ => AnyOptimizer::Adam(Adam::new(P, 2e-3)?.with_clip_norm(10.0)?),
    };
    let cfg = PcdConfig {
        batch_size: 128,
        steps: 5,
        energy_l2: 1e-3,
        reinit: Reinit::Never,
        seed: 1,
        ..PcdConfig::new(Mode::Jarzynski { ess_threshold: 0.5 })
    };
    let mut trainer = Pcd::<_, _, N, 2, P>::new(&model, sampler, opt, cfg)?;
    let mut data = Stream::new(99, 0);
    let mut done = 0;
    println!("{which}, {updates} updates: log Z − log Z₀ of the trainer, by quadrature, by AIS");
    while done < updates {
        let x = ring_draw(&mut data);
        if trainer.push(&mut model, &x)?.is_none() {
            continue;
        }
        done += 1;
        if which == "adam-frozen" && done == updates / 5 {
            trainer.optimizer_mut().set_learning_rate(0.0)?;
        }
        if done % (updates / 5) == 0 {
            let quad = grid_log_z(300, 6.0, |x| {
                model.value(x).map_or(f64::INFINITY, |u| u as f64)
            })
            .1;
            // AIS from a base fitted to the trainer's walkers (inflated 1.5×).
            let base = Base::fit_walkers(trainer.sampler().samples(), 1.5)?;
            let mut ais = Ais::<_, 64, 2>::new(Mala::new(0.05)?, base);
            let runs: Vec<_> = (0..4)
                .map(|r| {
                    ais.run(
                        &model,
                        &AisConfig {
                            seed: 10 + r,
                            ..AisConfig::new(64, 500)
                        },
                    )
                })
                .collect::<Result<_, _>>()?;
            let a = pool(&runs)?;
            let m = trainer.metrics();
            println!(
                "update {done:>6}: trainer {:+8.3}  quadrature {:+8.3}  AIS {:+8.3} ± {:.3} (spread ± {:.3}, ESS {:.0}/256)  trainer − quadrature {:+8.3}  resamplings {}  walker ESS {:.0}",
                trainer.log_z(),
                quad - log_z0,
                a.log_z as f64 - log_z0,
                a.se,
                a.se_spread,
                a.ess,
                trainer.log_z() as f64 - (quad - log_z0),
                trainer.resamplings(),
                m.ess
            );
        }
    }
    Ok(())
}

//! The firmware's reference workloads run on the host: their fingerprints
//! must equal the ones the Cortex-M4F prints under QEMU (same seed, same bits).
//!
//!     cargo run --release --example firmware_reference

#[path = "../firmware/src/workload.rs"]
#[allow(dead_code)] // the firmware uses more of it than this program
mod workload;

fn main() {
    let (fp, accepted) = workload::reference_run();
    println!("fingerprint {fp:016x} accepted {accepted}");
    let (params, walkers, updates, gap) = workload::training_run();
    println!("training params {params:016x} walkers {walkers:016x} updates {updates} gap {gap:.6}");
}

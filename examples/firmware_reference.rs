//! The firmware's reference workload run on the host: its fingerprint must
//! equal the one the Cortex-M4F prints under QEMU (same seed, same bits).
//!
//!     cargo run --release --example firmware_reference

#[path = "../firmware/src/workload.rs"]
mod workload;

fn main() {
    let (fp, accepted) = workload::reference_run();
    println!("fingerprint {fp:016x} accepted {accepted}");
}

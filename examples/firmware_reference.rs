//! The firmware's reference workloads run on the host: their fingerprints
//! must equal the ones the Cortex-M4F prints under QEMU (same seed, same bits).
//!
//!     cargo run --release --example firmware_reference
//!
//! The `checkpoint` line is a run resumed from a checkpoint the host wrote
//! (`firmware/checkpoint.bin`, embedded in the firmware): this program also
//! checks that the file is what the host writes today and that the resumed
//! run equals the uninterrupted one. Regenerate the file with
//!
//!     cargo run --release --example firmware_reference -- --write-checkpoint firmware/checkpoint.bin

#[path = "../firmware/src/workload.rs"]
#[allow(dead_code)] // the firmware uses more of it than this program
mod workload;

use workload::CkSampler;

/// The checkpoint after [`workload::CK_BEFORE`] steps.
fn host_checkpoint() -> Vec<u8> {
    let net = workload::net().expect("net");
    let mut s = workload::checkpoint_sampler(&net).expect("sampler");
    workload::checkpoint_steps(&mut s, &net, 0, workload::CK_BEFORE).expect("steps");
    let mut buf = vec![0u8; CkSampler::CHECKPOINT_SIZE];
    s.save_checkpoint(&mut buf).expect("save");
    buf
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let bytes = host_checkpoint();
    if let [_, flag, path] = &args[..] {
        if flag == "--write-checkpoint" {
            std::fs::write(path, &bytes).expect("write checkpoint");
            eprintln!("wrote {} bytes to {path}", bytes.len());
            return;
        }
    }
    let ok = workload::print_reference_lines!(println);
    if workload::CHECKPOINT != &bytes[..] {
        eprintln!("firmware/checkpoint.bin is stale: rerun with --write-checkpoint");
        std::process::exit(1);
    }
    if !ok {
        eprintln!(
            "a reference run is not sane, or the resumed run differs from the uninterrupted one"
        );
        std::process::exit(1);
    }
}

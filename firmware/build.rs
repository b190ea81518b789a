//! Puts the board's memory map where the linker finds it as memory.x:
//! memory/mps2-an386.x (Cortex-M4F; also the M0 build on mps2-an385, same
//! map) or, for ARMv8-M Mainline (Cortex-M33), memory/mps2-an505.x. Not in
//! the crate root: the linker looks in its working directory first.
fn main() {
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").unwrap());
    let target = std::env::var("TARGET").unwrap_or_default();
    let src = if target.starts_with("thumbv8m") {
        "memory/mps2-an505.x"
    } else {
        "memory/mps2-an386.x"
    };
    std::fs::copy(src, out.join("memory.x")).unwrap();
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=memory");
}

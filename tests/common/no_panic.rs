//! What the no-panic property tests (tests/api_no_panic.rs,
//! tests/no_panic_recent.rs) share: the sizes they try and a quiet panic probe.

use std::panic::{AssertUnwindSafe, catch_unwind};

use proptest::prelude::*;

/// Sizes and indices: small values, the extremes and values near them.
pub fn size() -> impl Strategy<Value = usize> {
    prop_oneof![
        0usize..20,
        Just(usize::MAX),
        Just(usize::MAX - 1),
        Just(usize::MAX / 2 + 1),
        Just(1usize << 32),
        Just(1usize << 40),
        any::<usize>(),
    ]
}

thread_local! {
    /// Set while `panics` runs a call that may panic on purpose.
    static PROBING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether `f` panics. Panics while probing are not printed; every other
/// panic (a failing property) is, by the default hook.
pub fn panics<R>(f: impl FnOnce() -> R) -> bool {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !PROBING.with(|p| p.get()) {
                default(info);
            }
        }));
    });
    PROBING.with(|p| p.set(true));
    let r = catch_unwind(AssertUnwindSafe(f)).is_err();
    PROBING.with(|p| p.set(false));
    r
}

//! `uniffi-bindgen` at the version pinned in the workspace lockfile. Build it with
//! `cargo build -p uniffi-bindgen` in its own cargo invocation (so the `cli` feature, and
//! uniffi_bindgen with it, stays out of the davkit-mobile library).

fn main() {
    uniffi::uniffi_bindgen_main()
}

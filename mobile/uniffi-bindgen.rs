//! `cargo run -p wampe2e-mobile --bin uniffi-bindgen -- generate ...`
fn main() {
    uniffi::uniffi_bindgen_main()
}

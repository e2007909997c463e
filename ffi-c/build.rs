//! Gives the shared library the SONAME it is installed under (`libwampe2e.so`).
fn main() {
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libwampe2e.so");
    }
}

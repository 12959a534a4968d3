//! A Rust app on giosg-visitor: its one export is its own; nothing of the SDK's JS surface may
//! appear beside it (scripts/rust-app.sh checks the `.wasm` and the generated `.d.ts`).

use wasm_bindgen::prelude::*;

/// The app's one use of the SDK, so that the SDK is linked into the app.
// TODO: switch to the Rust `Visitor` API once it lands (build one from options and read its id).
fn use_sdk(storage: &str) -> bool {
    giosg_visitor::core::options::StorageKind::parse(storage).is_some()
}

/// The app's own export: the only one scripts/rust-app.sh allows (with wasm-bindgen's internals).
#[wasm_bindgen]
pub fn app_storage_known(storage: &str) -> bool {
    use_sdk(storage)
}

//! A Rust app on giosg-visitor: its one export is its own; nothing of the SDK's JS surface may
//! appear beside it (scripts/rust-app.sh checks the `.wasm` and the generated `.d.ts`).

use giosg_visitor::{StorageKind, Visitor, VisitorOptions};
use wasm_bindgen::prelude::*;

/// The app's use of the SDK's Rust API, so that all of it is linked into the app: a visitor made,
/// subscribed to, asked for a session and a token (the calls are dropped at once: abandoned).
fn use_sdk(organization_id: &str) -> bool {
    let Ok(visitor) = Visitor::new(VisitorOptions::new(organization_id).storage(StorageKind::Memory)) else { return false };
    let subscription = visitor.subscribe(|event| {
        let _ = format!("{event:?}");
    });
    drop((visitor.authenticate(), visitor.access_token(), visitor.set_storage(StorageKind::Local)));
    drop(subscription);
    visitor.organization_id() == organization_id.to_lowercase()
}

/// The app's own export: the only one scripts/rust-app.sh allows (with wasm-bindgen's internals).
#[wasm_bindgen]
pub fn app_storage_known(organization_id: &str) -> bool {
    use_sdk(organization_id)
}

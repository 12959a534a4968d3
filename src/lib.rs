//! giosg-visitor: visitor authentication for giosg's public API, in the browser.
//!
//! Layout:
//! - [`core`]: pure Rust, host-testable: wire types and validation, ids, storage records.
//! - `web`: browser effects (fetch, storage), compiled for wasm only.
//! - `js`: the `#[wasm_bindgen]` `Visitor` class and its errors, compiled for wasm only.

pub mod core;

#[cfg(target_arch = "wasm32")]
pub mod js;
#[cfg(target_arch = "wasm32")]
pub mod web;

#[cfg(target_arch = "wasm32")]
pub use js::Visitor;

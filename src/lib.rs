//! giosg-visitor: visitor authentication for giosg's public API, in the browser.
//!
//! Layout:
//! - [`core`]: pure Rust, host-testable: the lifecycle state machine and the typed effects it
//!   asks for, wire types and validation, ids, options, storage records, retries, errors.
//! - `web`: the browser shell, compiled for wasm only: it performs the core's effects, each with
//!   the crate made for it (`gloo-net`, `gloo-storage`, `gloo-timers`, `web-sys`, `js-sys`).
//! - `js`: the `#[wasm_bindgen]` `Visitor` class and what crosses into JS (`serde-wasm-bindgen`),
//!   compiled for wasm only.

pub mod core;

#[cfg(target_arch = "wasm32")]
pub mod js;
#[cfg(target_arch = "wasm32")]
pub mod web;

#[cfg(target_arch = "wasm32")]
pub use js::Visitor;

/// The allocator of the shipped `.wasm`: talc, smaller than std's default on wasm at the same
/// memory use (README, "What keeps it small").
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

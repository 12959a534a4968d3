//! The JS surface: the `#[wasm_bindgen]` `Visitor` class (`visitor.rs`), the options object it is
//! given (`options.rs`), the objects it hands out (`objects.rs`: sessions and event details,
//! through `serde-wasm-bindgen`), and `VisitorError` (`error.rs`).

pub mod error;
pub mod objects;
mod options;
mod visitor;

pub use visitor::Visitor;

use wasm_bindgen::prelude::*;

/// Types of the options, sessions, events and errors, merged into the generated `.d.ts`.
#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = include_str!("types.d.ts");

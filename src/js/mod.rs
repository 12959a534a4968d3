//! The JS surface (feature `js`): the `#[wasm_bindgen]` `Visitor` class (`visitor.rs`), a thin
//! layer over the Rust API's visitor and its shell; the options object it is given
//! (`options.rs`), the page's listeners (`events.rs`), the objects it hands out (`objects.rs`:
//! sessions and event details, through `serde-wasm-bindgen`), and `VisitorError` (`error.rs`).

pub mod error;
mod events;
pub mod objects;
mod options;
mod visitor;

pub use visitor::Visitor;

use wasm_bindgen::prelude::*;

/// Types of the options, sessions, events and errors, merged into the generated `.d.ts`.
#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = include_str!("types.d.ts");

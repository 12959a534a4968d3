//! The JS surface: the `Visitor` class and `VisitorError`.

mod error;
mod visitor;

pub use visitor::Visitor;
mod options;

use wasm_bindgen::prelude::*;

/// Types of the options, sessions, events and errors, merged into the generated `.d.ts`.
#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = include_str!("types.d.ts");

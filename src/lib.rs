//! giosg-visitor: visitor authentication for giosg's public API, in the browser.
//!
//! Layout:
//! - [`core`]: pure Rust, host-testable: the lifecycle state machine, wire types and validation,
//!   ids, options, storage records, retries, errors.
//! - `web`: the browser shell, compiled for wasm only: the effects (`web/effects.js`: fetch,
//!   storage, Web Locks, the timer, page events) and the lifecycle's `Shell` over them.
//! - `js`: the `#[wasm_bindgen]` `Visitor` class, compiled for wasm only.
//!
//! The crate is `no_std` + `alloc`. With the default `std` feature (development, tests) the
//! standard library provides the panic handler and the allocator; the shipped build turns it off
//! and gets them from [`shipped`].

#![no_std]

extern crate alloc;
#[cfg(any(test, feature = "std"))]
extern crate std;

pub mod core;
pub mod heap;

#[cfg(target_arch = "wasm32")]
pub mod js;
#[cfg(target_arch = "wasm32")]
pub mod web;

#[cfg(target_arch = "wasm32")]
pub use js::Visitor;

#[cfg(all(target_arch = "wasm32", not(feature = "std")))]
mod shipped;

/// What `std`'s prelude would bring, from `alloc`.
mod prelude {
    pub use alloc::borrow::ToOwned;
    pub use alloc::string::{String, ToString};
    pub use alloc::vec::Vec;
    pub use alloc::vec;
}

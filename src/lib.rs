//! giosg-visitor: visitor authentication for giosg's public API, in the browser.
//!
//! A [`Visitor`] authenticates an anonymous visitor of a website with giosg, remembers it across
//! page loads (its `visitor_secret_id` in `localStorage`, or where consent allows), keeps its
//! access token valid (renewed on a timer before it expires, one request per cycle however many
//! tabs are open) and sends the app's requests with it.
//!
//! ```no_run
//! # #[cfg(target_arch = "wasm32")]
//! # async fn run() -> Result<(), giosg_visitor::Error> {
//! use giosg_visitor::{Visitor, VisitorOptions};
//!
//! let visitor = Visitor::new(VisitorOptions::new("e6a08f51-c250-4074-847b-58d444dbbeb1"))?;
//! let session = visitor.authenticate().await?;
//! let token = visitor.access_token().await?;
//! # Ok(())
//! # }
//! # fn main() {}
//! ```
//!
//! The crate runs in the browser (`wasm32-unknown-unknown`); on other targets only [`core`] (the
//! lifecycle as a pure state machine) compiles. Layout:
//! - [`core`]: pure Rust, host-testable: the lifecycle state machine and the typed effects it
//!   asks for, wire types and validation, ids, options, storage records, retries, errors.
//! - `web`: the browser shell: it performs the core's effects, each with the crate made for it
//!   (`gloo-net`, `gloo-storage`, `gloo-timers`, `web-sys`, `js-sys`).
//! - `visitor`: the Rust API ([`Visitor`], [`VisitorOptions`], [`Session`], [`Event`]).
//! - `js` (feature `js`, which the npm package is built with): the `#[wasm_bindgen]` `Visitor`
//!   class of the JS API, a thin layer over the same shell. A Rust app leaves it off, and its
//!   own JS exports then hold nothing of the SDK.

pub mod core;

#[cfg(target_arch = "wasm32")]
mod visitor;
#[cfg(target_arch = "wasm32")]
#[doc(hidden)]
pub mod web;
#[cfg(all(target_arch = "wasm32", feature = "js"))]
pub mod js;

pub use crate::core::error::{Code, Error};
pub use crate::core::lifecycle::Source;
pub use crate::core::options::{OnSecretRejected, StorageKind, StorageReason};
#[cfg(target_arch = "wasm32")]
pub use visitor::{Event, Session, Subscription, Visitor, VisitorOptions};
#[cfg(all(target_arch = "wasm32", feature = "realtime"))]
pub use visitor::{Action, Change, ChannelSubscription, SocketState};

/// The allocator of the npm package's `.wasm`: talc, smaller than std's default on wasm at the
/// same memory use (README, "What keeps it small"). Only with the `js` feature: a Rust app
/// chooses its own.
#[cfg(all(target_arch = "wasm32", feature = "js", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

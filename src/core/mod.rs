//! The pure core: everything that can be decided without a browser.
//!
//! Nothing here touches `web-sys` or `js-sys`: inputs are typed values and times, outputs are
//! values, decisions and typed effects ([`lifecycle::Effect`], and `realtime::Effect` with the
//! feature `realtime`). `cargo test` on the host covers it; the browser shell in `web/` and `js/`
//! only carries its decisions out.

pub mod clock;
pub mod error;
pub mod ids;
pub mod lifecycle;
pub mod options;
#[cfg(feature = "realtime")]
pub mod realtime;
pub mod record;
pub mod redact;
pub mod retry;
pub mod session;
pub mod value;
pub mod wire;

//! The harness of the Rust quick start: its whole code is the README's block (see build.rs),
//! built for the browser by scripts/example.sh and run by tests/e2e/quickstart.test.mjs.

include!(concat!(env!("OUT_DIR"), "/quickstart.rs"));

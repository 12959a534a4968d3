//! The JS surface: the `Visitor` class and `VisitorError`.

mod error;
mod visitor;

pub use visitor::Visitor;

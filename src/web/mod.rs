//! Browser effects, kept thin: the decisions are made in `core`.

pub mod cell;
pub mod json;
pub mod shell;
pub mod sys;

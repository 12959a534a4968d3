//! Browser effects, kept thin: the decisions are made in `core`.

pub mod cell;
pub mod fetch;
pub mod json;
pub mod locks;
pub mod page;
pub mod timer;
pub mod storage;
pub mod sys;
pub mod task;

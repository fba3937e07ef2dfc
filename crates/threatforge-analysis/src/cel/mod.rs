//! The condition language: a subset of CEL, parsed by the `cel` crate and checked (`check.rs`),
//! compiled and evaluated (`eval.rs`) here, over the lazy objects of `value.rs` typed in
//! `types.rs`; the subset is one table (`functions.rs`), and a differential test
//! (`differential.rs`) holds our evaluator to the `cel` crate's interpreter.

pub mod budget;
pub mod check;
#[cfg(test)]
mod differential;
pub mod eval;
pub mod functions;
pub mod types;
pub mod value;

//! The condition language: a subset of CEL, parsed by the `cel` crate and checked (`check.rs`),
//! compiled and evaluated (`eval.rs`) here, over the lazy objects of `value.rs` typed in
//! `types.rs`; the subset is one table (`functions.rs`), and a differential test
//! (`differential.rs`) holds our evaluator to the `cel` crate's interpreter.

pub(crate) mod budget;
pub(crate) mod check;
pub(crate) mod definitions;
#[cfg(test)]
mod differential;
pub(crate) mod eval;
pub(crate) mod functions;
pub(crate) mod types;
pub(crate) mod value;

//! The condition language: a subset of CEL, parsed by the `cel` crate and checked (`check.rs`),
//! compiled and evaluated (`eval.rs`) here, over the lazy objects of `value.rs` typed in
//! `types.rs`.

pub mod check;
pub mod eval;
pub mod types;
pub mod value;

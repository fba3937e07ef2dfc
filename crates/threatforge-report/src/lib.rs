//! Outputs of threatforge. Each format is a module; every one takes the loaded model and its
//! analysis and returns text, deterministically (same input, same bytes).

pub mod diff;
pub mod json;
pub mod mermaid;
pub mod rules_doc;

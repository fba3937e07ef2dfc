//! Outputs of threatforge. Each format is a module; every one takes the loaded model and its
//! analysis and returns text, deterministically (same input, same bytes).

pub mod csv;
pub mod diagram;
pub mod diff;
pub mod escape;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod mermaid;
pub mod otm;
pub mod remediation;
pub mod rules_doc;
pub mod sarif;

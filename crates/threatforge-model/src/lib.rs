//! The threatforge model language: the types a team writes, the catalogues they name, and the
//! loader that reads a model from its files with precise diagnostics.
//!
//! The pipeline's first stage. Everything later (analysis, outputs, the CLI) reads a [`Model`];
//! nothing here knows about threats.

mod boundaries;
mod catalog;
mod code_paths;
mod codes;
mod confine;
mod diag;
mod doc_tables;
mod edit;
pub mod escape;
mod limits;
mod load;
mod model;
mod read;
mod resolve;
mod schema;
mod source;
mod sp;
pub mod suggest;
mod validate;
mod yaml;

// `escape` and `suggest` stay modules: their functions are named for what they do to a text
// (`escape::line`, `suggest::nearest`) and read wrong without the module's name; every `pub`
// item in them is used by another crate.
pub use boundaries::BoundaryTree;
pub use catalog::{Catalog, Control, ControlReach, ControlTarget, Protocol, Technology, catalog};
pub use code_paths::unmatched_code_paths;
pub use codes::{Code, Severity};
pub use confine::{Refused, read_confined, read_regular};
pub use diag::{
    Diagnostic, JsonDiagnostic, Style, one_line as diagnostic_line, render as render_diagnostic,
    sort as sort_diagnostics,
};
pub use edit::{
    Insertion, NewDecision, NewThreat, insert_control, insert_decisions, insert_threat,
    render_decisions, replace_decision,
};
pub use limits::Limits;
pub use load::{LoadOptions, Loaded, load, load_str};
pub use model::*;
pub use read::{read_typed_as, read_typed_in};
pub use schema::model_schema_text;
pub use source::{FileId, Location, SourceFile, SourceMap, Span};
pub use sp::Sp;

/// The YAML readers, for the property tests and benchmarks that hold the fast paths to the
/// reference parse. Not part of the API. A cargo feature would be the other way, but a feature
/// only tests turn on makes `cargo build` and `cargo test` compile this crate, and every crate
/// above it, twice over; hidden re-exports cost nothing.
#[doc(hidden)]
pub mod testing {
    pub use crate::doc_tables::check_doc_tables;
    pub use crate::yaml::fast::{CHUNK_BYTES, parse_fast, parse_slow, parse_split, parse_whole};
    pub use crate::yaml::node::Node;
}

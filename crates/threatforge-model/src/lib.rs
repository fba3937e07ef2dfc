//! The threatforge model language: the types a team writes, the catalogues they name, and the
//! loader that reads a model from its files with precise diagnostics.
//!
//! The pipeline's first stage. Everything later (analysis, outputs, the CLI) reads a [`Model`];
//! nothing here knows about threats.

pub mod catalog;
pub mod codes;
pub mod confine;
pub mod diag;
pub mod edit;
pub mod escape;
pub mod limits;
pub mod load;
pub mod model;
pub mod read;
pub mod resolve;
pub mod schema;
pub mod source;
pub mod sp;
pub mod suggest;
mod validate;
pub mod yaml;

pub use codes::Code;
pub use diag::{Diagnostic, Severity};
pub use limits::Limits;
pub use load::{LoadOptions, Loaded, load, load_str};
pub use model::*;
pub use read::read_typed_as;
pub use source::{FileId, Location, SourceFile, SourceMap, Span};
pub use sp::Sp;

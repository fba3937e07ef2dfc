//! Reading a model from its files: limits, includes, parsing, and section-by-section
//! deserialization that reports every broken entity.
//!
//! Invariants:
//! - Loading never panics and never reads outside the model's root directory.
//! - Work is bounded: each file's size, the total size, the number of files, YAML nesting, node
//!   counts and alias expansion all have limits ([`Limits`]); going over one is a diagnostic.
//! - Every problem found is returned; loading goes on after an error wherever the rest of the
//!   model can still be read.
//!
//! The loader's state and its entry points are here; which files make up the model, and how each
//! is found and read, in `files.rs`; what each top-level section means, in `sections.rs`.

mod budgets;
mod files;
mod sections;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use indexmap::IndexMap;

use crate::codes::Code;
use crate::diag::Diagnostic;
use crate::limits::Limits;
use crate::model::{Id, Model};
use crate::source::{FileId, Span};

#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    pub limits: Limits,
    /// Directory that the root file and its includes may not leave. Defaults to
    /// the directory the root file is named in (a root file that is a link is confined there).
    pub root_dir: Option<PathBuf>,
}

/// The result of loading: the model as far as it could be read, and every diagnostic.
#[derive(Debug)]
pub struct Loaded {
    pub model: Model,
    pub diagnostics: Vec<Diagnostic>,
}

impl Loaded {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Loads a model from its root file and everything it includes, then checks it.
pub fn load(path: &Path, options: &LoadOptions) -> Loaded {
    let mut loader = Loader::new(options);
    let display = path.display().to_string();
    // The directory the user named the model in, not its target's: a model file that is a
    // symlink to `/proc/self/environ` is then outside its root, and refused.
    let root = options
        .root_dir
        .clone()
        .unwrap_or_else(|| match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => PathBuf::from("."),
        });
    match std::fs::canonicalize(&root) {
        Ok(root) => {
            loader.root_dir = root;
            loader.load_file(path, display, None, &mut Vec::new());
        }
        Err(e) if options.root_dir.is_none() => {
            loader.diagnostics.push(missing_model(&display, &e));
        }
        Err(e) => loader.diagnostics.push(
            Diagnostic::new(
                Code::IoError,
                format!("cannot read the root directory `{}`: {e}", root.display()),
            )
            .with_help("give an existing directory as the model's root"),
        ),
    }
    loader.finish()
}

fn missing_model(display: &str, e: &std::io::Error) -> Diagnostic {
    Diagnostic::new(Code::IoError, format!("cannot read model `{display}`: {e}"))
        .with_help("give the path of a model file, or run `threatforge init` to write one")
}

/// Loads a model from text (standard input, tests). Includes resolve against `base_dir`, which is
/// also the root they may not leave.
pub fn load_str(display: &str, text: &str, base_dir: &Path, options: &LoadOptions) -> Loaded {
    let mut loader = Loader::new(options);
    loader.root_dir = std::fs::canonicalize(base_dir).unwrap_or_else(|_| base_dir.to_path_buf());
    let path = loader.root_dir.join(display);
    if text.len() as u64 > options.limits.max_file_bytes {
        loader
            .diagnostics
            .push(too_large(display, options.limits.max_file_bytes));
    } else {
        loader.total_bytes = text.len() as u64;
        loader.parse_and_read(
            path,
            display.to_owned(),
            Arc::from(text),
            true,
            &mut Vec::new(),
        );
    }
    loader.finish()
}

fn too_large(display: &str, limit: u64) -> Diagnostic {
    Diagnostic::new(
        Code::LimitExceeded,
        format!(
            "`{display}` is larger than the limit of {} MiB",
            limit / (1024 * 1024)
        ),
    )
    .with_help("split the model with `include`, or check that this is the right file")
}

struct Loader<'o> {
    options: &'o LoadOptions,
    root_dir: PathBuf,
    model: Model,
    diagnostics: Vec<Diagnostic>,
    total_bytes: u64,
    /// Where each id was first declared. Components, boundaries, runtimes and flows share one
    /// namespace (boundaries contain components and boundaries by id); data assets have their own,
    /// so a store may share its data's name.
    /// Every id declared so far, by namespace (see `namespace`).
    ids: IndexMap<(u8, Id), (&'static str, Span)>,
    /// Entities that were declared but could not be read: references to them are not reported
    /// again, since the user has one error to fix, not two.
    broken: HashSet<Id>,
    /// Whether the root file was parsed, and had a `system` key (readable or not): otherwise a
    /// missing `system` would only repeat an error already reported.
    root_read: bool,
    system_seen: bool,
    /// Entities counted against their limits.
    tally: budgets::Tally,
}

impl<'o> Loader<'o> {
    fn new(options: &'o LoadOptions) -> Self {
        Loader {
            options,
            root_dir: PathBuf::new(),
            model: Model::default(),
            diagnostics: Vec::new(),
            total_bytes: 0,
            ids: IndexMap::new(),
            broken: HashSet::new(),
            root_read: false,
            system_seen: false,
            tally: budgets::Tally::default(),
        }
    }

    fn finish(mut self) -> Loaded {
        if self.root_read && !self.system_seen {
            self.diagnostics.push(
                Diagnostic::new(Code::MissingSystem, "the model has no `system` section")
                    .with_label(
                        Span::new(FileId(0), 0, 0),
                        "expected `system:` in this file",
                    )
                    .with_help("start the root file with `system: { name: My system }`"),
            );
        }
        // Validation reads the boundary tree, whose chains would cost the square of a deep
        // nesting; the model is invalid anyway.
        if !self.boundaries_too_deep() {
            crate::validate::validate(&self.model, &self.broken, &mut self.diagnostics);
        }
        crate::diag::sort(&mut self.diagnostics);
        Loaded {
            model: self.model,
            diagnostics: self.diagnostics,
        }
    }

    fn push_at(&mut self, diagnostic: Diagnostic, at: Option<Span>, label: &str) {
        self.diagnostics.push(match at {
            Some(span) => diagnostic.with_label(span, label),
            None => diagnostic,
        });
    }
}

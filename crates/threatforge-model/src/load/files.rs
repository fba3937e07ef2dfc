//! Which files make up a model: the root, then each include, resolved relative to the file that
//! names it and refused when it leaves the root (by `..`, an absolute path or a link), closes a
//! cycle, repeats a file or goes past the limits. Every file is opened by `confine`.

use std::path::{Component as PathComponent, Path, PathBuf};
use std::sync::Arc;

use crate::codes::Code;
use crate::confine::Refused;
use crate::diag::Diagnostic;
use crate::source::{FileId, SourceFile, Span};
use crate::sp::Sp;
use crate::suggest;
use crate::yaml::node::Node;

use super::{Loader, missing_model, too_large};

impl Loader<'_> {
    /// Reads one file and everything it includes.
    pub(super) fn load_file(
        &mut self,
        path: &Path,
        display: String,
        included_at: Option<Span>,
        stack: &mut Vec<PathBuf>,
    ) {
        let limits = &self.options.limits;
        if self.model.sources.files().count() >= limits.max_files {
            self.push_at(
                Diagnostic::new(
                    Code::LimitExceeded,
                    format!(
                        "the model has more than {} files, its limit (raise it with --max-files)",
                        limits.max_files
                    ),
                ),
                included_at,
                "this include is over the limit",
            );
            return;
        }
        let (canonical, text) =
            match crate::confine::read_confined(path, &self.root_dir, limits.max_file_bytes) {
                Ok((canonical, text)) => (canonical, Arc::<str>::from(text)),
                Err(Refused::TooLarge(_)) => {
                    let d = too_large(&display, limits.max_file_bytes);
                    self.push_at(d, included_at, "included here");
                    return;
                }
                Err(Refused::Missing(e)) if included_at.is_none() => {
                    self.diagnostics.push(missing_model(&display, &e));
                    return;
                }
                Err(refused) => {
                    let d = refused.diagnostic(&display, "the model's root");
                    self.push_at(d, included_at, "included here");
                    return;
                }
            };
        self.total_bytes += text.len() as u64;
        if self.total_bytes > limits.max_total_bytes {
            let d = Diagnostic::new(
                Code::LimitExceeded,
                format!(
                    "the model's files add up to more than {} MiB",
                    limits.max_total_bytes / (1024 * 1024)
                ),
            );
            self.push_at(d, included_at, "this include is over the limit");
            return;
        }
        let is_root = included_at.is_none();
        self.parse_and_read(canonical, display, text, is_root, stack);
    }

    pub(super) fn parse_and_read(
        &mut self,
        canonical: PathBuf,
        display: String,
        text: Arc<str>,
        is_root: bool,
        stack: &mut Vec<PathBuf>,
    ) {
        let file =
            self.model
                .sources
                .add(SourceFile::new(display, canonical.clone(), text.clone()));
        let Some(mut node) = self.parse(file, &text) else {
            return;
        };
        self.root_read |= is_root;
        stack.push(canonical);
        self.read_document(file, &mut node, is_root, stack);
        stack.pop();
    }

    fn parse(&mut self, file: FileId, text: &str) -> Option<Node> {
        let source = self.model.sources.get(file)?;
        match crate::read::parse(file, source, text, &self.options.limits) {
            Ok((node, diagnostics)) => {
                self.diagnostics.extend(diagnostics);
                Some(node)
            }
            Err(diagnostic) => {
                self.diagnostics.push(*diagnostic);
                None
            }
        }
    }

    pub(super) fn include(&mut self, from: FileId, include: &Sp<String>, stack: &mut Vec<PathBuf>) {
        let at = include.span;
        let raw = include.value.as_str();
        let relative = Path::new(raw);
        let escapes = relative.is_absolute()
            || raw.starts_with('/')
            || raw.starts_with('\\')
            || relative
                .components()
                .any(|c| matches!(c, PathComponent::Prefix(_) | PathComponent::RootDir));
        if escapes {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::IncludeEscape,
                    format!("include `{raw}` is an absolute path"),
                )
                .with_label(at, "absolute paths are not allowed")
                .with_help("write the path relative to this file, inside the model's directory"),
            );
            return;
        }
        let Some(base) = self
            .model
            .sources
            .get(from)
            .and_then(|f| f.path.parent().map(Path::to_path_buf))
        else {
            return;
        };
        let joined = base.join(relative);
        let canonical = match std::fs::canonicalize(&joined) {
            Ok(c) => c,
            Err(_) => {
                // Check confinement first: a missing file outside the root (by `..` or behind a
                // link) must not be told apart from a present one, and its directory is not
                // listed for suggestions.
                if !crate::confine::leads_inside(&joined, &self.root_dir) {
                    self.escape(at, raw);
                    return;
                }
                let help = nearest_file(&joined).map_or_else(
                    || "check the path; it is relative to the including file".to_owned(),
                    |n| format!("did you mean `{n}`?"),
                );
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::IncludeNotFound,
                        format!("included file `{raw}` does not exist"),
                    )
                    .with_label(at, "no such file")
                    .with_help(help),
                );
                return;
            }
        };
        if !canonical.starts_with(&self.root_dir) {
            self.escape(at, raw);
            return;
        }
        if stack.contains(&canonical) {
            let chain: Vec<String> = stack
                .iter()
                .skip_while(|p| **p != canonical)
                .chain(std::iter::once(&canonical))
                .map(|p| self.display_path(p))
                .collect();
            self.diagnostics.push(
                Diagnostic::new(
                    Code::IncludeCycle,
                    format!("include cycle: {}", chain.join(" -> ")),
                )
                .with_label(at, "this include closes the cycle")
                .with_help("remove one of the includes; each file should be included once"),
            );
            return;
        }
        if let Some(existing) = self.model.sources.find(&canonical) {
            let name = self
                .model
                .sources
                .get(existing)
                .map(|f| f.display.clone())
                .unwrap_or_default();
            self.diagnostics.push(
                Diagnostic::new(
                    Code::IncludeRepeated,
                    format!("`{name}` is already part of the model"),
                )
                .with_label(at, "included again here; this include is skipped")
                .with_help("include each file once"),
            );
            return;
        }
        let max_depth = self.options.limits.max_include_depth;
        if stack.len() > max_depth {
            let root = self
                .model
                .sources
                .get(FileId(0))
                .map(|f| f.display.clone())
                .unwrap_or_default();
            self.diagnostics.push(
                Diagnostic::new(
                    Code::LimitExceeded,
                    format!(
                        "include `{raw}` is more than {max_depth} includes deep below `{root}`"
                    ),
                )
                .with_label(at, "this include is one level too deep")
                .with_help(format!(
                    "include the file from one nearer to `{root}`; the root file may include \
                     every file directly"
                )),
            );
            return;
        }
        let display = self.display_path(&canonical);
        self.load_file(&canonical, display, Some(at), stack);
    }

    fn escape(&mut self, at: Span, raw: &str) {
        self.diagnostics.push(
            Diagnostic::new(
                Code::IncludeEscape,
                format!("include `{raw}` points outside the model's root directory"),
            )
            .with_label(at, "outside the model's root")
            .with_help(format!(
                "includes must stay inside `{}`; move the file there",
                self.root_dir.display()
            )),
        );
    }

    /// A path as the user should see it: relative to the working directory when inside it.
    fn display_path(&self, path: &Path) -> String {
        let cwd = std::env::current_dir()
            .ok()
            .and_then(|d| std::fs::canonicalize(d).ok());
        match cwd.as_deref().and_then(|cwd| path.strip_prefix(cwd).ok()) {
            Some(relative) => relative.display().to_string(),
            None => path.display().to_string(),
        }
    }
}

fn nearest_file(missing: &Path) -> Option<String> {
    let dir = missing.parent()?;
    let name = missing.file_name()?.to_str()?;
    let entries: Vec<String> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .take(1000)
        .collect();
    suggest::nearest(name, entries.iter().map(String::as_str)).map(str::to_owned)
}

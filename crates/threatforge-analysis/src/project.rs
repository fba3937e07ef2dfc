//! The pipeline every front end runs on a model: load it, and the built-in rules beside it, add
//! the team's rule directories, and analyze when nothing stopped it. The CLI, and any later front
//! end (a dashboard, a language server), call `Project::load` and keep only what is theirs:
//! arguments, standard input, git, exit codes.

use std::path::{Path, PathBuf};

use threatforge_model::Diagnostic;
use threatforge_model::{Code, LoadOptions, Loaded, Severity, SourceMap};

use crate::ruleset::{RuleDir, RuleSet};
use crate::threat::{Analysis, Options};

/// Where the model comes from.
#[derive(Clone, Copy, Debug)]
pub enum Source<'a> {
    /// A model file: its includes and the rule directories it names are relative to it.
    Path(&'a Path),
    /// A model's text (standard input, an editor's buffer), called `name` in messages; `dir`
    /// stands for the file's directory.
    Text {
        name: &'a str,
        text: &'a str,
        dir: &'a Path,
    },
}

/// What a front end may set.
#[derive(Clone, Debug, Default)]
pub struct ProjectOptions {
    /// The directory the model, its includes and its rule files may not leave. Default: the
    /// model file's directory (for a text, `dir`).
    pub root: Option<PathBuf>,
    /// Rule directories beside the model's `rules.dirs`, each file confined to its directory.
    pub extra_rules: Vec<PathBuf>,
    /// Today's date (YYYY-MM-DD), to expire acceptances.
    pub today: Option<String>,
}

/// The entry point of the pipeline.
pub struct Project;

impl Project {
    /// Loads a model and, when it and its rules are valid, analyzes it. Never fails: every
    /// problem is one of the result's diagnostics.
    pub fn load(source: Source<'_>, options: &ProjectOptions) -> Analyzed {
        let load_options = LoadOptions {
            root_dir: options.root.clone(),
            ..LoadOptions::default()
        };
        // The built-in rules need nothing from the model: they compile on the second core while
        // the model loads.
        let (loaded, mut rules) = rayon::join(
            || match source {
                Source::Path(path) => threatforge_model::load(path, &load_options),
                Source::Text { name, text, dir } => {
                    let base = options.root.as_deref().unwrap_or(dir);
                    threatforge_model::load_str(name, text, base, &load_options)
                }
            },
            RuleSet::builtin,
        );
        if loaded.has_errors() {
            return Analyzed::stopped(loaded, RuleSet::default());
        }
        let dir = match source {
            Source::Path(path) => path.parent().map(Path::to_path_buf).unwrap_or_default(),
            Source::Text { dir, .. } => dir.to_path_buf(),
        };
        // The team's rules may name the controls the model declares.
        rules.know_controls(loaded.model.controls.keys());
        match team_rule_dirs(&loaded, &dir, options) {
            Ok(dirs) => rules.add_dirs(&dirs),
            Err(diagnostics) => {
                let mut loaded = loaded;
                loaded.diagnostics.extend(diagnostics);
                return Analyzed::stopped(loaded, RuleSet::default());
            }
        }
        if rules.has_errors() {
            return Analyzed::stopped(loaded, rules);
        }
        let unknown = rules.add_team_mitigations(&loaded.model.controls);
        if !unknown.is_empty() {
            let mut loaded = loaded;
            loaded.diagnostics.extend(unknown);
            return Analyzed::stopped(loaded, rules);
        }
        let analysis = crate::analyze_with(
            &loaded.model,
            &rules,
            &Options {
                today: options.today.clone(),
            },
        );
        // A note without a place (how many rule files were read) is for `rules`, not a model's
        // diagnostics.
        rules
            .diagnostics
            .retain(|d| d.severity != Severity::Note || !d.labels.is_empty());
        Analyzed {
            loaded,
            rules,
            analysis,
        }
    }
}

/// The team's rule directories: the model's `rules.dirs`, relative to `dir` (they and their
/// files confined to the model's root), and the options' extra ones (each file confined to its
/// directory).
fn team_rule_dirs(
    loaded: &Loaded,
    dir: &Path,
    options: &ProjectOptions,
) -> Result<Vec<RuleDir>, Vec<Diagnostic>> {
    let root_dir = match &options.root {
        Some(root) => root.clone(),
        None if dir.as_os_str().is_empty() => PathBuf::from("."),
        None => dir.to_path_buf(),
    };
    let root_dir = std::fs::canonicalize(&root_dir).unwrap_or(root_dir);
    let mut dirs = Vec::new();
    let mut errors = Vec::new();
    for named in &loaded.model.rules.dirs {
        // Read through the path as written, so that messages name the files as the user knows
        // them; each file is confined to the root again when it is read.
        let written = dir.join(&named.value);
        match std::fs::canonicalize(&written) {
            Ok(path) if path.starts_with(&root_dir) && path.is_dir() => {
                dirs.push(RuleDir::within(written, root_dir.clone()))
            }
            Ok(path) if path.is_dir() => errors.push(
                Diagnostic::new(
                    Code::RulesDirEscape,
                    format!(
                        "rule directory `{}` is outside the model's root",
                        named.value
                    ),
                )
                .with_label(named.span, "outside the model's root")
                .with_help("keep the team's rules inside the repository, next to the model"),
            ),
            _ => errors.push(
                Diagnostic::new(
                    Code::RulesDirNotFound,
                    format!("rule directory `{}` does not exist", named.value),
                )
                .with_label(named.span, "no such directory")
                .with_help("the path is relative to the root model file"),
            ),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    dirs.extend(options.extra_rules.iter().cloned().map(RuleDir::own));
    Ok(dirs)
}

/// A model, its rules and its analysis (empty when loading stopped on errors).
pub struct Analyzed {
    pub loaded: Loaded,
    pub rules: RuleSet,
    pub analysis: Analysis,
}

impl Analyzed {
    /// A model with nothing in it, analyzed: the base of a change that adds the model.
    pub fn empty() -> Self {
        Analyzed::stopped(
            Loaded {
                model: threatforge_model::Model::default(),
                diagnostics: Vec::new(),
            },
            RuleSet::default(),
        )
    }

    fn stopped(loaded: Loaded, rules: RuleSet) -> Self {
        Analyzed {
            loaded,
            rules,
            analysis: Analysis::default(),
        }
    }

    /// Every diagnostic with the source map its spans point into: the model's, the rule
    /// files', then the analysis's of each. Each part is in file and position order.
    pub fn diagnostics(&self) -> Vec<(&Diagnostic, &SourceMap)> {
        let model = &self.loaded.model.sources;
        let rules = &self.rules.sources;
        let parts = [
            (&self.loaded.diagnostics, model),
            (&self.rules.diagnostics, rules),
            (&self.analysis.diagnostics, model),
            (&self.analysis.rule_diagnostics, rules),
        ];
        parts
            .into_iter()
            .flat_map(|(list, sources)| list.iter().map(move |d| (d, sources)))
            .collect()
    }

    pub fn has_errors(&self) -> bool {
        self.diagnostics().iter().any(|(d, _)| d.is_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(text: &str, dir: &Path) -> Analyzed {
        Project::load(
            Source::Text {
                name: "m.yaml",
                text,
                dir,
            },
            &ProjectOptions::default(),
        )
    }

    #[test]
    fn a_valid_model_is_analyzed_with_the_builtin_rules() {
        let dir = std::env::temp_dir();
        let analyzed = load_text(
            "system: { name: s }\ncomponents:\n  db: { technology: postgresql }\n",
            &dir,
        );
        assert!(!analyzed.has_errors(), "{:?}", analyzed.diagnostics());
        assert!(analyzed.rules.rules.len() > 50);
        assert!(
            analyzed
                .analysis
                .threats
                .iter()
                .any(|t| &*t.element.id == "db")
        );
    }

    #[test]
    fn an_invalid_model_stops_before_the_rules() {
        let analyzed = load_text(
            "system: { name: s }\ncomponents: 3\n",
            &std::env::temp_dir(),
        );
        assert!(analyzed.has_errors());
        assert!(analyzed.rules.rules.is_empty());
        assert!(analyzed.analysis.threats.is_empty());
    }

    #[test]
    fn a_missing_rule_directory_is_located_in_the_model() {
        let dir = std::env::temp_dir();
        let analyzed = load_text(
            "system: { name: s }\nrules:\n  dirs: [no-such-rules-dir-17a]\n",
            &dir,
        );
        let codes: Vec<&str> = analyzed.diagnostics().iter().map(|(d, _)| d.code).collect();
        assert_eq!(codes, ["rules-dir-not-found"]);
        let (d, sources) = analyzed.diagnostics()[0];
        let at = sources.locate(d.labels[0].span);
        assert_eq!((at.line, at.column), (3, 10));
        assert!(analyzed.analysis.threats.is_empty());
    }
}

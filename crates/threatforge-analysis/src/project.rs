//! The pipeline every front end runs on a model: load it, and the built-in rules beside it, add
//! the team's rule directories, and analyze when nothing stopped it. The CLI, and any later front
//! end (a dashboard, a language server), call `Project::load` and keep only what is theirs:
//! arguments, standard input, git, exit codes.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use threatforge_model::{
    Code, Diagnostic, FileId, LoadOptions, Loaded, Severity, SourceMap, sort_diagnostics,
};

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
    /// Bounds on the work and memory of rule expressions.
    pub cel: crate::cel::budget::CelLimits,
    /// Bounds on what the model may declare and on the reading of its files.
    pub limits: threatforge_model::Limits,
    /// `Options::for_summary`.
    pub for_summary: bool,
}

/// The entry point of the pipeline.
pub struct Project;

impl Project {
    /// Loads a model and, when it and its rules are valid, analyzes it. Never fails: every
    /// problem is one of the result's diagnostics.
    pub fn load(source: Source<'_>, options: &ProjectOptions) -> Analyzed {
        let load_options = LoadOptions {
            root_dir: options.root.clone(),
            limits: options.limits.clone(),
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
        // The frameworks are the analysis's data, so the loader cannot check their names.
        let unknown = crate::compliance::unknown_frameworks(&loaded.model);
        if !unknown.is_empty() {
            let mut loaded = loaded;
            loaded.diagnostics.extend(unknown);
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
                cel: options.cel,
                for_summary: options.for_summary,
            },
        );
        // A note without a place (how many rule files were read) is for `rules`, not a model's
        // diagnostics.
        rules
            .diagnostics
            .retain(|d| d.severity != Severity::Note || !d.labels.is_empty());
        Analyzed::new(loaded, rules, analysis)
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
    // A directory named twice is read once: each reading costs its files, and 100,000 entries of
    // one directory took 15 s.
    let mut named_before = HashSet::new();
    let mut read_before = HashSet::new();
    for named in &loaded.model.rules.dirs {
        if !named_before.insert(named.value.as_str()) {
            continue;
        }
        // Read through the path as written, so that messages name the files as the user knows
        // them; each file is confined to the root again when it is read.
        let written = dir.join(&named.value);
        match std::fs::canonicalize(&written) {
            Ok(path) if path.starts_with(&root_dir) && path.is_dir() => {
                if read_before.insert(path) {
                    dirs.push(RuleDir::within(written, root_dir.clone()));
                }
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
    /// The model's files, then the rule files: one map for every diagnostic's spans.
    sources: SourceMap,
    /// The model's, the rules' and the analysis's diagnostics, spans into `sources`, sorted.
    diagnostics: Vec<Diagnostic>,
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
        Analyzed::new(loaded, rules, Analysis::default())
    }

    fn new(loaded: Loaded, rules: RuleSet, analysis: Analysis) -> Self {
        let model_sources = &loaded.model.sources;
        let mut sources = SourceMap::default();
        for (_, file) in model_sources.files() {
            sources.add(file.clone());
        }
        // A rule file's id in the joined map: after the model's files.
        let offset = u32::try_from(model_sources.files().count()).unwrap_or(u32::MAX);
        for (_, file) in rules.sources.files() {
            sources.add(file.clone());
        }
        let in_rule_file = |d: &Diagnostic| {
            let mut d = d.clone();
            for label in &mut d.labels {
                label.span.file = FileId(label.span.file.0.saturating_add(offset));
            }
            d
        };
        let mut diagnostics: Vec<Diagnostic> = loaded
            .diagnostics
            .iter()
            .chain(&analysis.diagnostics)
            .cloned()
            .chain(
                rules
                    .diagnostics
                    .iter()
                    .chain(&analysis.rule_diagnostics)
                    .map(in_rule_file),
            )
            .collect();
        sort_diagnostics(&mut diagnostics);
        Analyzed {
            loaded,
            rules,
            analysis,
            sources,
            diagnostics,
        }
    }

    /// Adds diagnostics about the model found beside the pipeline (`check --code-root`), spans
    /// into the model's files, keeping the one list in the order every output prints.
    pub fn add_model_diagnostics(&mut self, diagnostics: Vec<Diagnostic>) {
        self.loaded.diagnostics.extend(diagnostics.iter().cloned());
        self.diagnostics.extend(diagnostics);
        sort_diagnostics(&mut self.diagnostics);
    }

    /// Every diagnostic, the model's, the rule files' and the analysis's, in the order every
    /// output prints them: by file (the model's files, then the rule files), position, severity
    /// and message. Their spans point into [`Analyzed::sources`].
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// The model's files and the rule files, as one map.
    pub fn sources(&self) -> &SourceMap {
        &self.sources
    }

    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
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
        // The rules ran on it: the lone database is a line of the checklist (it handles no data).
        assert!(analyzed.analysis.findings().any(|t| &*t.element.id == "db"));
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
        let codes: Vec<&str> = analyzed.diagnostics().iter().map(|d| d.code).collect();
        assert_eq!(codes, ["rules-dir-not-found"]);
        let d = &analyzed.diagnostics()[0];
        let at = analyzed.sources().locate(d.labels[0].span);
        assert_eq!((at.line, at.column), (3, 10));
        assert!(analyzed.analysis.threats.is_empty());
    }

    #[test]
    fn diagnostics_of_the_load_and_of_the_analysis_are_one_list_in_position_order() {
        // The not-applicable entry (line 2) is found by the analysis, the isolated component
        // (line 4) by the loader: the list reads down the file all the same.
        let analyzed = load_text(
            "system: { name: s }\nrules: { not_applicable: { \"no-such:x\": why } }\ncomponents:\n  lone: { technology: postgresql }\n",
            &std::env::temp_dir(),
        );
        let at: Vec<(&str, usize)> = analyzed
            .diagnostics()
            .iter()
            .map(|d| (d.code, analyzed.sources().locate(d.labels[0].span).line))
            .collect();
        assert_eq!(
            at,
            [("orphaned-not-applicable", 2), ("isolated-component", 4)]
        );
    }

    #[test]
    fn a_rule_files_diagnostics_follow_the_models_and_point_into_the_rule_file() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        std::fs::create_dir(dir.path().join("rules")).expect("the rules directory");
        std::fs::write(
            dir.path().join("rules/broken.yaml"),
            "id: broken\nnot-a-key: 1\n",
        )
        .expect("the rule file");
        let analyzed = load_text(
            "system: { name: s }\nrules: { dirs: [rules] }\ncomponents:\n  lone: { technology: postgresql }\n",
            dir.path(),
        );
        let diagnostics = analyzed.diagnostics();
        assert_eq!(diagnostics[0].code, "isolated-component", "{diagnostics:?}");
        let in_rules: Vec<_> = diagnostics[1..]
            .iter()
            .map(|d| {
                let span = d.primary_span().expect("a located diagnostic");
                let file = analyzed.sources().get(span.file).expect("the rule file");
                (
                    file.display.ends_with("broken.yaml"),
                    analyzed.sources().locate(span).line,
                )
            })
            .collect();
        assert!(!in_rules.is_empty());
        assert!(
            in_rules.iter().all(|(in_file, _)| *in_file),
            "{diagnostics:?}"
        );
        assert!(in_rules.contains(&(true, 2)), "{diagnostics:?}");
        assert!(analyzed.has_errors());
    }

    #[test]
    fn a_rule_directory_named_a_hundred_thousand_times_is_read_once() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        std::fs::create_dir(dir.path().join("rules")).expect("the rules directory");
        std::fs::write(
            dir.path().join("rules/mine.yaml"),
            "id: team-mine\ntitle: Mine\ndescription: d\nstride: tampering\n\
             applies_to: { element: component }\ncondition: \"true\"\n\
             explanation: \"{{ component.name }}\"\nlikelihood: low\nimpact: low\n",
        )
        .expect("the rule file");
        // Written two ways: the same directory is found by its path too. Read once per entry,
        // it was 15 s, and each reading's rules would be duplicates of the first's.
        let entries = ["rules", "./rules"].repeat(50_000).join(", ");
        let analyzed = load_text(
            &format!(
                "system: {{ name: s }}\nrules: {{ dirs: [{entries}] }}\ncomponents:\n  a: {{ technology: postgresql }}\n"
            ),
            dir.path(),
        );
        assert!(!analyzed.has_errors(), "{:?}", analyzed.diagnostics());
        let mine = analyzed
            .rules
            .rules
            .iter()
            .filter(|r| r.id() == "team-mine");
        assert_eq!(mine.count(), 1);
        let read = analyzed.rules.sources.files();
        assert_eq!(
            read.filter(|(_, f)| f.display.ends_with("mine.yaml"))
                .count(),
            1
        );
    }
}

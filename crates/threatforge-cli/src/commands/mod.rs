//! One module per subcommand; each returns the process exit code, or a usage error message.

mod baseline;
mod check;
mod diagram;
mod diff;
mod import;
mod init;
mod report;
mod rules;
mod schema;

use std::io::Read;
use std::path::{Path, PathBuf};

use threatforge_analysis::{Analysis, RuleDir, RuleSet};
use threatforge_model::diag::{self, Diagnostic, Style};
use threatforge_model::{LoadOptions, Loaded, SourceMap};

use crate::cli::Command;
use crate::terminal::Terminal;

pub fn run(command: Command, term: &Terminal) -> Result<u8, String> {
    match command {
        Command::Check(args) => check::run(args, term),
        Command::Init(args) => init::run(args),
        Command::Report(args) => report::run(args, term),
        Command::Baseline(args) => baseline::run(args, term),
        Command::Diff(args) => diff::run(args, term),
        Command::Diagram(args) => diagram::run(args, term),
        Command::Rules(command) => rules::run(command, term),
        Command::Schema(args) => schema::run(args),
        Command::Import(args) => import::run(args, term),
        Command::Completions { shell } => {
            let mut command = <crate::cli::Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut command, "threatforge", &mut std::io::stdout());
            Ok(crate::exit::OK)
        }
    }
}

/// The names the model file is looked up by, in order.
const MODEL_FILE_NAMES: &[&str] = &["threatforge.yaml", "threatforge.yml", "threatforge.json"];

/// The model file: as given, or the nearest `threatforge.yaml` in this directory or a parent.
pub fn find_model(given: Option<&Path>) -> Result<PathBuf, String> {
    if let Some(path) = given {
        return Ok(path.to_path_buf());
    }
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
    for dir in cwd.ancestors() {
        for name in MODEL_FILE_NAMES {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Ok(candidate
                    .strip_prefix(&cwd)
                    .map(Path::to_path_buf)
                    .unwrap_or(candidate));
            }
        }
    }
    Err(
        "no threatforge.yaml in this directory or its parents; give a model path, \
         or run `threatforge init` to write one"
            .to_owned(),
    )
}

/// The directory SARIF's file URIs are relative to, canonical: the top of the git repository
/// the model is in (the nearest directory with a `.git`, found without running git, which a
/// report does not otherwise need), else the model's root directory.
pub fn repository_root(model: &Path, root: Option<&Path>) -> PathBuf {
    let cwd = std::env::current_dir().unwrap_or_default();
    let dir = if model == Path::new("-") {
        cwd.clone()
    } else {
        cwd.join(model)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    };
    let dir = std::fs::canonicalize(&dir).unwrap_or(dir);
    if let Some(top) = dir.ancestors().find(|d| d.join(".git").exists()) {
        return top.to_path_buf();
    }
    let root = root.map_or(dir, |r| cwd.join(r));
    std::fs::canonicalize(&root).unwrap_or(root)
}

/// Loads a model from a path, or from standard input for `-`.
pub fn load_model(path: &Path, root: Option<&Path>) -> Result<Loaded, String> {
    let options = LoadOptions {
        root_dir: root.map(Path::to_path_buf),
        ..LoadOptions::default()
    };
    if path == Path::new("-") {
        let limit = options.limits.max_file_bytes;
        let mut text = String::new();
        std::io::stdin()
            .take(limit + 1)
            .read_to_string(&mut text)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        let base = match root {
            Some(root) => root.to_path_buf(),
            None => std::env::current_dir()
                .map_err(|e| format!("cannot read the current directory: {e}"))?,
        };
        return Ok(threatforge_model::load_str(
            "<stdin>", &text, &base, &options,
        ));
    }
    Ok(threatforge_model::load(path, &options))
}

/// Renders diagnostics for a person, each with its own source map.
pub fn render_diagnostics(
    diagnostics: &[Diagnostic],
    sources: &SourceMap,
    term: &Terminal,
) -> String {
    let style = if term.color_stderr {
        Style::Color
    } else {
        Style::Plain
    };
    let mut out = String::new();
    for d in diagnostics {
        out.push_str(&diag::render(d, sources, style));
        out.push('\n');
    }
    out
}

/// The team's rule directories: the model's `rules.dirs` (they and their files confined to the
/// model's root) and `extra` from the command line (each file confined to its directory).
pub fn team_rule_dirs(
    loaded: &Loaded,
    model_path: &Path,
    root: Option<&Path>,
    extra: &[PathBuf],
) -> Result<Vec<RuleDir>, Vec<Diagnostic>> {
    let base = if model_path == Path::new("-") {
        std::env::current_dir().unwrap_or_default()
    } else {
        model_path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    };
    let root_dir = match root {
        Some(root) => root.to_path_buf(),
        None if base.as_os_str().is_empty() => PathBuf::from("."),
        None => base.clone(),
    };
    let root_dir = std::fs::canonicalize(&root_dir).unwrap_or(root_dir);
    let mut dirs = Vec::new();
    let mut errors = Vec::new();
    for dir in &loaded.model.rules.dirs {
        // Read through the path as written, so that messages name the files as the user knows
        // them; each file is confined to the root again when it is read.
        let written = base.join(&dir.value);
        match std::fs::canonicalize(&written) {
            Ok(path) if path.starts_with(&root_dir) && path.is_dir() => {
                dirs.push(RuleDir::within(written, root_dir.clone()))
            }
            Ok(path) if path.is_dir() => errors.push(
                Diagnostic::error(
                    "rules-dir-escape",
                    format!("rule directory `{}` is outside the model's root", dir.value),
                )
                .with_label(dir.span, "outside the model's root")
                .with_help("keep the team's rules inside the repository, next to the model"),
            ),
            _ => errors.push(
                Diagnostic::error(
                    "rules-dir-not-found",
                    format!("rule directory `{}` does not exist", dir.value),
                )
                .with_label(dir.span, "no such directory")
                .with_help("the path is relative to the root model file"),
            ),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    dirs.extend(extra.iter().cloned().map(RuleDir::own));
    Ok(dirs)
}

/// Everything `check` and `report` need: the model, the rules, the analysis.
pub struct Analyzed {
    pub loaded: Loaded,
    pub rules: RuleSet,
    pub analysis: Analysis,
}

impl Analyzed {
    /// A model with nothing in it, analyzed: the base of a change that adds the model.
    pub fn empty() -> Self {
        Analyzed {
            loaded: Loaded {
                model: threatforge_model::Model::default(),
                diagnostics: Vec::new(),
            },
            rules: RuleSet::default(),
            analysis: Analysis::default(),
        }
    }

    pub fn has_errors(&self) -> bool {
        self.loaded.has_errors()
            || self.rules.has_errors()
            || self
                .analysis
                .diagnostics
                .iter()
                .chain(&self.analysis.rule_diagnostics)
                .any(Diagnostic::is_error)
    }

    /// Every diagnostic, rendered for a person.
    pub fn render(&self, term: &Terminal) -> String {
        let mut out =
            render_diagnostics(&self.loaded.diagnostics, &self.loaded.model.sources, term);
        out.push_str(&render_diagnostics(
            &self.rules.diagnostics,
            &self.rules.sources,
            term,
        ));
        out.push_str(&render_diagnostics(
            &self.analysis.diagnostics,
            &self.loaded.model.sources,
            term,
        ));
        out.push_str(&render_diagnostics(
            &self.analysis.rule_diagnostics,
            &self.rules.sources,
            term,
        ));
        out
    }

    /// Every diagnostic, one line each.
    pub fn one_lines(&self) -> String {
        let mut out = String::new();
        let pairs = [
            (&self.loaded.diagnostics, &self.loaded.model.sources),
            (&self.rules.diagnostics, &self.rules.sources),
            (&self.analysis.diagnostics, &self.loaded.model.sources),
            (&self.analysis.rule_diagnostics, &self.rules.sources),
        ];
        for (diagnostics, sources) in pairs {
            for d in diagnostics.iter() {
                out.push_str(&diag::one_line(d, sources));
                out.push('\n');
            }
        }
        out
    }
}

/// Today's date, YYYY-MM-DD (UTC), or the date given; a malformed date is a usage error.
pub fn today(given: Option<&str>) -> Result<String, String> {
    if let Some(date) = given {
        return if threatforge_model::is_valid_date(date) {
            Ok(date.to_owned())
        } else {
            Err(format!(
                "`{date}` is not a date; give --today as YYYY-MM-DD"
            ))
        };
    }
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|e| format!("the system clock is before 1970: {e}"))?
        .as_secs();
    Ok(civil_date(seconds / 86_400))
}

/// The calendar date of a day number since 1970-01-01 (Howard Hinnant's `civil_from_days`);
/// written out because the standard library has no calendar and a date crate is not worth it.
fn civil_date(days: u64) -> String {
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// Loads a model and, when it is valid, analyzes it.
pub fn load_and_analyze(
    path: &Path,
    root: Option<&Path>,
    extra_rules: &[PathBuf],
    today: Option<String>,
) -> Result<Analyzed, String> {
    // The built-in rules need nothing from the model: they compile on the second core while
    // the model loads.
    let (loaded, mut rules) = rayon::join(|| load_model(path, root), RuleSet::builtin);
    let loaded = loaded?;
    if loaded.has_errors() {
        return Ok(Analyzed {
            loaded,
            rules: RuleSet::default(),
            analysis: Analysis::default(),
        });
    }
    rules.know_controls(loaded.model.controls.keys());
    match team_rule_dirs(&loaded, path, root, extra_rules) {
        Ok(dirs) => rules.add_dirs(&dirs),
        Err(diagnostics) => {
            let mut loaded = loaded;
            loaded.diagnostics.extend(diagnostics);
            return Ok(Analyzed {
                loaded,
                rules: RuleSet::default(),
                analysis: Analysis::default(),
            });
        }
    }
    if rules.has_errors() {
        return Ok(Analyzed {
            loaded,
            rules,
            analysis: Analysis::default(),
        });
    }
    let options = threatforge_analysis::Options { today };
    let analysis = threatforge_analysis::analyze_with(&loaded.model, &rules, &options);
    rules
        .diagnostics
        .retain(|d| d.severity != threatforge_model::Severity::Note || !d.labels.is_empty());
    Ok(Analyzed {
        loaded,
        rules,
        analysis,
    })
}

#[cfg(test)]
mod tests {
    use super::civil_date;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(11_016), "2000-02-29");
        assert_eq!(civil_date(20_785), "2026-11-28");
    }
}

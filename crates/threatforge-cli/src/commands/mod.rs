//! One module per subcommand; each returns the process exit code, or a usage error message.

mod baseline;
mod check;
mod compliance;
mod diagram;
mod diff;
mod drift;
mod evidence;
mod import;
mod init;
mod plan;
mod report;
mod rules;
mod schema;
mod serve;
mod threagile_risks;

use std::io::Read;
use std::path::{Path, PathBuf};

pub(crate) use threatforge_analysis::Analyzed;
use threatforge_analysis::{Project, ProjectOptions, Source};
use threatforge_model::{Diagnostic, Style, diagnostic_line, render_diagnostic};
use threatforge_model::{LoadOptions, SourceMap};

use crate::cli::Command;
use crate::terminal::Terminal;

pub(crate) fn run(command: Command, term: &Terminal) -> Result<u8, String> {
    match command {
        Command::Check(args) => check::run(args, term),
        Command::Init(args) => init::run(args, term),
        Command::Report(args) => report::run(args, term),
        Command::Baseline(args) => baseline::run(args, term),
        Command::Diff(args) => diff::run(args, term),
        Command::Diagram(args) => diagram::run(args, term),
        Command::Plan(args) => plan::run(args, term),
        Command::Compliance(args) => compliance::run(args, term),
        Command::Rules(command) => rules::run(command, term),
        Command::Schema(args) => schema::run(args),
        Command::Drift(args) => drift::run(args, term),
        Command::Evidence(args) => evidence::run(args, term),
        Command::Import(args) => import::run(args, term),
        Command::Serve(args) => serve::run(args),
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
pub(crate) fn find_model(given: Option<&Path>) -> Result<PathBuf, String> {
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
pub(crate) fn repository_root(model: &Path, root: Option<&Path>) -> PathBuf {
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

/// Every diagnostic of a loaded project, rendered for a person.
pub(crate) fn render_analyzed(analyzed: &Analyzed, term: &Terminal) -> String {
    render_diagnostics(analyzed.diagnostics(), analyzed.sources(), term)
}

/// Renders diagnostics for a person.
pub(crate) fn render_diagnostics(
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
        out.push_str(&render_diagnostic(d, sources, style));
        out.push('\n');
    }
    out
}

/// How many errors `check` finds in a model threatforge wrote (an import, a draft), loaded as if
/// it were at `to` (else in this directory): each would be a bug of ours, and is printed.
pub(crate) fn errors_in_written(
    name: &str,
    text: &str,
    to: Option<&Path>,
    term: &Terminal,
) -> usize {
    let base = to
        .and_then(Path::parent)
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let loaded = threatforge_model::load_str(name, text, &base, &LoadOptions::default());
    let errors: Vec<Diagnostic> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .cloned()
        .collect();
    if !errors.is_empty() {
        crate::terminal::eprint(&render_diagnostics(&errors, &loaded.model.sources, term));
    }
    errors.len()
}

/// Every diagnostic of a loaded project, one line each.
pub(crate) fn one_lines(analyzed: &Analyzed) -> String {
    let mut out = String::new();
    for d in analyzed.diagnostics() {
        out.push_str(&diagnostic_line(d, analyzed.sources()));
        out.push('\n');
    }
    out
}

/// Today's date, YYYY-MM-DD (UTC), or the date given; a malformed date is a usage error.
impl crate::cli::ModelInputs {
    /// The day acceptances expire against: `--today`, else today.
    pub(crate) fn today(&self) -> Result<String, String> {
        today(self.today.as_deref())
    }

    /// The model at `path` with these inputs, analyzed as of `today`.
    pub(crate) fn analyze(&self, path: &Path, today: String) -> Result<Analyzed, String> {
        self.analyze_with(path, today, false)
    }

    /// [`Self::analyze`] for an output that shows no explanations (`check`'s summary): the
    /// built-in rules' are left unwritten (`Options::for_summary`).
    pub(crate) fn analyze_for_summary(
        &self,
        path: &Path,
        today: String,
    ) -> Result<Analyzed, String> {
        self.analyze_with(path, today, true)
    }

    fn analyze_with(
        &self,
        path: &Path,
        today: String,
        for_summary: bool,
    ) -> Result<Analyzed, String> {
        let options = ProjectOptions {
            for_summary,
            ..project_options(self.root.as_deref(), &self.rules, Some(today), &self.limits)
        };
        load_with(path, &options)
    }
}

pub(crate) fn today(given: Option<&str>) -> Result<String, String> {
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

/// Loads a model (standard input for `-`) and, when it is valid, analyzes it.
pub(crate) fn load_and_analyze(
    path: &Path,
    root: Option<&Path>,
    extra_rules: &[PathBuf],
    today: Option<String>,
    limits: &crate::cli::RuleLimits,
) -> Result<Analyzed, String> {
    load_with(path, &project_options(root, extra_rules, today, limits))
}

/// What the command line sets for loading and analyzing a model.
fn project_options(
    root: Option<&Path>,
    extra_rules: &[PathBuf],
    today: Option<String>,
    limits: &crate::cli::RuleLimits,
) -> ProjectOptions {
    ProjectOptions {
        root: root.map(Path::to_path_buf),
        extra_rules: extra_rules.to_vec(),
        today,
        cel: limits.cel(),
        limits: limits.model.limits(),
        for_summary: false,
    }
}

/// Loads and analyzes the model at `path` (`-`: standard input) with `options`.
fn load_with(path: &Path, options: &ProjectOptions) -> Result<Analyzed, String> {
    if path != Path::new("-") {
        return Ok(Project::load(Source::Path(path), options));
    }
    let limit = LoadOptions::default().limits.max_file_bytes;
    let mut text = String::new();
    std::io::stdin()
        .take(limit + 1)
        .read_to_string(&mut text)
        .map_err(|e| format!("cannot read standard input: {e}"))?;
    let dir =
        std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
    Ok(Project::load(
        Source::Text {
            name: "<stdin>",
            text: &text,
            dir: &dir,
        },
        options,
    ))
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

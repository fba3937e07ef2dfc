//! Evidence from the tools a team already runs in CI: scanners' findings (SARIF 2.1.0, ZAP's
//! traditional JSON report) and test results (JUnit XML), read into one format-neutral list.
//! What the findings and tests mean for the model's threats and controls is the analysis's
//! (`threatforge_analysis::apply_evidence`); this crate only reads, within bounds.
//!
//! Every input is untrusted: files are capped in size before they are read, nesting is bounded
//! (serde_json's recursion limit, a depth cap on XML), strings are cut to a length, and no input
//! panics. A file that cannot be read as any of the formats is an error located at its line and
//! column; a finding whose location cannot be trusted (a path leaving the repository) keeps no
//! location and says why in a warning.

mod cwe;
mod junit;
mod path;
mod sarif;
mod zap;

use std::path::Path;

use serde::Serialize;

pub use cwe::{is_related as cwe_related, parse as parse_cwe};
pub use path::{EndpointIndex, url_matches};

/// Bounds on evidence input.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Largest evidence file, in bytes; larger files are refused before they are read.
    pub max_file_bytes: u64,
    /// Most findings plus test results over all files.
    pub max_items: usize,
    /// Longest message kept, in characters; longer ones are cut.
    pub max_text_chars: usize,
    /// Deepest nesting of XML elements.
    pub max_xml_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 256 * 1024 * 1024,
            max_items: 2_000_000,
            max_text_chars: 2_000,
            max_xml_depth: 64,
        }
    }
}

/// How serious the tool rates a finding (SARIF's `level`; ZAP's risk is mapped onto it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    None,
    Note,
    Warning,
    Error,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::None => "none",
            Level::Note => "note",
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }
}

/// One thing a scanner found.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Finding {
    /// The tool's name (SARIF's `tool.driver.name`, `OWASP ZAP` for its JSON report).
    pub tool: String,
    /// The tool's rule id (`ruleId`, ZAP's plugin id).
    pub rule: String,
    /// CWE ids, from the rule's and the result's taxa, relationships and tags; sorted.
    pub cwe: Vec<u32>,
    pub level: Level,
    /// The rule's `security-severity` (0-10, as GitHub code scanning reads it), when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_severity: Option<f64>,
    pub message: String,
    /// The file, relative to the repository's root, `/`-separated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// For web scanners: the URL the finding is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Where to read more about the rule (`helpUri`), http(s) only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// The evidence file it came from, as named on the command line or in the model.
    pub source: String,
    /// Suppressed in the tool (an accepted SARIF suppression): listed, but it confirms nothing.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub suppressed: bool,
}

impl Finding {
    /// Where it is, for people: `file:line`, the URL, or nothing.
    pub fn location(&self) -> String {
        match (&self.file, self.line, &self.url) {
            (Some(file), Some(line), _) => format!("{file}:{line}"),
            (Some(file), None, _) => file.clone(),
            (None, _, Some(url)) => url.clone(),
            (None, _, None) => String::new(),
        }
    }
}

/// How a test ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Passed,
    Skipped,
    Failed,
    /// The test could not run to its verdict (JUnit's `<error>`).
    Error,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Skipped => "skipped",
            Outcome::Failed => "failed",
            Outcome::Error => "error",
        }
    }
}

/// One test case of a test report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TestResult {
    /// `classname.name`, or the name alone when there is no class name: what `verified_by`
    /// patterns match.
    pub id: String,
    pub outcome: Outcome,
    /// The failure's or error's message, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    pub source: String,
}

/// A problem that did not stop the reading: a finding kept without its location, a limit reached.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Warning {
    pub source: String,
    pub message: String,
}

/// Everything read from the evidence files, in the order of the files and their contents.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Evidence {
    /// The files read, as named.
    pub files: Vec<String>,
    pub findings: Vec<Finding>,
    pub tests: Vec<TestResult>,
    pub warnings: Vec<Warning>,
    /// How many scanner reports (SARIF, ZAP) and test reports (JUnit) were read: a clean scan
    /// has no findings, yet shows that an unmodeled weakness a decision names is gone.
    #[serde(skip)]
    pub scanner_reports: usize,
    #[serde(skip)]
    pub test_reports: usize,
    /// The item limit was reached (and said so).
    #[serde(skip)]
    full: bool,
}

/// An evidence file that could not be read: where, what was expected, and what to do.
#[derive(Clone, Debug, PartialEq)]
pub struct Error {
    pub file: String,
    /// 1-based line and column, when the problem is at a place in the text.
    pub at: Option<(usize, usize)>,
    pub message: String,
    pub help: String,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.at {
            Some((line, column)) => write!(f, "{}:{line}:{column}: {}", self.file, self.message)?,
            None => write!(f, "{}: {}", self.file, self.message)?,
        }
        write!(f, "\n  help: {}", self.help)
    }
}

impl std::error::Error for Error {}

impl Error {
    fn new(file: &str, at: Option<(usize, usize)>, message: impl Into<String>, help: &str) -> Self {
        Error {
            file: file.to_owned(),
            at,
            message: message.into(),
            help: help.to_owned(),
        }
    }
}

/// What reading one file needs besides its bytes.
pub(crate) struct Context<'a> {
    /// The file as named, for messages and each item's `source`.
    pub source: &'a str,
    /// The repository's root, canonical: absolute paths in findings are made relative to it.
    pub root: Option<&'a Path>,
    pub limits: &'a Limits,
}

impl Context<'_> {
    pub(crate) fn warn(&self, evidence: &mut Evidence, message: String) {
        // One warning per problem is plenty; a hostile file could otherwise make millions.
        const MAX_WARNINGS: usize = 200;
        if evidence.warnings.len() < MAX_WARNINGS {
            evidence.warnings.push(Warning {
                source: self.source.to_owned(),
                message,
            });
        }
    }

    /// `text` cut to the limit, with control characters kept for the outputs to escape.
    pub(crate) fn cut(&self, text: &str) -> String {
        cut_chars(text, self.limits.max_text_chars)
    }

    /// Whether another item fits under the limit; says so once when it does not.
    pub(crate) fn room(&self, evidence: &mut Evidence) -> bool {
        if evidence.findings.len() + evidence.tests.len() < self.limits.max_items {
            return true;
        }
        if !evidence.full {
            evidence.full = true;
            self.warn(
                evidence,
                format!(
                    "more than {} findings and test results: the rest are skipped",
                    self.limits.max_items
                ),
            );
        }
        false
    }
}

impl Evidence {
    /// Reads the evidence file at `path` (named `display` in messages), which the user named
    /// outright: any regular file, up to the size limit.
    pub fn read_file(
        &mut self,
        path: &Path,
        display: &str,
        root: Option<&Path>,
        limits: &Limits,
    ) -> Result<(), Error> {
        let bytes = threatforge_model::read_regular(path, limits.max_file_bytes)
            .map_err(|refused| refusal(display, &refused))?;
        self.read_bytes(display, &bytes, root, limits)
    }

    /// Reads the evidence file at `path`, named by the model: it must resolve inside `confine`
    /// (canonical), as every file a model names must.
    pub fn read_confined(
        &mut self,
        path: &Path,
        display: &str,
        confine: &Path,
        root: Option<&Path>,
        limits: &Limits,
    ) -> Result<(), Error> {
        let (_, text) = threatforge_model::read_confined(path, confine, limits.max_file_bytes)
            .map_err(|refused| refusal(display, &refused))?;
        self.read_bytes(display, text.as_bytes(), root, limits)
    }

    /// Reads one evidence file's contents, whichever of the formats it is.
    pub fn read_bytes(
        &mut self,
        display: &str,
        bytes: &[u8],
        root: Option<&Path>,
        limits: &Limits,
    ) -> Result<(), Error> {
        let cx = Context {
            source: display,
            root,
            limits,
        };
        let start = bytes
            .iter()
            .position(|b| !b.is_ascii_whitespace() && *b != 0xEF && *b != 0xBB && *b != 0xBF);
        match start.map(|i| bytes[i]) {
            Some(b'<') => {
                junit::read(bytes, &cx, self)?;
                self.test_reports += 1;
            }
            Some(b'{') => {
                read_json(bytes, &cx, self)?;
                self.scanner_reports += 1;
            }
            _ => {
                return Err(Error::new(
                    display,
                    None,
                    "not a SARIF log, a JUnit XML report or a ZAP JSON report",
                    "pass SARIF 2.1.0 (`.sarif`), JUnit XML or ZAP's traditional JSON report",
                ));
            }
        }
        self.files.push(display.to_owned());
        Ok(())
    }
}

/// A JSON evidence file: SARIF (it has `runs`) or ZAP's report (it has `site`), told apart in
/// the one parse.
fn read_json(bytes: &[u8], cx: &Context, evidence: &mut Evidence) -> Result<(), Error> {
    #[derive(serde::Deserialize)]
    struct Either {
        #[serde(default)]
        runs: Option<Vec<sarif::Run>>,
        #[serde(default)]
        site: Option<Vec<zap::Site>>,
        #[serde(default)]
        version: Option<serde_json::Value>,
    }
    let either: Either = serde_json::from_slice(bytes).map_err(|e| json_error(cx.source, &e))?;
    match (either.runs, either.site) {
        (Some(runs), _) => {
            if let Some(version) = either.version.as_ref().and_then(|v| v.as_str())
                && version != "2.1.0"
            {
                cx.warn(
                    evidence,
                    format!(
                        "SARIF version {version}: read as 2.1.0, the version threatforge knows"
                    ),
                );
            }
            sarif::read(runs, cx, evidence);
            Ok(())
        }
        (None, Some(sites)) => {
            zap::read(sites, cx, evidence);
            Ok(())
        }
        (None, None) => Err(Error::new(
            cx.source,
            Some((1, 1)),
            "a JSON file with neither `runs` (SARIF) nor `site` (a ZAP report)",
            "pass a SARIF 2.1.0 log or ZAP's traditional JSON report (`-J` / `report.json`)",
        )),
    }
}

/// `text` cut to `max` characters, marked with an ellipsis when cut.
pub(crate) fn cut_chars(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

pub(crate) fn json_error(file: &str, e: &serde_json::Error) -> Error {
    let help = if e.to_string().contains("recursion limit") {
        "the file nests deeper than any scanner's output: check that it is the right file"
    } else if e.is_data() {
        "the file is JSON but not of the shape SARIF 2.1.0 or ZAP's report has"
    } else {
        "check that the file is complete, valid UTF-8 JSON"
    };
    // serde_json appends " at line L column C" itself; the location goes in front instead.
    let message = e.to_string();
    let message = message
        .rsplit_once(" at line ")
        .map_or(message.as_str(), |(m, _)| m)
        .to_owned();
    Error::new(
        file,
        Some((e.line().max(1), e.column().max(1))),
        message,
        help,
    )
}

fn refusal(display: &str, refused: &threatforge_model::Refused) -> Error {
    Error {
        file: display.to_owned(),
        at: None,
        message: refused.message(display, "the model's root"),
        help: refused.help(),
    }
}

//! Imports threat models from other tools into threatforge YAML.
//!
//! Each importer reads its format into a `draft::Draft`, a format-neutral model, and
//! `write::to_yaml` renders the draft as a model a person would maintain. The crate depends on
//! the model crate only (for its enums, catalogue and id rules), never on analysis or reports, so
//! that importing stays a pure text-to-text step.
//!
//! All input is untrusted: it is size-limited ([`Options::max_bytes`]), parsed with budgets
//! (nesting depth, node and alias counts), and every importer walks it in linear time.

mod draft;
mod otm;
mod threagile;
mod threat_dragon;
mod tm7;
mod write;
mod yaml;

use std::fmt;
use std::path::Path;

// The Threagile rule mapping, which the tests hold to the built-in rules' `covers`.
pub use threagile::{Elem as ThreagileElem, RULES as THREAGILE_RULES, rule as threagile_rule};

/// A format threatforge imports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// Threagile YAML (0.9 and 1.0 spellings).
    Threagile,
    /// Open Threat Model 0.2, JSON or YAML.
    Otm,
    /// OWASP Threat Dragon v2 JSON.
    ThreatDragon,
    /// Microsoft Threat Modeling Tool `.tm7` XML.
    Tm7,
}

impl Format {
    pub const ALL: &'static [Format] = &[
        Format::Threagile,
        Format::Otm,
        Format::ThreatDragon,
        Format::Tm7,
    ];

    /// The name used by `--from`.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Threagile => "threagile",
            Format::Otm => "otm",
            Format::ThreatDragon => "threat-dragon",
            Format::Tm7 => "tm7",
        }
    }

    /// One line for `--help`.
    pub fn help(self) -> &'static str {
        match self {
            Format::Threagile => "Threagile YAML (0.9 and 1.0)",
            Format::Otm => "Open Threat Model 0.2, JSON or YAML",
            Format::ThreatDragon => "OWASP Threat Dragon v2 JSON",
            Format::Tm7 => "Microsoft Threat Modeling Tool `.tm7`",
        }
    }

    /// The tool's own name, for messages and comments.
    pub fn title(self) -> &'static str {
        match self {
            Format::Threagile => "Threagile",
            Format::Otm => "Open Threat Model",
            Format::ThreatDragon => "OWASP Threat Dragon",
            Format::Tm7 => "Microsoft Threat Modeling Tool",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How to import.
#[derive(Clone, Debug)]
pub struct Options {
    /// Inputs larger than this are refused.
    pub max_bytes: usize,
    /// The input's name (usually its file name), for the header comment.
    pub source_name: Option<String>,
    /// Threat ids (or `rule:*` selectors) known to match nothing in threatforge's analysis of
    /// this model: where a tracked risk of the source tool maps to several threatforge rules,
    /// its decisions on these are left out, unless that would leave it none. The CLI fills it
    /// from a first import's analysis, so that the team's triage lands on the threats that
    /// fire instead of beside them as orphaned decisions.
    pub unmatched: Vec<String>,
}

/// The default input size limit: far above any real model, far below what would hurt.
pub const DEFAULT_MAX_BYTES: usize = 16 * 1024 * 1024;

impl Default for Options {
    fn default() -> Self {
        Options {
            max_bytes: DEFAULT_MAX_BYTES,
            source_name: None,
            unmatched: Vec::new(),
        }
    }
}

/// A successful import.
#[derive(Clone, Debug, PartialEq)]
pub struct Imported {
    /// The threatforge model, as YAML.
    pub yaml: String,
    /// What did not come across unchanged, one line each.
    pub warnings: Vec<String>,
    /// The source tool's element ids and the ids they have in the model, sorted: each source id
    /// prefixed with what it names (`asset:`, `link:`, `boundary:`, `runtime:`, `data:`), since
    /// the source may give an asset and a boundary one id. For comparing with what the source
    /// tool reported on them; filled by the Threagile importer, which also lists each of the
    /// model's individual risks (`risk:<category>@<elements>`, or `risk:<category>` for a
    /// category with none) with the manual threat it became.
    pub ids: Vec<(String, String)>,
    /// How many tracked risks of the source got a decision on each of several threatforge rules
    /// (where one tool's rule maps to several of ours): only an analysis tells which of those
    /// decisions match a threat (`Options::unmatched`).
    pub tracked_alternatives: usize,
}

/// Why an input could not be imported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportError {
    pub message: String,
    /// 1-based line, where the parser says.
    pub line: Option<usize>,
    /// 1-based column, where the parser says.
    pub column: Option<usize>,
}

impl ImportError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        ImportError {
            message: message.into(),
            line: None,
            column: None,
        }
    }

    pub(crate) fn at(message: impl Into<String>, line: usize, column: usize) -> Self {
        ImportError {
            message: message.into(),
            line: Some(line),
            column: Some(column),
        }
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(line), Some(column)) => write!(f, "{line}:{column}: {}", self.message),
            (Some(line), None) => write!(f, "line {line}: {}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for ImportError {}

/// The format of `bytes`, judged by content (the path's extension only breaks a tie); `None`
/// when it is none of the formats threatforge imports.
pub fn detect(path: Option<&Path>, bytes: &[u8]) -> Option<Format> {
    let text = std::str::from_utf8(strip_bom(bytes)).ok()?;
    let trimmed = text.trim_start();
    if trimmed.starts_with('<') {
        return is_tm7(trimmed).then_some(Format::Tm7);
    }
    if trimmed.starts_with('{')
        && let Ok(value) = serde_json::from_str::<serde_json::Value>(trimmed)
    {
        return detect_tree(&value);
    }
    // JSON is YAML, so a YAML read also covers JSON that serde_json refused for a detail.
    if let Ok(value) = yaml::parse(text, DEFAULT_MAX_BYTES)
        && let Some(format) = detect_tree(&value)
    {
        return Some(format);
    }
    // A tm7 file whose XML declaration is preceded by something odd still ends in .tm7.
    let ext = path
        .and_then(Path::extension)
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    (ext.as_deref() == Some("tm7") && is_tm7(text)).then_some(Format::Tm7)
}

fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

fn is_tm7(text: &str) -> bool {
    // The root element, after any declaration, comments or processing instructions.
    let mut rest = text.trim_start();
    for _ in 0..64 {
        if let Some(after) = rest.strip_prefix("<?") {
            let Some(end) = after.find("?>") else {
                return false;
            };
            rest = after[end + 2..].trim_start();
        } else if let Some(after) = rest.strip_prefix("<!--") {
            let Some(end) = after.find("-->") else {
                return false;
            };
            rest = after[end + 3..].trim_start();
        } else {
            break;
        }
    }
    let Some(tag) = rest.strip_prefix('<') else {
        return false;
    };
    let name: String = tag
        .chars()
        .take_while(|c| c.is_alphanumeric() || matches!(c, ':' | '_' | '-' | '.'))
        .collect();
    name == "ThreatModel" || name.ends_with(":ThreatModel")
}

fn detect_tree(value: &serde_json::Value) -> Option<Format> {
    let map = value.as_object()?;
    if map.contains_key("threagile_version") || map.contains_key("technical_assets") {
        return Some(Format::Threagile);
    }
    if map.contains_key("otmVersion") {
        return Some(Format::Otm);
    }
    let version = map.get("version").and_then(|v| match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    });
    let has_diagrams = map
        .get("detail")
        .and_then(|d| d.get("diagrams"))
        .is_some_and(serde_json::Value::is_array);
    if has_diagrams && version.as_deref().is_some_and(|v| v.starts_with("2.")) {
        return Some(Format::ThreatDragon);
    }
    None
}

/// Imports `bytes` in `format` as a threatforge model.
pub fn import(bytes: &[u8], format: Format, options: &Options) -> Result<Imported, ImportError> {
    if bytes.len() > options.max_bytes {
        return Err(ImportError::new(format!(
            "the input is {} bytes; the limit is {} bytes",
            bytes.len(),
            options.max_bytes
        )));
    }
    let bytes = strip_bom(bytes);
    let mut warnings = Vec::new();
    let draft = match format {
        Format::Threagile => threagile::import(text(bytes)?, options, &mut warnings)?,
        Format::Otm => otm::import(bytes, options, &mut warnings)?,
        Format::ThreatDragon => threat_dragon::import(bytes, options, &mut warnings)?,
        Format::Tm7 => tm7::import(bytes, options, &mut warnings)?,
    };
    let yaml = write::to_yaml(&draft, &mut warnings);
    Ok(Imported {
        yaml,
        warnings,
        ids: draft.source_ids,
        tracked_alternatives: draft.tracked_alternatives,
    })
}

/// The input as UTF-8, or an error that says where it is not.
pub(crate) fn text(bytes: &[u8]) -> Result<&str, ImportError> {
    std::str::from_utf8(bytes).map_err(|e| {
        let valid = &bytes[..e.valid_up_to()];
        let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
        let column = valid.len() - valid.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1) + 1;
        ImportError::at("the input is not UTF-8 text", line, column)
    })
}

/// Parses YAML (or JSON) text into a JSON value, with the budgets every importer needs against
/// hostile input: nesting depth, node count, aliases. For importers of YAML-based formats.
pub(crate) fn parse_yaml(text: &str) -> Result<serde_json::Value, ImportError> {
    yaml::parse(text, DEFAULT_MAX_BYTES)
}

/// The YAML an import of `text` writes, for the importers' unit tests.
#[cfg(test)]
fn yaml_of(text: &str, format: Format) -> String {
    import(text.as_bytes(), format, &Options::default())
        .unwrap_or_else(|e| panic!("{e:?}\n{text}"))
        .yaml
}

#[cfg(test)]
mod guide {
    /// docs/import.md shows each importer's mapping as the code does it; `UPDATE_DOCS=1`
    /// rewrites its tables.
    #[test]
    fn the_import_guide_shows_each_mapping() {
        threatforge_model::testing::check_doc_tables(
            "docs/import.md",
            "<!-- import-table: ",
            5,
            "UPDATE_DOCS=1 cargo test -p threatforge-import import_guide",
            |name| {
                crate::threagile::doc_table(name)
                    .or_else(|| crate::otm::doc_table(name))
                    .or_else(|| crate::threat_dragon::doc_table(name))
            },
        );
    }
}

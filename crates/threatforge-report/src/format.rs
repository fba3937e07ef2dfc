//! The report formats, listed once: their names for `--format`, one line of help each, and the one
//! entry point that renders any of them. The CLI builds `report --format` from [`Format::ALL`], so
//! a new format is a module, a variant here and its arm in [`render`].

use std::path::Path;

use threatforge_analysis::{Analysis, RuleSet};
use threatforge_model::{Model, ThreatSeverity};

use crate::diagram::DiagramOptions;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Html,
    Md,
    Json,
    Sarif,
    Csv,
    Junit,
    Otm,
}

impl Format {
    /// Every format, in the order `--help` lists them.
    pub const ALL: &'static [Format] = &[
        Format::Html,
        Format::Md,
        Format::Json,
        Format::Sarif,
        Format::Csv,
        Format::Junit,
        Format::Otm,
    ];

    /// The value of `--format`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Html => "html",
            Format::Md => "md",
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::Csv => "csv",
            Format::Junit => "junit",
            Format::Otm => "otm",
        }
    }

    /// One line for `--help`.
    pub fn help(self) -> &'static str {
        match self {
            Format::Html => {
                "One self-contained HTML file: summary, diagram, risk register, threats, inventory"
            }
            Format::Md => "Markdown for pull requests and wikis, with a Mermaid diagram",
            Format::Json => {
                "The versioned JSON report (docs/report-json.md; `threatforge schema --output-format report`)"
            }
            Format::Sarif => {
                "SARIF 2.1.0 for code scanning: one result per open threat, at the element's line"
            }
            Format::Csv => "One row per threat, for issue trackers",
            Format::Junit => "JUnit XML: one test case per threat, failing at or above --fail-on",
            Format::Otm => {
                "Open Threat Model 0.2 JSON: the system, its threats and mitigations, for tools that read OTM"
            }
        }
    }

    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL.iter().copied().find(|f| f.name() == name)
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What a report is rendered from: the analyzed model and what some formats need beyond it.
pub struct Input<'a> {
    pub model: &'a Model,
    pub analysis: &'a Analysis,
    /// The rules in force (SARIF describes them).
    pub rules: &'a RuleSet,
    /// The repository's root, which SARIF's locations are relative to.
    pub root: &'a Path,
    /// The gate, when one is asked for: the JSON report's summary carries its verdict, and JUnit
    /// fails the test cases of threats at or above it (medium when none is asked for).
    pub fail_on: Option<ThreatSeverity>,
}

/// Renders the report in `format`.
pub fn render(format: Format, input: &Input) -> String {
    let Input {
        model, analysis, ..
    } = *input;
    match format {
        Format::Html => crate::html::render(model, analysis),
        Format::Md => crate::markdown::render(model, analysis),
        Format::Json => crate::json::render_gated(model, analysis, input.fail_on),
        Format::Sarif => crate::sarif::render(model, analysis, input.rules, input.root),
        Format::Csv => crate::csv::render(model, analysis),
        Format::Junit => crate::junit::render(
            model,
            analysis,
            input.fail_on.unwrap_or(ThreatSeverity::Medium),
        ),
        Format::Otm => crate::otm::render(model, analysis),
    }
}

/// Renders the report in `format` into `out`. JSON and SARIF are written as they are serialized,
/// a large model's HTML register threat by threat and Markdown's threats a chunk at a time, so
/// the largest reports never exist in memory whole; the other formats are rendered, then
/// written.
pub fn render_to(
    format: Format,
    input: &Input,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    match format {
        Format::Json => crate::json::write_gated(input.model, input.analysis, input.fail_on, out),
        Format::Sarif => {
            crate::sarif::write(input.model, input.analysis, input.rules, input.root, out)
        }
        Format::Html => crate::html::write(input.model, input.analysis, out),
        Format::Md => crate::markdown::write(input.model, input.analysis, out),
        _ => out.write_all(render(format, input).as_bytes()),
    }
}

/// The diagram formats, listed the same way: `diagram --format` is built from
/// [`DiagramFormat::ALL`], and [`render_diagram`] draws any of them from the one view of the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiagramFormat {
    Svg,
    Mermaid,
    Dot,
}

impl DiagramFormat {
    /// Every diagram format, in the order `--help` lists them.
    pub const ALL: &'static [DiagramFormat] = &[
        DiagramFormat::Svg,
        DiagramFormat::Mermaid,
        DiagramFormat::Dot,
    ];

    /// The value of `diagram --format`.
    pub fn name(self) -> &'static str {
        match self {
            DiagramFormat::Svg => "svg",
            DiagramFormat::Mermaid => "mermaid",
            DiagramFormat::Dot => "dot",
        }
    }

    /// One line for `--help`.
    pub fn help(self) -> &'static str {
        match self {
            DiagramFormat::Svg => "SVG laid out by threatforge itself",
            DiagramFormat::Mermaid => "Mermaid, which GitHub and GitLab render",
            DiagramFormat::Dot => "Graphviz DOT",
        }
    }

    pub fn from_name(name: &str) -> Option<DiagramFormat> {
        DiagramFormat::ALL
            .iter()
            .copied()
            .find(|f| f.name() == name)
    }
}

impl std::fmt::Display for DiagramFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Draws the diagram in `format`.
pub fn render_diagram(
    format: DiagramFormat,
    model: &Model,
    analysis: &Analysis,
    options: &DiagramOptions,
) -> String {
    match format {
        DiagramFormat::Svg => crate::diagram::svg(model, analysis, options),
        DiagramFormat::Mermaid => crate::diagram::mermaid(model, analysis, options),
        DiagramFormat::Dot => crate::diagram::dot(model, analysis, options),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back() {
        for format in Format::ALL {
            assert_eq!(Format::from_name(format.name()), Some(*format));
            assert!(!format.help().ends_with('.'), "{format}");
        }
        assert_eq!(Format::from_name("pdf"), None);
    }

    #[test]
    fn diagram_names_read_back() {
        for format in DiagramFormat::ALL {
            assert_eq!(DiagramFormat::from_name(format.name()), Some(*format));
            assert!(!format.help().ends_with('.'), "{format}");
            // A report format's name is not a diagram's, and the other way round.
            assert_eq!(Format::from_name(format.name()), None, "{format}");
        }
        assert_eq!(DiagramFormat::from_name("html"), None);
    }
}

//! The quality harness (development only): measures threatforge's threat list against what an
//! application-security architect expects for the models in `tests/quality/`, and holds the
//! numbers to a baseline. `tests/quality/README.md` has the expectations' format and the
//! matching rules; docs/quality.md what is measured and the numbers.

pub mod baseline;
pub mod expect;
pub mod measure;
pub mod placeholder;
pub mod relate;
pub mod render;

use std::hash::Hasher;
use std::path::{Path, PathBuf};

use serde::Serialize;
use threatforge_analysis::{RuleSet, analyze};
use threatforge_model::Style;
use threatforge_model::{LoadOptions, Model, load};

use crate::measure::{Metrics, ModelReport, Rates, Subject, median};
use crate::placeholder::Detector;
use crate::relate::Relations;

/// Every model measured.
#[derive(Debug, Serialize)]
pub struct Suite {
    /// How many built-in rules ran.
    pub rules: usize,
    pub models: Vec<ModelReport>,
    pub totals: Totals,
}

#[derive(Debug, Serialize)]
pub struct Totals {
    pub models: usize,
    pub metrics: Metrics,
    pub rates: Rates,
}

/// Where the models live, under the repository root.
pub fn quality_dir(root: &Path) -> PathBuf {
    root.join("tests").join("quality")
}

pub fn baseline_path(root: &Path) -> PathBuf {
    quality_dir(root).join("baseline.json")
}

/// The repository this crate was built in.
pub fn default_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("..");
    std::fs::canonicalize(&root).unwrap_or(root)
}

/// Loads, checks and measures every model under `root`'s `tests/quality/`. Strict: a model with
/// an error or a warning, an expectation that names what does not exist, or a rule that fails
/// to evaluate stops the run, with every such problem rendered for a person.
pub fn run(root: &Path) -> Result<Suite, Vec<String>> {
    let rules = RuleSet::builtin();
    if rules.has_errors() {
        return Err(rules
            .diagnostics
            .iter()
            .map(|d| threatforge_model::render_diagnostic(d, &rules.sources, Style::Plain))
            .collect());
    }
    let dir = quality_dir(root);
    let mut names: Vec<String> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .filter(|e| e.path().join("expected.yaml").is_file())
            .filter_map(|e| e.file_name().into_string().ok())
            .collect(),
        Err(error) => return Err(vec![format!("{}: cannot read: {error}", dir.display())]),
    };
    names.sort();
    if names.is_empty() {
        return Err(vec![format!(
            "{}: no model directory with an expected.yaml",
            dir.display()
        )]);
    }

    let mut errors = Vec::new();
    let mut models = Vec::new();
    for name in names {
        match measure_one(root, &name, &rules) {
            Ok(report) => models.push(report),
            Err(mut e) => errors.append(&mut e),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut metrics = Metrics::default();
    let mut pooled: Vec<usize> = Vec::new();
    for model in &models {
        metrics.add(&model.metrics);
        pooled.extend(&model.open_per_element);
    }
    pooled.sort_unstable();
    metrics.median_threats_per_element = median(&pooled);
    metrics.max_threats_per_element = pooled.last().copied().unwrap_or(0);
    Ok(Suite {
        rules: rules.rules.len(),
        totals: Totals {
            models: models.len(),
            rates: Rates::of(&metrics),
            metrics,
        },
        models,
    })
}

fn measure_one(root: &Path, name: &str, rules: &RuleSet) -> Result<ModelReport, Vec<String>> {
    let expected_path = quality_dir(root).join(name).join("expected.yaml");
    let parsed = expect::parse(&expected_path, &relative(root, &expected_path))?;
    let model_path = parsed.model_path.clone();
    let model_display = relative(root, &model_path);
    if !model_path.is_file() {
        return Err(vec![format!(
            "{}: the model {model_display} does not exist",
            relative(root, &expected_path)
        )]);
    }
    let loaded = load(&model_path, &LoadOptions::default());
    if !loaded.diagnostics.is_empty() {
        // Quality models are held to no warnings either: a warning is a modelling slip that
        // changes what the rules see.
        return Err(loaded
            .diagnostics
            .iter()
            .map(|d| threatforge_model::render_diagnostic(d, &loaded.model.sources, Style::Plain))
            .collect());
    }
    let model = loaded.model;
    let relations = Relations::new(&model);
    let expectations_text = parsed.text.clone();
    let expectations = parsed.check(&relations, rules)?;
    let analysis = analyze(&model, rules);
    // Rule diagnostics point into the rule files, the others into the model: each is located
    // with its own source map.
    let one_line = |d, sources| {
        format!(
            "{model_display}: {}",
            threatforge_model::diagnostic_line(d, sources)
        )
    };
    let problems: Vec<String> = analysis
        .rule_diagnostics
        .iter()
        .map(|d| one_line(d, &rules.sources))
        .chain(
            analysis
                .diagnostics
                .iter()
                .map(|d| one_line(d, &model.sources)),
        )
        .collect();
    if !problems.is_empty() {
        return Err(problems);
    }
    let detector = Detector::new(&model);
    Ok(measure::measure(
        Subject {
            name: name.to_owned(),
            model: model_display,
            model_fingerprint: model_fingerprint(&model),
            expectations_fingerprint: fingerprint([expectations_text.as_ref()]),
            relations: &relations,
            detector: &detector,
        },
        &expectations,
        &analysis,
    ))
}

/// FNV-1a over texts, line endings normalized (a checkout with CRLF is the same model).
pub fn fingerprint<'a>(texts: impl IntoIterator<Item = &'a str>) -> String {
    let mut hasher = fnv::FnvHasher::default();
    for text in texts {
        for line in text.lines() {
            hasher.write(line.as_bytes());
            hasher.write_u8(b'\n');
        }
        // Files are separated, so that moving a line from one to the next changes the print.
        hasher.write_u8(0xff);
    }
    format!("{:016x}", hasher.finish())
}

/// Every file of the model, root and includes, in the order they were read.
fn model_fingerprint(model: &Model) -> String {
    fingerprint(model.sources.files().map(|(_, f)| f.text.as_ref()))
}

/// `path` relative to `root` when it is inside it, with `/` separators.
fn relative(root: &Path, path: &Path) -> String {
    let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let (root, path) = (canonical(root), canonical(path));
    let shown = path.strip_prefix(&root).unwrap_or(&path);
    shown
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_ignore_line_endings_but_not_content() {
        assert_eq!(fingerprint(["a\nb\n"]), fingerprint(["a\r\nb\r\n"]));
        assert_ne!(fingerprint(["a\nb\n"]), fingerprint(["a\nc\n"]));
        assert_ne!(fingerprint(["a\n", "b\n"]), fingerprint(["a\nb\n"]));
    }
}

//! `expected.yaml`: what an expert expects threatforge to say about one model
//! (tests/quality/README.md has the format). Read with the model loader's own YAML reader, so
//! that a mistake reads like a model's: `file:line:column`, what was expected, a suggestion.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use threatforge_model::Code;

use indexmap::IndexMap;
use serde::Deserialize;
use threatforge_analysis::RuleSet;
use threatforge_model::{Diagnostic, Style};
use threatforge_model::{SourceFile, SourceMap, Sp, ThreatSeverity, read_typed_as, suggest};

use crate::relate::Relations;
pub use crate::relate::Scope;

/// The file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedFile {
    #[serde(default)]
    model: Option<Sp<String>>,
    must_find: Vec<MustFindEntry>,
    #[serde(default)]
    must_not_find: Vec<MustNotFindEntry>,
    top: Sp<Vec<Sp<String>>>,
    #[serde(default)]
    severity: IndexMap<Sp<String>, ThreatSeverity>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MustFindEntry {
    id: Sp<String>,
    #[serde(default)]
    rule: Option<Sp<String>>,
    #[serde(default)]
    rules: Vec<Sp<String>>,
    #[serde(default)]
    concern: Option<String>,
    #[serde(default)]
    cwe: Vec<u32>,
    #[serde(default)]
    capec: Vec<u32>,
    #[serde(default)]
    element: Option<Sp<String>>,
    #[serde(default)]
    elements: Vec<Sp<String>>,
    min_severity: ThreatSeverity,
    why: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MustNotFindEntry {
    rule: Sp<String>,
    element: Sp<String>,
    #[serde(default)]
    scope: Option<Scope>,
    why: String,
}

/// A risk the model has, as the expert sees it.
#[derive(Clone, Debug)]
pub struct MustFind {
    pub id: String,
    /// Any of them counts; empty for a concern no rule covers yet.
    pub rules: Vec<String>,
    pub elements: Vec<String>,
    pub concern: Option<String>,
    pub cwe: Vec<u32>,
    pub capec: Vec<u32>,
    pub min_severity: ThreatSeverity,
    pub why: String,
}

/// A threat that would contradict the model or be noise.
#[derive(Clone, Debug)]
pub struct MustNotFind {
    pub rule: String,
    pub element: String,
    pub scope: Scope,
    pub why: String,
}

impl MustNotFind {
    /// How the baseline names the entry: as the threat it forbids.
    pub fn key(&self) -> String {
        format!("{}:{}", self.rule, self.element)
    }
}

/// One sampled threat and the severity the expert gives it.
#[derive(Clone, Debug)]
pub struct SeveritySample {
    /// `rule:element`, as threat ids are written.
    pub threat: String,
    pub rule: String,
    pub element: String,
    pub expected: ThreatSeverity,
}

/// A model's expectations, checked against the model and the rules.
#[derive(Clone, Debug)]
pub struct Expectations {
    pub must_find: Vec<MustFind>,
    pub must_not_find: Vec<MustNotFind>,
    /// `must_find` ids.
    pub top: Vec<String>,
    pub severity: Vec<SeveritySample>,
}

/// `expected.yaml` read, but not yet checked against its model.
pub struct Parsed {
    file: ExpectedFile,
    sources: SourceMap,
    /// The model it is about.
    pub model_path: PathBuf,
    /// The file's text, for its fingerprint.
    pub text: Arc<str>,
}

/// Errors, rendered for a person, each with its location.
pub type Rendered = Vec<String>;

/// How many `top` entries there must be.
pub const TOP: usize = 5;

/// Reads `path` (an `expected.yaml`); `display` is how errors name it.
pub fn parse(path: &Path, display: &str) -> Result<Parsed, Rendered> {
    let text: Arc<str> = match std::fs::read_to_string(path) {
        Ok(text) => Arc::from(text),
        Err(error) => return Err(vec![format!("{display}: cannot read: {error}")]),
    };
    let mut sources = SourceMap::default();
    let file = sources.add(SourceFile::new(
        display.to_owned(),
        path.to_path_buf(),
        text.clone(),
    ));
    let (parsed, diagnostics) = read_typed_as::<ExpectedFile>(
        file,
        display.to_owned(),
        path.to_path_buf(),
        text.clone(),
        "the expectations",
    );
    let errors: Vec<&Diagnostic> = diagnostics.iter().filter(|d| d.is_error()).collect();
    let parsed = match parsed {
        Some(parsed) if errors.is_empty() => parsed,
        _ => return Err(render_all(&errors, &sources)),
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    let model_path = match &parsed.model {
        Some(model) => dir.join(&model.value),
        None => dir.join("threatforge.yaml"),
    };
    Ok(Parsed {
        file: parsed,
        sources,
        model_path,
        text,
    })
}

impl Parsed {
    /// Checks every name against the model and the rules, and resolves the entries.
    pub fn check(self, relations: &Relations, rules: &RuleSet) -> Result<Expectations, Rendered> {
        let mut checker = Checker {
            relations,
            rules,
            diagnostics: Vec::new(),
        };
        let expectations = checker.resolve(self.file);
        if checker.diagnostics.is_empty() {
            Ok(expectations)
        } else {
            threatforge_model::sort_diagnostics(&mut checker.diagnostics);
            let all: Vec<&Diagnostic> = checker.diagnostics.iter().collect();
            Err(render_all(&all, &self.sources))
        }
    }
}

fn render_all(diagnostics: &[&Diagnostic], sources: &SourceMap) -> Rendered {
    diagnostics
        .iter()
        .map(|d| threatforge_model::render_diagnostic(d, sources, Style::Plain))
        .collect()
}

struct Checker<'a> {
    relations: &'a Relations,
    rules: &'a RuleSet,
    diagnostics: Vec<Diagnostic>,
}

impl Checker<'_> {
    fn resolve(&mut self, file: ExpectedFile) -> Expectations {
        let mut ids: Vec<Sp<String>> = Vec::new();
        let mut must_find = Vec::new();
        for entry in file.must_find {
            if let Some(first) = ids.iter().find(|i| i.value == entry.id.value) {
                let first = first.span;
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::DuplicateId,
                        format!("`{}` names two must_find entries", entry.id.value),
                    )
                    .with_label(entry.id.span, "used again here")
                    .with_label(first, "first used here"),
                );
            }
            ids.push(entry.id.clone());
            must_find.push(self.must_find(entry));
        }

        let mut keys: Vec<String> = Vec::new();
        let mut must_not_find = Vec::new();
        for entry in file.must_not_find {
            self.rule(&entry.rule);
            self.element(&entry.element);
            let resolved = MustNotFind {
                rule: entry.rule.value.clone(),
                element: entry.element.value.clone(),
                scope: entry.scope.unwrap_or(Scope::Element),
                why: entry.why,
            };
            if keys.contains(&resolved.key()) {
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::DuplicateId,
                        format!("`{}` is forbidden twice", resolved.key()),
                    )
                    .with_label(entry.rule.span, "again here"),
                );
            }
            keys.push(resolved.key());
            must_not_find.push(resolved);
        }

        let top = self.top(&file.top, &ids);
        let severity = file
            .severity
            .into_iter()
            .filter_map(|(threat, expected)| self.sample(&threat, expected))
            .collect();
        Expectations {
            must_find,
            must_not_find,
            top,
            severity,
        }
    }

    fn must_find(&mut self, entry: MustFindEntry) -> MustFind {
        let rules: Vec<&Sp<String>> = entry.rule.iter().chain(&entry.rules).collect();
        for rule in &rules {
            self.rule(rule);
        }
        if rules.is_empty() && entry.concern.is_none() {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::MissingKey,
                    format!("must_find `{}` names no rule and no concern", entry.id.value),
                )
                .with_label(entry.id.span, "in this entry")
                .with_help("add `rule:` (or `rules:`), or describe it as a `concern:` with its `cwe:` or `capec:` ids"),
            );
        }
        if entry.concern.is_some() && entry.cwe.is_empty() && entry.capec.is_empty() {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::MissingKey,
                    format!("concern `{}` has no CWE or CAPEC id", entry.id.value),
                )
                .with_label(entry.id.span, "in this entry")
                .with_help("name the weakness: `cwe: [918]` or `capec: [664]`"),
            );
        }
        let elements: Vec<&Sp<String>> = entry.element.iter().chain(&entry.elements).collect();
        if elements.is_empty() {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::MissingKey,
                    format!("must_find `{}` names no element", entry.id.value),
                )
                .with_label(entry.id.span, "in this entry")
                .with_help("add `element:` (or `elements:`) with an id of the model"),
            );
        }
        for element in &elements {
            self.element(element);
        }
        MustFind {
            id: entry.id.value.clone(),
            rules: rules.iter().map(|r| r.value.clone()).collect(),
            elements: elements.iter().map(|e| e.value.clone()).collect(),
            concern: entry.concern,
            cwe: entry.cwe,
            capec: entry.capec,
            min_severity: entry.min_severity,
            why: entry.why,
        }
    }

    fn top(&mut self, top: &Sp<Vec<Sp<String>>>, ids: &[Sp<String>]) -> Vec<String> {
        if top.value.len() != TOP {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::InvalidValue,
                    format!(
                        "`top` lists {} entries; it must list exactly {TOP}",
                        top.value.len()
                    ),
                )
                .with_label(top.span, "here"),
            );
        }
        for (n, id) in top.value.iter().enumerate() {
            if !ids.iter().any(|i| i.value == id.value) {
                let help = did_you_mean(
                    &id.value,
                    ids.iter().map(|i| i.value.as_str()),
                    "`top` lists ids of must_find entries",
                );
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::UnknownReference,
                        format!("`{}` is not a must_find id", id.value),
                    )
                    .with_label(id.span, "not a must_find entry")
                    .with_help(help),
                );
            }
            if top.value[..n]
                .iter()
                .any(|earlier| earlier.value == id.value)
            {
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::DuplicateId,
                        format!("`{}` is listed twice in `top`", id.value),
                    )
                    .with_label(id.span, "again here"),
                );
            }
        }
        top.value.iter().map(|id| id.value.clone()).collect()
    }

    fn sample(&mut self, threat: &Sp<String>, expected: ThreatSeverity) -> Option<SeveritySample> {
        let Some((rule, element)) = threat.value.split_once(':') else {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::InvalidValue,
                    format!("`{}` is not a threat id", threat.value),
                )
                .with_label(threat.span, "expected `rule:element`"),
            );
            return None;
        };
        // Both checked, so that both are reported.
        let known = self.rule(&Sp::new(rule.to_owned(), threat.span))
            & self.element(&Sp::new(element.to_owned(), threat.span));
        known.then(|| SeveritySample {
            threat: threat.value.clone(),
            rule: rule.to_owned(),
            element: element.to_owned(),
            expected,
        })
    }

    /// Whether the rule exists; reports it when not.
    fn rule(&mut self, rule: &Sp<String>) -> bool {
        if self.rules.get(&rule.value).is_some() {
            return true;
        }
        let help = did_you_mean(
            &rule.value,
            self.rules.ids(),
            "`threatforge rules list` lists the rules; a risk no rule covers is a `concern:`",
        );
        self.diagnostics.push(
            Diagnostic::new(
                Code::UnknownRule,
                format!("there is no rule `{}`", rule.value),
            )
            .with_label(rule.span, "not a built-in rule")
            .with_help(help),
        );
        false
    }

    /// Whether the model declares the element; reports it when not.
    fn element(&mut self, element: &Sp<String>) -> bool {
        if self.relations.kind(&element.value).is_some() {
            return true;
        }
        let help = did_you_mean(
            &element.value,
            self.relations.ids(),
            "name a component, flow (`source->target`), boundary, runtime or data asset of the model",
        );
        self.diagnostics.push(
            Diagnostic::new(
                Code::UnknownReference,
                format!("the model has no element `{}`", element.value),
            )
            .with_label(element.span, "not in the model")
            .with_help(help),
        );
        false
    }
}

/// "did you mean" the nearest candidate, or `otherwise`.
fn did_you_mean<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    otherwise: &str,
) -> String {
    match suggest::nearest(input, candidates) {
        Some(near) => format!("did you mean `{near}`?"),
        None => otherwise.to_owned(),
    }
}

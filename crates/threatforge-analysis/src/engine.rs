//! Evaluating rules on a model: facts and values are derived once, then every rule runs over the
//! elements it applies to, in parallel. Threats come out sorted by id.

use rayon::prelude::*;
use serde::Serialize;
use threatforge_model::diag::Diagnostic;
use threatforge_model::{DecisionStatus, Model, Span, ThreatSeverity};

use crate::eval::{Evaluator, display};
use crate::rule::{Element, Linddun, Stride};
use crate::ruleset::{Rule, RuleSet, Segment};
use crate::score::{Factor, Score};
use crate::value::{ObjKind, Value};
use crate::world::World;

/// What a threat is about.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ElementRef {
    pub kind: Element,
    pub id: String,
}

/// How far the controls in place close a threat.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Coverage {
    /// None of the mitigating controls is in place (or the rule names none).
    None,
    /// Some are: likelihood goes down one step.
    Partial,
    /// All are: the threat is mitigated.
    Full,
}

#[derive(Clone, Debug, Serialize)]
pub struct Mitigation {
    pub coverage: Coverage,
    /// Mitigating controls in place on the element (for a flow, on the flow or its target).
    pub in_place: Vec<String>,
    /// Mitigating controls not in place: what would close the threat. `a|b` means either.
    pub missing: Vec<String>,
}

/// A rating set by a decision instead of computed.
#[derive(Clone, Debug, Serialize)]
pub struct Override {
    pub severity: ThreatSeverity,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cvss: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cvss_score: Option<f64>,
    pub justification: String,
}

/// The decision that applies to a threat, as recorded in the model.
#[derive(Clone, Debug, Serialize)]
pub struct AppliedDecision {
    /// The selector that matched (the threat id, or a pattern).
    pub selector: String,
    pub status: DecisionStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// The acceptance has expired: the threat is open again.
    pub expired: bool,
}

/// Options of an analysis.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Today's date (YYYY-MM-DD), to expire acceptances. None: no acceptance expires.
    pub today: Option<String>,
}

/// One threat: a rule that applies to one element.
#[derive(Clone, Debug, Serialize)]
pub struct Threat {
    /// `<rule>:<element>`: stable across runs and edits elsewhere in the model.
    pub id: String,
    pub rule: String,
    pub title: std::sync::Arc<str>,
    pub element: ElementRef,
    pub stride: Stride,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub linddun: Option<Linddun>,
    pub capec: std::sync::Arc<[u32]>,
    pub cwe: std::sync::Arc<[u32]>,
    /// Why the rule applies here, with the facts that matched.
    pub explanation: String,
    /// Where the team stands: `open`, `in-progress`, `mitigated` (by controls or by decision),
    /// `accepted`, `false-positive` or `not-applicable`.
    pub status: DecisionStatus,
    /// Why the threat has its status, when the model says (a decision or `not_applicable`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The score before controls.
    pub inherent: Score,
    /// The score with the controls in place (or as a decision overrides it).
    pub residual: Score,
    /// Every factor that moved the inherent score, so a reviewer can dispute a fact.
    pub factors: Vec<Factor>,
    pub mitigation: Mitigation,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<Box<AppliedDecision>>,
    #[serde(rename = "override", skip_serializing_if = "Option::is_none")]
    pub rating_override: Option<Box<Override>>,
    /// Where the element is declared.
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Default)]
pub struct Analysis {
    pub threats: Vec<Threat>,
    /// Problems located in the model (an unknown rule to disable, an orphaned exception).
    pub diagnostics: Vec<Diagnostic>,
    /// Problems located in rule files (a condition that failed to evaluate).
    pub rule_diagnostics: Vec<Diagnostic>,
}

/// Evaluation can only fail on a rule bug (a value of an unexpected shape); the limit keeps one
/// broken rule from flooding the output with the same error for every element.
const MAX_ERRORS_PER_RULE: usize = 3;

impl Threat {
    /// Open threats are the ones a gate counts: not mitigated, accepted or dismissed.
    pub fn is_open(&self) -> bool {
        matches!(
            self.status,
            DecisionStatus::Open | DecisionStatus::InProgress
        )
    }

    /// Whether the team recorded this threat by hand (`threats:` in the model) rather than a rule
    /// finding it.
    pub fn is_manual(&self) -> bool {
        self.rule == threatforge_model::MANUAL
    }

    /// What the threat is an instance of: its rule, or for a manual threat the threat itself.
    pub fn kind_id(&self) -> &str {
        if self.is_manual() {
            &self.id
        } else {
            &self.rule
        }
    }

    /// The severity that counts: the residual one.
    pub fn severity(&self) -> ThreatSeverity {
        self.residual.severity
    }
}

/// Analyzes with default options (no acceptance expires).
pub fn analyze(model: &Model, rules: &RuleSet) -> Analysis {
    analyze_with(model, rules, &Options::default())
}

pub fn analyze_with(model: &Model, rules: &RuleSet, options: &Options) -> Analysis {
    let world = World::new(model);
    let mut analysis = Analysis::default();

    let disabled: Vec<&str> = model
        .rules
        .disable
        .keys()
        .map(|k| k.value.as_str())
        .collect();
    for id in model.rules.disable.keys() {
        if rules.get(&id.value).is_none() {
            analysis.diagnostics.push(unknown_rule(id, rules));
        }
    }

    let active: Vec<&Rule> = rules
        .rules
        .iter()
        .filter(|rule| !disabled.contains(&rule.id()))
        .collect();
    // Elements are the outer loop, in parallel: an element's scoring facts are computed once and
    // shared by every threat the element's rules find.
    let mut errors_per_rule: std::collections::HashMap<&str, usize> =
        std::collections::HashMap::new();
    for element in [
        Element::Component,
        Element::Flow,
        Element::Data,
        Element::Boundary,
        Element::Runtime,
        Element::Model,
    ] {
        let for_element: Vec<&Rule> = active
            .iter()
            .copied()
            .filter(|r| r.file.applies_to.element == element)
            .collect();
        if for_element.is_empty() {
            continue;
        }
        let candidates = candidates(&world, element);
        let results: Vec<Evaluated> = candidates
            .par_iter()
            .map(|candidate| evaluate_element(&world, candidate, &for_element))
            .collect();
        for (threats, diagnostics) in results {
            analysis.threats.extend(threats);
            for (rule, diagnostic) in diagnostics {
                let count = errors_per_rule
                    .entry(rules.get(&rule).map_or("", |r| r.id()))
                    .or_default();
                *count += 1;
                if *count <= MAX_ERRORS_PER_RULE {
                    analysis.rule_diagnostics.push(diagnostic);
                }
            }
        }
    }
    analysis.threats.extend(crate::manual::threats(&world));
    analysis.threats.sort_by(|a, b| a.id.cmp(&b.id));

    for (id, reason) in &model.rules.not_applicable {
        match analysis
            .threats
            .binary_search_by(|t| t.id.as_str().cmp(&id.value))
        {
            Ok(i) => {
                analysis.threats[i].status = DecisionStatus::NotApplicable;
                analysis.threats[i].reason = Some(reason.clone());
            }
            Err(_) => {
                let ids = analysis.threats.iter().map(|t| t.id.as_str());
                let help = match threatforge_model::suggest::nearest(&id.value, ids) {
                    Some(n) => format!("did you mean `{n}`?"),
                    None => {
                        "threat ids are `rule:element`; `threatforge check` lists them".to_owned()
                    }
                };
                analysis.diagnostics.push(
                    Diagnostic::warning(
                        "orphaned-not-applicable",
                        format!(
                            "`{}` is marked not applicable, but no such threat was found",
                            id.value
                        ),
                    )
                    .with_label(id.span, "matches no threat")
                    .with_help(help),
                );
            }
        }
    }
    crate::decisions::apply(model, options, &mut analysis);
    analysis
}

fn unknown_rule(id: &threatforge_model::Sp<String>, rules: &RuleSet) -> Diagnostic {
    let help = match threatforge_model::suggest::nearest(&id.value, rules.ids()) {
        Some(n) => format!("did you mean `{n}`?"),
        None => "`threatforge rules list` lists the rules".to_owned(),
    };
    Diagnostic::error(
        "unknown-rule",
        format!("there is no rule `{}` to disable", id.value),
    )
    .with_label(id.span, "not a rule")
    .with_help(help)
}

/// What evaluating the rules on one element gives: its threats, and errors by rule id.
type Evaluated = (Vec<Threat>, Vec<(String, Diagnostic)>);

/// An element a rule may look at, with what rules need to know about it.
struct Candidate<'m> {
    object: (ObjKind, usize),
    id: &'m str,
    span: Span,
    /// Controls in place on the element (for a flow, also those on its target).
    controls: Vec<&'m str>,
    /// For components: kind, technology and traits, for the rules' `applies_to` filters.
    kind: Option<threatforge_model::ComponentKind>,
    technology: &'m str,
    traits: &'m [&'m str],
}

fn candidates<'m>(world: &'m World<'m>, element: Element) -> Vec<Candidate<'m>> {
    let model = world.model;
    let facts = &world.facts;
    let plain =
        |object: (ObjKind, usize), id: &'m str, span: Span, controls: Vec<&'m str>| Candidate {
            object,
            id,
            span,
            controls,
            kind: None,
            technology: "",
            traits: &[],
        };
    match element {
        Element::Component => model
            .components
            .values()
            .enumerate()
            .filter(|(_, c)| c.out_of_scope.is_none())
            .map(|(i, c)| Candidate {
                object: (ObjKind::Component, i),
                id: &c.id.value,
                span: c.id.span,
                controls: c.controls.iter().map(|x| x.value.as_str()).collect(),
                kind: Some(c.effective_kind()),
                technology: c.technology_id(),
                traits: world.traits(i),
            })
            .collect(),
        Element::Flow => model
            .flows
            .values()
            .enumerate()
            .filter(|(i, _)| facts.flows[*i].in_scope)
            .map(|(i, f)| {
                let mut controls: Vec<&str> = f.controls.iter().map(|x| x.value.as_str()).collect();
                if let Some(t) = facts.flows[i].target {
                    controls.extend(
                        model.components[t]
                            .controls
                            .iter()
                            .map(|x| x.value.as_str()),
                    );
                }
                plain((ObjKind::Flow, i), &f.id.value, f.id.span, controls)
            })
            .collect(),
        Element::Data => model
            .data
            .values()
            .enumerate()
            .map(|(i, d)| {
                let controls = facts.data[i]
                    .stored_by
                    .iter()
                    .flat_map(|&c| {
                        model.components[c]
                            .controls
                            .iter()
                            .map(|x| x.value.as_str())
                    })
                    .collect();
                plain((ObjKind::Data, i), &d.id.value, d.id.span, controls)
            })
            .collect(),
        Element::Boundary => model
            .boundaries
            .values()
            .enumerate()
            .map(|(i, b)| plain((ObjKind::Boundary, i), &b.id.value, b.id.span, Vec::new()))
            .collect(),
        Element::Runtime => model
            .runtimes
            .values()
            .enumerate()
            .map(|(i, r)| plain((ObjKind::Runtime, i), &r.id.value, r.id.span, Vec::new()))
            .collect(),
        Element::Model => vec![plain(
            (ObjKind::Model, 0),
            "model",
            model.system_span,
            Vec::new(),
        )],
    }
}

fn applies(rule: &Rule, candidate: &Candidate) -> bool {
    let a = &rule.file.applies_to;
    (a.kinds.is_empty() || candidate.kind.is_some_and(|k| a.kinds.contains(&k)))
        && (a.technologies.is_empty()
            || a.technologies
                .iter()
                .any(|t| t.value == candidate.technology))
        && (a.traits.is_empty()
            || a.traits
                .iter()
                .any(|t| candidate.traits.contains(&t.value.as_str())))
}

fn evaluate_element(world: &World, candidate: &Candidate, rules: &[&Rule]) -> Evaluated {
    let mut threats = Vec::new();
    let mut diagnostics = Vec::new();
    let (kind, index) = candidate.object;
    let mut evaluator = Evaluator::new(world, Value::Obj(kind, index));
    // Scoring facts about the element, computed when its first threat is found.
    let mut scoring: Option<crate::score::ElementScoring> = None;
    for rule in rules.iter().filter(|r| applies(r, candidate)) {
        match evaluator.run(&rule.condition) {
            Ok(Value::Bool(false)) => {}
            Ok(Value::Bool(true)) => {
                let scoring = scoring.get_or_insert_with(|| {
                    crate::score::element_scoring(world, rule.file.applies_to.element, index)
                });
                let (inherent, factors) = crate::score::inherent(rule, scoring);
                let mitigation = mitigation_by(&rule.file.mitigations, &candidate.controls);
                let residual = residual_of(&inherent, &mitigation);
                let (status, reason) = status_of(&mitigation);
                threats.push(Threat {
                    id: format!("{}:{}", rule.id(), candidate.id),
                    rule: rule.id().to_owned(),
                    title: rule.shared.title.clone(),
                    element: ElementRef {
                        kind: rule.file.applies_to.element,
                        id: candidate.id.to_owned(),
                    },
                    stride: rule.file.stride,
                    linddun: rule.file.linddun,
                    capec: rule.shared.capec.clone(),
                    cwe: rule.shared.cwe.clone(),
                    explanation: render(world, &rule.explanation, candidate.object),
                    status,
                    reason,
                    inherent,
                    residual,
                    factors,
                    mitigation,
                    decision: None,
                    rating_override: None,
                    span: candidate.span,
                });
            }
            Ok(other) => diagnostics.push((
                rule.id().to_owned(),
                evaluation_error(
                    rule,
                    candidate.id,
                    &format!("the condition gave a {}, not a bool", other.kind_name()),
                ),
            )),
            Err(error) => diagnostics.push((
                rule.id().to_owned(),
                evaluation_error(rule, candidate.id, &error),
            )),
        }
    }
    (threats, diagnostics)
}

/// Which of a rule's mitigations are in place. An entry `a|b` is satisfied by either control.
/// The score once the controls in place count: partial coverage lowers the likelihood a step;
/// full coverage leaves only the impact, should the controls fail.
pub(crate) fn residual_of(inherent: &Score, mitigation: &Mitigation) -> Score {
    match mitigation.coverage {
        Coverage::None => inherent.clone(),
        Coverage::Partial => Score::new(inherent.likelihood.saturating_sub(1), inherent.impact),
        Coverage::Full => Score::new(1, inherent.impact),
    }
}

/// A threat's status before decisions: mitigated when all its mitigations are in place.
pub(crate) fn status_of(mitigation: &Mitigation) -> (DecisionStatus, Option<String>) {
    if mitigation.coverage == Coverage::Full {
        (
            DecisionStatus::Mitigated,
            Some(format!("mitigated by {}", mitigation.in_place.join(", "))),
        )
    } else {
        (DecisionStatus::Open, None)
    }
}

pub(crate) fn mitigation_by(
    mitigations: &[threatforge_model::Sp<String>],
    controls: &[&str],
) -> Mitigation {
    let mut in_place = Vec::new();
    let mut missing = Vec::new();
    for entry in mitigations {
        let present: Vec<&str> = entry
            .value
            .split('|')
            .filter(|c| controls.contains(c))
            .collect();
        if present.is_empty() {
            missing.push(entry.value.clone());
        } else {
            in_place.extend(present.iter().map(|c| (*c).to_owned()));
        }
    }
    let coverage = match (in_place.is_empty(), missing.is_empty()) {
        (true, _) => Coverage::None,
        (false, true) => Coverage::Full,
        (false, false) => Coverage::Partial,
    };
    Mitigation {
        coverage,
        in_place,
        missing,
    }
}

fn evaluation_error(rule: &Rule, element: &str, message: &str) -> Diagnostic {
    Diagnostic::error(
        "rule-evaluation",
        format!("rule `{}` failed on `{element}`: {message}", rule.id()),
    )
    .with_label(rule.file.condition.span, "in this condition")
    .with_help("this is a defect in the rule; its threats on this element are unknown")
}

/// Fills an explanation template. A failing expression shows as `?` rather than hiding the text.
fn render(world: &World, segments: &[Segment], object: (ObjKind, usize)) -> String {
    let mut out = String::new();
    for segment in segments {
        match segment {
            Segment::Text(text) => out.push_str(text),
            Segment::Expr(node) => {
                let mut evaluator = Evaluator::new(world, Value::Obj(object.0, object.1));
                match evaluator.run(node) {
                    Ok(value) => out.push_str(&display(world, &value)),
                    Err(_) => out.push('?'),
                }
            }
        }
    }
    // Folded YAML leaves newlines and double spaces; an explanation is one paragraph.
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

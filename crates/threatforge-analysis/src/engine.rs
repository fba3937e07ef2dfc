//! Evaluating rules on a model: facts and values are derived once, then every rule runs over the
//! elements it applies to, in parallel. Threats come out sorted by id.

use std::sync::Arc;

use rayon::prelude::*;
use serde::Serialize;
use threatforge_model::diag::Diagnostic;
use threatforge_model::{DecisionStatus, Model, Span, ThreatSeverity};

use crate::eval::{Evaluator, display_into};
use crate::rule::{Element, Linddun, Stride};
use crate::ruleset::{Rule, RuleSet, Segment};
use crate::score::{Factors, Score};
use crate::value::{ObjKind, Value};
use crate::world::World;

/// What a threat is about.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ElementRef {
    pub kind: Element,
    /// One allocation per element, shared by all its threats.
    pub id: Arc<str>,
}

/// A threat's id, `<rule>:<key>` (the key is the element's id, or a manual threat's own id), held
/// as the two shared parts rather than as a string of its own: a large model has hundreds of
/// thousands of threats, and the id would be each one's allocation and 50-odd bytes. It compares,
/// displays and serializes as the joined string.
#[derive(Clone, Debug)]
pub struct ThreatId {
    rule: Arc<str>,
    key: Arc<str>,
}

impl ThreatId {
    pub fn new(rule: Arc<str>, key: Arc<str>) -> ThreatId {
        ThreatId { rule, key }
    }

    /// What follows `<rule>:`.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The length of the joined string, in bytes.
    pub fn len(&self) -> usize {
        self.rule.len() + 1 + self.key.len()
    }

    /// Never: there is always the colon.
    pub fn is_empty(&self) -> bool {
        false
    }

    fn parts(&self) -> [&[u8]; 3] {
        [self.rule.as_bytes(), b":", self.key.as_bytes()]
    }

    /// Compares with an id written out, as the joined string would.
    pub fn cmp_str(&self, other: &str) -> std::cmp::Ordering {
        cmp_parts(self.parts(), [other.as_bytes(), b"", b""])
    }
}

/// Compares two strings each given in three consecutive parts, as the joined strings compare,
/// without joining them: slice by slice over the common length (memcmp), so that sorting
/// hundreds of thousands of ids stays as fast as sorting strings.
fn cmp_parts(a: [&[u8]; 3], b: [&[u8]; 3]) -> std::cmp::Ordering {
    let (mut i, mut j) = (0, 0);
    let (mut x, mut y): (&[u8], &[u8]) = (a[0], b[0]);
    loop {
        // Skip exhausted parts.
        while x.is_empty() && i < 2 {
            i += 1;
            x = a[i];
        }
        while y.is_empty() && j < 2 {
            j += 1;
            y = b[j];
        }
        if x.is_empty() || y.is_empty() {
            return x.len().cmp(&y.len());
        }
        let n = x.len().min(y.len());
        match x[..n].cmp(&y[..n]) {
            std::cmp::Ordering::Equal => {
                x = &x[n..];
                y = &y[n..];
            }
            unequal => return unequal,
        }
    }
}

impl std::fmt::Display for ThreatId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // As one string, so that width and alignment apply to the whole id.
        if f.width().is_some() {
            f.pad(&format!("{}:{}", self.rule, self.key))
        } else {
            write!(f, "{}:{}", self.rule, self.key)
        }
    }
}

impl Serialize for ThreatId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl PartialEq for ThreatId {
    fn eq(&self, other: &ThreatId) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for ThreatId {}

impl PartialOrd for ThreatId {
    fn partial_cmp(&self, other: &ThreatId) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ThreatId {
    fn cmp(&self, other: &ThreatId) -> std::cmp::Ordering {
        if Arc::ptr_eq(&self.rule, &other.rule) {
            // The common case in a sort: the same rule, so the keys decide.
            self.key.cmp(&other.key)
        } else {
            cmp_parts(self.parts(), other.parts())
        }
    }
}

impl PartialEq<str> for ThreatId {
    fn eq(&self, other: &str) -> bool {
        self.cmp_str(other).is_eq()
    }
}

impl PartialEq<&str> for ThreatId {
    fn eq(&self, other: &&str) -> bool {
        self.cmp_str(other).is_eq()
    }
}

impl PartialEq<String> for ThreatId {
    fn eq(&self, other: &String) -> bool {
        self.cmp_str(other).is_eq()
    }
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

/// Which of a rule's mitigations are in place for one threat. Only which alternatives are
/// present is kept, beside the rule's shared list of them: every threat keeps its mitigation, and
/// lists of their own would be an allocation or two per threat. Serializes as `coverage`,
/// `in_place` and `missing` lists of names.
#[derive(Clone, Debug)]
pub struct Mitigation {
    pub coverage: Coverage,
    entries: Arc<[MitigationEntry]>,
    present: Present,
}

/// The alternatives in place, by position in the flattened list of all entries' alternatives.
#[derive(Clone, Debug)]
enum Present {
    /// Up to 64 alternatives: every rule, and any sensible manual threat.
    Few(u64),
    Many(Box<[bool]>),
}

impl Present {
    fn get(&self, i: usize) -> bool {
        match self {
            Present::Few(bits) => i < 64 && bits & (1 << i) != 0,
            Present::Many(flags) => flags.get(i).copied().unwrap_or(false),
        }
    }
}

impl Mitigation {
    /// Each entry with the position of its first alternative in the flattened list.
    fn positioned(&self) -> impl Iterator<Item = (usize, &MitigationEntry)> + Clone + '_ {
        self.entries.iter().scan(0, |at, entry| {
            let first = *at;
            *at += entry.alternatives.len();
            Some((first, entry))
        })
    }

    /// Mitigating controls in place on the element (for a flow, on the flow or its target).
    pub fn in_place(&self) -> impl Iterator<Item = &str> + Clone + '_ {
        self.positioned().flat_map(move |(first, entry)| {
            entry
                .alternatives
                .iter()
                .enumerate()
                .filter(move |(i, _)| self.present.get(first + i))
                .map(|(_, name)| &**name)
        })
    }

    /// Mitigating controls not in place: what would close the threat. `a|b` means either.
    pub fn missing(&self) -> impl Iterator<Item = &str> + Clone + '_ {
        self.positioned()
            .filter(move |(first, entry)| {
                (0..entry.alternatives.len()).all(|i| !self.present.get(first + i))
            })
            .map(|(_, entry)| &*entry.whole)
    }

    pub fn has_missing(&self) -> bool {
        self.missing().next().is_some()
    }

    pub fn has_in_place(&self) -> bool {
        self.in_place().next().is_some()
    }
}

/// Text written over several YAML lines, as one line.
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Joins names with a separator, as `[String]::join` does.
pub fn join<'a>(names: impl Iterator<Item = &'a str>, separator: &str) -> String {
    let mut out = String::new();
    for (i, name) in names.enumerate() {
        if i > 0 {
            out.push_str(separator);
        }
        out.push_str(name);
    }
    out
}

/// Serializes a list of names from an iterator, without collecting it.
struct Names<I>(I);

impl<'a, I: Iterator<Item = &'a str> + Clone> Serialize for Names<I> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.clone())
    }
}

impl Serialize for Mitigation {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut out = serializer.serialize_struct("Mitigation", 3)?;
        out.serialize_field("coverage", &self.coverage)?;
        out.serialize_field("in_place", &Names(self.in_place()))?;
        out.serialize_field("missing", &Names(self.missing()))?;
        out.end()
    }
}

/// One of a rule's (or a manual threat's) mitigations, split once into its alternatives, so
/// that each threat's mitigation lists share the names instead of copying them.
#[derive(Clone, Debug)]
pub struct MitigationEntry {
    /// The entry as written: `a` or `a|b`.
    pub whole: Arc<str>,
    /// Its alternatives: `[a]` or `[a, b]`.
    pub alternatives: Box<[Arc<str>]>,
}

pub fn mitigation_entries(mitigations: &[threatforge_model::Sp<String>]) -> Arc<[MitigationEntry]> {
    mitigations
        .iter()
        .map(|entry| {
            let whole: Arc<str> = Arc::from(entry.value.as_str());
            let alternatives = if whole.contains('|') {
                whole.split('|').map(Arc::from).collect()
            } else {
                Box::from([whole.clone()])
            };
            MitigationEntry {
                whole,
                alternatives,
            }
        })
        .collect()
}

/// A rating set by a decision instead of computed.
#[derive(Clone, Debug, Serialize)]
pub struct Override {
    pub severity: ThreatSeverity,
    /// The severity the score gave before the decision set this one.
    pub computed: ThreatSeverity,
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
    pub id: ThreatId,
    /// The rule's id (`manual` for a manual threat), shared with the rule.
    pub rule: Arc<str>,
    pub title: Arc<str>,
    pub element: ElementRef,
    pub stride: Stride,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub linddun: Option<Linddun>,
    pub capec: Arc<[u32]>,
    pub cwe: Arc<[u32]>,
    /// Why the rule applies here, with the facts that matched. (Boxed: without a capacity, a
    /// word smaller, for each of hundreds of thousands of threats.)
    pub explanation: Box<str>,
    /// What the threat is, in general (the rule's description, or the team's for a manual
    /// threat), and where to read more; shared with the rule, so reports add them where wanted.
    #[serde(skip)]
    pub description: Arc<str>,
    #[serde(skip)]
    pub reference: Option<Arc<str>>,
    /// Where the team stands: `open`, `in-progress`, `mitigated` (by controls or by decision),
    /// `accepted`, `false-positive` or `not-applicable`.
    pub status: DecisionStatus,
    /// Why the threat has its status, when the model says (a decision or `not_applicable`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<Box<str>>,
    /// The score before controls.
    pub inherent: Score,
    /// The score with the controls in place (or as a decision overrides it).
    pub residual: Score,
    /// Every factor that moved the inherent score, so a reviewer can dispute a fact (shared with
    /// the element's other threats; serializes as a list).
    pub factors: Factors,
    pub mitigation: Mitigation,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<Box<AppliedDecision>>,
    #[serde(rename = "override", skip_serializing_if = "Option::is_none")]
    pub rating_override: Option<Box<Override>>,
    /// The rules whose threats on this element became part of this one (`supersedes`): a
    /// decision written for one of those threats applies to this one.
    #[serde(skip)]
    pub absorbed: Vec<Arc<str>>,
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

/// Elements evaluated in parallel between two merges of their threats: enough to keep every
/// thread busy, few enough that the chunk's threats are a small part of the whole.
const CHUNK: usize = 2048;

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
        &*self.rule == threatforge_model::MANUAL
    }

    /// What the threat is an instance of: its rule, or for a manual threat the threat itself.
    /// (Borrowed for the rules' threats: only a manual threat's id is joined to be returned.)
    pub fn kind_id(&self) -> std::borrow::Cow<'_, str> {
        if self.is_manual() {
            std::borrow::Cow::Owned(self.id.to_string())
        } else {
            std::borrow::Cow::Borrowed(&self.rule)
        }
    }

    /// The severity that counts: the residual one.
    pub fn severity(&self) -> ThreatSeverity {
        self.residual.severity
    }

    /// How exposed the threat's element is, 4 (directly reachable from an untrusted zone) down to
    /// 0 (unreachable).
    pub fn exposure(&self) -> u8 {
        self.factors.exposure()
    }

    /// The order of lists for people, smallest first: the most severe band first, and within a
    /// band the higher score, then the higher impact, then the more exposed element. Equal keys
    /// are left to a stable sort of threats in id order (as the analysis gives them), which
    /// saves comparing ids.
    pub fn risk_order(&self) -> RiskOrder {
        use std::cmp::Reverse;
        (
            Reverse(self.severity()),
            Reverse(self.residual.score),
            Reverse(self.residual.impact),
            Reverse(self.exposure()),
        )
    }
}

/// See `Threat::risk_order`.
pub type RiskOrder = (
    std::cmp::Reverse<ThreatSeverity>,
    std::cmp::Reverse<u8>,
    std::cmp::Reverse<u8>,
    std::cmp::Reverse<u8>,
);

/// Analyzes with default options (no acceptance expires).
pub fn analyze(model: &Model, rules: &RuleSet) -> Analysis {
    analyze_with(model, rules, &Options::default())
}

pub fn analyze_with(model: &Model, rules: &RuleSet, options: &Options) -> Analysis {
    let world = World::new(model);
    let mut analysis = Analysis::default();
    let inherited = crate::reach::inherited_controls(&world);

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
        let candidates = candidates(&world, element, &inherited);
        // In chunks, each moved into the analysis before the next is evaluated: only one chunk's
        // per-element lists of threats exist beside the whole list, not a second copy of all.
        for chunk in candidates.chunks(CHUNK) {
            let results: Vec<Evaluated> = chunk
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
    }
    analysis.threats.extend(crate::manual::threats(&world));
    sort_by_id(&mut analysis.threats);

    // Written out only if an entry matches no threat, for the suggestion.
    let mut written_ids: Option<Vec<String>> = None;
    for (id, reason) in &model.rules.not_applicable {
        match analysis
            .threats
            .binary_search_by(|t| t.id.cmp_str(&id.value))
        {
            Ok(i) => {
                analysis.threats[i].status = DecisionStatus::NotApplicable;
                analysis.threats[i].reason = Some(reason.as_str().into());
            }
            Err(_) => {
                let ids = written_ids.get_or_insert_with(|| written_out(&analysis.threats));
                let help = match threatforge_model::suggest::nearest(
                    &id.value,
                    ids.iter().map(String::as_str),
                ) {
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

/// Every threat's id as a string, for "did you mean" suggestions.
pub(crate) fn written_out(threats: &[Threat]) -> Vec<String> {
    threats.iter().map(|t| t.id.to_string()).collect()
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
    /// Controls in place on the element (for a flow, also those on its target), its own and
    /// those it holds through what fronts it.
    controls: Vec<&'m str>,
    /// How many of `controls`, from the start, are declared on the element (or a flow's target)
    /// rather than held through what fronts it.
    own: usize,
    /// The controls it holds through what fronts it, each with the component that declares it.
    fronted_by: &'m [(&'m str, usize)],
    /// For components: kind, technology and traits, for the rules' `applies_to` filters.
    kind: Option<threatforge_model::ComponentKind>,
    technology: &'m str,
    traits: &'m [&'m str],
}

fn candidates<'m>(
    world: &'m World<'m>,
    element: Element,
    inherited: &'m [Vec<(&'m str, usize)>],
) -> Vec<Candidate<'m>> {
    let model = world.model;
    let facts = &world.facts;
    let with_inherited = |mut controls: Vec<&'m str>, component: usize| {
        for (control, _) in &inherited[component] {
            if !controls.contains(control) {
                controls.push(control);
            }
        }
        controls
    };
    let plain =
        |object: (ObjKind, usize), id: &'m str, span: Span, controls: Vec<&'m str>| Candidate {
            object,
            id,
            span,
            own: controls.len(),
            controls,
            fronted_by: &[],
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
                own: c.controls.len(),
                controls: with_inherited(c.controls.iter().map(|x| x.value.as_str()).collect(), i),
                fronted_by: &inherited[i],
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
                let Some(t) = facts.flows[i].target else {
                    return plain((ObjKind::Flow, i), &f.id.value, f.id.span, controls);
                };
                controls.extend(
                    model.components[t]
                        .controls
                        .iter()
                        .map(|x| x.value.as_str()),
                );
                Candidate {
                    own: controls.len(),
                    fronted_by: &inherited[t],
                    ..plain(
                        (ObjKind::Flow, i),
                        &f.id.value,
                        f.id.span,
                        with_inherited(controls, t),
                    )
                }
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
    let mut diagnostics = Vec::new();
    let (kind, index) = candidate.object;
    let mut evaluator = Evaluator::new(world, Value::Obj(kind, index));
    // The rules that fire, with their explanations (rendered with the evaluator, which holds
    // the element). Threats are made after all rules ran: the element's scoring facts are then
    // computed once for exactly the aspects its threats need, and its threats allocated at their
    // exact number.
    let mut fired: Vec<(&Rule, Box<str>)> = Vec::new();
    for rule in rules.iter().filter(|r| applies(r, candidate)) {
        match evaluator.run(&rule.condition) {
            Ok(Value::Bool(false)) => {}
            Ok(Value::Bool(true)) => {
                let (explanation, empty) = render(world, &mut evaluator, &rule.explanation);
                if let Some(at) = empty {
                    diagnostics.push((rule.id().to_owned(), empty_value(rule, candidate.id, at)));
                }
                fired.push((rule, explanation.into_boxed_str()));
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
    let absorbed = absorb_superseded(&mut fired);
    let Some(element) = fired.first().map(|(r, _)| r.file.applies_to.element) else {
        return (Vec::new(), diagnostics);
    };
    let mut needed = [false; 4];
    for rule in fired
        .iter()
        .map(|(r, _)| r)
        .chain(absorbed.iter().flatten())
    {
        needed[crate::score::aspect_of(rule.file.stride)] = true;
    }
    // Shared by all the element's threats.
    let scoring = crate::score::element_scoring(world, element, index, needed);
    let element_id: Arc<str> = Arc::from(candidate.id);
    let threats = fired
        .into_iter()
        .zip(absorbed)
        .map(|((rule, explanation), absorbed)| {
            // The threat stands for the rules it absorbed too: scored as the most severe of them.
            let (inherent, factors) = absorbed
                .iter()
                .map(|r| crate::score::inherent(r, &scoring))
                .fold(crate::score::inherent(rule, &scoring), |best, next| {
                    if next.0.score > best.0.score {
                        next
                    } else {
                        best
                    }
                });
            let explanation = with_consequences(explanation, &absorbed);
            let mitigation = mitigation_by(&rule.shared.mitigations, &candidate.controls);
            let explanation = name_fronting_controls(world, explanation, &mitigation, candidate);
            let residual = residual_of(&inherent, &mitigation);
            let (status, reason) = status_of(&mitigation);
            Threat {
                id: ThreatId::new(rule.shared.id.clone(), element_id.clone()),
                rule: rule.shared.id.clone(),
                title: rule.shared.title.clone(),
                element: ElementRef {
                    kind: element,
                    id: element_id.clone(),
                },
                stride: rule.file.stride,
                linddun: rule.file.linddun,
                capec: rule.shared.capec.clone(),
                cwe: rule.shared.cwe.clone(),
                explanation,
                description: rule.shared.description.clone(),
                reference: rule.shared.reference.clone(),
                status,
                reason,
                inherent,
                residual,
                factors,
                mitigation,
                decision: None,
                rating_override: None,
                absorbed: absorbed.iter().map(|r| r.shared.id.clone()).collect(),
                span: candidate.span,
            }
        })
        .collect();
    (threats, diagnostics)
}

/// Removes the fired rules that another fired rule supersedes, and returns, per remaining rule in
/// order, the rules it absorbed. Only a rule that fired absorbs: a team that disables the root
/// rule gets the specific ones back.
fn absorb_superseded<'r>(fired: &mut Vec<(&'r Rule, Box<str>)>) -> Vec<Vec<&'r Rule>> {
    let superseded_by = |rule: &Rule| {
        fired
            .iter()
            .position(|(r, _)| r.file.supersedes.iter().any(|s| s.value == rule.id()))
    };
    let direct: Vec<Option<usize>> = fired.iter().map(|(r, _)| superseded_by(r)).collect();
    // A rule superseded by one that is itself superseded goes to the last in the chain (a cycle
    // of rules superseding each other stops after as many steps as there are rules).
    let owners: Vec<Option<usize>> = direct
        .iter()
        .map(|&owner| {
            let mut owner = owner?;
            for _ in 0..direct.len() {
                match direct[owner] {
                    Some(next) if next != owner => owner = next,
                    _ => break,
                }
            }
            Some(owner)
        })
        .collect();
    let mut absorbed: Vec<Vec<&Rule>> = vec![Vec::new(); fired.len()];
    for (i, owner) in owners.iter().enumerate() {
        if let Some(owner) = owner {
            absorbed[*owner].push(fired[i].0);
        }
    }
    let mut keep = owners.iter().map(Option::is_none);
    fired.retain(|_| keep.next().unwrap_or(true));
    let mut keep = owners.iter().map(Option::is_none);
    absorbed.retain(|_| keep.next().unwrap_or(true));
    absorbed
}

/// Names the consequences a threat stands for beside its own, by the absorbed rules' titles.
fn with_consequences(explanation: Box<str>, absorbed: &[&Rule]) -> Box<str> {
    if absorbed.is_empty() {
        return explanation;
    }
    let titles: Vec<&str> = absorbed.iter().map(|r| r.file.title.as_str()).collect();
    format!(
        "{explanation} One cause, one fix, for each of: {}.",
        titles.join("; ")
    )
    .into_boxed_str()
}

/// Says where a mitigating control that the element holds through what fronts it was found:
/// the element itself does not declare it, so the reader would otherwise not see why it counts.
fn name_fronting_controls(
    world: &World,
    explanation: Box<str>,
    mitigation: &Mitigation,
    candidate: &Candidate,
) -> Box<str> {
    if candidate.fronted_by.is_empty() {
        return explanation;
    }
    let mut text = String::from(explanation);
    for control in mitigation.in_place() {
        if candidate.controls[..candidate.own].contains(&control) {
            continue;
        }
        if let Some((_, from)) = candidate.fronted_by.iter().find(|(c, _)| *c == control) {
            let holder = &world.model.components[*from].id.value;
            let subject = match candidate.object.0 {
                ObjKind::Flow => "the flow's target",
                _ => "it",
            };
            text.push_str(&format!(
                " `{control}` is in place on `{holder}`, which fronts {subject}."
            ));
        }
    }
    text.into_boxed_str()
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
pub(crate) fn status_of(mitigation: &Mitigation) -> (DecisionStatus, Option<Box<str>>) {
    if mitigation.coverage == Coverage::Full {
        (
            DecisionStatus::Mitigated,
            Some(format!("mitigated by {}", join(mitigation.in_place(), ", ")).into()),
        )
    } else {
        (DecisionStatus::Open, None)
    }
}

pub(crate) fn mitigation_by(entries: &Arc<[MitigationEntry]>, controls: &[&str]) -> Mitigation {
    let alternatives: usize = entries.iter().map(|e| e.alternatives.len()).sum();
    let flags = entries
        .iter()
        .flat_map(|e| e.alternatives.iter())
        .map(|name| controls.contains(&&**name));
    let present = if alternatives <= 64 {
        Present::Few(
            flags
                .enumerate()
                .fold(0, |bits, (i, on)| bits | (u64::from(on) << i)),
        )
    } else {
        Present::Many(flags.collect())
    };
    let mitigation = Mitigation {
        coverage: Coverage::None,
        entries: entries.clone(),
        present,
    };
    let coverage = match (mitigation.has_in_place(), mitigation.has_missing()) {
        (false, _) => Coverage::None,
        (true, false) => Coverage::Full,
        (true, true) => Coverage::Partial,
    };
    Mitigation {
        coverage,
        ..mitigation
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

fn empty_value(rule: &Rule, element: &str, at: Span) -> Diagnostic {
    Diagnostic::warning(
        "rule-empty-value",
        format!(
            "the explanation of rule `{}` on `{element}` has a value that renders empty",
            rule.id()
        ),
    )
    .with_label(at, "empty here")
    .with_help(
        "say the clause only when its value exists: `{{#if list.size() > 0}} ... {{/if}}`; \
         this is a defect in the rule",
    )
}

/// Fills an explanation template, with the element's evaluator (each run starts afresh). A failing
/// expression shows as `?` rather than hiding the text. Also returns where the first `{{ }}` that
/// rendered empty stands: the sentence around it is broken, a defect of the rule.
fn render<'w>(
    world: &World,
    evaluator: &mut Evaluator<'w>,
    segments: &'w [Segment],
) -> (String, Option<Span>) {
    let mut raw = String::new();
    let mut empty = None;
    fill(world, evaluator, segments, &mut raw, &mut empty);
    // Folded YAML leaves newlines and double spaces; an explanation is one paragraph.
    let mut out = String::with_capacity(raw.len());
    for word in raw.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    (out, empty)
}

/// Recurses once per `{{#if}}` level, which the rule loader bounds.
fn fill<'w>(
    world: &World,
    evaluator: &mut Evaluator<'w>,
    segments: &'w [Segment],
    raw: &mut String,
    empty: &mut Option<Span>,
) {
    for segment in segments {
        match segment {
            Segment::Text(text) => raw.push_str(text),
            Segment::Expr(node, at) => {
                let before = raw.len();
                match evaluator.run(node) {
                    Ok(value) => display_into(world, &value, raw),
                    Err(_) => raw.push('?'),
                }
                if raw[before..].trim().is_empty() {
                    empty.get_or_insert(*at);
                }
            }
            Segment::If(condition, then, otherwise) => match evaluator.run(condition) {
                Ok(Value::Bool(true)) => fill(world, evaluator, then, raw, empty),
                Ok(Value::Bool(false)) => fill(world, evaluator, otherwise, raw, empty),
                _ => raw.push('?'),
            },
        }
    }
}

/// Sorts threats by id, keeping the order of equal ids. A threat is a few hundred bytes and a
/// large model has hundreds of thousands: sorting their indexes and then moving each threat once
/// into place is several times faster than sorting the threats themselves.
fn sort_by_id(threats: &mut [Threat]) {
    let mut order: Vec<usize> = (0..threats.len()).collect();
    order.sort_by(|&a, &b| threats[a].id.cmp(&threats[b].id));
    // Position `i` must receive the threat now at `order[i]`: follow each cycle of the
    // permutation, swapping along it, and mark positions done by pointing them at themselves.
    for start in 0..threats.len() {
        let mut at = start;
        while order[at] != at {
            let from = order[at];
            order[at] = at;
            if from == start {
                break;
            }
            threats.swap(at, from);
            at = from;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(rule: &str, key: &str) -> ThreatId {
        ThreatId::new(Arc::from(rule), Arc::from(key))
    }

    #[test]
    fn threat_ids_order_as_the_joined_strings() {
        // Rules that are prefixes of each other, keys with colons and characters around `:`.
        let ids = [
            id("a", "b"),
            id("a-x", "c"),
            id("a", "b:c"),
            id("ab", "a"),
            id("a", "z"),
            id("manual", "x"),
            id("a", ""),
            id("a", "9"),
            id("a;", "b"),
        ];
        let mut sorted = ids.to_vec();
        sorted.sort();
        let mut expected: Vec<String> = ids.iter().map(ToString::to_string).collect();
        expected.sort();
        let got: Vec<String> = sorted.iter().map(ToString::to_string).collect();
        assert_eq!(got, expected);
        for a in &ids {
            for b in &ids {
                assert_eq!(a.cmp(b), a.to_string().cmp(&b.to_string()), "{a} vs {b}");
                assert_eq!(a.cmp_str(&b.to_string()), a.cmp(b), "{a} vs {b}");
            }
        }
        assert_eq!(id("sql-injection", "portal"), "sql-injection:portal");
        assert_eq!(id("r", "e").len(), "r:e".len());
        assert_eq!(format!("[{:<6}]", id("r", "e")), "[r:e   ]");
        assert_eq!(
            serde_json::to_string(&id("r", "\"e\"")).ok().as_deref(),
            Some(r#""r:\"e\"""#)
        );
    }

    fn entries(names: &[&str]) -> Arc<[MitigationEntry]> {
        let spans: Vec<threatforge_model::Sp<String>> = names
            .iter()
            .map(|n| threatforge_model::Sp::new((*n).to_owned(), Span::default()))
            .collect();
        mitigation_entries(&spans)
    }

    #[test]
    fn mitigations_list_what_is_in_place_and_what_is_missing() {
        let list = entries(&["a|b", "c", "d|e|f"]);
        // In the list's order, whatever the controls' order.
        let m = mitigation_by(&list, &["b", "c", "a", "f"]);
        assert_eq!(m.coverage, Coverage::Full);
        assert_eq!(m.in_place().collect::<Vec<_>>(), ["a", "b", "c", "f"]);
        assert_eq!(m.missing().count(), 0);
        let m = mitigation_by(&list, &["e"]);
        assert_eq!(m.coverage, Coverage::Partial);
        assert_eq!(m.in_place().collect::<Vec<_>>(), ["e"]);
        assert_eq!(m.missing().collect::<Vec<_>>(), ["a|b", "c"]);
        let m = mitigation_by(&list, &[]);
        assert_eq!(m.coverage, Coverage::None);
        assert_eq!(
            serde_json::to_string(&m).ok().as_deref(),
            Some(r#"{"coverage":"none","in_place":[],"missing":["a|b","c","d|e|f"]}"#)
        );
    }

    #[test]
    fn more_than_64_alternatives_are_counted_too() {
        let names: Vec<String> = (0..70).map(|i| format!("c{i}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let list = entries(&refs);
        let m = mitigation_by(&list, &["c3", "c69"]);
        assert_eq!(m.coverage, Coverage::Partial);
        assert_eq!(m.in_place().collect::<Vec<_>>(), ["c3", "c69"]);
        assert_eq!(m.missing().count(), 68);
    }
}

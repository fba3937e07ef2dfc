//! The analysis's output: threats, their ids and the elements they are about, the decisions
//! applied to them, and the analysis that holds them.

use std::sync::Arc;

use serde::Serialize;
use threatforge_model::Diagnostic;
use threatforge_model::{DecisionStatus, Span, ThreatSeverity};

use crate::mitigation::Mitigation;
use crate::rule::{Element, Linddun, Stride};
use crate::score::{Factors, Score};

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
    /// Bounds on the work and memory of rule expressions.
    pub cel: crate::cel::budget::CelLimits,
    /// For a front end that shows no text (`check`'s summary): leaves the built-in rules'
    /// explanations and the factors' reasons empty. Writing the explanations is a fifth of the
    /// analysis's work on a large model, and the reasons (a sentence for each factor of each
    /// element with a threat) held 72 MB of the heap at 50,000 components (BENCHMARKS.md). A
    /// team rule's explanations are still written, since writing one is where its empty or
    /// overlong values are reported.
    pub for_summary: bool,
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
    /// For a rule's threats grouped into one (`group: model`): the elements it stands for, each
    /// of which would otherwise have had a threat of its own.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<ElementRef>,
    /// Where each member is declared, in the order of `members`.
    #[serde(skip)]
    pub member_spans: Vec<Span>,
    /// Where the element is declared.
    #[serde(skip)]
    pub span: Span,
    /// The list it belongs in: its rule's tier, or the register for a hygiene finding the model
    /// or a scanner makes a threat of this design (`threat_when`, confirming evidence).
    #[serde(skip)]
    pub tier: crate::rule::Tier,
    /// What scanners and tests say of it, when evidence was given (docs/evidence.md).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Box<crate::verification::ThreatEvidence>>,
}

#[derive(Debug, Default)]
pub struct Analysis {
    /// The threats of this design: the register.
    pub threats: Vec<Threat>,
    /// What rules of the `hygiene` tier found: baseline practices missing, listed beside the
    /// register as a checklist, decided like threats, counted by no gate. Sorted by id.
    pub hygiene: Vec<Threat>,
    /// Problems located in the model (an unknown rule to disable, an orphaned exception).
    pub diagnostics: Vec<Diagnostic>,
    /// Problems located in rule files (a condition that failed to evaluate).
    pub rule_diagnostics: Vec<Diagnostic>,
    /// What the evidence (scanner and test reports) said, when some was applied.
    pub evidence: Option<Box<crate::verification::EvidenceSummary>>,
}

impl Analysis {
    /// The threats, then the hygiene items: everything the rules found, for what looks a finding
    /// up wherever it is listed (a rule's examples, the quality harness).
    pub fn findings(&self) -> impl Iterator<Item = &Threat> {
        self.threats.iter().chain(&self.hygiene)
    }
}

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

    /// The elements the threat is about, one by one: its element, then its members (the flows
    /// into a component or cluster it groups, the flows a rule's `members` name). A rule's
    /// threats grouped for the model (`group: model`) are about their members alone.
    pub fn elements(&self) -> impl Iterator<Item = &ElementRef> {
        let own = (self.members.is_empty() || self.element.kind != Element::Model)
            .then_some(&self.element);
        own.into_iter()
            .chain(self.members.iter().filter(move |m| **m != self.element))
    }

    /// Whether the threat concerns the element `id` of `model`: it (or one of its members) is
    /// on that element, on a flow to or from it, on a boundary that holds it (through nested
    /// boundaries too) or a runtime that runs it, or on the model as a whole. What another tool
    /// reports on one element, a threat here may report on the hop into it or on its zone:
    /// comparing the two asks this.
    pub fn concerns(&self, model: &threatforge_model::Model, id: &str) -> bool {
        self.elements().any(|e| match e.kind {
            Element::Component | Element::Data => &*e.id == id,
            Element::Flow => model
                .flows
                .get(&*e.id)
                .is_some_and(|f| f.source.value.as_str() == id || f.target.value.as_str() == id),
            Element::Boundary => &*e.id == id || boundary_holds(model, &e.id, id),
            Element::Runtime => {
                &*e.id == id
                    || model
                        .runtimes
                        .get(&*e.id)
                        .is_some_and(|r| r.runs.iter().any(|c| c.value.as_str() == id))
            }
            Element::Model => true,
        })
    }

    /// The severity that counts: the residual one.
    pub fn severity(&self) -> ThreatSeverity {
        self.residual.severity
    }

    /// Whether this threat stands for `rule`'s finding: its own rule, or a rule it absorbed
    /// (`supersedes`), whose finding is one of its consequences and fired all the same.
    pub fn stands_for(&self, rule: &str) -> bool {
        &*self.rule == rule || self.absorbed.iter().any(|a| &**a == rule)
    }

    /// How exposed the threat's element is, 4 (directly reachable from an untrusted zone) down to
    /// 0 (unreachable).
    pub fn exposure(&self) -> u8 {
        self.factors.exposure()
    }

    /// The order of lists for people, smallest first: the most severe band first, and within a
    /// band the higher score, then the higher impact, then an element's own threat before a practice
    /// grouped for the model, then the more exposed element. Equal keys are left to a stable sort of
    /// threats in id order (as the analysis gives them), which saves comparing ids.
    pub fn risk_order(&self) -> RiskOrder {
        use std::cmp::Reverse;
        (
            Reverse(self.severity()),
            Reverse(self.residual.score),
            Reverse(self.residual.impact),
            // A threat about one element (a flow, a component, or a group of flows into one
            // component or inside one cluster) says more than a practice missing across the model.
            Reverse(self.element.kind != Element::Model),
            Reverse(self.exposure()),
        )
    }
}

/// See `Threat::risk_order`.
pub type RiskOrder = (
    std::cmp::Reverse<ThreatSeverity>,
    std::cmp::Reverse<u8>,
    std::cmp::Reverse<u8>,
    std::cmp::Reverse<bool>,
    std::cmp::Reverse<u8>,
);

/// Every threat's id as a string, for "did you mean" suggestions.
pub(crate) fn written_out(threats: &[Threat]) -> Vec<String> {
    threats.iter().map(|t| t.id.to_string()).collect()
}

/// Sorts threats by id, keeping the order of equal ids. A threat is a few hundred bytes and a
/// large model has hundreds of thousands: sorting their indexes and then moving each threat once
/// into place is several times faster than sorting the threats themselves. The indexes are
/// sorted on every core (rayon's sort is stable too): the analysis waits for this on one.
pub(crate) fn sort_by_id(threats: &mut [Threat]) {
    use rayon::slice::ParallelSliceMut as _;
    let mut order: Vec<usize> = (0..threats.len()).collect();
    order.par_sort_by(|&a, &b| threats[a].id.cmp(&threats[b].id));
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

/// Whether `boundary` holds the component or boundary `id`, directly or through the boundaries
/// nested in it, as the model's boundary tree says (built here: a threat on a boundary is rare,
/// and this is asked only when comparing with another tool's findings).
fn boundary_holds(model: &threatforge_model::Model, boundary: &str, id: &str) -> bool {
    let Some(b) = model.boundaries.get_index_of(boundary) else {
        return false;
    };
    let tree = threatforge_model::BoundaryTree::new(model);
    let around = match model.components.get_index_of(id) {
        Some(c) => tree.around(c),
        // A boundary's chain ends with itself, which the caller counts already.
        None => model
            .boundaries
            .get_index_of(id)
            .map_or(&[][..], |inner| tree.chain(inner)),
    };
    around.contains(&b)
}

/// The CAPEC or CWE ids of a threat that absorbed others: its rule's, then those of the absorbed
/// rules it does not name, since it stands for their weaknesses too (a clear-text hop folded into
/// an unauthenticated listener's threat is still CWE-319, which a framework mapping looks for).
pub(crate) fn with_absorbed_ids<R>(
    own: &Arc<[u32]>,
    absorbed: &[R],
    ids_of: impl Fn(&R) -> &Arc<[u32]>,
) -> Arc<[u32]> {
    // Most threats absorbed nothing: their rule's shared list, with no copy of it.
    if absorbed.is_empty() {
        return own.clone();
    }
    let mut ids: Vec<u32> = own.to_vec();
    for id in absorbed.iter().flat_map(|r| ids_of(r).iter()) {
        if !ids.contains(id) {
            ids.push(*id);
        }
    }
    if ids.len() == own.len() {
        own.clone()
    } else {
        Arc::from(ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_absorbing_threat_names_its_rules_ids_then_the_absorbed_ones_once() {
        let own: Arc<[u32]> = Arc::from([306, 290]);
        let absorbed: [Arc<[u32]>; 2] = [Arc::from([319, 306]), Arc::from([523, 319])];
        let ids = with_absorbed_ids(&own, &absorbed, |r| r);
        assert_eq!(&*ids, [306, 290, 319, 523]);
        // Nothing absorbed, or nothing new: the rule's own list, shared rather than copied.
        assert!(Arc::ptr_eq(
            &with_absorbed_ids(&own, &[] as &[Arc<[u32]>], |r| r),
            &own
        ));
        let same: [Arc<[u32]>; 1] = [Arc::from([290])];
        assert!(Arc::ptr_eq(&with_absorbed_ids(&own, &same, |r| r), &own));
    }

    fn id(rule: &str, key: &str) -> ThreatId {
        ThreatId::new(Arc::from(rule), Arc::from(key))
    }

    #[test]
    fn a_boundary_holds_what_its_nested_boundaries_hold() {
        let loaded = threatforge_model::load_str(
            "m.yaml",
            "system: { name: s }
components:
  web: { technology: web-application }
  db: { technology: postgresql }
boundaries:
  cloud: { kind: cloud-account, contains: [vpc] }
  vpc: { kind: vpc, contains: [dmz] }
  dmz: { kind: network, contains: [web] }
  data: { kind: network, contains: [db] }
",
            std::path::Path::new("."),
            &threatforge_model::LoadOptions::default(),
        );
        assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
        let model = &loaded.model;
        for (boundary, id, holds) in [
            ("dmz", "web", true),
            ("cloud", "web", true),
            ("cloud", "dmz", true),
            ("vpc", "dmz", true),
            ("dmz", "vpc", false),
            ("data", "web", false),
            ("vpc", "db", false),
            ("missing", "web", false),
            ("cloud", "missing", false),
        ] {
            assert_eq!(
                boundary_holds(model, boundary, id),
                holds,
                "{boundary} holds {id}"
            );
        }
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
}

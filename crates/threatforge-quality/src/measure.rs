//! One model's numbers: its threats against its expectations.

use std::collections::HashMap;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use threatforge_analysis::{Analysis, Element, Threat};
use threatforge_model::ThreatSeverity;

use crate::expect::{Expectations, MustFind, Scope, TOP};
use crate::placeholder::Detector;
use crate::relate::{Relations, Target};

/// A threat as the report names it.
#[derive(Clone, Debug, Serialize)]
pub struct Hit {
    pub threat: String,
    pub severity: ThreatSeverity,
    pub score: u8,
}

impl Hit {
    fn of(threat: &Threat) -> Hit {
        Hit {
            threat: threat.id.to_string(),
            severity: threat.severity(),
            score: threat.residual.score,
        }
    }
}

/// How far a `must_find` entry is met.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindStatus {
    /// A concern that names no rule: a known gap.
    NoRule,
    Missed,
    /// Found, but every matching threat is below the minimum severity.
    FoundBelow,
    FoundAtSeverity,
}

impl FindStatus {
    /// Steps for comparing with the baseline: a concern without a rule is a miss.
    pub fn rank(self) -> u8 {
        match self {
            FindStatus::NoRule | FindStatus::Missed => 0,
            FindStatus::FoundBelow => 1,
            FindStatus::FoundAtSeverity => 2,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FindStatus::NoRule => "no rule",
            FindStatus::Missed => "missed",
            FindStatus::FoundBelow => "found below",
            FindStatus::FoundAtSeverity => "found",
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct FindResult {
    pub id: String,
    pub rules: Vec<String>,
    pub elements: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub concern: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cwe: Vec<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub capec: Vec<u32>,
    pub min_severity: ThreatSeverity,
    pub status: FindStatus,
    /// The most severe matching open threat.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub best: Option<Hit>,
}

#[derive(Clone, Debug, Serialize)]
pub struct AvoidResult {
    /// `rule:element`.
    pub key: String,
    pub scope: Scope,
    /// The open threats that violate it, most severe first.
    pub threats: Vec<Hit>,
}

#[derive(Clone, Debug, Serialize)]
pub struct TopEntry {
    pub id: String,
    /// Where the best matching open threat ranks (1 is first); none when nothing matches.
    pub rank: Option<usize>,
}

#[derive(Clone, Debug, Serialize)]
pub struct TopResult {
    pub expected: Vec<TopEntry>,
    /// The engine's first five open threats.
    pub actual: Vec<Hit>,
    /// Expected entries met by one of `actual`.
    pub overlap: usize,
    /// Open threats beyond the fifth with the fifth's score: a cut through a tie is arbitrary.
    pub tied_beyond_cut: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Via {
    /// The threat with the sampled id.
    Exact,
    /// No such id; the most severe open threat matching rule and element (`related`).
    Matched,
    Absent,
}

#[derive(Clone, Debug, Serialize)]
pub struct Sample {
    pub threat: String,
    pub expected: ThreatSeverity,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual: Option<ThreatSeverity>,
    pub via: Via,
}

/// Severity levels as columns and rows of the confusion matrix.
pub const LEVELS: [ThreatSeverity; 5] = [
    ThreatSeverity::Info,
    ThreatSeverity::Low,
    ThreatSeverity::Medium,
    ThreatSeverity::High,
    ThreatSeverity::Critical,
];

#[derive(Clone, Debug, Serialize)]
pub struct SeverityResult {
    pub samples: Vec<Sample>,
    /// Expected severity -> actual severity (or `absent`) -> how many samples.
    pub confusion: IndexMap<&'static str, IndexMap<&'static str, usize>>,
}

#[derive(Clone, Debug, Serialize)]
pub struct PlaceholderHit {
    pub threat: String,
    /// `explanation`, or the factor whose reason it is.
    pub text: String,
    pub excerpt: String,
}

/// The numbers the ratchet holds, and the counts they come from.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    pub must_find: usize,
    pub found_at_severity: usize,
    pub found: usize,
    /// Concerns no rule covers (counted as misses).
    pub concerns_without_rule: usize,
    pub must_not_find: usize,
    /// Entries with at least one violating threat.
    pub violated: usize,
    pub violating_threats: usize,
    pub top_overlap: usize,
    pub severity_samples: usize,
    pub severity_present: usize,
    pub severity_exact: usize,
    pub severity_within_one: usize,
    pub threats: usize,
    pub open: usize,
    pub open_criticals: usize,
    /// Over the elements with at least one open threat.
    pub median_threats_per_element: f64,
    pub max_threats_per_element: usize,
    /// Threats whose explanation or a factor reason has an empty interpolation.
    pub placeholders: usize,
}

impl Metrics {
    pub fn recall_at_severity(&self) -> f64 {
        ratio(self.found_at_severity, self.must_find)
    }

    pub fn recall(&self) -> f64 {
        ratio(self.found, self.must_find)
    }

    pub fn within_one_rate(&self) -> f64 {
        ratio(self.severity_within_one, self.severity_present)
    }

    /// Adds another model's counts (the median and maximum are set by the caller).
    pub fn add(&mut self, other: &Metrics) {
        self.must_find += other.must_find;
        self.found_at_severity += other.found_at_severity;
        self.found += other.found;
        self.concerns_without_rule += other.concerns_without_rule;
        self.must_not_find += other.must_not_find;
        self.violated += other.violated;
        self.violating_threats += other.violating_threats;
        self.top_overlap += other.top_overlap;
        self.severity_samples += other.severity_samples;
        self.severity_present += other.severity_present;
        self.severity_exact += other.severity_exact;
        self.severity_within_one += other.severity_within_one;
        self.threats += other.threats;
        self.open += other.open;
        self.open_criticals += other.open_criticals;
        self.placeholders += other.placeholders;
    }
}

/// The shares a reader looks for, derived from `Metrics` (not part of the baseline).
#[derive(Clone, Debug, Serialize)]
pub struct Rates {
    pub recall_at_severity: f64,
    pub recall: f64,
    pub severity_within_one: f64,
}

impl Rates {
    pub fn of(m: &Metrics) -> Rates {
        Rates {
            recall_at_severity: m.recall_at_severity(),
            recall: m.recall(),
            severity_within_one: m.within_one_rate(),
        }
    }
}

/// The element with the most open threats.
#[derive(Clone, Debug, Serialize)]
pub struct Busiest {
    pub element: String,
    pub open: usize,
}

pub fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct ModelReport {
    pub name: String,
    /// The model's root file, relative to the repository.
    pub model: String,
    pub model_fingerprint: String,
    pub expectations_fingerprint: String,
    pub open_by_severity: IndexMap<&'static str, usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub busiest_element: Option<Busiest>,
    pub must_find: Vec<FindResult>,
    pub must_not_find: Vec<AvoidResult>,
    pub top: TopResult,
    pub severity: SeverityResult,
    pub placeholders: Vec<PlaceholderHit>,
    pub metrics: Metrics,
    pub rates: Rates,
    /// Open threats per element (elements with at least one), for the pooled median.
    #[serde(skip)]
    pub open_per_element: Vec<usize>,
}

/// What `measure` needs to know about the model besides its threats.
pub struct Subject<'a> {
    pub name: String,
    pub model: String,
    pub model_fingerprint: String,
    pub expectations_fingerprint: String,
    pub relations: &'a Relations,
    pub detector: &'a Detector,
}

pub fn measure(subject: Subject, expectations: &Expectations, analysis: &Analysis) -> ModelReport {
    let relations = subject.relations;
    let open: Vec<&Threat> = analysis.threats.iter().filter(|t| t.is_open()).collect();
    let ranked = ranking(&open);
    // What the report says anywhere, the hygiene checklist included: a concern listed there is
    // found (and one listed there wrongly is a violation); the list's shape (top five, threats
    // per element, severities) is the register's alone.
    let open_findings: Vec<&Threat> = analysis.findings().filter(|t| t.is_open()).collect();

    let must_find: Vec<FindResult> = expectations
        .must_find
        .iter()
        .map(|entry| find(entry, relations, &open_findings))
        .collect();

    let must_not_find: Vec<AvoidResult> = expectations
        .must_not_find
        .iter()
        .map(|entry| {
            let target = relations.target(std::slice::from_ref(&entry.element), entry.scope);
            let rules = std::slice::from_ref(&entry.rule);
            let mut threats: Vec<&Threat> = open_findings
                .iter()
                .copied()
                .filter(|t| target.matches(rules, t))
                .collect();
            threats.sort_by(|a, b| {
                b.residual
                    .score
                    .cmp(&a.residual.score)
                    .then(a.id.cmp(&b.id))
            });
            AvoidResult {
                key: entry.key(),
                scope: entry.scope,
                threats: threats.into_iter().map(Hit::of).collect(),
            }
        })
        .collect();

    let top = top_five(expectations, relations, &ranked);
    let severity = severities(expectations, relations, analysis, &open_findings);
    let placeholders = placeholders(subject.detector, analysis);

    let mut per_element: HashMap<(Element, &str), usize> = HashMap::new();
    for threat in &open {
        *per_element
            .entry((threat.element.kind, &threat.element.id))
            .or_default() += 1;
    }
    let busiest_element = per_element
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.1.cmp(a.0.1)))
        .map(|((_, id), n)| Busiest {
            element: (*id).to_owned(),
            open: *n,
        });
    let mut open_per_element: Vec<usize> = per_element.into_values().collect();
    open_per_element.sort_unstable();

    let mut open_by_severity = IndexMap::new();
    for level in LEVELS.iter().rev() {
        open_by_severity.insert(
            level.as_str(),
            open.iter().filter(|t| t.severity() == *level).count(),
        );
    }

    let samples = &severity.samples;
    let metrics = Metrics {
        must_find: must_find.len(),
        found_at_severity: count(&must_find, |f| f.status == FindStatus::FoundAtSeverity),
        found: count(&must_find, |f| f.status >= FindStatus::FoundBelow),
        concerns_without_rule: count(&must_find, |f| f.status == FindStatus::NoRule),
        must_not_find: must_not_find.len(),
        violated: count(&must_not_find, |a| !a.threats.is_empty()),
        violating_threats: must_not_find.iter().map(|a| a.threats.len()).sum(),
        top_overlap: top.overlap,
        severity_samples: samples.len(),
        severity_present: count(samples, |s| s.actual.is_some()),
        severity_exact: count(samples, |s| s.actual == Some(s.expected)),
        severity_within_one: count(samples, |s| {
            s.actual
                .is_some_and(|a| step(a).abs_diff(step(s.expected)) <= 1)
        }),
        threats: analysis.threats.len(),
        open: open.len(),
        open_criticals: open
            .iter()
            .filter(|t| t.severity() == ThreatSeverity::Critical)
            .count(),
        median_threats_per_element: median(&open_per_element),
        max_threats_per_element: open_per_element.last().copied().unwrap_or(0),
        placeholders: {
            // A threat's hits are consecutive, so dedup counts threats.
            let mut threats: Vec<&str> = placeholders.iter().map(|p| p.threat.as_str()).collect();
            threats.dedup();
            threats.len()
        },
    };

    ModelReport {
        name: subject.name,
        model: subject.model,
        model_fingerprint: subject.model_fingerprint,
        expectations_fingerprint: subject.expectations_fingerprint,
        open_by_severity,
        busiest_element,
        must_find,
        must_not_find,
        top,
        severity,
        placeholders,
        rates: Rates::of(&metrics),
        metrics,
        open_per_element,
    }
}

fn count<T>(items: &[T], pred: impl Fn(&T) -> bool) -> usize {
    items.iter().filter(|i| pred(i)).count()
}

/// A severity's position on the scale, info 0 to critical 4.
pub fn step(severity: ThreatSeverity) -> u8 {
    LEVELS.iter().position(|l| *l == severity).unwrap_or(0) as u8
}

/// The middle of sorted counts; the mean of the two middles for an even number.
pub fn median(sorted: &[usize]) -> f64 {
    match sorted.len() {
        0 => 0.0,
        n if n % 2 == 1 => sorted[n / 2] as f64,
        n => (sorted[n / 2 - 1] + sorted[n / 2]) as f64 / 2.0,
    }
}

/// Open threats, most important first, in the order the reports list them (`Threat::risk_order`),
/// so the top five measured are the five a reader sees first; ties stay in id order, as the
/// threats arrive, for the sort is stable.
pub fn ranking<'t>(open: &[&'t Threat]) -> Vec<&'t Threat> {
    let mut ranked = open.to_vec();
    ranked.sort_by_key(|t| t.risk_order());
    ranked
}

/// Whether `threat` stands for `entry`: by one of its rules, or, for a concern no rule is named
/// for, by a rule that names every CWE and CAPEC id of the concern (the expert's description of
/// the weakness; any one id alone, such as CWE-287, is carried by rules about other things).
fn stands_for(entry: &MustFind, target: &Target, threat: &Threat) -> bool {
    if !entry.rules.is_empty() {
        return target.matches(&entry.rules, threat);
    }
    threat.is_open()
        && target.holds(threat)
        && entry.cwe.iter().all(|id| threat.cwe.contains(id))
        && entry.capec.iter().all(|id| threat.capec.contains(id))
}

fn find(entry: &MustFind, relations: &Relations, open: &[&Threat]) -> FindResult {
    // `expect` refuses a concern without ids, so a rule-less entry always has one to match.
    let target = relations.target(&entry.elements, Scope::Related);
    let best = open
        .iter()
        .copied()
        .filter(|t| stands_for(entry, &target, t))
        .max_by(|a, b| {
            a.residual
                .score
                .cmp(&b.residual.score)
                .then(b.id.cmp(&a.id))
        });
    let status = match best {
        // A concern no rule covers yet stays a known gap, not a miss of a named rule.
        None if entry.rules.is_empty() => FindStatus::NoRule,
        None => FindStatus::Missed,
        Some(t) if t.severity() >= entry.min_severity => FindStatus::FoundAtSeverity,
        Some(_) => FindStatus::FoundBelow,
    };
    FindResult {
        id: entry.id.clone(),
        rules: entry.rules.clone(),
        elements: entry.elements.clone(),
        concern: entry.concern.clone(),
        cwe: entry.cwe.clone(),
        capec: entry.capec.clone(),
        min_severity: entry.min_severity,
        status,
        best: best.map(Hit::of),
    }
}

fn top_five(expectations: &Expectations, relations: &Relations, ranked: &[&Threat]) -> TopResult {
    let cut = ranked.len().min(TOP);
    let expected: Vec<TopEntry> = expectations
        .top
        .iter()
        .map(|id| {
            let rank = expectations
                .must_find
                .iter()
                .find(|f| f.id == *id)
                .and_then(|f| {
                    let target = relations.target(&f.elements, Scope::Related);
                    ranked.iter().position(|t| stands_for(f, &target, t))
                })
                .map(|i| i + 1);
            TopEntry {
                id: id.clone(),
                rank,
            }
        })
        .collect();
    let tied_beyond_cut = match cut.checked_sub(1).map(|i| ranked[i]) {
        Some(fifth) => ranked[cut..]
            .iter()
            .take_while(|t| t.residual.score == fifth.residual.score)
            .count(),
        None => 0,
    };
    TopResult {
        overlap: expected
            .iter()
            .filter(|e| e.rank.is_some_and(|r| r <= cut))
            .count(),
        expected,
        actual: ranked[..cut].iter().map(|t| Hit::of(t)).collect(),
        tied_beyond_cut,
    }
}

fn severities(
    expectations: &Expectations,
    relations: &Relations,
    analysis: &Analysis,
    open: &[&Threat],
) -> SeverityResult {
    let samples: Vec<Sample> = expectations
        .severity
        .iter()
        .map(|sample| {
            let exact = [&analysis.threats, &analysis.hygiene]
                .into_iter()
                .find_map(|list| {
                    list.binary_search_by(|t| t.id.cmp_str(&sample.threat))
                        .ok()
                        .map(|i| &list[i])
                });
            let (actual, via) = match exact {
                Some(t) => (Some(t.severity()), Via::Exact),
                None => {
                    let target =
                        relations.target(std::slice::from_ref(&sample.element), Scope::Related);
                    let rules = std::slice::from_ref(&sample.rule);
                    match open
                        .iter()
                        .filter(|t| target.matches(rules, t))
                        .map(|t| t.severity())
                        .max()
                    {
                        Some(s) => (Some(s), Via::Matched),
                        None => (None, Via::Absent),
                    }
                }
            };
            Sample {
                threat: sample.threat.clone(),
                expected: sample.expected,
                actual,
                via,
            }
        })
        .collect();
    let mut confusion = IndexMap::new();
    for expected in LEVELS {
        let mut row = IndexMap::new();
        for actual in LEVELS {
            row.insert(
                actual.as_str(),
                count(&samples, |s| {
                    s.expected == expected && s.actual == Some(actual)
                }),
            );
        }
        row.insert(
            "absent",
            count(&samples, |s| s.expected == expected && s.actual.is_none()),
        );
        confusion.insert(expected.as_str(), row);
    }
    SeverityResult { samples, confusion }
}

fn placeholders(detector: &Detector, analysis: &Analysis) -> Vec<PlaceholderHit> {
    let mut hits = Vec::new();
    for threat in analysis.findings() {
        let texts = std::iter::once(("explanation".to_owned(), &*threat.explanation)).chain(
            threat
                .factors
                .iter()
                .map(|f| (format!("{} factor", f.factor), &*f.reason)),
        );
        for (text, rendered) in texts {
            if let Some(excerpt) = detector.find(rendered) {
                hits.push(PlaceholderHit {
                    threat: threat.id.to_string(),
                    text,
                    excerpt,
                });
            }
        }
    }
    hits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median(&[]), 0.0);
        assert_eq!(median(&[1, 2, 9]), 2.0);
        assert_eq!(median(&[1, 2, 3, 9]), 2.5);
    }

    #[test]
    fn steps_follow_the_scale() {
        assert_eq!(step(ThreatSeverity::Info), 0);
        assert_eq!(step(ThreatSeverity::Critical), 4);
        assert!(step(ThreatSeverity::High) > step(ThreatSeverity::Medium));
    }
}

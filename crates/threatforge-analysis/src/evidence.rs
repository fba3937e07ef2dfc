//! What evidence from scanners and tests does to an analysis (docs/evidence.md): findings are
//! mapped to the components whose `code` globs or `endpoints` claim them; a finding whose CWE
//! (or one near it in CWE's research view) is among a threat's CWEs on the same component
//! confirms the threat, whose likelihood goes to the top of the scale; findings no threat
//! covers become one "unmodeled weakness" threat per component and CWE; `verified_by` tests
//! make a component's controls verified, and a failing one takes the control's effect away
//! (the model is analyzed again without it).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use threatforge_evidence::{Evidence, Finding, Level as FindingLevel, Outcome};
use threatforge_model::{Code, DecisionStatus, Diagnostic, Model, Sp, ThreatSeverity};

use crate::mitigation::{MitigationEntry, mitigation_by};
use crate::project::{Analyzed, ProjectOptions};
use crate::rule::{Element, Stride};
use crate::score::{Factor, Factors, Score};
use crate::threat::{Analysis, ElementRef, Options, Threat, ThreatId};
use crate::verification::{
    ControlCheck, EvidenceSummary, ThreatEvidence, ToolCount, UNMODELED, Verification,
};

/// Applies evidence to an analyzed model (which must have no errors). Analyzes the model again
/// when a failing test takes a control away. `options` are the ones the model was loaded with.
pub fn apply(analyzed: &mut Analyzed, evidence: &Evidence, options: &ProjectOptions) {
    let analysis_options = Options {
        today: options.today.clone(),
        cel: options.cel,
        for_summary: options.for_summary,
    };
    let (checks, mut diagnostics) = control_checks(&analyzed.loaded.model, evidence);
    let failed: Vec<(Arc<str>, Arc<str>)> = checks
        .iter()
        .filter(|c| c.status == Verification::Failed)
        .map(|c| (Arc::clone(&c.component), Arc::clone(&c.control)))
        .collect();
    // Which controls each threat had in place, before a failed one is taken away.
    let by_control: HashMap<(&str, &str), &ControlCheck> = checks
        .iter()
        .map(|c| ((&*c.component, &*c.control), c))
        .collect();
    let in_place: HashMap<String, Vec<ControlCheck>> = analyzed
        .analysis
        .findings()
        .filter(|t| t.mitigation.has_in_place())
        .map(|t| {
            (
                t.id.to_string(),
                threat_checks(t, &analyzed.loaded.model, &by_control),
            )
        })
        .collect();
    drop(by_control);
    if !failed.is_empty() {
        let model = &mut analyzed.loaded.model;
        let taken = take_controls(model, &failed);
        let analysis = crate::analyze_with(model, &analyzed.rules, &analysis_options);
        put_back(model, taken);
        analyzed.analysis.threats = analysis.threats;
        analyzed.analysis.hygiene = analysis.hygiene;
    }
    let model = &analyzed.loaded.model;
    let analysis = &mut analyzed.analysis;
    let mut id = String::new();
    for threat in analysis.threats.iter_mut().chain(&mut analysis.hygiene) {
        id.clear();
        id.push_str(&threat.id.to_string());
        if let Some(controls) = in_place.get(&id) {
            threat.evidence = Some(Box::new(ThreatEvidence {
                findings: Vec::new(),
                factor: None,
                controls: controls.clone(),
            }));
        }
    }
    let mut summary = EvidenceSummary {
        files: evidence.files.clone(),
        controls: checks,
        warnings: evidence.warnings.clone(),
        ..EvidenceSummary::default()
    };
    for test in &evidence.tests {
        *summary.tests.entry(test.outcome.as_str()).or_default() += 1;
    }
    let claims = Claims::new(model);
    let mut tools: BTreeMap<&str, ToolCount> = BTreeMap::new();
    // Findings per component, by index into `evidence.findings`.
    let mut on_component: Vec<Vec<usize>> = vec![Vec::new(); model.components.len()];
    let mut claimed = Vec::new();
    for (i, finding) in evidence.findings.iter().enumerate() {
        let count = tools.entry(&finding.tool).or_insert_with(|| ToolCount {
            tool: finding.tool.clone(),
            ..ToolCount::default()
        });
        count.findings += 1;
        if finding.suppressed {
            count.suppressed += 1;
            continue;
        }
        claims.claiming(finding, &mut claimed);
        if claimed.is_empty() {
            count.unmapped += 1;
            summary.unmapped.push(Arc::new(finding.clone()));
        } else {
            count.mapped += 1;
            for &c in &claimed {
                on_component[c].push(i);
            }
        }
    }
    summary.tools = tools.into_values().collect();
    let shared: Vec<Arc<Finding>> = evidence.findings.iter().cloned().map(Arc::new).collect();
    let unmodeled = confirm(model, analysis, &on_component, &shared, &mut summary);
    let mut added = unmodeled_threats(model, &shared, &unmodeled);
    // Decisions apply to the added threats as to any. A decision on an unmodeled weakness that
    // a scan no longer finds is orphaned like any other; without a scanner report nothing can
    // be said of it.
    let mut extra = Analysis {
        threats: std::mem::take(&mut added),
        ..Analysis::default()
    };
    crate::decisions::apply(
        model,
        &analysis_options,
        &mut extra,
        crate::decisions::Scope::Unmodeled,
    );
    if evidence.scanner_reports > 0 {
        diagnostics.append(&mut extra.diagnostics);
    }
    summary.unmodeled = extra.threats.iter().map(|t| t.id.to_string()).collect();
    analysis.threats.append(&mut extra.threats);
    // A hygiene item a scanner confirmed is no longer a practice to check: the weakness is in
    // this element's code, a threat of this design.
    let (confirmed, unconfirmed): (Vec<Threat>, Vec<Threat>) =
        std::mem::take(&mut analysis.hygiene)
            .into_iter()
            .partition(|t| t.evidence.as_ref().is_some_and(|e| !e.findings.is_empty()));
    analysis.hygiene = unconfirmed;
    analysis.threats.extend(confirmed.into_iter().map(|mut t| {
        t.tier = crate::rule::Tier::Threat;
        t
    }));
    crate::threat::sort_by_id(&mut analysis.threats);
    analysis.evidence = Some(Box::new(summary));
    analyzed.add_model_diagnostics(diagnostics);
}

/// Threats at or above `severity` (before controls) that controls mitigate, none of them
/// verified by a test: what `check --require-verified` fails on. Threats a decision dismissed
/// (accepted, false positive, not applicable) are left out.
pub fn unverified_at_or_above(analysis: &Analysis, severity: ThreatSeverity) -> Vec<&Threat> {
    analysis
        .threats
        .iter()
        .filter(|t| t.inherent.severity >= severity)
        .filter(|t| {
            !matches!(
                t.status,
                DecisionStatus::Accepted
                    | DecisionStatus::FalsePositive
                    | DecisionStatus::NotApplicable
            )
        })
        .filter(|t| {
            t.evidence.as_ref().is_some_and(|e| {
                !e.controls.is_empty()
                    && e.controls
                        .iter()
                        .all(|c| c.status != Verification::Verified)
            })
        })
        .collect()
}

/// Every control of every component, with what its `verified_by` tests say. Every pattern of
/// every component goes into one set, so each test is matched once whatever the number of
/// controls (10,000 tests against a pattern set per control took seconds at 3,000 controls).
/// With test reports, a pattern no test matches is an `unmatched-test-pattern` warning.
fn control_checks(model: &Model, evidence: &Evidence) -> (Vec<ControlCheck>, Vec<Diagnostic>) {
    let mut checks = Vec::new();
    let mut builder = GlobSetBuilder::new();
    // The check each pattern of the set belongs to, and the pattern as written.
    let mut owner: Vec<usize> = Vec::new();
    let mut written: Vec<&Sp<String>> = Vec::new();
    for (id, component) in &model.components {
        let id: Arc<str> = Arc::from(id.as_str());
        for control in &component.controls {
            let patterns = component
                .verified_by
                .iter()
                .find(|(c, _)| c.value == control.value)
                .map(|(_, p)| p.as_slice())
                .unwrap_or_default();
            for pattern in patterns {
                if let Some(glob) = test_pattern(&pattern.value) {
                    builder.add(glob);
                    owner.push(checks.len());
                    written.push(pattern);
                }
            }
            checks.push(ControlCheck {
                component: Arc::clone(&id),
                control: Arc::from(control.value.as_str()),
                status: Verification::Unverified,
                tests: Vec::new(),
            });
        }
    }
    let set = builder.build().unwrap_or_else(|_| GlobSet::empty());
    let mut passed: Vec<Vec<String>> = vec![Vec::new(); checks.len()];
    let mut failed: Vec<Vec<String>> = vec![Vec::new(); checks.len()];
    let mut hits = Vec::new();
    let mut of_test = Vec::new();
    let mut matched = vec![false; written.len()];
    for test in &evidence.tests {
        set.matches_into(test.id.as_str(), &mut hits);
        for &g in &hits {
            matched[g] = true;
        }
        // Two patterns of one control that match the same test count it once.
        of_test.clear();
        of_test.extend(hits.iter().map(|&g| owner[g]));
        of_test.sort_unstable();
        of_test.dedup();
        for &check in &of_test {
            match test.outcome {
                Outcome::Passed => passed[check].push(test.id.clone()),
                Outcome::Failed | Outcome::Error => failed[check].push(test.id.clone()),
                Outcome::Skipped => {}
            }
        }
    }
    for ((check, passed), failed) in checks.iter_mut().zip(passed).zip(failed) {
        (check.status, check.tests) = if !failed.is_empty() {
            (Verification::Failed, failed)
        } else if !passed.is_empty() {
            (Verification::Verified, passed)
        } else {
            (Verification::Unverified, Vec::new())
        };
    }
    let unmatched = if evidence.test_reports == 0 {
        Vec::new()
    } else {
        let patterns = written
            .iter()
            .zip(&matched)
            .filter(|(_, matched)| !**matched)
            .map(|(p, _)| *p);
        unmatched_patterns(patterns, evidence)
    };
    (checks, unmatched)
}

/// The most unmatched patterns that get a suggestion: each is compared with every test id and
/// class, which a model of thousands of stale patterns would make slow.
const SUGGESTED: usize = 20;

/// One warning per `verified_by` pattern no test matched, with the nearest test class or id.
fn unmatched_patterns<'a>(
    patterns: impl Iterator<Item = &'a Sp<String>>,
    evidence: &Evidence,
) -> Vec<Diagnostic> {
    // A pattern names a class of tests (`com.acme.AuthzTest.*`) or one test: both are candidates.
    let mut candidates: Vec<String> = evidence
        .tests
        .iter()
        .flat_map(|t| {
            let class = t.id.rsplit_once('.').map(|(c, _)| format!("{c}.*"));
            class.into_iter().chain([t.id.clone()])
        })
        .collect();
    candidates.sort_unstable();
    candidates.dedup();
    patterns
        .enumerate()
        .map(|(i, pattern)| {
            let near = (i < SUGGESTED)
                .then(|| {
                    threatforge_model::suggest::nearest(
                        &pattern.value,
                        candidates.iter().map(String::as_str),
                    )
                })
                .flatten();
            let help = match near {
                Some(near) => format!(
                    "did you mean `{near}`? Test ids are `classname.name` as the JUnit report writes them"
                ),
                None => format!(
                    "none of the {} tests read has an id it matches; test ids are `classname.name` as the JUnit report writes them",
                    evidence.tests.len()
                ),
            };
            Diagnostic::new(
                Code::UnmatchedTestPattern,
                format!("no test in the test reports matches `{}`", pattern.value),
            )
            .with_label(pattern.span, "matches no test")
            .with_help(help)
        })
        .collect()
}

/// A `verified_by` pattern: `*` matches any text, separators included; one that is not a
/// valid glob is matched as written.
fn test_pattern(pattern: &str) -> Option<Glob> {
    GlobBuilder::new(pattern)
        .literal_separator(false)
        .build()
        .or_else(|_| Glob::new(&globset::escape(pattern)))
        .ok()
}

/// The checks of a threat's controls in place: on its component, or for a flow on the flow's
/// target (controls on the flow itself, or in reach from elsewhere, no test verifies).
fn threat_checks(
    threat: &Threat,
    model: &Model,
    checks: &HashMap<(&str, &str), &ControlCheck>,
) -> Vec<ControlCheck> {
    let component = match threat.element.kind {
        Element::Component => Some(&*threat.element.id),
        Element::Flow => model
            .flows
            .get(&*threat.element.id)
            .map(|f| f.value.target.value.as_str()),
        _ => None,
    };
    threat
        .mitigation
        .in_place()
        .map(|control| {
            component
                .and_then(|c| checks.get(&(c, control)))
                .map(|c| (*c).clone())
                .unwrap_or_else(|| ControlCheck {
                    component: Arc::from(component.unwrap_or(&threat.element.id)),
                    control: Arc::from(control),
                    status: Verification::Unverified,
                    tests: Vec::new(),
                })
        })
        .collect()
}

/// Takes the failed controls off their components, with where each was, to put them back.
fn take_controls(
    model: &mut Model,
    failed: &[(Arc<str>, Arc<str>)],
) -> Vec<(usize, usize, threatforge_model::Sp<String>)> {
    let failed: HashSet<(&str, &str)> = failed.iter().map(|(c, n)| (&**c, &**n)).collect();
    let mut taken = Vec::new();
    for (c, component) in model.components.values_mut().enumerate() {
        let mut at = 0;
        let id = component.id.value.as_str();
        component.value.controls.retain(|control| {
            let fails = failed.contains(&(id, control.value.as_str()));
            if fails {
                taken.push((c, at, control.clone()));
            }
            at += 1;
            !fails
        });
    }
    taken
}

/// Puts taken controls back where they were, so that reports show the model as written.
fn put_back(model: &mut Model, taken: Vec<(usize, usize, threatforge_model::Sp<String>)>) {
    for (c, at, control) in taken {
        if let Some((_, component)) = model.components.get_index_mut(c) {
            let controls = &mut component.value.controls;
            controls.insert(at.min(controls.len()), control);
        }
    }
}

/// Which components claim a finding: by `code` globs for files, `endpoints` for URLs.
struct Claims {
    code: GlobSet,
    /// The component of each glob in `code`.
    owner: Vec<usize>,
    endpoints: threatforge_evidence::EndpointIndex,
}

impl Claims {
    fn new(model: &Model) -> Self {
        let mut builder = GlobSetBuilder::new();
        let mut owner = Vec::new();
        let mut endpoints = threatforge_evidence::EndpointIndex::default();
        for (c, component) in model.components.values().enumerate() {
            for glob in &component.code {
                // The loader has checked the globs; one that fails here claims nothing.
                if let Ok(glob) = GlobBuilder::new(glob.value.trim_start_matches("./"))
                    .literal_separator(true)
                    .build()
                {
                    builder.add(glob);
                    owner.push(c);
                }
            }
            for endpoint in &component.endpoints {
                endpoints.add(&endpoint.value, c);
            }
        }
        Claims {
            code: builder.build().unwrap_or_else(|_| GlobSet::empty()),
            owner,
            endpoints,
        }
    }

    fn claiming(&self, finding: &Finding, out: &mut Vec<usize>) {
        out.clear();
        if let Some(file) = &finding.file {
            out.extend(self.code.matches(file).into_iter().map(|g| self.owner[g]));
        }
        if let Some(url) = &finding.url {
            out.extend(self.endpoints.owners(url));
        }
        out.sort_unstable();
        out.dedup();
    }
}

/// Confirms the threats the findings bear on; returns, per component, the findings that
/// confirmed none of its threats.
fn confirm(
    model: &Model,
    analysis: &mut Analysis,
    on_component: &[Vec<usize>],
    findings: &[Arc<Finding>],
    summary: &mut EvidenceSummary,
) -> Vec<Vec<usize>> {
    let index: HashMap<&str, usize> = model
        .components
        .keys()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let mut used: Vec<Vec<bool>> = on_component.iter().map(|f| vec![false; f.len()]).collect();
    for threat in analysis.threats.iter_mut().chain(&mut analysis.hygiene) {
        if threat.cwe.is_empty() || !threat.members.is_empty() {
            continue;
        }
        let component = match threat.element.kind {
            Element::Component => index.get(&*threat.element.id).copied(),
            Element::Flow => model
                .flows
                .get(&*threat.element.id)
                .and_then(|f| index.get(f.value.target.value.as_str()).copied()),
            _ => None,
        };
        let Some(c) = component else { continue };
        let mut confirming = Vec::new();
        for (k, &f) in on_component[c].iter().enumerate() {
            let finding = &findings[f];
            if finding.cwe.iter().any(|&found| {
                threat
                    .cwe
                    .iter()
                    .any(|&named| threatforge_evidence::cwe_related(found, named))
            }) {
                used[c][k] = true;
                confirming.push(Arc::clone(finding));
            }
        }
        if confirming.is_empty() {
            continue;
        }
        confirm_one(threat, confirming);
        summary.confirmed.push(threat.id.to_string());
    }
    on_component
        .iter()
        .zip(used)
        .map(|(found, used)| {
            found
                .iter()
                .zip(used)
                .filter(|(_, used)| !used)
                .map(|(f, _)| *f)
                .collect()
        })
        .collect()
}

/// Raises a confirmed threat's likelihood to the top, before and after controls: the finding
/// shows the weakness is there, whatever the controls.
fn confirm_one(threat: &mut Threat, findings: Vec<Arc<Finding>>) {
    let top = 4;
    let before = threat.inherent.likelihood;
    let reason = format!(
        "{} confirm{} it: {}",
        counted(findings.len(), "scanner finding"),
        if findings.len() == 1 { "s" } else { "" },
        describe(&findings)
    );
    threat.inherent = Score::new(top, threat.inherent.impact);
    if threat.rating_override.is_none() {
        threat.residual = Score::new(top, threat.residual.impact);
    }
    // Controls that looked complete did not stop what the scanner found; a decision stands.
    if threat.decision.is_none() && threat.status == DecisionStatus::Mitigated {
        threat.status = DecisionStatus::Open;
        threat.reason = None;
    }
    let evidence = threat.evidence.get_or_insert_with(|| {
        Box::new(ThreatEvidence {
            findings: Vec::new(),
            factor: None,
            controls: Vec::new(),
        })
    });
    evidence.factor = Some(Factor {
        on: "likelihood",
        factor: "confirmed-by-evidence",
        effect: i8::try_from(top.saturating_sub(before)).unwrap_or(0),
        reason: Arc::from(reason),
    });
    evidence.findings = findings;
}

/// The first findings as `tool rule (CWE-n) at place`, and how many more.
fn describe(findings: &[Arc<Finding>]) -> String {
    let shown: Vec<String> = findings
        .iter()
        .take(3)
        .map(|f| {
            let cwe: Vec<String> = f.cwe.iter().map(|c| format!("CWE-{c}")).collect();
            let place = f.location();
            format!(
                "{} {}{}{}",
                f.tool,
                f.rule,
                if cwe.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", cwe.join(", "))
                },
                if place.is_empty() {
                    String::new()
                } else {
                    format!(" at {place}")
                }
            )
        })
        .collect();
    let more = findings.len().saturating_sub(shown.len());
    let mut text = crate::mitigation::in_words(&shown);
    if more > 0 {
        text.push_str(&format!(" and {more} more"));
    }
    text
}

fn counted(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

/// One threat per component and CWE for findings that confirmed nothing (CWE-less findings
/// go into one threat per component, keyed `no-cwe`).
fn unmodeled_threats(model: &Model, findings: &[Arc<Finding>], left: &[Vec<usize>]) -> Vec<Threat> {
    let rule: Arc<str> = Arc::from(UNMODELED);
    let entries: Arc<[MitigationEntry]> = Arc::from(Vec::new());
    let mut threats = Vec::new();
    for ((id, component), left) in model.components.iter().zip(left) {
        let mut by_cwe: BTreeMap<Option<u32>, Vec<Arc<Finding>>> = BTreeMap::new();
        for &f in left {
            let finding = &findings[f];
            if finding.cwe.is_empty() {
                by_cwe.entry(None).or_default().push(Arc::clone(finding));
            }
            for &cwe in &finding.cwe {
                by_cwe
                    .entry(Some(cwe))
                    .or_default()
                    .push(Arc::clone(finding));
            }
        }
        let element: Arc<str> = Arc::from(id.as_str());
        for (cwe, found) in by_cwe {
            let key = match cwe {
                Some(n) => format!("{id}:cwe-{n}"),
                None => format!("{id}:no-cwe"),
            };
            let impact = found.iter().map(|f| impact_of(f)).max().unwrap_or(1);
            let named = match cwe {
                Some(n) => format!("CWE-{n}"),
                None => "a weakness without a CWE".to_owned(),
            };
            let mut tools: Vec<&str> = found.iter().map(|f| f.tool.as_str()).collect();
            tools.sort_unstable();
            tools.dedup();
            let reason: Arc<str> = Arc::from(format!(
                "{} on {id}: {}",
                counted(found.len(), "scanner finding"),
                describe(&found)
            ));
            let hints = Arc::new([
                Factor {
                    on: "likelihood",
                    factor: "confirmed-by-evidence",
                    effect: 0,
                    reason: Arc::clone(&reason),
                },
                Factor {
                    on: "impact",
                    factor: "finding-severity",
                    effect: 0,
                    reason: Arc::from(
                        "the most severe finding's level or security-severity sets the impact",
                    ),
                },
            ]);
            let score = Score::new(4, impact);
            threats.push(Threat {
                id: ThreatId::new(Arc::clone(&rule), Arc::from(key)),
                rule: Arc::clone(&rule),
                title: Arc::from(format!(
                    "Unmodeled weakness: {named} found by {} in {id}",
                    crate::mitigation::in_words(&tools)
                )),
                element: ElementRef {
                    kind: Element::Component,
                    id: Arc::clone(&element),
                },
                stride: cwe.map_or(Stride::Tampering, stride_of),
                linddun: None,
                capec: Arc::from(Vec::new()),
                cwe: Arc::from(cwe.into_iter().collect::<Vec<u32>>()),
                explanation: format!(
                    "{reason}. No threat of the model covers {named} on {id}: model the \
                     threat (a rule of the team's, or a manual threat), fix the code, or record \
                     a decision."
                )
                .into_boxed_str(),
                description: Arc::from(
                    "A scanner found a weakness in the component's code or site that no threat \
                     of the model covers.",
                ),
                reference: cwe
                    .map(|n| Arc::from(format!("https://cwe.mitre.org/data/definitions/{n}.html"))),
                status: DecisionStatus::Open,
                reason: None,
                inherent: score.clone(),
                residual: score,
                factors: Factors::hints_only(hints, 0),
                mitigation: mitigation_by(&entries, &[]),
                decision: None,
                rating_override: None,
                absorbed: Vec::new(),
                members: Vec::new(),
                member_spans: Vec::new(),
                span: component.id.span,
                tier: crate::rule::Tier::Threat,
                evidence: Some(Box::new(ThreatEvidence {
                    findings: found,
                    factor: None,
                    controls: Vec::new(),
                })),
            });
        }
    }
    threats
}

/// The impact a finding sets, 1-4: its `security-severity` (CVSS-like bands) when given, else
/// its level.
fn impact_of(finding: &Finding) -> u8 {
    match finding.security_severity {
        Some(s) if s >= 9.0 => 4,
        Some(s) if s >= 7.0 => 3,
        Some(s) if s >= 4.0 => 2,
        Some(_) => 1,
        None => match finding.level {
            FindingLevel::Error => 3,
            FindingLevel::Warning => 2,
            FindingLevel::Note | FindingLevel::None => 1,
        },
    }
}

/// The STRIDE category of a weakness, for the few families scanners report most; tampering
/// (what injection and memory weaknesses are) otherwise.
fn stride_of(cwe: u32) -> Stride {
    match cwe {
        200 | 201 | 209 | 215 | 312 | 319 | 359 | 532 | 538 | 548 | 798 | 259 | 321 | 522 => {
            Stride::InformationDisclosure
        }
        287 | 290 | 294 | 306 | 307 | 384 | 521 | 613 | 1390 | 1391 => Stride::Spoofing,
        22 | 23 | 36 | 250 | 269 | 276 | 284 | 285 | 639 | 732 | 862 | 863 | 918 => {
            Stride::ElevationOfPrivilege
        }
        400 | 770 | 776 | 1333 => Stride::DenialOfService,
        117 | 223 | 778 => Stride::Repudiation,
        _ => Stride::Tampering,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn findings_set_the_impact_of_an_unmodeled_weakness() {
        let finding = |level, security_severity| Finding {
            tool: "t".into(),
            rule: "r".into(),
            cwe: vec![89],
            level,
            security_severity,
            message: String::new(),
            file: None,
            line: None,
            url: None,
            link: None,
            source: "s".into(),
            suppressed: false,
        };
        assert_eq!(impact_of(&finding(FindingLevel::Note, Some(9.8))), 4);
        assert_eq!(impact_of(&finding(FindingLevel::Note, Some(7.5))), 3);
        assert_eq!(impact_of(&finding(FindingLevel::Error, Some(2.0))), 1);
        assert_eq!(impact_of(&finding(FindingLevel::Error, None)), 3);
        assert_eq!(impact_of(&finding(FindingLevel::Warning, None)), 2);
        assert_eq!(stride_of(798), Stride::InformationDisclosure);
        assert_eq!(stride_of(89), Stride::Tampering);
    }

    /// 5,000 controls, each with its own `verified_by` pattern, and 50,000 test results:
    /// matching every test against every control's patterns (250 million matches) would take
    /// minutes in a test build; one set matches each test once.
    #[test]
    fn each_test_is_matched_once_against_every_controls_patterns() {
        let n = 5_000;
        let mut text = String::from("system: { name: S }\ncomponents:\n");
        for c in 0..n {
            text.push_str(&format!(
                "  c{c}: {{ technology: api-service, controls: [authorization, rate-limiting], \
                 verified_by: {{ authorization: [\"com.acme.C{c}Test.*\", \"smoke c{c} *\"] }} }}\n"
            ));
        }
        let loaded = threatforge_model::load_str(
            "m.yaml",
            &text,
            &std::env::temp_dir(),
            &threatforge_model::LoadOptions::default(),
        );
        assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
        let mut evidence = Evidence::default();
        for t in 0..50_000 {
            let c = t % (n + 1);
            evidence.tests.push(threatforge_evidence::TestResult {
                id: format!("com.acme.C{c}Test.t{t}"),
                outcome: if c % 10 == 3 && t > n {
                    Outcome::Failed
                } else {
                    Outcome::Passed
                },
                message: None,
                source: "junit.xml".into(),
            });
        }
        evidence.tests.push(threatforge_evidence::TestResult {
            id: "smoke c7 login".into(),
            outcome: Outcome::Error,
            message: None,
            source: "junit.xml".into(),
        });
        let (checks, _) = control_checks(&loaded.model, &evidence);
        assert_eq!(checks.len(), 2 * n);
        let status = |c: usize, control: &str| {
            checks
                .iter()
                .find(|k| *k.component == *format!("c{c}") && &*k.control == control)
                .map(|k| (k.status, k.tests.len()))
        };
        // c1: tests 1, 5002, 10003, ... all passed (t % 5001 == 1).
        assert_eq!(
            status(1, "authorization"),
            Some((Verification::Verified, 10))
        );
        // c3: its tests after the first fail; only those are named.
        assert_eq!(status(3, "authorization"), Some((Verification::Failed, 9)));
        // c7: the erring smoke test takes the control away.
        assert_eq!(status(7, "authorization"), Some((Verification::Failed, 1)));
        assert_eq!(
            status(1, "rate-limiting"),
            Some((Verification::Unverified, 0))
        );
    }
}

//! Compliance: where a model stands against a framework's requirements, from its controls and
//! its threats, with the reason for each status.
//!
//! A requirement is met where the controls mapped to it are in place, or the threats it is about
//! are mitigated, on every element it concerns; a gap where such a threat is open. What a design
//! model cannot show (a process, a coding practice) is *not assessed*, said rather than guessed.
//! Frameworks and the mapping are data (`frameworks/`), embedded at build time like the rules.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::OnceLock;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use threatforge_model::{Code, DecisionStatus, Diagnostic, Model};

use crate::ruleset::{BUILTIN_FRAMEWORKS, FRAMEWORK_MAPPING};
use crate::threat::{Analysis, Threat};
use crate::verification::{ControlCheck, Verification};
use crate::world::World;

/// One framework, as its data file says.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Framework {
    pub id: String,
    pub title: String,
    pub source: String,
    pub license: String,
    /// Level names, lowest first; a requirement's level is the first that includes it.
    #[serde(default)]
    pub levels: Vec<String>,
    /// `personal-data`: the framework concerns only models that hold personal data.
    #[serde(default)]
    pub applies_when: Option<String>,
    pub chapters: IndexMap<String, String>,
    pub requirements: Vec<Requirement>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    pub id: String,
    pub chapter: String,
    pub title: String,
    /// 1-based position in the framework's `levels`.
    #[serde(default)]
    pub level: Option<usize>,
    #[serde(default)]
    pub cwe: Vec<u32>,
    /// The same requirement in another framework (`framework:id`): what is mapped to this one
    /// is mapped to that one too.
    #[serde(default)]
    pub same_as: Vec<String>,
}

/// What is mapped to requirements (`framework:id`).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    #[serde(default)]
    pub controls: IndexMap<String, Vec<String>>,
    #[serde(default)]
    pub rules: IndexMap<String, Vec<String>>,
}

struct Library {
    frameworks: Vec<Framework>,
    mapping: Mapping,
    /// `framework:id` -> controls mapped to it, directly or through `same_as`.
    controls_of: BTreeMap<String, BTreeSet<String>>,
    /// `framework:id` -> rules mapped to it by hand, directly or through `same_as`.
    rules_of: BTreeMap<String, BTreeSet<String>>,
}

fn library() -> Result<&'static Library, String> {
    static LIBRARY: OnceLock<Result<Library, String>> = OnceLock::new();
    LIBRARY
        .get_or_init(|| {
            let mut frameworks = Vec::new();
            for (name, text) in BUILTIN_FRAMEWORKS {
                frameworks.push(
                    serde_saphyr::from_str::<Framework>(text)
                        .map_err(|e| format!("the framework file {name} does not parse: {e}"))?,
                );
            }
            let mapping = serde_saphyr::from_str::<Mapping>(FRAMEWORK_MAPPING)
                .map_err(|e| format!("the framework mapping does not parse: {e}"))?;
            // `same_as` links, both ways: ASVS 5.0 names its 4.0.3 sources.
            let mut same: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for f in &frameworks {
                for r in &f.requirements {
                    for other in &r.same_as {
                        let key = format!("{}:{}", f.id, r.id);
                        same.entry(key.clone()).or_default().push(other.clone());
                        same.entry(other.clone()).or_default().push(key);
                    }
                }
            }
            let spread = |pairs: &IndexMap<String, Vec<String>>| {
                let mut of: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
                for (name, keys) in pairs {
                    for key in keys {
                        of.entry(key.clone()).or_default().insert(name.clone());
                        for other in same.get(key).into_iter().flatten() {
                            of.entry(other.clone()).or_default().insert(name.clone());
                        }
                    }
                }
                of
            };
            let controls_of = spread(&mapping.controls);
            let rules_of = spread(&mapping.rules);
            Ok(Library {
                frameworks,
                mapping,
                controls_of,
                rules_of,
            })
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// Every framework shipped, in file-name order.
pub fn frameworks() -> Result<&'static [Framework], String> {
    library().map(|l| l.frameworks.as_slice())
}

/// The shipped mapping of controls and rules to requirements.
pub fn framework_mapping() -> Result<&'static Mapping, String> {
    library().map(|l| &l.mapping)
}

/// A framework and level as a model or the command line names them: `asvs-5.0`, `asvs-5.0-l2`,
/// `nist-800-53-r5-moderate`, `gdpr`. The level, when given apart, wins.
pub fn resolve_framework(
    name: &str,
    level: Option<&str>,
) -> Result<(&'static Framework, Option<usize>), String> {
    let all = frameworks()?;
    let ids: Vec<&str> = all.iter().map(|f| f.id.as_str()).collect();
    let (framework, from_name) = match all.iter().find(|f| f.id == name) {
        Some(f) => (f, None),
        None => all
            .iter()
            .filter_map(|f| {
                let rest = name.strip_prefix(f.id.as_str())?.strip_prefix('-')?;
                Some((f, Some(rest)))
            })
            .next()
            .ok_or_else(|| {
                let hint = threatforge_model::suggest::nearest(name, ids.iter().copied())
                    .map(|n| format!("did you mean `{n}`?"))
                    .unwrap_or_else(|| {
                        format!("give one of {}", threatforge_model::suggest::one_of(&ids))
                    });
                format!("there is no framework `{name}`; {hint}")
            })?,
    };
    let Some(level) = level.or(from_name) else {
        return Ok((framework, None));
    };
    if framework.levels.is_empty() {
        return Err(format!("{} has no levels", framework.id));
    }
    let position = framework
        .levels
        .iter()
        .position(|l| {
            // `L2` is also `2`.
            l.eq_ignore_ascii_case(level) || l.strip_prefix('L').is_some_and(|n| n == level)
        })
        .or_else(|| {
            level
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=framework.levels.len()).contains(n))
                .map(|n| n - 1)
        })
        .ok_or_else(|| {
            format!(
                "{} has no level `{level}`; give one of {}",
                framework.id,
                framework.levels.join(", ")
            )
        })?;
    Ok((framework, Some(position + 1)))
}

/// An `unknown-framework` error for each entry of the model's `system.compliance` that names no
/// shipped framework or level, with the nearest as the suggestion: the report would otherwise
/// show a section of nothing.
pub(crate) fn unknown_frameworks(model: &Model) -> Vec<Diagnostic> {
    let names = model.system.as_ref().map_or(&[][..], |s| &s.compliance[..]);
    names
        .iter()
        .filter_map(|name| {
            let error = resolve_framework(&name.value, None).err()?;
            let (message, help) = match error.split_once("; ") {
                Some((message, help)) => (message.to_owned(), help.to_owned()),
                None => (
                    error.clone(),
                    "name the framework alone, or with one of its levels (`asvs-5.0-l2`)"
                        .to_owned(),
                ),
            };
            Some(
                Diagnostic::new(Code::UnknownFramework, message)
                    .with_label(name.span, "not a framework threatforge ships")
                    .with_help(help),
            )
        })
        .collect()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Gap,
    Partial,
    Met,
    /// Met, and on every element it concerns a test verifies the control that meets it.
    Verified,
    NotApplicable,
    NotAssessed,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::Gap,
        Status::Partial,
        Status::Met,
        Status::Verified,
        Status::NotApplicable,
        Status::NotAssessed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Gap => "gap",
            Status::Partial => "partial",
            Status::Met => "met",
            Status::Verified => "verified",
            Status::NotApplicable => "not applicable",
            Status::NotAssessed => "not assessed",
        }
    }
}

/// One requirement's status for the model, and why.
#[derive(Clone, Debug, Serialize)]
pub struct Assessed {
    pub id: String,
    pub chapter: String,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    pub status: Status,
    pub reason: String,
    /// For a gap: the open threats, `id (severity)`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub threats: Vec<String>,
}

/// How many requirements of a chapter have each status.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Counts {
    pub gap: usize,
    pub partial: usize,
    pub met: usize,
    pub verified: usize,
    pub not_applicable: usize,
    pub not_assessed: usize,
}

impl Counts {
    fn add(&mut self, status: Status) {
        *self.get_mut(status) += 1;
    }

    fn get_mut(&mut self, status: Status) -> &mut usize {
        match status {
            Status::Gap => &mut self.gap,
            Status::Partial => &mut self.partial,
            Status::Met => &mut self.met,
            Status::Verified => &mut self.verified,
            Status::NotApplicable => &mut self.not_applicable,
            Status::NotAssessed => &mut self.not_assessed,
        }
    }

    pub fn get(&self, status: Status) -> usize {
        match status {
            Status::Gap => self.gap,
            Status::Partial => self.partial,
            Status::Met => self.met,
            Status::Verified => self.verified,
            Status::NotApplicable => self.not_applicable,
            Status::NotAssessed => self.not_assessed,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Chapter {
    pub id: String,
    pub title: String,
    pub counts: Counts,
}

/// GDPR Art. 30: where one personal-data asset goes, as the model says.
#[derive(Clone, Debug, Serialize)]
pub struct Record {
    pub data: String,
    pub name: String,
    pub categories: Vec<String>,
    /// Actors it is collected from.
    pub collected_from: Vec<String>,
    pub processed_by: Vec<String>,
    pub stored_in: Vec<String>,
    /// Flows that carry it, `source -> target`, with the boundaries crossed.
    pub transfers: Vec<String>,
    /// Third parties (components operated by another organisation) that receive it, with the
    /// boundaries it crosses to reach them.
    pub third_parties: Vec<String>,
    pub retention: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Compliance {
    pub framework: String,
    pub title: String,
    pub source: String,
    pub license: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    pub summary: Counts,
    pub chapters: Vec<Chapter>,
    pub requirements: Vec<Assessed>,
    /// For frameworks about personal data: the records of processing the model gives.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub records: Option<Vec<Record>>,
}

impl Compliance {
    pub fn gaps(&self) -> usize {
        self.summary.gap
    }
}

/// The rules' and the catalogue's controls of a threat: every alternative of its mitigations.
fn controls_of(threat: &Threat) -> BTreeSet<&str> {
    threat
        .mitigation
        .in_place()
        .chain(threat.mitigation.missing().flat_map(|e| e.split('|')))
        .collect()
}

fn personal(model: &Model) -> bool {
    model
        .data
        .values()
        .any(|d| d.categories.iter().any(|c| c.value.is_personal()))
}

/// Where `model` stands against `framework` up to `level` (all levels when `None`).
pub fn assess(
    model: &Model,
    analysis: &Analysis,
    framework: &Framework,
    level: Option<usize>,
) -> Result<Compliance, String> {
    let library = library()?;
    let needs_personal = framework.applies_when.as_deref() == Some("personal-data");
    let has_personal = personal(model);
    // Threats that stand, the hygiene checklist's included (baseline practices are what most
    // requirements ask for): a false positive or a not-applicable one says nothing of the design.
    let threats = Index::new(
        analysis.findings().filter(|t| {
            !matches!(
                t.status,
                DecisionStatus::FalsePositive | DecisionStatus::NotApplicable
            )
        }),
        model,
    );
    let empty = BTreeSet::new();
    // What tests say of each component's controls, when evidence was applied.
    let checks: BTreeMap<(&str, &str), &ControlCheck> = analysis
        .evidence
        .iter()
        .flat_map(|e| &e.controls)
        .map(|c| ((&*c.component, &*c.control), c))
        .collect();

    let mut requirements = Vec::new();
    for r in &framework.requirements {
        if let (Some(want), Some(have)) = (level, r.level)
            && have > want
        {
            continue;
        }
        let key = format!("{}:{}", framework.id, r.id);
        let controls = library.controls_of.get(&key).unwrap_or(&empty);
        let rules = library.rules_of.get(&key).unwrap_or(&empty);
        let (status, reason, open) = if needs_personal && !has_personal {
            (
                Status::NotApplicable,
                "the model holds no personal data (no data asset has a personal category)"
                    .to_owned(),
                Vec::new(),
            )
        } else if controls.is_empty() && rules.is_empty() && r.cwe.is_empty() {
            (
                Status::NotAssessed,
                "no control or rule maps to it: it is about code, configuration or process \
                 that a design model does not show"
                    .to_owned(),
                Vec::new(),
            )
        } else {
            judge(&threats, &checks, controls, rules, &r.cwe)
        };
        requirements.push(Assessed {
            id: r.id.clone(),
            chapter: r.chapter.clone(),
            title: r.title.clone(),
            level: r
                .level
                .and_then(|l| framework.levels.get(l.wrapping_sub(1)).cloned()),
            status,
            reason,
            threats: open,
        });
    }
    let mut summary = Counts::default();
    let mut by_chapter: IndexMap<&str, Counts> = IndexMap::new();
    for a in &requirements {
        summary.add(a.status);
        by_chapter.entry(&a.chapter).or_default().add(a.status);
    }
    let chapters = framework
        .chapters
        .iter()
        .filter_map(|(id, title)| {
            let counts = by_chapter.get(id.as_str())?.clone();
            Some(Chapter {
                id: id.clone(),
                title: title.clone(),
                counts,
            })
        })
        .collect();
    Ok(Compliance {
        framework: framework.id.clone(),
        title: framework.title.clone(),
        source: framework.source.clone(),
        license: framework.license.clone(),
        level: level.and_then(|l| framework.levels.get(l.checked_sub(1)?).cloned()),
        summary,
        chapters,
        requirements,
        records: needs_personal.then(|| records(model)),
    })
}

/// The threats that stand, and the controls declared on elements, indexed by what maps a
/// requirement to them, so that each requirement looks up its own rather than reading every
/// threat and element (345 requirements over 60,000 threats at 10,000 components).
struct Index<'a> {
    threats: Vec<&'a Threat>,
    by_rule: HashMap<&'a str, Vec<usize>>,
    by_cwe: HashMap<u32, Vec<usize>>,
    /// Every alternative of a threat's mitigations, in place or missing.
    by_control: HashMap<&'a str, Vec<usize>>,
    /// Control -> (element, position of the element in the model, of the control in its list).
    declared: HashMap<&'a str, Vec<(&'a str, usize, usize)>>,
}

impl<'a> Index<'a> {
    fn new(threats: impl Iterator<Item = &'a Threat>, model: &'a Model) -> Self {
        let mut index = Index {
            threats: threats.collect(),
            by_rule: HashMap::new(),
            by_cwe: HashMap::new(),
            by_control: HashMap::new(),
            declared: HashMap::new(),
        };
        for (i, t) in index.threats.iter().enumerate() {
            index.by_rule.entry(&*t.rule).or_default().push(i);
            for &c in t.cwe.iter() {
                index.by_cwe.entry(c).or_default().push(i);
            }
            for control in controls_of(t) {
                index.by_control.entry(control).or_default().push(i);
            }
        }
        let elements = model
            .components
            .values()
            .map(|c| (c.id.value.as_str(), &c.controls))
            .chain(model.flows.iter().map(|(id, f)| (id.as_str(), &f.controls)));
        for (e, (id, list)) in elements.enumerate() {
            for (k, control) in list.iter().enumerate() {
                index
                    .declared
                    .entry(control.value.as_str())
                    .or_default()
                    .push((id, e, k));
            }
        }
        index
    }

    /// The threats a requirement is about, in the analysis's order: its rules', those sharing a
    /// CWE, and those a mapped control mitigates.
    fn about(
        &self,
        controls: &BTreeSet<String>,
        rules: &BTreeSet<String>,
        cwe: &[u32],
    ) -> Vec<&'a Threat> {
        let empty = Vec::new();
        let mut at: Vec<usize> = rules
            .iter()
            .flat_map(|r| self.by_rule.get(r.as_str()).unwrap_or(&empty))
            .chain(
                cwe.iter()
                    .flat_map(|c| self.by_cwe.get(c).unwrap_or(&empty)),
            )
            .chain(
                controls
                    .iter()
                    .flat_map(|c| self.by_control.get(c.as_str()).unwrap_or(&empty)),
            )
            .copied()
            .collect();
        at.sort_unstable();
        at.dedup();
        at.into_iter().map(|i| self.threats[i]).collect()
    }

    /// The mapped controls declared on elements, in the model's order of elements and of each
    /// element's controls: `(element, control)`.
    fn declared(&self, controls: &BTreeSet<String>) -> Vec<(&'a str, &'a str)> {
        let mut found: Vec<(usize, usize, &'a str, &'a str)> = controls
            .iter()
            .filter_map(|c| self.declared.get_key_value(c.as_str()))
            .flat_map(|(&control, at)| at.iter().map(move |&(id, e, k)| (e, k, id, control)))
            .collect();
        found.sort_unstable();
        found.into_iter().map(|(_, _, id, c)| (id, c)).collect()
    }
}

/// The status of one assessable requirement, its reason, and the open threats of a gap.
/// `checks` are what tests say of components' controls: a mapped control whose test failed does
/// not meet the requirement (a gap, named with its test), and a met requirement whose every
/// element has a verified control (or only threats that verified controls mitigate) is verified.
fn judge(
    index: &Index<'_>,
    checks: &BTreeMap<(&str, &str), &ControlCheck>,
    controls: &BTreeSet<String>,
    rules: &BTreeSet<String>,
    cwe: &[u32],
) -> (Status, String, Vec<String>) {
    let relevant = index.about(controls, rules, cwe);
    let open: Vec<String> = relevant
        .iter()
        .filter(|t| t.is_open())
        .map(|t| format!("{} ({})", t.id, t.severity()))
        .collect();
    // Mapped controls whose tests failed: in the model, but shown not to work.
    let mut failed: Vec<String> = Vec::new();
    // The elements concerned, each with the mapped controls that count there, the threats not
    // mitigated, and whether a test verifies what satisfies it.
    let mut elements: BTreeMap<&str, Element> = BTreeMap::new();
    for (id, control) in index.declared(controls) {
        let entry = elements.entry(id).or_default();
        match checks.get(&(id, control)) {
            Some(check) if check.status == Verification::Failed => {
                failed.push(format!(
                    "{control} on {id} failed {}",
                    tests_named(&check.tests)
                ));
            }
            Some(check) if check.status == Verification::Verified => {
                entry.controls.push(control);
                entry.verified.push(format!(
                    "{control} on {id} by {}",
                    tests_named(&check.tests)
                ));
            }
            _ => entry.controls.push(control),
        }
    }
    for t in &relevant {
        for e in t.elements() {
            let entry = elements.entry(&e.id).or_default();
            if t.status != DecisionStatus::Mitigated {
                entry.unmitigated.push(format!("{} is {}", t.id, t.status));
            } else if t.evidence.as_ref().is_some_and(|ev| {
                ev.controls
                    .iter()
                    .any(|c| c.status == Verification::Verified)
            }) {
                entry.threats_verified += 1;
            } else {
                entry.threats_unverified += 1;
            }
        }
    }
    if !open.is_empty() || !failed.is_empty() {
        let mut reason = if open.is_empty() {
            String::new()
        } else {
            format!(
                "{} open threat{} it is about",
                open.len(),
                if open.len() == 1 { "" } else { "s" }
            )
        };
        if !failed.is_empty() {
            if !reason.is_empty() {
                reason.push_str("; ");
            }
            reason.push_str(&format!(
                "the control that meets it does not work: {}",
                crate::in_words(&failed)
            ));
        }
        return (Status::Gap, reason, open);
    }
    if elements.is_empty() {
        let what = match (controls.is_empty(), rules.is_empty() && cwe.is_empty()) {
            (false, false) => {
                "no threat it is about was found and no control mapped to it is declared"
            }
            (false, true) => "no control mapped to it is declared on any element",
            _ => "no threat it is about was found in the model",
        };
        return (
            Status::NotApplicable,
            format!("nothing in the model it applies to: {what}"),
            Vec::new(),
        );
    }
    let mut with = Vec::new();
    let mut without = Vec::new();
    let mut verified = Vec::new();
    let mut all_verified = true;
    for (id, e) in &elements {
        if !e.controls.is_empty() {
            with.push(format!("{} on {id}", e.controls.join(", ")));
        } else if e.unmitigated.is_empty() {
            with.push(format!("threats mitigated on {id}"));
        } else {
            without.push(e.unmitigated.join(", "));
        }
        verified.extend(e.verified.iter().cloned());
        if e.threats_verified > 0 && e.verified.is_empty() {
            verified.push(format!("the controls mitigating its threats on {id}"));
        }
        all_verified &= !e.verified.is_empty()
            || (e.controls.is_empty() && e.threats_verified > 0 && e.threats_unverified == 0);
    }
    if !without.is_empty() {
        let mut reason = format!("not on every element: {}", crate::in_words(&without));
        if !with.is_empty() {
            reason.push_str(&format!("; in place: {}", crate::in_words(&with)));
        }
        (Status::Partial, reason, Vec::new())
    } else if all_verified {
        let reason = format!(
            "on every element it concerns, verified by tests: {}",
            crate::in_words(&verified)
        );
        (Status::Verified, reason, Vec::new())
    } else {
        let mut reason = format!("on every element it concerns: {}", crate::in_words(&with));
        if !verified.is_empty() {
            reason.push_str(&format!(
                "; verified by tests: {}",
                crate::in_words(&verified)
            ));
        }
        (Status::Met, reason, Vec::new())
    }
}

/// One element a requirement concerns.
#[derive(Default)]
struct Element<'a> {
    /// Mapped controls in place that count (a failed one does not).
    controls: Vec<&'a str>,
    /// Mapped controls a test verifies, with the test: `control on element by test`.
    verified: Vec<String>,
    /// Threats it is about that are not mitigated: `id is status`.
    unmitigated: Vec<String>,
    /// Mitigated threats whose controls a test verifies, and those none does.
    threats_verified: usize,
    threats_unverified: usize,
}

/// The first test that decided a control, and how many more: `` `id` `` or `` `id` and 2 more``.
fn tests_named(tests: &[String]) -> String {
    match tests {
        [] => "no test".to_owned(),
        [one] => format!("test `{one}`"),
        [first, rest @ ..] => format!("test `{first}` and {} more", rest.len()),
    }
}

/// The records of processing the model gives, one per personal-data asset, in model order.
pub fn records(model: &Model) -> Vec<Record> {
    let world = World::new(model);
    let name = |i: usize| {
        model
            .components
            .get_index(i)
            .map_or_else(String::new, |(id, _)| id.clone())
    };
    let mut out = Vec::new();
    for (d, (id, data)) in model.data.iter().enumerate() {
        if !data.categories.iter().any(|c| c.value.is_personal()) {
            continue;
        }
        let facts = &world.facts.data[d];
        let mut collected = BTreeSet::new();
        let mut third: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut transfers = Vec::new();
        for &f in &facts.flows {
            let Some((_, flow)) = model.flows.get_index(f) else {
                continue;
            };
            let ff = &world.facts.flows[f];
            let (Some(s), Some(t)) = (ff.source, ff.target) else {
                continue;
            };
            let sends = flow.data.iter().any(|x| &x.value == id);
            let returns = flow.returns.iter().any(|x| &x.value == id);
            for (from, to, carried) in [(s, t, sends), (t, s, returns)] {
                if !carried {
                    continue;
                }
                if world.kind(from) == threatforge_model::ComponentKind::Actor {
                    collected.insert(name(from));
                }
                let crosses = if ff.crosses.is_empty() {
                    String::new()
                } else {
                    format!(" across {}", ff.crosses.join(", "))
                };
                if world.traits(to).contains(&"third-party") {
                    third
                        .entry(name(to))
                        .or_default()
                        .extend(ff.crosses.iter().cloned());
                }
                transfers.push(format!("{} -> {}{crosses}", name(from), name(to)));
            }
        }
        let stored: Vec<usize> = facts.stored_by.clone();
        let retention: Vec<String> = stored
            .iter()
            .filter(|&&c| {
                model
                    .components
                    .get_index(c)
                    .is_some_and(|(_, c)| c.controls.iter().any(|x| x.value == "data-retention"))
            })
            .map(|&c| name(c))
            .collect();
        out.push(Record {
            data: id.clone(),
            name: data.name.clone().unwrap_or_else(|| id.clone()),
            categories: data
                .categories
                .iter()
                .map(|c| c.value.as_str().to_owned())
                .collect(),
            collected_from: collected.into_iter().collect(),
            processed_by: facts.processed_by.iter().map(|&c| name(c)).collect(),
            stored_in: stored.iter().map(|&c| name(c)).collect(),
            transfers,
            third_parties: third
                .into_iter()
                .map(|(party, zones)| {
                    if zones.is_empty() {
                        party
                    } else {
                        let zones: Vec<String> = zones.into_iter().collect();
                        format!("{party} (across {})", zones.join(", "))
                    }
                })
                .collect(),
            retention: if retention.is_empty() {
                "not declared: no store of it has the data-retention control".to_owned()
            } else {
                format!("data-retention in place on {}", crate::in_words(&retention))
            },
        });
    }
    out
}

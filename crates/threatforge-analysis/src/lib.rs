//! The analysis stage: facts derived once from a model's graph, the rule engine, and the
//! built-in threat library (`rules/*.yaml`, one file per rule).
//!
//! Invariants: analysis never fails on a valid model; threat ids derive from rule and element
//! ids only; threats come out sorted by id; evaluation errors are diagnostics, never ignored.

mod baseline;
mod bounds;
// Issue 18 reworks `cel/`; its items narrow to `pub(crate)` once that lands, rather than in a
// second change to the same lines now. Four of them (`MACROS`, `cell`, `display`, `markdown`)
// are used by its tests only and go behind `#[cfg(test)]` then.
#[allow(unreachable_pub, dead_code)]
mod cel;
mod decisions;
mod diff;
mod engine;
mod examples;
mod field;
mod group;
mod manual;
mod mitigation;
mod project;
mod rule;
mod ruleset;
// Scoring is another change's (the rules' and scores' tuning); its `pub` items narrow to
// `pub(crate)` after that lands.
#[allow(unreachable_pub)]
mod score;
mod threat;
mod world;

pub use baseline::{Plan, Planned, plan as plan_baseline};
pub use diff::{Change, Diff, diff};
pub use engine::{analyze, analyze_with};
pub use examples::check_examples;
pub use mitigation::{Coverage, Mitigation, MitigationEntry, join, one_line};
pub use project::{Analyzed, Project, ProjectOptions, Source};
pub use rule::{Coverage as RuleCoverage, CoverageEntry, Element, Group, Level, Linddun, Stride};
pub use ruleset::{COVERAGE_PYTM, COVERAGE_THREAGILE, Origin, Rule, RuleDir, RuleSet};
pub use score::{Factor, Score, severity_of};
pub use threat::{
    Analysis, AppliedDecision, ElementRef, Options, Override, RiskOrder, Threat, ThreatId,
};
pub use world::World;

//! The analysis stage: facts derived once from a model's graph, the rule engine, and the
//! built-in threat library (`rules/*.yaml`, one file per rule).
//!
//! Invariants: analysis never fails on a valid model; threat ids derive from rule and element
//! ids only; threats come out sorted by id; evaluation errors are diagnostics, never ignored.

mod baseline;
mod bounds;
mod cel;
mod compliance;
mod decisions;
mod diff;
mod engine;
mod evidence;
mod examples;
mod field;
mod group;
mod manual;
mod mitigation;
mod plan;
mod project;
mod rule;
mod ruleset;
mod score;
mod threat;
mod verification;
mod world;

pub use baseline::{Plan, Planned, plan as plan_baseline};
pub use cel::budget::CelLimits;
pub use compliance::{
    Assessed, Chapter, Compliance, Counts, Framework, Mapping, Record, Requirement,
    Status as ComplianceStatus, assess as assess_compliance, framework_mapping, frameworks,
    records as processing_records, resolve_framework,
};
pub use diff::{Change, DecisionChange, DecisionState, Diff, decision_changes, diff};
pub use engine::{analyze, analyze_with};
pub use evidence::{apply as apply_evidence, unverified_at_or_above};
pub use examples::check_examples;
pub use mitigation::{Coverage, Mitigation, MitigationEntry, in_words, join, one_line};
pub use plan::{
    ControlPlan, Efforts, PlanOptions, RuledOut, Step, StepThreat, Totals, control_efforts,
    effort_points, plan_controls,
};
pub use project::{Analyzed, Project, ProjectOptions, Source};
pub use rule::{
    Coverage as RuleCoverage, CoverageEntry, Element, Group, Level, Linddun, Stride, Tier,
};
pub use ruleset::{COVERAGE_PYTM, COVERAGE_THREAGILE, Origin, Rule, RuleDir, RuleSet};
pub use score::{Factor, Score, severity_of};
pub use threat::{
    Analysis, AppliedDecision, ElementRef, Options, Override, RiskOrder, Threat, ThreatId,
};
pub use verification::{
    ControlCheck, EvidenceSummary, ThreatEvidence, ToolCount, UNMODELED, Verification,
};
pub use world::World;

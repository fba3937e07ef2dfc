//! The analysis stage: facts derived once from a model's graph, the rule engine, and the
//! built-in threat library (`rules/*.yaml`, one file per rule).
//!
//! Invariants: analysis never fails on a valid model; threat ids derive from rule and element
//! ids only; threats come out sorted by id; evaluation errors are diagnostics, never ignored.

pub mod baseline;
pub mod bounds;
pub mod cel;
pub mod decisions;
pub mod diff;
pub mod engine;
pub mod examples;
pub mod field;
mod group;
mod manual;
pub mod mitigation;
mod project;
pub mod rule;
pub mod ruleset;
pub mod score;
pub mod threat;
pub mod world;

pub use engine::{analyze, analyze_with};
pub use mitigation::{Coverage, Mitigation, MitigationEntry, join, one_line};
pub use project::{Analyzed, Project, ProjectOptions, Source};
pub use rule::{Element, Group, Level, Linddun, Stride};
pub use ruleset::{Origin, Rule, RuleDir, RuleSet};
pub use score::{Factor, Score};
pub use threat::{
    Analysis, AppliedDecision, ElementRef, Options, Override, RiskOrder, Threat, ThreatId,
};

//! The analysis stage: facts derived once from a model's graph, the rule engine, and the
//! built-in threat library (`rules/*.yaml`, one file per rule).
//!
//! Invariants: analysis never fails on a valid model; threat ids derive from rule and element
//! ids only; threats come out sorted by id; evaluation errors are diagnostics, never ignored.

pub mod baseline;
pub mod bounds;
pub mod check;
pub mod decisions;
pub mod diff;
pub mod engine;
pub mod eval;
pub mod examples;
pub mod facts;
pub mod field;
mod manual;
mod reach;
pub mod rule;
pub mod ruleset;
pub mod score;
pub mod types;
pub mod value;
pub mod world;

pub use engine::{
    Analysis, AppliedDecision, Coverage, ElementRef, Mitigation, MitigationEntry, Options,
    Override, Threat, ThreatId, analyze, analyze_with,
};
pub use rule::{Element, Level, Linddun, Stride};
pub use ruleset::{Origin, Rule, RuleDir, RuleSet};
pub use score::{Factor, Score};

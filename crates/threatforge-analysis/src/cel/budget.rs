//! Bounds on the work and memory rule expressions may take. The step budget alone bounds time per
//! evaluation, but not memory (a string doubled 40 times is a terabyte in 40 steps) nor a whole run
//! (a rule that spends its budget on every element of a large model runs for hours), so values,
//! nesting, iterations across the run and explanations have limits of their own. Each breach is
//! an error naming the limit, the value reached and the option that raises it.

use std::sync::atomic::{AtomicU64, Ordering};

/// The limits, each with the command-line option that raises it (SECURITY.md lists them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CelLimits {
    /// Steps of one evaluation (one condition or explanation value on one element).
    pub max_steps: u64,
    /// Comprehension iterations (`exists`, `all`, `map`, ...) of all rules on all elements in one
    /// run, so that a rule cannot take its per-evaluation budget on every element.
    pub max_iterations: u64,
    /// Comprehensions nested inside each other while evaluating.
    pub max_nesting: usize,
    /// Bytes of one string an expression builds.
    pub max_string_bytes: usize,
    /// Items of one list an expression builds.
    pub max_list_items: usize,
    /// Bytes of strings and lists one evaluation builds, all together.
    pub max_alloc_bytes: usize,
    /// Bytes of one rendered explanation.
    pub max_explanation_bytes: usize,
}

impl Default for CelLimits {
    /// Far above what the built-in rules take on a model of the largest size the loader accepts
    /// (BENCHMARKS.md has the figures), low enough to stop a hostile rule within seconds and a
    /// few hundred megabytes.
    fn default() -> Self {
        CelLimits {
            max_steps: 20_000_000,
            max_iterations: 200_000_000,
            max_nesting: 6,
            max_string_bytes: 1 << 20,
            max_list_items: 1_000_000,
            max_alloc_bytes: 64 << 20,
            max_explanation_bytes: 64 << 10,
        }
    }
}

/// The error of a breached limit: what, how much, the limit, and the option that raises it.
pub(crate) fn breach(
    what: &str,
    value: impl std::fmt::Display,
    limit: u64,
    option: &str,
) -> String {
    format!("{what} {value}, over the limit of {limit} (raise it with --{option})")
}

/// The limits of one run, with the iterations spent so far by all threads.
#[derive(Debug, Default)]
pub(crate) struct Budget {
    pub limits: CelLimits,
    iterations: AtomicU64,
}

/// Iterations an evaluator counts on its own before adding them to the run's: the shared counter
/// is then touched once per thousands of iterations, not once each.
pub(crate) const FLUSH_EVERY: u64 = 4096;

impl Budget {
    pub(crate) fn new(limits: CelLimits) -> Self {
        Budget {
            limits,
            iterations: AtomicU64::new(0),
        }
    }

    /// Adds iterations to the run's count; an error once the count is over the limit.
    pub(crate) fn spend(&self, iterations: u64) -> Result<(), String> {
        let spent = self
            .iterations
            .fetch_add(iterations, Ordering::Relaxed)
            .saturating_add(iterations);
        self.check(spent)
    }

    /// An error when the run's iterations are already over the limit.
    pub(crate) fn check_spent(&self) -> Result<(), String> {
        self.check(self.iterations())
    }

    fn check(&self, spent: u64) -> Result<(), String> {
        if spent > self.limits.max_iterations {
            return Err(breach(
                "the rules' comprehensions ran",
                format!("{spent} iterations in this run"),
                self.limits.max_iterations,
                "max-cel-iterations",
            ));
        }
        Ok(())
    }

    /// Iterations spent so far (as counted: evaluators add theirs in batches).
    pub(crate) fn iterations(&self) -> u64 {
        self.iterations.load(Ordering::Relaxed)
    }

    /// Whether the run's iterations are over the limit: every evaluation from then on fails.
    pub(crate) fn exhausted(&self) -> bool {
        self.iterations() > self.limits.max_iterations
    }
}

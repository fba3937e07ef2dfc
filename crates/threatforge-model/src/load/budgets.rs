//! The limits on how many entities of each kind a model declares, over all its files. Each
//! section's entries are counted before any of them is read, so a model over a limit costs the
//! reading of the entries within it, and one error names the kind, the count, the limit and the
//! option that raises it.

use crate::codes::Code;
use crate::diag::Diagnostic;
use crate::limits::Limits;
use crate::source::Span;

use super::Loader;

/// What the loader counts against a limit of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Counted {
    Components,
    Flows,
    Boundaries,
    Data,
    Runtimes,
    Threats,
    Controls,
    Decisions,
}

impl Counted {
    const ALL: [Counted; 8] = [
        Counted::Components,
        Counted::Flows,
        Counted::Boundaries,
        Counted::Data,
        Counted::Runtimes,
        Counted::Threats,
        Counted::Controls,
        Counted::Decisions,
    ];

    /// The counter's index in the loader's tallies.
    fn index(self) -> usize {
        Counted::ALL.iter().position(|c| *c == self).unwrap_or(0)
    }

    /// The kind as the error names it, and the option that raises its limit.
    fn words(self) -> (&'static str, &'static str) {
        match self {
            Counted::Components => ("components", "max-components"),
            Counted::Flows => ("flows", "max-flows"),
            Counted::Boundaries => ("boundaries", "max-boundaries"),
            Counted::Data => ("data assets", "max-data"),
            Counted::Runtimes => ("runtimes", "max-runtimes"),
            Counted::Threats => ("manual threats", "max-threats"),
            Counted::Controls => ("controls", "max-controls"),
            Counted::Decisions => ("decisions", "max-decisions"),
        }
    }

    fn limit(self, limits: &Limits) -> usize {
        match self {
            Counted::Components => limits.max_components,
            Counted::Flows => limits.max_flows,
            Counted::Boundaries => limits.max_boundaries,
            Counted::Data => limits.max_data,
            Counted::Runtimes => limits.max_runtimes,
            Counted::Threats => limits.max_threats,
            Counted::Controls => limits.max_controls,
            Counted::Decisions => limits.max_decisions,
        }
    }
}

/// Entities of each kind seen so far, and whether a limit was already reported.
#[derive(Debug, Default)]
pub(super) struct Tally {
    seen: [usize; Counted::ALL.len()],
    reported: [bool; Counted::ALL.len()],
}

impl Loader<'_> {
    /// How many of a section's `entries` fit under their kind's limit. When some do not, the
    /// first of those is reported (once per kind: the model is invalid from there on) at `at`.
    pub(super) fn within_limit(
        &mut self,
        counted: Counted,
        entries: usize,
        at: impl FnOnce(usize) -> Option<Span>,
    ) -> usize {
        let limit = counted.limit(&self.options.limits);
        let i = counted.index();
        let before = self.tally.seen[i];
        let total = before.saturating_add(entries);
        self.tally.seen[i] = total;
        if total <= limit {
            return entries;
        }
        let fit = limit.saturating_sub(before);
        if !self.tally.reported[i] {
            self.tally.reported[i] = true;
            let (kind, option) = counted.words();
            let diagnostic = Diagnostic::new(
                Code::LimitExceeded,
                format!(
                    "the model declares {total} {kind}, over the limit of {limit} (raise it \
                     with --{option})"
                ),
            )
            .with_help(format!(
                "split the system into several models, or raise the limit with --{option} \
                 if this size is expected"
            ));
            self.push_at(
                diagnostic,
                at(fit),
                &format!("the first of the {kind} over the limit"),
            );
        }
        fit
    }
}

impl Loader<'_> {
    /// Reports the deepest boundary when boundaries nest deeper than their limit, and says
    /// whether they do. Every later stage reads each boundary's chain of enclosing ones (the
    /// `BoundaryTree`), n chains of up to n boundaries for a chain of n; this walk is linear: each
    /// boundary's depth is found once, from its parent's. A nesting cycle counts its length, the
    /// chain it becomes once cut.
    pub(super) fn boundaries_too_deep(&mut self) -> bool {
        let boundaries = &self.model.boundaries;
        let nb = boundaries.len();
        let limit = self.options.limits.max_boundary_depth;
        if nb <= limit {
            return false;
        }
        // The first boundary to list each one is its parent, as in `BoundaryTree`.
        let mut parent: Vec<Option<usize>> = vec![None; nb];
        for (b, boundary) in boundaries.values().enumerate() {
            for member in &boundary.contains {
                if let Some(inner) = boundaries.get_index_of(member.value.as_str())
                    && inner != b
                {
                    parent[inner].get_or_insert(b);
                }
            }
        }
        // 0: not known yet.
        let mut depth = vec![0usize; nb];
        let mut on_path = vec![false; nb];
        let mut path = Vec::new();
        for start in 0..nb {
            path.clear();
            let mut at = Some(start);
            while let Some(b) = at {
                if depth[b] != 0 || on_path[b] {
                    break;
                }
                on_path[b] = true;
                path.push(b);
                at = parent[b];
            }
            let mut below = match at {
                Some(b) if depth[b] != 0 => depth[b],
                Some(b) => {
                    let from = path.iter().position(|&p| p == b).unwrap_or(0);
                    let length = path.len() - from;
                    for &c in &path[from..] {
                        depth[c] = length;
                    }
                    path.truncate(from);
                    length
                }
                None => 0,
            };
            for &b in path.iter().rev() {
                below += 1;
                depth[b] = below;
            }
        }
        let Some((deepest, &d)) = depth
            .iter()
            .enumerate()
            .max_by_key(|&(i, d)| (*d, usize::MAX - i))
        else {
            return false;
        };
        if d <= limit {
            return false;
        }
        let Some((id, decl)) = boundaries.get_index(deepest) else {
            return false;
        };
        let diagnostic = Diagnostic::new(
            Code::LimitExceeded,
            format!(
                "boundary `{id}` is nested {d} deep, over the limit of {limit} (raise it with \
                 --max-boundary-depth)"
            ),
        )
        .with_help(
            "nest boundaries as the deployment does (account, network, subnet); a few levels \
             are enough",
        );
        let at = decl.id.span;
        self.push_at(diagnostic, Some(at), "nested too deep");
        true
    }
}

//! Which of a threat's mitigating controls are in place, and what that does to its score and
//! status.

use std::sync::Arc;

use serde::Serialize;
use threatforge_model::DecisionStatus;

use crate::score::Score;

/// How far the controls in place close a threat.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Coverage {
    /// None of the mitigating controls is in place (or the rule names none).
    None,
    /// Some are: likelihood goes down one step.
    Partial,
    /// All are: the threat is mitigated.
    Full,
}

/// Which of a rule's mitigations are in place for one threat. Only which alternatives are
/// present is kept, beside the rule's shared list of them: every threat keeps its mitigation, and
/// lists of their own would be an allocation or two per threat. Serializes as `coverage`,
/// `in_place` and `missing` lists of names.
#[derive(Clone, Debug)]
pub struct Mitigation {
    pub coverage: Coverage,
    entries: Arc<[MitigationEntry]>,
    present: Present,
}

/// The alternatives in place, by position in the flattened list of all entries' alternatives.
#[derive(Clone, Debug)]
enum Present {
    /// Up to 64 alternatives: every rule, and any sensible manual threat.
    Few(u64),
    Many(Box<[bool]>),
}

impl Present {
    fn get(&self, i: usize) -> bool {
        match self {
            Present::Few(bits) => i < 64 && bits & (1 << i) != 0,
            Present::Many(flags) => flags.get(i).copied().unwrap_or(false),
        }
    }
}

impl Mitigation {
    /// Each entry with the position of its first alternative in the flattened list.
    fn positioned(&self) -> impl Iterator<Item = (usize, &MitigationEntry)> + Clone + '_ {
        self.entries.iter().scan(0, |at, entry| {
            let first = *at;
            *at += entry.alternatives.len();
            Some((first, entry))
        })
    }

    /// Mitigating controls in place on the element (for a flow, on the flow or its target), each
    /// once: a control may answer several entries (`mfa|ip-allowlist|anti-automation` and
    /// `mfa|account-lockout`), and is named where it first appears.
    pub fn in_place(&self) -> impl Iterator<Item = &str> + Clone + '_ {
        self.positioned()
            .enumerate()
            .flat_map(move |(index, (first, entry))| {
                entry
                    .alternatives
                    .iter()
                    .enumerate()
                    .filter(move |(i, _)| self.present.get(first + i))
                    .map(|(_, name)| &**name)
                    .filter(move |name| {
                        !self.entries[..index]
                            .iter()
                            .any(|earlier| earlier.alternatives.iter().any(|a| &**a == *name))
                    })
            })
    }

    /// Mitigating controls not in place: what would close the threat. `a|b` means either.
    pub fn missing(&self) -> impl Iterator<Item = &str> + Clone + '_ {
        self.positioned()
            .filter(move |(first, entry)| {
                (0..entry.alternatives.len()).all(|i| !self.present.get(first + i))
            })
            .map(|(_, entry)| &*entry.whole)
    }

    pub fn has_missing(&self) -> bool {
        self.missing().next().is_some()
    }

    pub fn has_in_place(&self) -> bool {
        self.in_place().next().is_some()
    }
}

/// Text written over several YAML lines, as one line.
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Joins names with a separator, as `[String]::join` does.
pub fn join<'a>(names: impl Iterator<Item = &'a str>, separator: &str) -> String {
    let mut out = String::new();
    for (i, name) in names.enumerate() {
        if i > 0 {
            out.push_str(separator);
        }
        out.push_str(name);
    }
    out
}

/// Names as a sentence lists them: `a`, `a and b`, `a, b and c`.
pub fn in_words<S: AsRef<str>>(names: &[S]) -> String {
    match names {
        [] => String::new(),
        [one] => one.as_ref().to_owned(),
        [init @ .., last] => format!(
            "{} and {}",
            join(init.iter().map(AsRef::as_ref), ", "),
            last.as_ref()
        ),
    }
}

/// Serializes a list of names from an iterator, without collecting it.
struct Names<I>(I);

impl<'a, I: Iterator<Item = &'a str> + Clone> Serialize for Names<I> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.clone())
    }
}

impl Serialize for Mitigation {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut out = serializer.serialize_struct("Mitigation", 3)?;
        out.serialize_field("coverage", &self.coverage)?;
        out.serialize_field("in_place", &Names(self.in_place()))?;
        out.serialize_field("missing", &Names(self.missing()))?;
        out.end()
    }
}

/// One of a rule's (or a manual threat's) mitigations, split once into its alternatives, so
/// that each threat's mitigation lists share the names instead of copying them.
#[derive(Clone, Debug)]
pub struct MitigationEntry {
    /// The entry as written: `a` or `a|b`.
    pub whole: Arc<str>,
    /// Its alternatives: `[a]` or `[a, b]`.
    pub alternatives: Box<[Arc<str>]>,
}

pub(crate) fn mitigation_entries(
    mitigations: &[threatforge_model::Sp<String>],
) -> Arc<[MitigationEntry]> {
    mitigations
        .iter()
        .map(|entry| {
            let whole: Arc<str> = Arc::from(entry.value.as_str());
            let alternatives = if whole.contains('|') {
                whole.split('|').map(Arc::from).collect()
            } else {
                Box::from([whole.clone()])
            };
            MitigationEntry {
                whole,
                alternatives,
            }
        })
        .collect()
}

/// The score once the controls in place count: partial coverage lowers the likelihood a step;
/// full coverage leaves only the impact, should the controls fail.
pub(crate) fn residual_of(inherent: &Score, mitigation: &Mitigation) -> Score {
    match mitigation.coverage {
        Coverage::None => inherent.clone(),
        Coverage::Partial => Score::new(inherent.likelihood.saturating_sub(1), inherent.impact),
        Coverage::Full => Score::new(1, inherent.impact),
    }
}

/// A threat's status before decisions: mitigated when all its mitigations are in place.
pub(crate) fn status_of(mitigation: &Mitigation) -> (DecisionStatus, Option<Box<str>>) {
    if mitigation.coverage == Coverage::Full {
        (
            DecisionStatus::Mitigated,
            Some(format!("mitigated by {}", join(mitigation.in_place(), ", ")).into()),
        )
    } else {
        (DecisionStatus::Open, None)
    }
}

/// How an explanation begins to say that `control` is in place on another component (the one
/// that fronts the element, builds it, or sends what a flow carries): "`waf` is in place on".
/// A group's text looks for it, so as not to name such a control twice.
pub(crate) fn in_place_on(control: &str) -> String {
    format!("`{control}` is in place on")
}

/// Which of a rule's mitigations are in place. An entry `a|b` is satisfied by either control.
pub(crate) fn mitigation_by(entries: &Arc<[MitigationEntry]>, controls: &[&str]) -> Mitigation {
    let alternatives: usize = entries.iter().map(|e| e.alternatives.len()).sum();
    let flags = entries
        .iter()
        .flat_map(|e| e.alternatives.iter())
        .map(|name| controls.contains(&&**name));
    let present = if alternatives <= 64 {
        Present::Few(
            flags
                .enumerate()
                .fold(0, |bits, (i, on)| bits | (u64::from(on) << i)),
        )
    } else {
        Present::Many(flags.collect())
    };
    let mitigation = Mitigation {
        coverage: Coverage::None,
        entries: entries.clone(),
        present,
    };
    let coverage = match (mitigation.has_in_place(), mitigation.has_missing()) {
        (false, _) => Coverage::None,
        (true, false) => Coverage::Full,
        (true, true) => Coverage::Partial,
    };
    Mitigation {
        coverage,
        ..mitigation
    }
}

#[cfg(test)]
mod tests {
    use threatforge_model::Span;

    use super::*;

    #[test]
    fn names_read_as_a_sentence_lists_them() {
        assert_eq!(in_words::<&str>(&[]), "");
        assert_eq!(in_words(&["a"]), "a");
        assert_eq!(in_words(&["a", "b"]), "a and b");
        assert_eq!(in_words(&["a", "b", "c"]), "a, b and c");
    }

    fn entries(names: &[&str]) -> Arc<[MitigationEntry]> {
        let spans: Vec<threatforge_model::Sp<String>> = names
            .iter()
            .map(|n| threatforge_model::Sp::new((*n).to_owned(), Span::default()))
            .collect();
        mitigation_entries(&spans)
    }

    #[test]
    fn mitigations_list_what_is_in_place_and_what_is_missing() {
        let list = entries(&["a|b", "c", "d|e|f"]);
        // In the list's order, whatever the controls' order.
        let m = mitigation_by(&list, &["b", "c", "a", "f"]);
        assert_eq!(m.coverage, Coverage::Full);
        assert_eq!(m.in_place().collect::<Vec<_>>(), ["a", "b", "c", "f"]);
        assert_eq!(m.missing().count(), 0);
        let m = mitigation_by(&list, &["e"]);
        assert_eq!(m.coverage, Coverage::Partial);
        assert_eq!(m.in_place().collect::<Vec<_>>(), ["e"]);
        assert_eq!(m.missing().collect::<Vec<_>>(), ["a|b", "c"]);
        let m = mitigation_by(&list, &[]);
        assert_eq!(m.coverage, Coverage::None);
        assert_eq!(
            serde_json::to_string(&m).ok().as_deref(),
            Some(r#"{"coverage":"none","in_place":[],"missing":["a|b","c","d|e|f"]}"#)
        );
    }

    #[test]
    fn a_control_that_answers_several_entries_is_in_place_once() {
        let list = entries(&["mfa|anti-automation", "mfa|rate-limiting"]);
        let m = mitigation_by(&list, &["rate-limiting", "mfa"]);
        assert_eq!(m.coverage, Coverage::Full);
        assert_eq!(m.in_place().collect::<Vec<_>>(), ["mfa", "rate-limiting"]);
        let m = mitigation_by(&list, &["mfa"]);
        assert_eq!(m.in_place().collect::<Vec<_>>(), ["mfa"]);
    }

    #[test]
    fn more_than_64_alternatives_are_counted_too() {
        let names: Vec<String> = (0..70).map(|i| format!("c{i}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let list = entries(&refs);
        let m = mitigation_by(&list, &["c3", "c69"]);
        assert_eq!(m.coverage, Coverage::Partial);
        assert_eq!(m.in_place().collect::<Vec<_>>(), ["c3", "c69"]);
        assert_eq!(m.missing().count(), 68);
    }
}

//! Applying the team's decisions to the threats found: status, owner, justification, expiry, and
//! rating overrides. A decision's `threat` may hold `*` wildcards; the most specific matching
//! decision wins (fewest wildcards, then the first written).

use std::collections::HashMap;
use std::fmt::Write as _;
use threatforge_model::Code;

use threatforge_model::Diagnostic;
use threatforge_model::{Decision, DecisionStatus, Model, ThreatSeverity};

use crate::score::{Score, severity_of_cvss};
use crate::threat::{Analysis, AppliedDecision, Options, Override, written_out};

/// Whether `text` matches `pattern`, where `*` matches any run of characters.
pub(crate) fn matches(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let Some(first) = parts.next() else {
        return pattern == text;
    };
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let pieces: Vec<&str> = parts.collect();
    if pieces.is_empty() {
        return rest.is_empty();
    }
    for (i, piece) in pieces.iter().enumerate() {
        if i + 1 == pieces.len() {
            return rest.ends_with(piece);
        }
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    true
}

/// Which of the decisions, given by their `threat` selectors in the order written, applies to
/// the threat `id` that absorbed the threats `absorbed`: the threat's own id before an absorbed
/// one's, then the fewest wildcards, then the first written. `matched` sees every one that matches.
/// Every selector tried: the reference the [`Index`] is tested against.
#[cfg(test)]
fn winner<'a>(
    selectors: impl IntoIterator<Item = &'a str>,
    id: &str,
    absorbed: &[String],
    matched: impl FnMut(usize),
) -> Option<usize> {
    winner_among(selectors.into_iter().enumerate(), id, absorbed, matched)
}

#[cfg(test)]
thread_local! {
    /// Selectors tried against a threat, for tests that count work.
    pub(crate) static TRIED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// [`winner`] among some of the decisions, given with their indexes in written order.
fn winner_among<'a>(
    selectors: impl IntoIterator<Item = (usize, &'a str)>,
    id: &str,
    absorbed: &[String],
    mut matched: impl FnMut(usize),
) -> Option<usize> {
    let mut best: Option<((bool, usize, usize), usize)> = None;
    for (i, selector) in selectors {
        #[cfg(test)]
        TRIED.set(TRIED.get() + 1);
        let direct = matches(selector, id);
        if !direct && !absorbed.iter().any(|a| matches(selector, a)) {
            continue;
        }
        matched(i);
        let key = (!direct, selector.matches('*').count(), i);
        if best.is_none_or(|(b, _)| key < b) {
            best = Some((key, i));
        }
    }
    best.map(|(_, i)| i)
}

/// The ids a threat answers to besides its own: those of the threats it absorbed.
pub(crate) fn absorbed_ids(threat: &crate::threat::Threat) -> Vec<String> {
    threat
        .absorbed
        .iter()
        .map(|rule| format!("{rule}:{}", threat.element.id))
        .collect()
}

/// The decisions' selectors indexed so that each threat is tried against the ones that can match
/// it rather than all of them (20,000 wildcard decisions on a large model were 10 s): identical
/// selectors once, exact ids by id, wildcards by their text before the first `*` or after the
/// last, whichever is longer, and a selector that starts and ends with `*` by the longest text
/// between its wildcards, all of which one pass of an automaton over an id finds. Only a selector
/// with no text at all (`*`) is tried everywhere.
pub(crate) struct Index {
    /// The distinct selectors, and the first decision written with each: the one that wins
    /// where the selector does (the others are only in use).
    selectors: Vec<Box<str>>,
    first: Vec<usize>,
    /// For each decision, the first one written with its selector.
    first_of: Vec<usize>,
    distinct: HashMap<Box<str>, usize>,
    exact: HashMap<Box<str>, usize>,
    prefixes: HashMap<Box<str>, Vec<usize>>,
    suffixes: HashMap<Box<str>, Vec<usize>>,
    /// The distinct lengths of the prefixes and suffixes, so a text is cut only where one ends.
    prefix_lengths: Vec<usize>,
    suffix_lengths: Vec<usize>,
    /// The texts between the wildcards of `*...*` selectors, and the selectors of each.
    inner: Option<aho_corasick::AhoCorasick>,
    inner_selectors: Vec<Vec<usize>>,
    /// Tried on every id: `*`, and `*...*` selectors pushed after the automaton was built.
    anywhere: Vec<usize>,
}

impl Index {
    pub(crate) fn new<'s>(selectors: impl IntoIterator<Item = &'s str>) -> Self {
        let mut index = Index {
            selectors: Vec::new(),
            first: Vec::new(),
            first_of: Vec::new(),
            distinct: HashMap::new(),
            exact: HashMap::new(),
            prefixes: HashMap::new(),
            suffixes: HashMap::new(),
            prefix_lengths: Vec::new(),
            suffix_lengths: Vec::new(),
            inner: None,
            inner_selectors: Vec::new(),
            anywhere: Vec::new(),
        };
        let mut pieces: HashMap<&'s str, usize> = HashMap::new();
        let mut texts: Vec<&'s str> = Vec::new();
        for selector in selectors {
            let Some(d) = index.add(selector) else {
                continue;
            };
            // The longest text between wildcards is the rarest in ids, so the fewest selectors
            // are tried for nothing.
            match selector.split('*').max_by_key(|piece| piece.len()) {
                Some(piece) if index.anywhere.last() == Some(&d) && !piece.is_empty() => {
                    index.anywhere.pop();
                    let pattern = *pieces.entry(piece).or_insert_with(|| {
                        texts.push(piece);
                        index.inner_selectors.push(Vec::new());
                        texts.len() - 1
                    });
                    index.inner_selectors[pattern].push(d);
                }
                _ => {}
            }
        }
        if !texts.is_empty() {
            // Failing to build is a size limit of the automaton; the selectors are then tried on
            // every id, as before there was one.
            match aho_corasick::AhoCorasick::new(&texts) {
                Ok(automaton) => index.inner = Some(automaton),
                Err(_) => {
                    index
                        .anywhere
                        .extend(index.inner_selectors.drain(..).flatten());
                    index.anywhere.sort_unstable();
                }
            }
        }
        index
    }

    /// How many decisions are indexed: the index the next one pushed gets.
    pub(crate) fn len(&self) -> usize {
        self.first_of.len()
    }

    /// Indexes the decision written next, with its selector.
    pub(crate) fn push(&mut self, selector: &str) {
        self.add(selector);
    }

    /// Indexes the next decision; returns its distinct selector when the text is new.
    fn add(&mut self, selector: &str) -> Option<usize> {
        let i = self.first_of.len();
        if let Some(&d) = self.distinct.get(selector) {
            self.first_of.push(self.first[d]);
            return None;
        }
        let d = self.selectors.len();
        self.distinct.insert(selector.into(), d);
        self.selectors.push(selector.into());
        self.first.push(i);
        self.first_of.push(i);
        let (Some(first), Some(last)) = (selector.find('*'), selector.rfind('*')) else {
            self.exact.insert(selector.into(), d);
            return Some(d);
        };
        let (prefix, suffix) = (&selector[..first], &selector[last + 1..]);
        if !prefix.is_empty() && prefix.len() >= suffix.len() {
            self.prefixes.entry(prefix.into()).or_default().push(d);
            insert_sorted(&mut self.prefix_lengths, prefix.len());
        } else if !suffix.is_empty() {
            self.suffixes.entry(suffix.into()).or_default().push(d);
            insert_sorted(&mut self.suffix_lengths, suffix.len());
        } else {
            self.anywhere.push(d);
        }
        Some(d)
    }

    /// Adds the distinct selectors that may match `text` to `out`.
    fn candidates(&self, text: &str, out: &mut Vec<usize>) {
        out.extend(self.exact.get(text));
        for &n in &self.prefix_lengths {
            if let Some(found) = text.get(..n).and_then(|p| self.prefixes.get(p)) {
                out.extend(found);
            }
        }
        for &n in &self.suffix_lengths {
            let cut = text.len().checked_sub(n);
            if let Some(found) = cut
                .and_then(|at| text.get(at..))
                .and_then(|s| self.suffixes.get(s))
            {
                out.extend(found);
            }
        }
        if let Some(automaton) = &self.inner {
            for found in automaton.find_overlapping_iter(text) {
                out.extend(&self.inner_selectors[found.pattern().as_usize()]);
            }
        }
        out.extend(&self.anywhere);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.selectors.is_empty()
    }

    /// Whether a selector that matches `text` passes `test`.
    pub(crate) fn any_matching(&self, text: &str, test: impl Fn(&str) -> bool) -> bool {
        let mut found = Vec::new();
        self.candidates(text, &mut found);
        found.iter().any(|&d| {
            let selector = &*self.selectors[d];
            matches(selector, text) && test(selector)
        })
    }

    /// The distinct selectors that may apply to a threat and the threats it absorbed, each as
    /// its first decision and its text.
    fn selectors_for<'i>(
        &'i self,
        id: &str,
        absorbed: &[String],
        out: &'i mut Vec<usize>,
    ) -> impl Iterator<Item = (usize, &'i str)> {
        out.clear();
        self.candidates(id, out);
        for other in absorbed {
            self.candidates(other, out);
        }
        out.sort_unstable();
        out.dedup();
        out.iter().map(|&d| (self.first[d], &*self.selectors[d]))
    }

    /// Which decision applies to a threat (see [`winner`]), with `extra` as one more decision
    /// written after the indexed ones, when one is given: what a decision would do before it is
    /// written.
    pub(crate) fn winner(
        &self,
        id: &str,
        absorbed: &[String],
        extra: Option<&str>,
        out: &mut Vec<usize>,
    ) -> Option<usize> {
        let next = self.len();
        let tried = self
            .selectors_for(id, absorbed, out)
            .chain(extra.map(|s| (next, s)));
        winner_among(tried, id, absorbed, |_| {})
    }

    /// The selector of decision `i`.
    pub(crate) fn selector(&self, i: usize) -> &str {
        &self.selectors[self.distinct_of(i)]
    }

    fn distinct_of(&self, i: usize) -> usize {
        let first = self.first_of[i];
        self.first.binary_search(&first).unwrap_or(0)
    }
}

fn insert_sorted(lengths: &mut Vec<usize>, n: usize) {
    if let Err(at) = lengths.binary_search(&n) {
        lengths.insert(at, n);
    }
}

/// Entries that match nothing get a suggestion each, the nearest threat id, up to this many:
/// each suggestion compares the entry with every threat's id.
const SUGGESTED: usize = 100;

/// The nearest threat id to an entry that matches nothing, for the first [`SUGGESTED`] entries.
fn suggestion<'i>(entry: &str, ids: &'i [String], suggested: &mut usize) -> Option<&'i str> {
    *suggested += 1;
    if *suggested > SUGGESTED {
        return None;
    }
    threatforge_model::suggest::nearest(entry, ids.iter().map(String::as_str))
}

/// Which decisions a pass answers for: those on the threats of the rules and the model, or those
/// on the unmodeled weaknesses that evidence adds (`unmodeled-weakness:...`), which exist only when
/// scanner reports are read, so that only that pass can say one matches nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scope {
    Threats,
    Unmodeled,
}

impl Scope {
    fn covers(self, selector: &str) -> bool {
        let unmodeled = selector
            .strip_prefix(crate::verification::UNMODELED)
            .is_some_and(|rest| rest.starts_with(':'));
        unmodeled == (self == Scope::Unmodeled)
    }
}

pub(crate) fn apply(model: &Model, options: &Options, analysis: &mut Analysis, scope: Scope) {
    if model.decisions.is_empty() {
        return;
    }
    let index = Index::new(model.decisions.iter().map(|d| d.threat.value.as_str()));
    let mut candidates = Vec::new();
    let mut used = vec![false; model.decisions.len()];
    // The threats each expired acceptance covered: one warning per decision, not per threat.
    let mut expired_for: Vec<Vec<String>> = vec![Vec::new(); model.decisions.len()];
    // Each threat's id written out, into one buffer, for the patterns to match against.
    let mut id = String::new();
    for threat in &mut analysis.threats {
        id.clear();
        let _ = write!(id, "{}", threat.id);
        // A threat that absorbed others (`supersedes`) answers to their ids too, so a decision
        // written before the rules were merged still holds.
        let absorbed_ids = absorbed_ids(threat);
        // Every decision that matches a threat is in use, even where a more specific one wins.
        let selectors = index.selectors_for(&id, &absorbed_ids, &mut candidates);
        let Some(i) = winner_among(selectors, &id, &absorbed_ids, |i| used[i] = true) else {
            continue;
        };
        let decision = &model.decisions[i];
        let expired = decision.status == DecisionStatus::Accepted
            && match (&decision.expires, &options.today) {
                // ISO dates compare as text.
                (Some(expires), Some(today)) => expires.value.as_str() < today.as_str(),
                _ => false,
            };
        threat.status = if expired {
            DecisionStatus::Open
        } else {
            decision.status
        };
        threat.reason = decision.justification.as_deref().map(Box::from);
        if expired {
            expired_for[i].push(id.clone());
        }
        if let Some(rating) = rating_override(decision, threat.residual.severity) {
            threat.residual = Score {
                severity: rating.severity,
                ..threat.residual.clone()
            };
            threat.rating_override = Some(Box::new(rating));
        }
        threat.decision = Some(Box::new(AppliedDecision {
            selector: decision.threat.value.clone(),
            status: decision.status,
            owner: decision.owner.clone(),
            justification: decision.justification.clone(),
            ticket: decision.ticket.clone(),
            date: decision.date.as_ref().map(|d| d.value.clone()),
            expires: decision.expires.as_ref().map(|d| d.value.clone()),
            expired,
        }));
    }
    for (decision, threats) in model.decisions.iter().zip(&expired_for) {
        // The first pass warns of a wildcard's expiry; the second only of its own decisions'.
        if !threats.is_empty() && (scope == Scope::Threats || scope.covers(&decision.threat.value))
        {
            analysis
                .diagnostics
                .push(expired_warning(decision, threats));
        }
    }
    // Written out only if a decision matches no threat, for the suggestion.
    let mut written_ids: Option<Vec<String>> = None;
    let mut suggested = 0;
    // A decision is in use where the first with its selector is.
    for (decision, first) in model.decisions.iter().zip(&index.first_of) {
        if !used[*first] && scope.covers(&decision.threat.value) {
            let ids = written_ids.get_or_insert_with(|| written_out(&analysis.threats));
            let help = match suggestion(&decision.threat.value, ids, &mut suggested) {
                Some(n) => {
                    format!("did you mean `{n}`? If the threat is gone, remove the decision")
                }
                None => "if the threat is gone, remove the decision".to_owned(),
            };
            analysis.diagnostics.push(
                Diagnostic::new(
                    Code::OrphanedDecision,
                    format!(
                        "the decision on `{}` matches no threat",
                        decision.threat.value
                    ),
                )
                .with_label(decision.threat.span, "matches no threat")
                .with_help(help),
            );
        }
    }
}

/// Marks the threats the model lists under `rules.not_applicable`, and warns about entries that
/// match no threat. (Threats must be sorted by id.)
pub(crate) fn not_applicable(model: &Model, analysis: &mut Analysis) {
    // Written out only if an entry matches no threat, for the suggestion.
    let mut written_ids: Option<Vec<String>> = None;
    let mut suggested = 0;
    for (id, reason) in &model.rules.not_applicable {
        match analysis
            .threats
            .binary_search_by(|t| t.id.cmp_str(&id.value))
        {
            Ok(i) => {
                analysis.threats[i].status = DecisionStatus::NotApplicable;
                analysis.threats[i].reason = Some(reason.as_str().into());
            }
            Err(_) => {
                let ids = written_ids.get_or_insert_with(|| written_out(&analysis.threats));
                let help = match suggestion(&id.value, ids, &mut suggested) {
                    Some(n) => format!("did you mean `{n}`?"),
                    None => {
                        "threat ids are `rule:element`; `threatforge check` lists them".to_owned()
                    }
                };
                analysis.diagnostics.push(
                    Diagnostic::new(
                        Code::OrphanedNotApplicable,
                        format!(
                            "`{}` is marked not applicable, but no such threat was found",
                            id.value
                        ),
                    )
                    .with_label(id.span, "matches no threat")
                    .with_help(help),
                );
            }
        }
    }
}

/// Threats an expired wildcard's warning names before "and N more".
const EXPIRED_NAMED: usize = 10;

fn expired_warning(decision: &Decision, threats: &[String]) -> Diagnostic {
    let date = decision.expires.as_ref().map_or("", |e| e.value.as_str());
    let message = match threats {
        [one] if *one == decision.threat.value => {
            format!("the acceptance of `{one}` expired on {date}; the threat is open again")
        }
        _ => {
            let named: Vec<String> = threats
                .iter()
                .take(EXPIRED_NAMED)
                .map(|t| format!("`{t}`"))
                .collect();
            let more = threats.len().saturating_sub(EXPIRED_NAMED);
            format!(
                "the acceptance of `{}` expired on {date}; {} threat{} it covered {} open again: {}{}",
                decision.threat.value,
                threats.len(),
                if threats.len() == 1 { "" } else { "s" },
                if threats.len() == 1 { "is" } else { "are" },
                named.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            )
        }
    };
    Diagnostic::new(Code::ExpiredAcceptance, message)
        .with_label(
            decision
                .expires
                .as_ref()
                .map_or(decision.threat.span, |e| e.span),
            "expired",
        )
        .with_help("review the risk: renew the acceptance with a new expiry, or fix it")
}

fn rating_override(decision: &Decision, computed: ThreatSeverity) -> Option<Override> {
    let justification = decision.justification.clone().unwrap_or_default();
    if let Some(vector) = &decision.cvss {
        // The loader rejected invalid vectors; one that still fails to parse is skipped.
        let parsed = vector.value.parse::<cvss::v4::Vector>().ok()?;
        let value = parsed.score().value();
        return Some(Override {
            severity: severity_of_cvss(value),
            computed,
            cvss: Some(vector.value.clone()),
            cvss_score: Some(value),
            justification,
        });
    }
    decision.severity.map(|severity| Override {
        severity,
        computed,
        cvss: None,
        cvss_score: None,
        justification,
    })
}

#[cfg(test)]
mod tests {
    use super::{Index, Scope, matches, winner, winner_among};

    #[test]
    fn decisions_on_unmodeled_weaknesses_are_the_evidence_passs_to_judge() {
        for (selector, unmodeled) in [
            ("unmodeled-weakness:api:cwe-89", true),
            ("unmodeled-weakness:*", true),
            ("unmodeled-weaknesses:api", false),
            ("sql-injection:api", false),
            ("*:api", false),
        ] {
            assert_eq!(Scope::Unmodeled.covers(selector), unmodeled, "{selector}");
            assert_eq!(Scope::Threats.covers(selector), !unmodeled, "{selector}");
        }
    }

    fn expired(decisions: &str) -> Vec<String> {
        let text = format!(
            "system: {{ name: shop }}
components:
  web: {{ technology: web-application, exposure: internet }}
  admin: {{ technology: web-application, exposure: internet }}
  db: {{ technology: postgresql }}
flows:
  - web -> db: {{ protocol: postgres }}
  - admin -> db: {{ protocol: postgres }}
decisions:
{decisions}"
        );
        let loaded = threatforge_model::load_str(
            "t.yaml",
            &text,
            std::path::Path::new("."),
            &Default::default(),
        );
        assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
        let options = crate::Options {
            today: Some("2027-01-01".to_owned()),
            ..Default::default()
        };
        let analysis = crate::analyze_with(&loaded.model, &crate::RuleSet::builtin(), &options);
        analysis
            .diagnostics
            .iter()
            .filter(|d| d.code == "expired-acceptance")
            .map(|d| d.message.clone())
            .collect()
    }

    #[test]
    fn an_expired_wildcard_is_one_warning_naming_its_threats() {
        let warnings = expired(
            "  - { threat: \"sql-injection:*\", status: accepted, justification: j, expires: 2026-12-01 }\n",
        );
        assert_eq!(
            warnings,
            [
                "the acceptance of `sql-injection:*` expired on 2026-12-01; 2 threats it covered \
                 are open again: `sql-injection:admin`, `sql-injection:web`"
            ]
        );
        let warnings = expired(
            "  - { threat: \"sql-injection:web\", status: accepted, justification: j, expires: 2026-12-01 }\n",
        );
        assert_eq!(
            warnings,
            [
                "the acceptance of `sql-injection:web` expired on 2026-12-01; the threat is open again"
            ]
        );
    }

    #[test]
    fn wildcards_match_any_text() {
        assert!(matches("sql-injection:shop", "sql-injection:shop"));
        assert!(!matches("sql-injection:shop", "sql-injection:shop2"));
        assert!(matches("sql-injection:*", "sql-injection:shop"));
        assert!(matches("*:shop", "sql-injection:shop"));
        assert!(matches("*injection:*", "ldap-injection:directory"));
        assert!(matches("*", "anything:at-all"));
        assert!(!matches("*:shop", "sql-injection:shopfront"));
        assert!(matches("a*b*c", "aXbYc"));
        assert!(!matches("a*b*c", "aXcYb"));
    }

    #[test]
    fn a_threat_is_tried_only_against_the_selectors_that_can_match_it() {
        // 80,001 decisions; tried against every threat, as they were, a model of 10,000 threats
        // makes 800 million matches.
        let mut selectors: Vec<String> = Vec::new();
        for i in 0..20_000 {
            selectors.push(format!("*:c{i}"));
            selectors.push(format!("rule-{i}:*"));
            selectors.push(format!("x:c{i}"));
            selectors.push("sql-injection:*".to_owned());
        }
        selectors.push("*inj*".to_owned());
        let index = Index::new(selectors.iter().map(String::as_str));
        let mut out = Vec::new();
        let tried: Vec<(usize, &str)> = index
            .selectors_for("sql-injection:c7", &[], &mut out)
            .collect();
        assert_eq!(
            tried,
            [(3, "sql-injection:*"), (28, "*:c7"), (80_000, "*inj*")]
        );
        // A threat that absorbed another is tried against the selectors of both ids.
        let absorbed = ["rule-9:c5".to_owned()];
        let tried = index.selectors_for("x:c3", &absorbed, &mut out).count();
        // `x:c3`, `*:c3`, `rule-9:*`, `*:c5`; not `*inj*`, whose text neither id holds.
        assert_eq!(tried, 4);
    }

    #[test]
    fn a_threat_is_tried_only_against_the_selectors_whose_inner_text_it_holds() {
        // 20,000 `*...*` decisions were each tried on every threat: 200 million matches at
        // 10,000 threats.
        let selectors: Vec<String> = (0..20_000).map(|i| format!("*-n{i}-*")).collect();
        let index = Index::new(selectors.iter().map(String::as_str));
        let mut out = Vec::new();
        let tried: Vec<(usize, &str)> = index
            .selectors_for("sql-injection:web-n7-eu", &[], &mut out)
            .collect();
        assert_eq!(tried, [(7, "*-n7-*")]);
        assert_eq!(index.selectors_for("x:y", &[], &mut out).count(), 0);
    }

    #[test]
    fn a_decision_pushed_after_the_index_was_built_is_found_and_named() {
        let mut index = Index::new(["*inj*", "a:b", "a:b"]);
        let mut out = Vec::new();
        // Not written yet: what it would do.
        assert_eq!(index.winner("x:c", &[], Some("x:*"), &mut out), Some(3));
        assert_eq!(index.winner("a:b", &[], Some("a:b"), &mut out), Some(1));
        index.push("x:*");
        index.push("*:c*");
        assert_eq!(index.len(), 5);
        assert_eq!(index.winner("x:c", &[], None, &mut out), Some(3));
        assert_eq!(index.winner("y:cd", &[], None, &mut out), Some(4));
        assert_eq!(index.selector(2), "a:b");
        assert_eq!(index.selector(4), "*:c*");
    }

    #[test]
    fn the_index_picks_the_winner_trying_every_selector_would() {
        let selectors = [
            "a:b", "a:*", "*:b", "*", "a*", "*b", "a:b", "*:*", "ab*", "*:bc", "a*b", "*a*", "a:*",
            "é:*", "*é", "b:a", "*b:*", "*a*c*", "*:b*", "**", "*é*", "*a*", "*c*a*",
        ];
        let ids = ["a:b", "a:bc", "b:a", "ab:c", "é:b", "x:é", "a:", ":b"];
        let index = Index::new(selectors);
        let mut out = Vec::new();
        for id in ids {
            for absorbed in [vec![], vec!["b:a".to_owned()], vec!["z:bc".to_owned()]] {
                let mut all_used = vec![false; selectors.len()];
                let all = winner(selectors, id, &absorbed, |i| all_used[i] = true);
                let mut used = vec![false; selectors.len()];
                let tried = index.selectors_for(id, &absorbed, &mut out);
                let indexed = winner_among(tried, id, &absorbed, |i| used[i] = true);
                assert_eq!(indexed, all, "{id} {absorbed:?}");
                let used: Vec<bool> = index.first_of.iter().map(|&f| used[f]).collect();
                assert_eq!(used, all_used, "{id} {absorbed:?}");
            }
        }
    }
}

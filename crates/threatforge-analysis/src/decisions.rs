//! Applying the team's decisions to the threats found: status, owner, justification, expiry, and
//! rating overrides. A decision's `threat` may hold `*` wildcards; the most specific matching
//! decision wins (fewest wildcards, then the first written).

use std::fmt::Write as _;

use threatforge_model::diag::Diagnostic;
use threatforge_model::{Decision, DecisionStatus, Model};

use crate::engine::{Analysis, AppliedDecision, Options, Override};
use crate::score::{Score, severity_of_cvss};

/// Whether `text` matches `pattern`, where `*` matches any run of characters.
pub fn matches(pattern: &str, text: &str) -> bool {
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
pub fn winner<'a>(
    selectors: impl IntoIterator<Item = &'a str>,
    id: &str,
    absorbed: &[String],
    mut matched: impl FnMut(usize),
) -> Option<usize> {
    let mut best: Option<((bool, usize, usize), usize)> = None;
    for (i, selector) in selectors.into_iter().enumerate() {
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
pub fn absorbed_ids(threat: &crate::engine::Threat) -> Vec<String> {
    threat
        .absorbed
        .iter()
        .map(|rule| format!("{rule}:{}", threat.element.id))
        .collect()
}

pub fn apply(model: &Model, options: &Options, analysis: &mut Analysis) {
    if model.decisions.is_empty() {
        return;
    }
    let mut used = vec![false; model.decisions.len()];
    // Each threat's id written out, into one buffer, for the patterns to match against.
    let mut id = String::new();
    for threat in &mut analysis.threats {
        id.clear();
        let _ = write!(id, "{}", threat.id);
        // A threat that absorbed others (`supersedes`) answers to their ids too, so a decision
        // written before the rules were merged still holds.
        let absorbed_ids = absorbed_ids(threat);
        // Every decision that matches a threat is in use, even where a more specific one wins.
        let selectors = model.decisions.iter().map(|d| d.threat.value.as_str());
        let Some(i) = winner(selectors, &id, &absorbed_ids, |i| used[i] = true) else {
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
            analysis.diagnostics.push(
                Diagnostic::warning(
                    "expired-acceptance",
                    format!(
                        "the acceptance of `{}` expired on {}; the threat is open again",
                        threat.id,
                        decision.expires.as_ref().map_or("", |e| e.value.as_str())
                    ),
                )
                .with_label(
                    decision
                        .expires
                        .as_ref()
                        .map_or(decision.threat.span, |e| e.span),
                    "expired",
                )
                .with_help("review the risk: renew the acceptance with a new expiry, or fix it"),
            );
        }
        if let Some(rating) = rating_override(decision) {
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
    // Written out only if a decision matches no threat, for the suggestion.
    let mut written_ids: Option<Vec<String>> = None;
    for (decision, used) in model.decisions.iter().zip(used) {
        if !used {
            let ids =
                written_ids.get_or_insert_with(|| crate::engine::written_out(&analysis.threats));
            let help = match threatforge_model::suggest::nearest(
                &decision.threat.value,
                ids.iter().map(String::as_str),
            ) {
                Some(n) => {
                    format!("did you mean `{n}`? If the threat is gone, remove the decision")
                }
                None => "if the threat is gone, remove the decision".to_owned(),
            };
            analysis.diagnostics.push(
                Diagnostic::warning(
                    "orphaned-decision",
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

fn rating_override(decision: &Decision) -> Option<Override> {
    let justification = decision.justification.clone().unwrap_or_default();
    if let Some(vector) = &decision.cvss {
        // The loader rejected invalid vectors; one that still fails to parse is skipped.
        let parsed = vector.value.parse::<cvss::v4::Vector>().ok()?;
        let value = parsed.score().value();
        return Some(Override {
            severity: severity_of_cvss(value),
            cvss: Some(vector.value.clone()),
            cvss_score: Some(value),
            justification,
        });
    }
    decision.severity.map(|severity| Override {
        severity,
        cvss: None,
        cvss_score: None,
        justification,
    })
}

#[cfg(test)]
mod tests {
    use super::matches;

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
}

//! Applying the team's decisions to the threats found: status, owner, justification, expiry, and
//! rating overrides. A decision's `threat` may hold `*` wildcards; the most specific matching
//! decision wins (fewest wildcards, then the first written).

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
pub(crate) fn winner<'a>(
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
pub(crate) fn absorbed_ids(threat: &crate::threat::Threat) -> Vec<String> {
    threat
        .absorbed
        .iter()
        .map(|rule| format!("{rule}:{}", threat.element.id))
        .collect()
}

pub(crate) fn apply(model: &Model, options: &Options, analysis: &mut Analysis) {
    if model.decisions.is_empty() {
        return;
    }
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
        if !threats.is_empty() {
            analysis
                .diagnostics
                .push(expired_warning(decision, threats));
        }
    }
    // Written out only if a decision matches no threat, for the suggestion.
    let mut written_ids: Option<Vec<String>> = None;
    for (decision, used) in model.decisions.iter().zip(used) {
        if !used {
            let ids = written_ids.get_or_insert_with(|| written_out(&analysis.threats));
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
                let help = match threatforge_model::suggest::nearest(
                    &id.value,
                    ids.iter().map(String::as_str),
                ) {
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
    use super::matches;

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
}

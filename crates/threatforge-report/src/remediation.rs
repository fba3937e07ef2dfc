//! What to do about a threat, for every format: the controls that would close it on its element,
//! each with what it takes to put it in place, and where to read more. One text, so that a CSV
//! cell, a Markdown section and a SARIF result give the same advice.

use serde::Serialize;
use threatforge_analysis::{Element, Threat, in_words};
use threatforge_model::{Model, catalog};

#[derive(Debug, Serialize)]
pub(crate) struct Remediation {
    /// What to do for this element, in words: the lead, then what each control asks.
    pub text: String,
    /// The first sentence alone, for formats that list the controls below it.
    #[serde(skip)]
    pub lead: String,
    /// The controls that would close the threat (all of them in place when it is mitigated by
    /// controls), each with what it asks.
    pub controls: Vec<Advice>,
    /// Where to read more: the rule's first reference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

#[derive(Debug, Serialize)]
pub(crate) struct Advice {
    pub id: String,
    pub title: String,
    pub remediation: String,
}

/// One control's advice, the team's own (`controls:` in the model) or the catalogue's; a name
/// neither holds (validation names only known ones) keeps its id as its title rather than
/// failing the report.
pub(crate) fn advice(model: &Model, id: &str) -> Advice {
    if let Some(team) = model.controls.get(id) {
        return Advice {
            id: id.to_owned(),
            title: team.title.clone(),
            remediation: threatforge_analysis::one_line(&team.remediation),
        };
    }
    match catalog().control(id) {
        Some(c) => Advice {
            id: id.to_owned(),
            title: c.title.clone(),
            remediation: c.remediation.clone(),
        },
        None => Advice {
            id: id.to_owned(),
            title: id.to_owned(),
            remediation: String::new(),
        },
    }
}

/// A link only when it is a web address of visible ASCII: a team's rule could name
/// `javascript:`, a file, or hide a terminal escape in it.
pub(crate) fn web_link(link: &str) -> Option<&str> {
    let visible = link
        .chars()
        .all(|c| c.is_ascii_graphic() && !matches!(c, '<' | '>' | '"' | '`'));
    ((link.starts_with("https://") || link.starts_with("http://")) && visible).then_some(link)
}

/// The advice for one threat.
pub(crate) fn of(model: &Model, threat: &Threat) -> Remediation {
    let on = match (threat.element.kind, threat.members.as_slice()) {
        (Element::Model, []) => "the model".to_owned(),
        (Element::Model, members) => in_words(&members.iter().map(|m| &*m.id).collect::<Vec<_>>()),
        (kind, _) => format!("{kind} {}", threat.element.id),
    };
    // A data asset is no place to put a control: the advice is for it, wherever it is handled.
    let (on_it, in_it) = match threat.element.kind {
        Element::Data => ("For", "for"),
        _ => ("On", "on"),
    };
    let link = threat.reference.as_deref().map(str::to_owned);
    let named = |advice: &Advice| format!("{} ({})", advice.title, advice.id);
    if threat.mitigation.has_missing() {
        // Each entry is one control to add; `a|b` means either will do.
        let entries: Vec<Vec<Advice>> = threat
            .mitigation
            .missing()
            .map(|entry| entry.split('|').map(|id| advice(model, id)).collect())
            .collect();
        let wanted = entries
            .iter()
            .map(|alternatives| {
                alternatives
                    .iter()
                    .map(named)
                    .collect::<Vec<_>>()
                    .join(" or ")
            })
            .collect::<Vec<_>>()
            .join("; ");
        // A control that is an alternative in several entries is explained once.
        let mut controls: Vec<Advice> = Vec::new();
        for advice in entries.into_iter().flatten() {
            if !controls.iter().any(|a| a.id == advice.id) {
                controls.push(advice);
            }
        }
        let how = controls
            .iter()
            .filter(|a| !a.remediation.is_empty())
            .map(|a| format!("{}: {}", a.title, a.remediation))
            .collect::<Vec<_>>()
            .join(" ");
        let lead = format!("{on_it} {on}, put in place: {wanted}.");
        Remediation {
            text: if how.is_empty() {
                lead.clone()
            } else {
                format!("{lead} {how}")
            },
            lead,
            controls,
            link,
        }
    } else if threat.mitigation.has_in_place() {
        let controls: Vec<Advice> = threat
            .mitigation
            .in_place()
            .map(|id| advice(model, id))
            .collect();
        let held = controls.iter().map(named).collect::<Vec<_>>().join(", ");
        let lead = format!(
            "{on_it} {on}, the controls that close this are in place: {held}. Keep them there, and \
             keep the model saying so."
        );
        Remediation {
            text: lead.clone(),
            lead,
            controls,
            link,
        }
    } else {
        let lead = format!(
            "No control closes this {in_it} {on}: change the design so the \
             condition no longer holds, or record a decision with its reason."
        );
        Remediation {
            text: lead.clone(),
            lead,
            controls: Vec::new(),
            link,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn advice_for(text: &str, id: &str) -> Remediation {
        let (model, analysis) = crate::analyzed(text);
        of(&model, crate::threat(&analysis, id))
    }

    const SHOP: &str = "system: { name: shop }
data:
  orders: { classification: secret }
components:
  user: { technology: browser, exposure: internet }
  web: { technology: web-application, processes: [orders], controls: [input-validation] }
  db: { technology: postgresql, stores: [orders], controls: [encryption-at-rest] }
flows:
  - user -> web: { protocol: https, data: [orders] }
  - web -> db: { protocol: postgres-tls, authentication: credentials, data: [orders] }
";

    /// A data asset holds no control: its advice is for it, not on it.
    #[test]
    fn advice_for_data_is_for_it_wherever_it_is_handled() {
        let cards = "system: { name: shop }
data:
  card: { classification: secret, categories: [payment] }
boundaries:
  app: { kind: network, trust: medium, contains: [checkout] }
  pci: { kind: network, trust: high, contains: [payments] }
components:
  checkout: { technology: api-service, processes: [card] }
  payments: { technology: api-service, processes: [card] }
flows:
  - checkout -> payments: { protocol: grpc-tls, authentication: client-certificate, data: [card] }
";
        let advice = advice_for(cards, "card-data-outside-cardholder-zone:card");
        assert!(
            advice
                .text
                .starts_with("For data card, put in place: Tokenization (tokenization)."),
            "{}",
            advice.text
        );
    }

    #[test]
    fn a_missing_control_is_named_for_the_element_with_what_it_takes_and_a_link() {
        let advice = advice_for(SHOP, "sql-injection:web");
        assert!(
            advice.text.starts_with(
                "On component web, put in place: Parameterized queries (parameterized-queries)."
            ),
            "{}",
            advice.text
        );
        let ids: Vec<&str> = advice.controls.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["parameterized-queries"]);
        let remedy = &catalog().controls["parameterized-queries"].remediation;
        assert!(advice.text.ends_with(remedy.as_str()), "{}", advice.text);
        assert!(
            advice
                .link
                .as_deref()
                .is_some_and(|l| web_link(l).is_some())
        );
    }

    #[test]
    fn alternatives_are_either_and_each_says_what_it_takes() {
        let advice = advice_for(SHOP, "static-secrets-without-vault:web");
        assert!(
            advice.lead.contains(
                "Secrets from a vault (secrets-vault) or Workload identity (workload-identity)"
            ),
            "{}",
            advice.lead
        );
        assert_eq!(advice.controls.len(), 2);
        assert!(
            advice
                .controls
                .iter()
                .all(|c| advice.text.contains(&c.remediation))
        );
    }

    #[test]
    fn a_control_offered_in_several_entries_is_explained_once() {
        let meters = "system: { name: grid }
data:
  readings: { classification: confidential }
components:
  meter: { technology: iot-device, exposure: internet, processes: [readings] }
  ingest: { technology: api-service, processes: [readings] }
flows:
  - meter -> ingest: { protocol: mqtts, authentication: client-certificate, data: [readings] }
";
        let advice = advice_for(meters, "embedded-device-reverse-engineering:meter");
        assert_eq!(
            advice.lead.matches("(device-secret-protection)").count(),
            2,
            "each entry still names it: {}",
            advice.lead
        );
        let ids: Vec<&str> = advice.controls.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(
            ids,
            ["device-secret-protection", "hardening", "key-management"]
        );
        let remedy = &catalog().controls["device-secret-protection"].remediation;
        assert_eq!(
            advice.text.matches(remedy.as_str()).count(),
            1,
            "{}",
            advice.text
        );
    }

    #[test]
    fn a_threat_grouped_for_the_model_says_to_act_on_each_member() {
        let two_sites = SHOP.replace(
            "  db: {",
            "  admin: { technology: web-application, exposure: internet }\n  db: {",
        );
        let advice = advice_for(&two_sites, "clickjacking:model");
        assert!(
            advice
                .lead
                .starts_with("On admin and web, put in place: Security headers (security-headers)"),
            "{}",
            advice.lead
        );
    }

    #[test]
    fn a_threat_mitigated_by_controls_names_them_and_says_to_keep_them() {
        let advice = advice_for(SHOP, "unencrypted-sensitive-data-at-rest:db");
        assert!(
            advice.text.starts_with(
                "On component db, the controls that close this are in place: Encryption at rest (encryption-at-rest)."
            ),
            "{}",
            advice.text
        );
    }

    #[test]
    fn only_web_addresses_are_links() {
        assert_eq!(web_link("https://owasp.org/x"), Some("https://owasp.org/x"));
        for not in [
            "javascript:alert(1)",
            "file:///etc/passwd",
            "https://a b",
            "https://a\"><b",
            "https://a/\u{1b}[2K",
            "https://a/\u{202e}",
        ] {
            assert_eq!(web_link(not), None, "{not}");
        }
    }
}

//! Lists for people are ordered by risk (docs/scoring.md, "Order"): the severity band first, then
//! score, impact and exposure, then id; the JSON keeps the id order.

mod support;

use threatforge_model::ThreatSeverity;
use threatforge_report::{at_or_above, by_risk};

/// Manual threats, whose scores are the team's own, so that each ordering key is exercised:
/// `a-likely` and `b-harmful` score 8 (high) alike, b with the higher impact; `c-hidden` and
/// `d-exposed` score 6 (medium) alike with the same impact, d on the element reachable from the
/// internet; `e-overridden` scores 2 but a decision puts it in the high band; `f-accepted` is
/// not open.
const MODEL: &str = "system: { name: T }
components:
  visitor: { technology: browser, exposure: internet }
  web: { technology: web-application }
  batch: { technology: worker }
flows:
  - visitor -> web: { protocol: https }
threats:
  a-likely: { title: A, element: web, stride: tampering, likelihood: very-high, impact: medium }
  b-harmful: { title: B, element: web, stride: tampering, likelihood: medium, impact: very-high }
  c-hidden: { title: C, element: batch, stride: tampering, likelihood: medium, impact: high }
  d-exposed: { title: D, element: web, stride: tampering, likelihood: medium, impact: high }
  e-overridden: { title: E, element: batch, stride: tampering, likelihood: low, impact: medium }
  f-accepted: { title: F, element: web, stride: tampering, likelihood: very-high, impact: very-high }
decisions:
  - { threat: manual:e-overridden, status: open, severity: high, justification: Feeds the ledger }
  - { threat: manual:f-accepted, status: accepted, owner: me, justification: Gone next week }
";

fn manual(ids: impl Iterator<Item = String>) -> Vec<String> {
    ids.filter(|id| id.starts_with("manual:")).collect()
}

#[test]
fn within_a_band_threats_go_by_score_then_impact_then_exposure() {
    let (model, analysis) = support::from_text(MODEL);
    let top = manual(
        at_or_above(&analysis, ThreatSeverity::Info)
            .iter()
            .map(|t| t.id.to_string()),
    );
    assert_eq!(
        top,
        [
            "manual:b-harmful",
            "manual:a-likely",
            "manual:e-overridden",
            "manual:d-exposed",
            "manual:c-hidden",
        ]
    );
    // The register: the same, then what is not open.
    let register = manual(by_risk(&analysis).iter().map(|t| t.id.to_string()));
    assert_eq!(register[..5], top[..]);
    assert_eq!(register[5], "manual:f-accepted");

    // Every open threat, the rules' too, is in that order, and equal keys keep id order.
    let all = at_or_above(&analysis, ThreatSeverity::Info);
    for pair in all.windows(2) {
        let key = |t: &threatforge_analysis::Threat| (t.risk_order(), t.id.to_string());
        assert!(
            key(pair[0]) < key(pair[1]),
            "{} before {}",
            pair[0].id,
            pair[1].id
        );
    }

    // The Markdown report lists the top risks and the threats in that order.
    let markdown = threatforge_report::render_markdown(&model, &analysis);
    let positions = |text: &str| -> Vec<usize> {
        top.iter()
            .map(|id| {
                // A code span in a table, or raw HTML in a register entry's summary line.
                [format!("`{id}`"), format!("<code>{id}</code>")]
                    .iter()
                    .filter_map(|needle| text.find(needle.as_str()))
                    .min()
                    .unwrap_or(usize::MAX)
            })
            .collect()
    };
    let (top_table, register_text) = markdown
        .split_once("## Threats")
        .unwrap_or_else(|| panic!("no threats section"));
    for text in [top_table, register_text] {
        let found = positions(text);
        assert!(found.iter().all(|&p| p != usize::MAX), "{found:?}");
        assert!(found.windows(2).all(|w| w[0] < w[1]), "{found:?}");
    }

    // So does the HTML report's register, its default order before a reader sorts it.
    let html = threatforge_report::render_html(&model, &analysis);
    let register = html
        .split_once("id=\"register-table\"")
        .and_then(|(_, rest)| rest.split_once("</table>"))
        .map_or("", |(table, _)| table);
    let found: Vec<usize> = top
        .iter()
        .chain(std::iter::once(&"manual:f-accepted".to_owned()))
        .map(|id| {
            register
                .find(&format!("<code class=\"id\">{id}</code>"))
                .unwrap_or(usize::MAX)
        })
        .collect();
    assert!(found.iter().all(|&p| p != usize::MAX), "{found:?}");
    assert!(found.windows(2).all(|w| w[0] < w[1]), "{found:?}");

    // The JSON keeps the id order.
    let json: serde_json::Value =
        serde_json::from_str(&threatforge_report::render_json(&model, &analysis))
            .unwrap_or_else(|e| panic!("{e}"));
    let ids: Vec<&str> = json["threats"]
        .as_array()
        .map(|threats| threats.iter().filter_map(|t| t["id"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(ids.len(), analysis.threats.len());
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted);
}

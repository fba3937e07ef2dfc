//! The gate's verdict (`gate_passes`, what `check --fail-on` exits by) agrees with the gate's
//! list of failing threats at every threshold.

mod support;

use threatforge_model::ThreatSeverity;
use threatforge_report::{gate, gate_passes};

#[test]
fn the_verdict_agrees_with_the_list_of_failing_threats() {
    let (_, analysis) = support::from_text(
        "system: { name: T }
data:
  card: { classification: secret, categories: [payment] }
components:
  user: { technology: browser, exposure: internet }
  shop: { technology: web-application, exposure: internet, processes: [card] }
  db: { technology: postgresql, stores: [card] }
flows:
  - user -> shop: { protocol: http, data: [card] }
  - shop -> db: { protocol: postgres, data: [card] }
",
    );
    let mut verdicts = Vec::new();
    for &threshold in ThreatSeverity::ALL {
        let listed = gate(&analysis, threshold);
        assert_eq!(
            gate_passes(&analysis, threshold),
            listed.passed,
            "at {threshold}"
        );
        verdicts.push(listed.passed);
    }
    // The model has open threats, so the lowest threshold fails and the verdicts differ.
    assert!(verdicts.contains(&false), "{verdicts:?}");
}

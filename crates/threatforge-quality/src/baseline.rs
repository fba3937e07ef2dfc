//! The ratchet: `tests/quality/baseline.json` records what passes today, and a run is compared
//! with it. Anything worse is a regression; anything better is reported so that the baseline is
//! rewritten on purpose. A baseline written for other models or other expectations is refused,
//! so that neither can be edited to make the numbers look better without it showing.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::Suite;
use crate::measure::{FindStatus, Metrics};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub note: String,
    pub models: BTreeMap<String, ModelBaseline>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelBaseline {
    pub model_fingerprint: String,
    pub expectations_fingerprint: String,
    /// `must_find` id -> how far it is met.
    pub must_find: BTreeMap<String, FindStatus>,
    /// `must_not_find` entries (`rule:element`) that open threats violate.
    pub violated: Vec<String>,
    pub metrics: Metrics,
}

/// How a run differs from the baseline, in sentences.
#[derive(Debug, Default, Serialize)]
pub struct Comparison {
    pub regressions: Vec<String>,
    pub improvements: Vec<String>,
}

const NOTE: &str = "Written by `cargo run -p threatforge-quality --bin quality -- --write-baseline`; \
                    see tests/quality/README.md. Rewrite it on purpose and record what moved in docs/quality.md.";

impl Baseline {
    pub fn of(suite: &Suite) -> Baseline {
        let models = suite
            .models
            .iter()
            .map(|m| {
                (
                    m.name.clone(),
                    ModelBaseline {
                        model_fingerprint: m.model_fingerprint.clone(),
                        expectations_fingerprint: m.expectations_fingerprint.clone(),
                        must_find: m
                            .must_find
                            .iter()
                            .map(|f| (f.id.clone(), f.status))
                            .collect(),
                        violated: m
                            .must_not_find
                            .iter()
                            .filter(|a| !a.threats.is_empty())
                            .map(|a| a.key.clone())
                            .collect(),
                        metrics: m.metrics.clone(),
                    },
                )
            })
            .collect();
        Baseline {
            note: NOTE.to_owned(),
            models,
        }
    }

    pub fn read(path: &Path) -> Result<Baseline, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        serde_json::from_str(&text).map_err(|e| {
            format!(
                "{}:{}:{}: not a baseline: {e}\n  help: write it again with `quality --write-baseline`",
                path.display(),
                e.line(),
                e.column()
            )
        })
    }

    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let mut text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        text.push('\n');
        std::fs::write(path, text)
    }
}

/// Which way a metric gets worse.
enum Worse {
    Lower,
    Higher,
}

pub fn compare(baseline: &Baseline, suite: &Suite) -> Comparison {
    let mut out = Comparison::default();
    for model in &suite.models {
        let name = &model.name;
        let Some(base) = baseline.models.get(name) else {
            out.regressions.push(format!(
                "{name}: not in the baseline; measure it and write the baseline"
            ));
            continue;
        };
        if base.model_fingerprint != model.model_fingerprint {
            out.regressions.push(format!(
                "{name}: the model changed since the baseline was written; check its expectations still hold, then write the baseline"
            ));
        }
        if base.expectations_fingerprint != model.expectations_fingerprint {
            out.regressions.push(format!(
                "{name}: expected.yaml changed since the baseline was written; write the baseline on purpose"
            ));
        }
        for entry in &model.must_find {
            let before = base.must_find.get(&entry.id).copied();
            match before {
                Some(b) if entry.status.rank() < b.rank() => out.regressions.push(format!(
                    "{name}: must_find `{}` was {}, is now {}",
                    entry.id,
                    b.as_str(),
                    entry.status.as_str()
                )),
                Some(b) if entry.status.rank() > b.rank() => out.improvements.push(format!(
                    "{name}: must_find `{}` was {}, is now {}",
                    entry.id,
                    b.as_str(),
                    entry.status.as_str()
                )),
                _ => {}
            }
        }
        for entry in &model.must_not_find {
            let was = base.violated.contains(&entry.key);
            let is = !entry.threats.is_empty();
            if is && !was {
                out.regressions.push(format!(
                    "{name}: must_not_find `{}` is now violated",
                    entry.key
                ));
            } else if was && !is {
                out.improvements.push(format!(
                    "{name}: must_not_find `{}` no longer violated",
                    entry.key
                ));
            }
        }
        let (b, m) = (&base.metrics, &model.metrics);
        let checks: [(&str, f64, f64, Worse); 9] = [
            (
                "found at severity",
                b.found_at_severity as f64,
                m.found_at_severity as f64,
                Worse::Lower,
            ),
            (
                "found at any severity",
                b.found as f64,
                m.found as f64,
                Worse::Lower,
            ),
            (
                "violating threats",
                b.violating_threats as f64,
                m.violating_threats as f64,
                Worse::Higher,
            ),
            (
                "violated must_not_find entries",
                b.violated as f64,
                m.violated as f64,
                Worse::Higher,
            ),
            (
                "top-five overlap",
                b.top_overlap as f64,
                m.top_overlap as f64,
                Worse::Lower,
            ),
            (
                "sampled severities within one step",
                b.severity_within_one as f64,
                m.severity_within_one as f64,
                Worse::Lower,
            ),
            (
                "open criticals",
                b.open_criticals as f64,
                m.open_criticals as f64,
                Worse::Higher,
            ),
            (
                "threats with an empty placeholder",
                b.placeholders as f64,
                m.placeholders as f64,
                Worse::Higher,
            ),
            (
                "median open threats per element",
                b.median_threats_per_element,
                m.median_threats_per_element,
                Worse::Higher,
            ),
        ];
        for (what, before, now, worse) in checks {
            if (now - before).abs() < 1e-9 {
                continue;
            }
            let got_worse = match worse {
                Worse::Lower => now < before,
                Worse::Higher => now > before,
            };
            let line = format!("{name}: {what} {before} -> {now}");
            if got_worse {
                out.regressions.push(line);
            } else {
                out.improvements.push(line);
            }
        }
    }
    for name in baseline.models.keys() {
        if !suite.models.iter().any(|m| &m.name == name) {
            out.regressions.push(format!(
                "{name}: in the baseline but no longer measured; write the baseline if it was removed on purpose"
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::{AvoidResult, FindResult, ModelReport, Rates, SeverityResult, TopResult};
    use crate::{Suite, Totals};
    use indexmap::IndexMap;
    use threatforge_model::ThreatSeverity;

    fn report(status: FindStatus, violating: usize, criticals: usize) -> ModelReport {
        ModelReport {
            name: "m".to_owned(),
            model: "m/threatforge.yaml".to_owned(),
            model_fingerprint: "a".to_owned(),
            expectations_fingerprint: "b".to_owned(),
            open_by_severity: IndexMap::new(),
            busiest_element: None,
            must_find: vec![FindResult {
                id: "risk".to_owned(),
                rules: vec!["sql-injection".to_owned()],
                elements: vec!["app".to_owned()],
                concern: None,
                cwe: Vec::new(),
                capec: Vec::new(),
                min_severity: ThreatSeverity::High,
                status,
                best: None,
            }],
            must_not_find: vec![AvoidResult {
                key: "clickjacking:app".to_owned(),
                scope: crate::expect::Scope::Element,
                threats: (0..violating)
                    .map(|_| crate::measure::Hit {
                        threat: "clickjacking:app".to_owned(),
                        severity: ThreatSeverity::Low,
                        score: 2,
                    })
                    .collect(),
            }],
            top: TopResult {
                expected: Vec::new(),
                actual: Vec::new(),
                overlap: 0,
                tied_beyond_cut: 0,
            },
            severity: SeverityResult {
                samples: Vec::new(),
                confusion: IndexMap::new(),
            },
            placeholders: Vec::new(),
            rates: Rates::of(&Metrics::default()),
            metrics: Metrics {
                must_find: 1,
                found_at_severity: usize::from(status == FindStatus::FoundAtSeverity),
                found: usize::from(status >= FindStatus::FoundBelow),
                must_not_find: 1,
                violated: usize::from(violating > 0),
                violating_threats: violating,
                open_criticals: criticals,
                ..Metrics::default()
            },
            open_per_element: Vec::new(),
        }
    }

    fn suite(report: ModelReport) -> Suite {
        Suite {
            rules: 1,
            models: vec![report],
            totals: Totals {
                models: 1,
                metrics: Metrics::default(),
                rates: Rates::of(&Metrics::default()),
            },
        }
    }

    #[test]
    fn the_same_run_neither_regresses_nor_improves() {
        let s = suite(report(FindStatus::FoundBelow, 1, 2));
        let c = compare(&Baseline::of(&s), &s);
        assert!(
            c.regressions.is_empty() && c.improvements.is_empty(),
            "{c:?}"
        );
    }

    #[test]
    fn a_worse_run_fails() {
        let base = Baseline::of(&suite(report(FindStatus::FoundAtSeverity, 0, 1)));
        let c = compare(&base, &suite(report(FindStatus::FoundBelow, 2, 3)));
        let all = c.regressions.join("\n");
        assert!(
            all.contains("must_find `risk` was found, is now found below"),
            "{all}"
        );
        assert!(
            all.contains("must_not_find `clickjacking:app` is now violated"),
            "{all}"
        );
        assert!(all.contains("open criticals 1 -> 3"), "{all}");
        assert!(all.contains("found at severity 1 -> 0"), "{all}");
        assert!(c.improvements.is_empty(), "{:?}", c.improvements);
    }

    #[test]
    fn a_better_run_is_reported_not_failed() {
        let base = Baseline::of(&suite(report(FindStatus::Missed, 2, 3)));
        let c = compare(&base, &suite(report(FindStatus::FoundAtSeverity, 0, 1)));
        assert!(c.regressions.is_empty(), "{:?}", c.regressions);
        let all = c.improvements.join("\n");
        assert!(
            all.contains("must_find `risk` was missed, is now found"),
            "{all}"
        );
        assert!(all.contains("no longer violated"), "{all}");
    }

    #[test]
    fn changed_expectations_or_models_need_a_new_baseline() {
        let mut base = Baseline::of(&suite(report(FindStatus::Missed, 0, 0)));
        let entry = base.models.get_mut("m").expect("measured");
        entry.expectations_fingerprint = "edited".to_owned();
        entry.model_fingerprint = "edited".to_owned();
        base.models
            .insert("gone".to_owned(), ModelBaseline::default());
        let c = compare(&base, &suite(report(FindStatus::Missed, 0, 0)));
        let all = c.regressions.join("\n");
        assert!(all.contains("m: expected.yaml changed"), "{all}");
        assert!(all.contains("m: the model changed"), "{all}");
        assert!(
            all.contains("gone: in the baseline but no longer measured"),
            "{all}"
        );
    }

    #[test]
    fn a_baseline_round_trips_through_json() {
        let s = suite(report(FindStatus::FoundBelow, 1, 2));
        let base = Baseline::of(&s);
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("baseline.json");
        base.write(&path).expect("written");
        assert_eq!(Baseline::read(&path).expect("read"), base);
        std::fs::write(&path, "{\"note\": 1}").expect("written");
        let error = Baseline::read(&path).expect_err("not a baseline");
        assert!(error.contains(":1:"), "{error}");
    }
}

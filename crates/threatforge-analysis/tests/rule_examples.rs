//! Every built-in rule loads without error, and fires on each of its `fires` examples and on none
//! of its `passes` examples.

use threatforge_analysis::RuleSet;
use threatforge_analysis::check_examples;
use threatforge_model::{Style, render_diagnostic};

#[test]
fn builtin_rules_load_cleanly() {
    let rules = RuleSet::builtin();
    let errors: String = rules
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| render_diagnostic(d, &rules.sources, Style::Plain))
        .collect();
    assert!(errors.is_empty(), "{errors}");
}

#[test]
fn builtin_rule_examples() {
    let rules = RuleSet::builtin();
    let failures: Vec<String> = rules
        .rules
        .iter()
        .flat_map(|rule| {
            check_examples(rule, &rules)
                .into_iter()
                .map(move |f| format!("{}: {f}", rule.id()))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn the_library_is_large_enough() {
    let rules = RuleSet::builtin();
    assert!(rules.rules.len() >= 80, "{} rules", rules.rules.len());
}

#[test]
fn coverage_tables_list_every_peer_rule_once_with_rules_or_a_reason() {
    use threatforge_analysis::RuleCoverage;
    use threatforge_analysis::{COVERAGE_PYTM, COVERAGE_THREAGILE};
    let rules = RuleSet::builtin();
    for (name, text, expected) in [
        ("threagile", COVERAGE_THREAGILE, 42),
        ("pytm", COVERAGE_PYTM, 114),
    ] {
        let coverage: RuleCoverage =
            serde_saphyr::from_str(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            coverage.len(),
            expected,
            "{name}: every peer rule is listed"
        );
        for (id, entry) in &coverage {
            assert!(
                entry.covered_by.is_empty() != entry.left_out.is_none(),
                "{name} {id}: exactly one of covered_by and left_out"
            );
            for rule in &entry.covered_by {
                let Some(found) = rules.get(rule) else {
                    panic!("{name} {id}: no rule {rule}");
                };
                let covers = match name {
                    "threagile" => &found.file.covers.threagile,
                    _ => &found.file.covers.pytm,
                };
                assert!(
                    covers.contains(id),
                    "{name} {id}: the table names {rule}, whose `covers.{name}` does not list it"
                );
            }
        }
        // And the other way: what a rule says it covers, the table says too.
        for rule in &rules.rules {
            let covers = match name {
                "threagile" => &rule.file.covers.threagile,
                _ => &rule.file.covers.pytm,
            };
            for id in covers {
                assert!(
                    coverage
                        .get(id)
                        .is_some_and(|e| e.covered_by.iter().any(|r| r == rule.id())),
                    "{name} {id}: rule {} covers it, but the table does not say so",
                    rule.id()
                );
            }
        }
    }
}

/// Every rule's example models are small systems of many shapes: no rule's explanation may render
/// an empty value on any of them ("stores ," reads as a defect to whoever opens the report).
#[test]
fn no_explanation_renders_an_empty_value_on_any_example() {
    use std::path::Path;
    let rules = RuleSet::builtin();
    let mut found = std::collections::BTreeSet::new();
    for rule in &rules.rules {
        let examples = &rule.file.examples;
        for example in examples.fires.iter().chain(&examples.passes) {
            let loaded = threatforge_model::load_str(
                "example.yaml",
                &example.value,
                Path::new("."),
                &threatforge_model::LoadOptions::default(),
            );
            if loaded.has_errors() {
                continue;
            }
            let analysis = threatforge_analysis::analyze(&loaded.model, &rules);
            for d in &analysis.rule_diagnostics {
                found.insert(format!("{} (in an example of {})", d.message, rule.id()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "{} explanations render empty values:\n{}",
        found.len(),
        found.into_iter().collect::<Vec<_>>().join("\n")
    );
}

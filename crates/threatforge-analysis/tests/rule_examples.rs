//! Every built-in rule loads without error, and fires on each of its `fires` examples and on none
//! of its `passes` examples.

use threatforge_analysis::RuleSet;
use threatforge_analysis::examples::check_examples;
use threatforge_model::diag::{Style, render};

#[test]
fn builtin_rules_load_cleanly() {
    let rules = RuleSet::builtin();
    let errors: String = rules
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| render(d, &rules.sources, Style::Plain))
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

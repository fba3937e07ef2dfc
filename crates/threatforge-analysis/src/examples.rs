//! Running a rule's examples: each `fires` model must produce the rule's threat, each `passes`
//! model must not, and each `threat` model (for a hygiene rule with `threat_when`) must produce it
//! in the register rather than the checklist. The test suite runs them for the built-ins;
//! `threatforge rules test` for a team's rules.

use threatforge_model::{LoadOptions, load_str};

use crate::ruleset::{Rule, RuleSet};

/// The failures of one rule's examples, as sentences; empty when all pass.
pub fn check_examples(rule: &Rule, rules: &RuleSet) -> Vec<String> {
    let mut failures = Vec::new();
    let examples = &rule.file.examples;
    if examples.fires.is_empty() || examples.passes.is_empty() {
        failures.push("needs at least one `fires` and one `passes` example".to_owned());
    }
    // The fact that lifts a checklist line into the register is a condition like any other: it
    // needs a case that shows it holding, or a typo in it would leave every finding on the
    // checklist unnoticed.
    match (&rule.file.threat_when, examples.threat.is_empty()) {
        (Some(_), true) => failures
            .push("has `threat_when` but no `threat` example (a model where it holds)".to_owned()),
        (None, false) => {
            failures.push("has `threat` examples but no `threat_when` to show".to_owned())
        }
        _ => {}
    }
    let Ok(dir) = tempfile_dir() else {
        failures.push("cannot create a temporary directory for the examples".to_owned());
        return failures;
    };
    let cases = examples
        .fires
        .iter()
        .map(|e| (e, Expect::Fires))
        .chain(examples.passes.iter().map(|e| (e, Expect::Passes)))
        .chain(examples.threat.iter().map(|e| (e, Expect::Threat)));
    for (example, expect) in cases {
        let kind = expect.as_str();
        let line = rules.sources.locate(example.span);
        let loaded = load_str(
            "example.yaml",
            &example.value,
            &dir,
            &LoadOptions::default(),
        );
        let of_rule = |t: &&crate::Threat| t.stands_for(rule.id());
        let analysis = (!loaded.diagnostics.iter().any(|d| d.is_error()))
            .then(|| crate::analyze(&loaded.model, rules));
        // A loader warning about the very element the rule reports (a data asset nothing uses,
        // which a rule reports too) is the example's subject, not a flaw of the example.
        let unclean: Vec<String> = loaded
            .diagnostics
            .iter()
            .filter(|d| {
                let at = d.labels.first().map(|l| l.span);
                d.is_error()
                    || !analysis.as_ref().is_some_and(|a| {
                        a.findings().filter(of_rule).any(|t| {
                            at.is_some_and(|at| t.span == at || t.member_spans.contains(&at))
                        })
                    })
            })
            .map(|d| threatforge_model::diagnostic_line(d, &loaded.model.sources))
            .collect();
        let analysis = match analysis {
            Some(analysis) if unclean.is_empty() => analysis,
            _ => {
                failures.push(format!(
                    "`{kind}` example at {line} is not a clean model:\n    {}",
                    unclean.join("\n    ")
                ));
                continue;
            }
        };
        for d in analysis
            .diagnostics
            .iter()
            .chain(&analysis.rule_diagnostics)
        {
            // A warning located in this rule's file (an explanation value that renders empty)
            // is a defect of the rule as much as an error is.
            let in_this_rule = d
                .labels
                .first()
                .is_some_and(|l| l.span.file == rule.file.condition.span.file);
            if d.is_error() || in_this_rule {
                failures.push(format!("`{kind}` example at {line}: {}", d.message));
            }
        }
        let fired: Vec<String> = analysis
            .findings()
            .filter(of_rule)
            .map(|t| t.id.to_string())
            .collect();
        match expect {
            Expect::Fires if fired.is_empty() => {
                failures.push(format!("`fires` example at {line} produced no threat"));
            }
            Expect::Passes if !fired.is_empty() => failures.push(format!(
                "`passes` example at {line} produced {}",
                fired.join(", ")
            )),
            Expect::Threat if !analysis.threats.iter().any(|t| of_rule(&t)) => {
                failures.push(if fired.is_empty() {
                    format!("`threat` example at {line} produced no threat")
                } else {
                    format!(
                        "`threat` example at {line} produced {} on the checklist only: `threat_when` does not hold",
                        fired.join(", ")
                    )
                });
            }
            _ => {}
        }
    }
    let _ = std::fs::remove_dir(&dir);
    failures
}

#[derive(Clone, Copy)]
enum Expect {
    Fires,
    Passes,
    Threat,
}

impl Expect {
    fn as_str(self) -> &'static str {
        match self {
            Expect::Fires => "fires",
            Expect::Passes => "passes",
            Expect::Threat => "threat",
        }
    }
}

/// An empty directory for example models: includes in examples resolve (and are confined) there.
fn tempfile_dir() -> std::io::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("threatforge-examples-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

#[cfg(test)]
mod tests {
    // Explanation templates are parsed by the rule loader and rendered by the engine: these
    // tests go through both, so they live above both.
    use std::path::PathBuf;
    use std::sync::Arc;

    use crate::ruleset::{Origin, RuleSet};

    /// A rule set of one team rule, `probe.yaml` with `text`.
    fn team_rule(text: String) -> RuleSet {
        let mut set = RuleSet::default();
        set.add_text(
            "probe.yaml".into(),
            PathBuf::from("probe.yaml"),
            Arc::from(text),
            Origin::Team(PathBuf::from("probe.yaml")),
        );
        set.finish();
        set
    }

    /// A team rule whose explanation is `explanation`: its set's diagnostics, and the threat's
    /// explanation on a one-component model with a store and no data.
    fn explain(explanation: &str) -> (Vec<String>, Option<String>) {
        let text = format!(
            "id: probe\ntitle: Probe\ndescription: probe\nstride: tampering\n\
             applies_to: {{ element: component }}\ncondition: 'true'\n\
             explanation: '{explanation}'\nlikelihood: low\nimpact: low\nmitigations: []\n"
        );
        let set = team_rule(text);
        let mut messages: Vec<String> = set.diagnostics.iter().map(|d| d.message.clone()).collect();
        if set.has_errors() {
            return (messages, None);
        }
        let loaded = threatforge_model::load_str(
            "m.yaml",
            "system: { name: s }\ncomponents:\n  db: { technology: postgresql }\n",
            std::path::Path::new("."),
            &Default::default(),
        );
        assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
        let analysis = crate::analyze(&loaded.model, &set);
        messages.extend(analysis.rule_diagnostics.iter().map(|d| d.message.clone()));
        let threat = analysis.threats.iter().find(|t| &*t.rule == "probe");
        (messages, threat.map(|t| t.explanation.to_string()))
    }

    #[test]
    fn clauses_say_a_fact_only_where_it_holds() {
        let (messages, text) = explain(
            "{{ component.name }} {{#if component.stored_data.size() > 0}}stores \
             {{ component.stored_data.map(d, d.name) }}{{else}}stores nothing{{/if}}\
             {{#if component.kind == \"store\"}}, a store{{#if false}} never{{/if}}{{/if}}.",
        );
        assert!(messages.is_empty(), "{messages:?}");
        assert_eq!(text.as_deref(), Some("db stores nothing, a store."));
    }

    #[test]
    fn a_value_that_renders_empty_is_reported() {
        let (messages, text) = explain("{{ component.name }} stores {{ component.stored_data }}.");
        assert_eq!(text.as_deref(), Some("db stores ."));
        assert!(
            messages.iter().any(|m| m.contains("renders empty")),
            "{messages:?}"
        );
    }

    #[test]
    fn broken_clauses_are_syntax_errors() {
        for (template, expected) in [
            ("{{#if true}}open", "without its `{{/if}}`"),
            ("text{{/if}}", "without an `{{#if}}`"),
            ("{{else}}", "outside an `{{#if}}`"),
            (
                "{{#if true}}a{{else}}b{{else}}c{{/if}}",
                "a second `{{else}}`",
            ),
            ("{{#if component.name}}x{{/if}}", "not a boolean"),
            (&"{{#if true}}".repeat(9), "nest deeper than 8"),
        ] {
            let (messages, text) = explain(template);
            assert!(text.is_none(), "{template}: compiled");
            assert!(
                messages.iter().any(|m| m.contains(expected)),
                "{template}: {messages:?}"
            );
        }
    }

    /// A hygiene team rule firing on every component, lifted to the register where `when` holds,
    /// with `examples` as given: the failures of its examples.
    fn examples_of_hygiene_rule(when: Option<&str>, examples: &str) -> Vec<String> {
        let threat_when = when.map_or(String::new(), |w| format!("threat_when: '{w}'\n"));
        let text = format!(
            "id: probe\ntitle: Probe\ndescription: probe\nstride: tampering\n\
             applies_to: {{ element: component }}\ncondition: 'true'\n\
             explanation: '{{{{ component.name }}}}'\nlikelihood: low\nimpact: low\n\
             mitigations: []\ntier: hygiene\n{threat_when}examples:\n{examples}"
        );
        probe_failures(text)
    }

    /// The failures of the examples of `text`, a team rule with the id `probe`.
    fn probe_failures(text: String) -> Vec<String> {
        let set = team_rule(text);
        assert!(!set.has_errors(), "{:?}", set.diagnostics);
        let rule = set
            .rules
            .iter()
            .find(|r| r.id() == "probe")
            .expect("the probe rule");
        super::check_examples(rule, &set)
    }

    #[test]
    fn a_loader_warning_is_allowed_only_on_the_element_the_rule_reports() {
        let rule_on = |element: &str, variable: &str| {
            format!(
                "id: probe\ntitle: Probe\ndescription: probe\nstride: tampering\n\
                 applies_to: {{ element: {element} }}\ncondition: '{variable}.id == \"spare\" || {variable}.id == \"app\"'\n\
                 explanation: '{{{{ {variable}.name }}}}'\nlikelihood: low\nimpact: low\nmitigations: []\n\
                 examples:\n  fires:\n    - '{{ system: {{ name: s }}, \
                 data: {{ spare: {{ classification: internal }}, used: {{ classification: internal }} }}, \
                 components: {{ app: {{ technology: api-service, processes: [used] }}, \
                 db: {{ technology: postgresql, stores: [used] }} }}, \
                 flows: [ {{ app -> db: {{ protocol: postgres-tls, authentication: credentials, data: [used] }} }} ] }}'\n"
            )
        };
        for (element, variable, allowed) in
            [("data", "data", true), ("component", "component", false)]
        {
            let failures = probe_failures(rule_on(element, variable));
            let unclean = failures.iter().any(|f| f.contains("not a clean model"));
            assert_eq!(unclean, !allowed, "{element}: {failures:?}");
        }
    }

    /// An example list under `key`: one model of a service and the database named `component`.
    fn case(key: &str, component: &str) -> String {
        format!(
            "  {key}:\n    - '{{ system: {{ name: s }}, \
             components: {{ app: {{ technology: api-service }}, {component}: {{ technology: postgresql }} }}, \
             flows: [ {{ app -> {component}: {{ protocol: postgres-tls, authentication: credentials }} }} ] }}'\n"
        )
    }

    #[test]
    fn a_threat_example_must_reach_the_register() {
        let fires = case("fires", "db");
        // The probe fires everywhere, so it can have no `passes` case: that failure is not the
        // one looked for.
        let passes = "  passes: []\n";
        // `threat_when` holds for `vault` only: a `threat` model without it stays on the checklist.
        let when = Some("component.id == \"vault\"");
        let lifted =
            examples_of_hygiene_rule(when, &format!("{fires}{passes}{}", case("threat", "vault")));
        assert!(!lifted.iter().any(|f| f.contains("`threat`")), "{lifted:?}");
        let stays =
            examples_of_hygiene_rule(when, &format!("{fires}{passes}{}", case("threat", "db")));
        assert!(
            stays.iter().any(|f| f.contains("on the checklist only")),
            "{stays:?}"
        );
        let missing = examples_of_hygiene_rule(when, &format!("{fires}{passes}"));
        assert!(
            missing.iter().any(|f| f.contains("no `threat` example")),
            "{missing:?}"
        );
        let unasked =
            examples_of_hygiene_rule(None, &format!("{fires}{passes}{}", case("threat", "db")));
        assert!(
            unasked
                .iter()
                .any(|f| f.contains("no `threat_when` to show")),
            "{unasked:?}"
        );
    }
}

//! A rule's definitions (`let:`): a sub-expression written once and used by name means what it
//! would mean written out at each use, sees only the element and its own parameters, and is
//! refused, where it is written or used, when it is wrong or would cost too much.

use threatforge_analysis::{Analysis, RuleDir, RuleSet};

/// A team's rule on components with these definitions, condition and explanation, read from a
/// directory of its own.
fn team_rule(definitions: &str, condition: &str, explanation: &str) -> RuleSet {
    let dir = tempfile::tempdir().expect("dir");
    let definitions = if definitions.is_empty() {
        String::new()
    } else {
        format!("let:\n{definitions}")
    };
    std::fs::write(
        dir.path().join("r.yaml"),
        format!(
            "id: probe\ntitle: Probe\ndescription: probe\nstride: tampering\n\
             applies_to: {{ element: component, kinds: [process] }}\n\
             {definitions}condition: >\n  {condition}\nexplanation: >\n  {explanation}\n\
             likelihood: low\nimpact: low\n"
        ),
    )
    .expect("write");
    RuleSet::only_dirs(&[RuleDir::own(dir.path().to_path_buf())])
}

const MODEL: &str = "system: { name: t }
data:
  orders: { classification: confidential }
  prices: { classification: public }
components:
  web: { technology: web-application, processes: [orders, prices] }
  api: { technology: api-service, processes: [orders, prices] }
  feed: { technology: worker, processes: [prices] }
  db: { technology: postgresql, stores: [orders] }
flows:
  - web -> api: { protocol: https, authentication: token, data: [orders, prices] }
  - feed -> api: { protocol: https, authentication: token, data: [prices] }
  - api -> db: { protocol: postgres-tls, authentication: credentials, data: [orders] }
";

fn analyzed(rules: &RuleSet) -> Analysis {
    assert!(!rules.has_errors(), "{:?}", rules.diagnostics);
    let loaded = threatforge_model::load_str(
        "m.yaml",
        MODEL,
        std::path::Path::new("."),
        &threatforge_model::LoadOptions::default(),
    );
    assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
    let analysis = threatforge_analysis::analyze(&loaded.model, rules);
    assert!(
        analysis.rule_diagnostics.is_empty(),
        "{:?}",
        analysis.rule_diagnostics
    );
    analysis
}

/// The probe's threats, as (id, explanation).
fn found(rules: &RuleSet) -> Vec<(String, String)> {
    analyzed(rules)
        .findings()
        .filter(|t| &*t.rule == "probe")
        .map(|t| (t.id.to_string(), t.explanation.to_string()))
        .collect()
}

/// Written with definitions or written out, the rule finds the same threats with the same words;
/// an argument named like a variable inside the body (`d`) is still the caller's value.
#[test]
fn a_definition_means_what_it_stands_for() {
    let written_out = team_rule(
        "",
        "component.inbound.exists(f, f.data.exists(d, d.sensitivity >= 2))",
        "{{ component.name }} takes {{ component.data.filter(d, d.sensitivity >= 2).map(d, d.name) }} from {{ component.inbound.filter(f, f.data.exists(d, d.sensitivity >= 2)).map(f, f.source.name) }}.",
    );
    let defined = team_rule(
        "  confidential(d): d.sensitivity >= 2\n  \
         sensitive(f): f.data.exists(d, confidential(d))\n  \
         senders: component.inbound.filter(f, sensitive(f))\n",
        "component.inbound.exists(d, sensitive(d))",
        "{{ component.name }} takes {{ component.data.filter(d, confidential(d)).map(d, d.name) }} from {{ senders.map(f, f.source.name) }}.",
    );
    let expected = [(
        "probe:api".to_owned(),
        "api takes orders from web.".to_owned(),
    )];
    assert_eq!(found(&written_out), expected);
    assert_eq!(found(&defined), expected);
}

/// Where and what the rule's load diagnostics say: (line in the rule file, message).
fn errors(rules: &RuleSet) -> Vec<(usize, String)> {
    rules
        .diagnostics
        .iter()
        .map(|d| {
            let line = d
                .labels
                .first()
                .map_or(0, |l| rules.sources.locate(l.span).line);
            (line, d.message.clone())
        })
        .collect()
}

/// The body sees the element and its parameters, not the variables where it is used: a body
/// naming `f` is refused where it is written, though every use sits inside `exists(f, ...)`.
#[test]
fn a_definition_sees_the_element_and_its_parameters_only() {
    let rules = team_rule(
        "  reads: f.readonly\n",
        "component.outbound.exists(f, reads)",
        "x",
    );
    assert_eq!(errors(&rules), [(7, "unknown variable `f`".to_owned())]);
}

#[test]
fn a_definition_is_used_as_written() {
    let cases = [
        // Too few arguments, at the use (line 8: the condition).
        (
            "  sensitive(f): f.readonly\n",
            "component.outbound.exists(f, sensitive())",
            "`sensitive` takes 1 argument(s), not 0",
            9,
        ),
        // A value named as a function of none.
        (
            "  calls: component.outbound\n",
            "size(calls(component)) > 0",
            "`calls` takes 0 argument(s), not 1",
            9,
        ),
        // Method-style.
        (
            "  sensitive(f): f.readonly\n",
            "component.outbound.exists(f, f.sensitive())",
            "`sensitive` is a definition of this rule, not a method",
            9,
        ),
        // Only the definitions above a body are in its scope.
        (
            "  first: size(second) > 0\n  second: component.outbound\n",
            "first",
            "unknown variable `second`",
            7,
        ),
        // Names CEL already gives a meaning, and the element's own.
        (
            "  size(x): x\n",
            "true",
            "a word of the condition language",
            7,
        ),
        (
            "  component: 1\n",
            "true",
            "`component` is a variable the rule's expressions see",
            7,
        ),
        (
            "  twice(a, a): a\n",
            "true",
            "the parameter `a` is named twice",
            7,
        ),
    ];
    for (definitions, condition, says, line) in cases {
        let rules = team_rule(definitions, condition, "x");
        let found = errors(&rules);
        assert!(
            found.iter().any(|(l, m)| m.contains(says) && *l == line),
            "{definitions} {condition}: {found:?}"
        );
    }
}

/// Each definition using the previous one twice doubles what the condition expands to: refused
/// when the rule loads, not built; and so is a chain nested deeper than the evaluator's stack
/// is sized for, and more definitions than a rule needs.
#[test]
fn what_definitions_expand_to_is_bounded() {
    let mut doubling = String::from("  d0: component.name\n");
    for i in 1..24 {
        doubling.push_str(&format!("  d{i}: d{} + d{}\n", i - 1, i - 1));
    }
    let rules = team_rule(&doubling, "size(d23) > 0", "x");
    assert!(rules.diagnostics.iter().all(|d| d.code == "limit-exceeded"));
    assert!(
        errors(&rules)
            .iter()
            .any(|(_, m)| m.contains("more than 65536 nodes")),
        "{:?}",
        errors(&rules)
    );

    let mut deep = String::from("  n0(x): x\n");
    for i in 1..19 {
        deep.push_str(&format!("  n{i}(x): '[[[n{}(x)]]][0][0][0]'\n", i - 1));
    }
    let rules = team_rule(&deep, "size(n18(component.name)) > 0", "x");
    assert!(rules.diagnostics.iter().all(|d| d.code == "limit-exceeded"));
    assert!(
        errors(&rules)
            .iter()
            .any(|(_, m)| m.contains("nested more than 128 levels")),
        "{:?}",
        errors(&rules)
    );

    let many: String = (0..33).map(|i| format!("  v{i}: {i}\n")).collect();
    let rules = team_rule(&many, "true", "x");
    assert_eq!(
        errors(&rules),
        [(39, "the rule has more than 32 definitions".to_owned())]
    );
}

/// Within the bounds, a chain of definitions evaluates, each argument once per use.
#[test]
fn a_chain_of_definitions_within_the_bounds_evaluates() {
    let mut chain = String::from("  n0(x): x\n");
    for i in 1..8 {
        chain.push_str(&format!("  n{i}(x): n{}(x + x)\n", i - 1));
    }
    let rules = team_rule(
        &chain,
        "size(n7(component.name)) == 128 * size(component.name)",
        "{{ size(n7('a')) }}",
    );
    let explanations = found(&rules);
    assert_eq!(explanations.first().map(|(_, e)| e.as_str()), Some("128"));
}

/// A chain of definitions just within the depth bound evaluates (the evaluator recurses once
/// per level: this is the deepest a rule can make it go, on the stack a test thread has).
#[test]
fn the_deepest_chain_allowed_evaluates() {
    let mut deep = String::from("  n0(x): x\n");
    for i in 1..15 {
        deep.push_str(&format!("  n{i}(x): '[[[n{}(x)]]][0][0][0]'\n", i - 1));
    }
    let rules = team_rule(&deep, "size(n14(component.name)) > 0", "{{ n14('deep') }}");
    let explanations = found(&rules);
    assert_eq!(explanations.first().map(|(_, e)| e.as_str()), Some("deep"));
}

/// Arguments that iterate themselves, several to one use: each is what it would be written out,
/// whatever the arguments before it hold.
#[test]
fn arguments_with_their_own_loops_mean_what_they_say() {
    let written_out = team_rule(
        "",
        "size(component.inbound.filter(f, f.data.exists(d, d.sensitivity >= 2))) + size(component.outbound.map(f, f.target.name)) == 2",
        "{{ component.inbound.filter(f, f.data.exists(d, d.sensitivity >= 2)).map(f, f.source.name) + component.outbound.map(f, f.target.name) }}",
    );
    let defined = team_rule(
        "  joined(a, b): a + b\n",
        "size(joined(component.inbound.filter(f, f.data.exists(d, d.sensitivity >= 2)), component.outbound.map(f, f.target.name))) == 2",
        "{{ joined(component.inbound.filter(f, f.data.exists(d, d.sensitivity >= 2)).map(f, f.source.name), component.outbound.map(f, f.target.name)) }}",
    );
    let expected = [("probe:api".to_owned(), "web, db".to_owned())];
    assert_eq!(found(&written_out), expected);
    assert_eq!(found(&defined), expected);
}

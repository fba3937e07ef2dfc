//! On the shipped examples, no rule fires where its concern plainly does not apply: checked
//! against the model itself for the concerns whose preconditions are structural.

use std::path::Path;

use threatforge_analysis::{Element, RuleSet, analyze};
use threatforge_model::{ComponentKind, LoadOptions, Model, load};

fn examples() -> Vec<Model> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    ["online-shop", "k8s-platform", "cicd-pipeline"]
        .iter()
        .map(|e| {
            let loaded = load(
                &root.join(e).join("threatforge.yaml"),
                &LoadOptions::default(),
            );
            assert!(!loaded.has_errors(), "{e}");
            loaded.model
        })
        .collect()
}

fn has_trait(model: &Model, id: &str, t: &str) -> bool {
    model
        .components
        .get(id)
        .is_some_and(|c| c.effective_traits().iter().any(|x| x == t))
}

#[test]
fn structural_preconditions_hold_for_every_threat() {
    let rules = RuleSet::builtin();
    for model in examples() {
        let analysis = analyze(&model, &rules);
        assert!(!analysis.threats.is_empty());
        assert!(
            analysis.rule_diagnostics.is_empty(),
            "{:?}",
            analysis.rule_diagnostics
        );
        // A threat grouped for the model is held to the preconditions on each of its members.
        for (threat, element) in analysis
            .threats
            .iter()
            .flat_map(|t| t.elements().map(move |e| (t, e)))
        {
            let id: &str = &element.id;
            let component = model.components.get(id);
            match &*threat.rule {
                "sql-injection" => {
                    let talks_sql = model.flows.values().any(|f| {
                        f.source.value == id
                            && (has_trait(&model, &f.target.value, "sql")
                                || f.protocol_family() == "sql")
                    });
                    assert!(talks_sql, "{}: {id} talks to no SQL store", threat.id);
                }
                // The browsers' requests a CSRF threat lists as members are flows into the UI.
                "cross-site-scripting" | "cross-site-request-forgery"
                    if !model.flows.contains_key(id) =>
                {
                    assert!(
                        has_trait(&model, id, "web-ui"),
                        "{}: {id} serves no web UI",
                        threat.id
                    );
                }
                "xml-external-entity" => {
                    assert!(has_trait(&model, id, "parses-xml"), "{}", threat.id)
                }
                "server-side-request-forgery" => {
                    assert!(has_trait(&model, id, "fetches-urls"), "{}", threat.id)
                }
                "ldap-injection" => {
                    let talks_ldap = model.flows.values().any(|f| {
                        f.source.value == id
                            && (has_trait(&model, &f.target.value, "directory")
                                || f.protocol_family() == "directory")
                    });
                    assert!(talks_ldap, "{}", threat.id);
                }
                _ => {}
            }
            if element.kind == Element::Component {
                let component = component.expect("threat on a declared component");
                assert!(
                    component.out_of_scope.is_none(),
                    "{} is on an out-of-scope component",
                    threat.id
                );
                // Injection into a process needs a process.
                if threat.rule.ends_with("-injection") {
                    assert_eq!(
                        component.effective_kind(),
                        ComponentKind::Process,
                        "{}",
                        threat.id
                    );
                }
            }
        }
    }
}

#[test]
fn the_same_model_gives_the_same_threats_in_the_same_order() {
    let rules = RuleSet::builtin();
    for model in examples() {
        let a: Vec<String> = analyze(&model, &rules)
            .threats
            .into_iter()
            .map(|t| t.id.to_string())
            .collect();
        let b: Vec<String> = analyze(&model, &rules)
            .threats
            .into_iter()
            .map(|t| t.id.to_string())
            .collect();
        assert_eq!(a, b);
    }
}

/// No threat asks for the same thing twice: an entry with alternatives beside another whose
/// every alternative it offers (`mfa|ip-allowlist` beside `ip-allowlist`) is answered by that
/// other entry, as a root threat that absorbed its consequences could write. Two entries that
/// share an alternative but each offer another (`authentication|mtls` and `tls|mtls`: mutual TLS
/// answers both, or authentication and TLS) ask for two things.
#[test]
fn no_threat_asks_for_the_same_control_twice() {
    let rules = RuleSet::builtin();
    for model in examples() {
        let analysis = analyze(&model, &rules);
        for threat in analysis.threats.iter().chain(&analysis.hygiene) {
            let missing: Vec<Vec<&str>> = threat
                .mitigation
                .missing()
                .map(|entry| entry.split('|').collect())
                .collect();
            for (i, a) in missing.iter().enumerate() {
                for (j, b) in missing.iter().enumerate() {
                    assert!(
                        i == j || !b.iter().all(|x| a.contains(x)),
                        "{}: {missing:?}",
                        threat.id
                    );
                }
            }
        }
    }
}

//! One threat per practice (`group: model`): the same missing practice on several elements is
//! one threat with one fix, which names every element; a team's answer for one element stands.

mod support;

use support::{analyzed, threat};

use threatforge_analysis::{Analysis, Element, RuleSet, Threat};
use threatforge_model::DecisionStatus;

/// Two internet-reachable services with their own code, neither scanning its dependencies; the
/// checkout handles secret data, the catalogue public data.
fn shop(checkout_controls: &str, decisions: &str) -> String {
    format!(
        "system: {{ name: shop }}
data:
  card: {{ classification: secret, categories: [financial] }}
  products: {{ classification: public }}
components:
  shopper: {{ technology: browser, exposure: internet }}
  checkout: {{ technology: api-service, processes: [card], controls: [{checkout_controls}] }}
  catalogue: {{ technology: api-service, processes: [products] }}
flows:
  - shopper -> checkout: {{ protocol: https, authentication: session, data: [card] }}
  - shopper -> catalogue: {{ protocol: https, data: [products] }}
{decisions}"
    )
}

fn of_rule<'a>(analysis: &'a Analysis, rule: &str) -> Vec<&'a Threat> {
    analysis.findings().filter(|t| &*t.rule == rule).collect()
}

fn member_ids(threat: &Threat) -> Vec<&str> {
    threat.members.iter().map(|m| &*m.id).collect()
}

#[test]
fn one_practice_missing_on_two_services_is_one_threat_naming_both() {
    let analysis = analyzed(&shop("", ""));
    let found = of_rule(&analysis, "vulnerable-dependencies");
    assert_eq!(found.len(), 1, "{found:?}");
    let group = found[0];
    assert_eq!(group.id, "vulnerable-dependencies:model");
    assert_eq!(group.element.kind, Element::Model);
    assert_eq!(member_ids(group), ["catalogue", "checkout"]);
    assert!(group.members.iter().all(|m| m.kind == Element::Component));
    assert!(
        group.explanation.starts_with(
            "The same gap on 2 components, with one fix for all: `catalogue` and `checkout`."
        ),
        "{}",
        group.explanation
    );
    // Each member's own explanation follows, with its values.
    assert!(group.explanation.contains("technology api-service"));
    assert!(group.is_open());
}

#[test]
fn the_group_is_scored_as_its_most_severe_member() {
    let both = analyzed(&shop("", ""));
    let group = of_rule(&both, "vulnerable-dependencies")[0];
    // The checkout's threat alone: the catalogue's marked not applicable.
    let alone = analyzed(&shop(
        "",
        "rules:\n  not_applicable:\n    vulnerable-dependencies:catalogue: static files only\n",
    ));
    let checkout = of_rule(&alone, "vulnerable-dependencies")
        .into_iter()
        .find(|t| t.is_open())
        .expect("the checkout's threat");
    // Alone, it is no group: the checkout's own threat, under its own id.
    assert_eq!(checkout.id, "vulnerable-dependencies:checkout");
    assert!(checkout.members.is_empty());
    assert_eq!(group.inherent, checkout.inherent);
    assert_eq!(group.residual, checkout.residual);
}

#[test]
fn an_element_with_the_control_stays_apart_as_mitigated() {
    let analysis = analyzed(&shop(
        "dependency-scanning, patch-management, image-scanning",
        "",
    ));
    let found = of_rule(&analysis, "vulnerable-dependencies");
    let open: Vec<_> = found.iter().filter(|t| t.is_open()).collect();
    assert_eq!(open.len(), 1);
    // The one element left open keeps its own threat: a group of one says less.
    assert_eq!(open[0].id, "vulnerable-dependencies:catalogue");
    assert!(open[0].members.is_empty());
    let mitigated = threat(&analysis, "vulnerable-dependencies:checkout").expect("the checkout's");
    assert_eq!(mitigated.id, "vulnerable-dependencies:checkout");
    assert_eq!(mitigated.status, DecisionStatus::Mitigated);
}

#[test]
fn a_group_the_team_decided_on_stays_a_group_with_one_member_left() {
    let decisions = "decisions:
  - { threat: \"vulnerable-dependencies:model\", status: in-progress, ticket: SEC-1 }
";
    let analysis = analyzed(&shop(
        "dependency-scanning, patch-management, image-scanning",
        decisions,
    ));
    let open: Vec<_> = of_rule(&analysis, "vulnerable-dependencies")
        .into_iter()
        .filter(|t| t.is_open())
        .collect();
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(open[0].id, "vulnerable-dependencies:model");
    assert_eq!(member_ids(open[0]), ["catalogue"]);
    assert_eq!(open[0].status, DecisionStatus::InProgress);
}

#[test]
fn a_decision_for_one_element_keeps_that_element_apart_with_its_answer() {
    let decisions = "decisions:
  - threat: vulnerable-dependencies:catalogue
    status: accepted
    justification: Static catalogue, rebuilt weekly from a pinned image.
";
    let analysis = analyzed(&shop("", decisions));
    let found = of_rule(&analysis, "vulnerable-dependencies");
    let accepted = found
        .iter()
        .find(|t| t.id == "vulnerable-dependencies:catalogue")
        .expect("the catalogue's own threat");
    assert_eq!(accepted.status, DecisionStatus::Accepted);
    // The checkout is left alone: its own threat, open.
    let checkout = found
        .iter()
        .find(|t| t.id == "vulnerable-dependencies:checkout")
        .expect("the checkout's own threat");
    assert!(checkout.is_open());
    assert!(
        !found
            .iter()
            .any(|t| t.id == "vulnerable-dependencies:model")
    );
}

/// Threats join their groups as the rules find them, before `rules.not_applicable` is applied:
/// one marked there must still stay apart, not applicable, and the other stand alone.
#[test]
fn an_element_marked_not_applicable_stays_apart_from_the_group() {
    let not_applicable = "rules:
  not_applicable:
    vulnerable-dependencies:checkout: The checkout is a vendor's hosted page.
";
    let analysis = analyzed(&shop("", not_applicable));
    let found = of_rule(&analysis, "vulnerable-dependencies");
    let ids: Vec<String> = found.iter().map(|t| t.id.to_string()).collect();
    assert_eq!(
        ids,
        [
            "vulnerable-dependencies:catalogue",
            "vulnerable-dependencies:checkout"
        ]
    );
    assert!(found[0].is_open());
    assert_eq!(found[1].status, DecisionStatus::NotApplicable);
    assert!(
        analysis.diagnostics.is_empty(),
        "the entry matched its threat: {:?}",
        analysis.diagnostics
    );
}

#[test]
fn a_decision_for_the_group_or_the_rule_decides_the_group() {
    for selector in ["vulnerable-dependencies:model", "vulnerable-dependencies:*"] {
        let decisions = format!(
            "decisions:
  - threat: \"{selector}\"
    status: in-progress
    ticket: SEC-1
"
        );
        let analysis = analyzed(&shop("", &decisions));
        let found = of_rule(&analysis, "vulnerable-dependencies");
        assert_eq!(found.len(), 1, "{selector}: {found:?}");
        assert_eq!(found[0].status, DecisionStatus::InProgress, "{selector}");
        assert_eq!(member_ids(found[0]), ["catalogue", "checkout"]);
    }
}

/// A frontend calling two services in clear text, on one cluster or not, and a third service
/// outside it: (`group: target`) groups flows by the component they lead into, or by the cluster
/// both ends run on, whose mesh is the one fix for every hop inside it.
fn cluster(runs: &str) -> String {
    format!(
        "system: {{ name: mesh }}
data:
  token: {{ classification: secret, categories: [credential] }}
  profile: {{ classification: confidential, categories: [personal] }}
components:
  bff: {{ technology: api-service, processes: [token, profile] }}
  users: {{ technology: api-service, processes: [token, profile] }}
  orders: {{ technology: api-service, processes: [token, profile] }}
  billing: {{ technology: api-service, processes: [token, profile] }}
flows:
  - bff -> users: {{ protocol: grpc, authentication: token, data: [token, profile] }}
  - bff -> orders: {{ protocol: grpc, authentication: token, data: [token, profile] }}
  - bff -> billing: {{ protocol: grpc, authentication: token, data: [token, profile] }}
runtimes:
  k8s: {{ kind: cluster, runs: [{runs}] }}
"
    )
}

#[test]
fn clear_text_hops_inside_one_cluster_are_one_threat_of_the_cluster() {
    let analysis = analyzed(&cluster("bff, users, orders"));
    let found = of_rule(&analysis, "credentials-over-unencrypted-flow");
    let ids: Vec<String> = found.iter().map(|t| t.id.to_string()).collect();
    // billing runs outside the cluster: its hop keeps its own threat.
    assert_eq!(
        ids,
        [
            "credentials-over-unencrypted-flow:bff->billing",
            "credentials-over-unencrypted-flow:k8s"
        ],
        "{found:?}"
    );
    let group = found[1];
    assert_eq!(group.element.kind, Element::Runtime);
    assert_eq!(member_ids(group), ["bff->orders", "bff->users"]);
    assert!(
        group
            .explanation
            .starts_with("The same gap on 2 flows inside `k8s`, with one fix for all:"),
        "{}",
        group.explanation
    );
    // A cluster that runs only one end is not where the hop runs.
    let apart = analyzed(&cluster("bff"));
    let ids: Vec<String> = of_rule(&apart, "credentials-over-unencrypted-flow")
        .iter()
        .map(|t| t.id.to_string())
        .collect();
    assert!(ids.iter().all(|id| !id.ends_with(":k8s")), "{ids:?}");
}

/// Inside one cluster, hops that carry credentials and hops that carry only confidential data in
/// clear text have one cause (no mesh): one threat, the credentials', names them all.
#[test]
fn clear_text_without_credentials_joins_the_clusters_credentials_threat() {
    let text = cluster("bff, users, orders").replace(
        "  - bff -> orders: { protocol: grpc, authentication: token, data: [token, profile] }",
        // Signed, so that no caller is spoofed: only the clear text is left on this hop.
        "  - bff -> orders: { protocol: grpc, authentication: signature, data: [profile] }",
    );
    let analysis = analyzed(&text);
    assert!(
        of_rule(&analysis, "cleartext-sensitive-data-in-transit").is_empty(),
        "{:?}",
        of_rule(&analysis, "cleartext-sensitive-data-in-transit")
    );
    let group = of_rule(&analysis, "credentials-over-unencrypted-flow")
        .into_iter()
        .find(|t| t.id == *"credentials-over-unencrypted-flow:k8s")
        .expect("the cluster's threat");
    assert_eq!(member_ids(group), ["bff->users", "bff->orders"]);
    assert!(
        group
            .absorbed
            .iter()
            .any(|r| &**r == "cleartext-sensitive-data-in-transit"),
        "{:?}",
        group.absorbed
    );
    assert!(
        group.explanation.contains("carries confidential data"),
        "{}",
        group.explanation
    );
}

/// Two services whose log lines the model says carry passwords, and two more that handle them
/// and ship logs the model says nothing more of: the stated threat (the register) and the
/// inference it supersedes (the checklist) are each one group, and the checklist's does not
/// fold into the register's.
#[test]
fn a_checklist_group_stays_apart_from_the_threat_group_that_supersedes_it() {
    let text = "system: { name: shop }
data:
  password: { classification: secret, categories: [credential] }
  app-logs: { classification: internal, categories: [logs] }
components:
  shopper: { technology: browser, exposure: internet }
  web: { technology: web-application, processes: [password] }
  admin: { technology: web-application, processes: [password] }
  login: { technology: api-service, processes: [password] }
  account: { technology: api-service, processes: [password] }
  logs: { technology: log-collector, stores: [app-logs, password] }
flows:
  - shopper -> web: { protocol: https, authentication: credentials, data: [password] }
  - web -> login: { protocol: https, authentication: token, data: [password] }
  - web -> account: { protocol: https, authentication: token, data: [password] }
  - shopper -> admin: { protocol: https, authentication: credentials, data: [password] }
  - web -> logs: { protocol: syslog-tls, data: [app-logs, password], usage: devops }
  - admin -> logs: { protocol: syslog-tls, data: [app-logs, password], usage: devops }
  - login -> logs: { protocol: syslog-tls, data: [app-logs], usage: devops }
  - account -> logs: { protocol: syslog-tls, data: [app-logs], usage: devops }
";
    let analysis = analyzed(text);
    let stated = of_rule(&analysis, "sensitive-data-in-logs");
    assert_eq!(stated.len(), 1, "{stated:?}");
    assert_eq!(member_ids(stated[0]), ["admin->logs", "web->logs"]);
    assert!(
        analysis
            .threats
            .iter()
            .any(|t| t.id == *"sensitive-data-in-logs:model")
    );
    let inferred: Vec<&Threat> = analysis
        .hygiene
        .iter()
        .filter(|t| &*t.rule == "possible-sensitive-data-in-logs")
        .collect();
    assert_eq!(inferred.len(), 1, "{inferred:?}");
    assert_eq!(member_ids(inferred[0]), ["account->logs", "login->logs"]);
}

/// An installer app commissioning two generations of chargers over Bluetooth in clear: one
/// protocol, the app's, and one fix (`group: source`); a second app is another threat.
#[test]
fn one_apps_unencrypted_links_to_two_devices_are_one_threat_of_the_app() {
    let text = "system: { name: chargers }
data:
  pin: { classification: secret, categories: [credential] }
components:
  installer-app: { technology: mobile-app }
  service-tool: { technology: mobile-app }
  gen1: { technology: iot-device }
  gen2: { technology: iot-device }
flows:
  - installer-app -> gen1: { protocol: bluetooth, authentication: credentials, data: [pin] }
  - installer-app -> gen2: { protocol: bluetooth, authentication: credentials, data: [pin] }
  - service-tool -> gen2: { protocol: bluetooth, authentication: credentials, data: [pin] }
";
    let analysis = analyzed(text);
    let found = of_rule(&analysis, "unencrypted-proximity-link");
    let ids: Vec<String> = found.iter().map(|t| t.id.to_string()).collect();
    assert_eq!(
        ids,
        [
            "unencrypted-proximity-link:installer-app",
            "unencrypted-proximity-link:service-tool->gen2"
        ],
        "{found:?}"
    );
    let group = found[0];
    assert_eq!(group.element.kind, Element::Component);
    assert_eq!(
        member_ids(group),
        ["installer-app->gen1", "installer-app->gen2"]
    );
    assert!(
        group
            .explanation
            .starts_with("The same gap on 2 flows from `installer-app`, with one fix for all:"),
        "{}",
        group.explanation
    );
}

/// A pipeline that pushes into two environments and publishes to a registry: one threat on the
/// pipeline whose members are the flows it pushes over (`members`), found on each target.
#[test]
fn a_component_threat_names_the_flows_it_is_about() {
    let analysis = analyzed(
        "system: { name: shop }
data:
  manifests: { classification: internal, categories: [configuration] }
components:
  ci: { technology: ci-pipeline, processes: [manifests] }
  staging: { technology: container-platform, processes: [manifests] }
  prod: { technology: container-platform, processes: [manifests] }
  registry: { technology: artifact-registry, stores: [manifests] }
flows:
  - ci -> staging: { protocol: https, authentication: token, data: [manifests], usage: devops }
  - ci -> prod: { protocol: https, authentication: token, data: [manifests], usage: devops }
  - ci -> registry: { protocol: https, authentication: token, data: [manifests], usage: devops }
",
    );
    let push = threat(&analysis, "push-based-deployment:ci").expect("the push threat");
    assert_eq!(push.element.kind, Element::Component);
    assert_eq!(member_ids(push), ["ci->staging", "ci->prod"]);
    assert!(push.members.iter().all(|m| m.kind == Element::Flow));
    assert_eq!(push.member_spans.len(), 2);
    // The component comes first, then each flow: reports and filters find it on each.
    let elements: Vec<&str> = push.elements().map(|e| &*e.id).collect();
    assert_eq!(elements, ["ci", "ci->staging", "ci->prod"]);
    // One threat, not one per target.
    assert_eq!(of_rule(&analysis, "push-based-deployment").len(), 1);
}

/// A team's rule whose `members` names each flow twice lists each once, in order, and its
/// explanation reads the same list.
#[test]
fn a_team_rules_members_are_listed_once_and_named_in_its_explanation() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(
        dir.path().join("r.yaml"),
        "id: probe\ntitle: Probe\ndescription: probe\nstride: tampering\n\
         applies_to: { element: component, kinds: [process] }\n\
         condition: size(component.outbound) > 0\n\
         members: component.outbound + component.outbound\n\
         explanation: \"{{ component.name }} calls {{ members.filter(f, f.target.kind == 'store').map(f, f.target.name) }}.\"\n\
         likelihood: low\nimpact: low\n",
    )
    .expect("write");
    let rules = RuleSet::only_dirs(&[threatforge_analysis::RuleDir::own(dir.path().to_path_buf())]);
    assert!(!rules.has_errors(), "{:?}", rules.diagnostics);
    let loaded = threatforge_model::load_str(
        "m.yaml",
        "system: { name: t }
components:
  app: { technology: api-service }
  db: { technology: postgresql }
  cache: { technology: redis }
flows:
  - app -> db: { protocol: postgres-tls, authentication: credentials }
  - app -> cache: { protocol: redis-tls, authentication: credentials }
",
        std::path::Path::new("."),
        &threatforge_model::LoadOptions::default(),
    );
    let analysis = threatforge_analysis::analyze(&loaded.model, &rules);
    assert!(
        analysis.rule_diagnostics.is_empty(),
        "{:?}",
        analysis.rule_diagnostics
    );
    let probe = threat(&analysis, "probe:app").expect("the probe's threat");
    assert_eq!(member_ids(probe), ["app->db", "app->cache"]);
    assert_eq!(&*probe.explanation, "app calls db, cache.");
}

/// Leaving the built-in rules' explanations and the factors' reasons unwritten (`check`'s
/// summary) changes nothing else: the same findings, with the same scores, status, tier, members
/// and factors, grouped the same way.
#[test]
fn a_summary_changes_nothing_but_the_text() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/online-shop/threatforge.yaml");
    let loaded = threatforge_model::load(&path, &threatforge_model::LoadOptions::default());
    assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
    let rules = RuleSet::builtin();
    let run = |skip: bool| {
        let options = threatforge_analysis::Options {
            for_summary: skip,
            ..Default::default()
        };
        threatforge_analysis::analyze_with(&loaded.model, &rules, &options)
    };
    let (full, summary) = (run(false), run(true));
    let facts = |analysis: &Analysis| -> Vec<String> {
        analysis
            .findings()
            .map(|t| {
                let members: Vec<&str> = t.members.iter().map(|m| &*m.id).collect();
                format!(
                    "{} {:?} {:?} {:?} {:?} {members:?}",
                    t.id, t.status, t.residual, t.inherent, t.tier
                )
            })
            .collect()
    };
    assert!(full.findings().count() > 20);
    assert_eq!(facts(&full), facts(&summary));
    assert!(full.findings().all(|t| !t.explanation.is_empty()));
    // What is left is what the engine adds to the rule's own text: a group's opening line, the
    // consequences a threat absorbed, the controls in front of it.
    for (whole, short) in full.findings().zip(summary.findings()) {
        let words = short
            .explanation
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        for sentence in words.split(". ").filter(|s| !s.is_empty()) {
            assert!(
                whole.explanation.contains(sentence),
                "{}: {sentence:?} is not part of {:?}",
                whole.id,
                whole.explanation
            );
        }
    }
    let bytes =
        |analysis: &Analysis| -> usize { analysis.findings().map(|t| t.explanation.len()).sum() };
    assert!(
        bytes(&summary) * 5 < bytes(&full),
        "{} of {}",
        bytes(&summary),
        bytes(&full)
    );
    // The factors are the same, and those of the element carry no reason in the summary.
    let factors = |t: &Threat| -> Vec<(&str, &str, i8)> {
        t.factors
            .iter()
            .map(|f| (f.on, f.factor, f.effect))
            .collect()
    };
    let of_the_element = [
        "exposure",
        "authentication",
        "data",
        "criticality",
        "blast radius",
    ];
    let mut unwritten = 0;
    for (whole, short) in full.findings().zip(summary.findings()) {
        assert_eq!(factors(whole), factors(short), "{}", whole.id);
        for (written, left) in whole.factors.iter().zip(short.factors.iter()) {
            if of_the_element.contains(&written.factor) {
                assert!(!written.reason.is_empty(), "{}: {written:?}", whole.id);
                assert!(left.reason.is_empty(), "{}: {left:?}", whole.id);
                unwritten += 1;
            }
        }
    }
    assert!(unwritten > 20, "{unwritten}");
}

/// `threat_group: recipient`: where the model makes sharing people's whereabouts with a vendor a
/// threat, every flow that hands it to that vendor is one threat (one agreement, one decision of
/// what it is sent), named after the vendor; another vendor's stays apart.
#[test]
fn people_data_handed_to_one_vendor_from_two_places_is_one_threat_of_that_vendor() {
    let analysis = analyzed(
        "system: { name: delivery }
data:
  whereabouts: { classification: confidential, categories: [personal, location] }
components:
  courier: { technology: mobile-app, exposure: internet }
  eta: { technology: api-service, processes: [whereabouts] }
  maps: { technology: external-service, exposure: internet }
  crm: { technology: external-service, exposure: internet }
flows:
  - courier -> maps: { protocol: https, authentication: api-key, data: [whereabouts] }
  - eta -> maps: { protocol: https, authentication: api-key, data: [whereabouts] }
  - eta -> crm: { protocol: https, authentication: api-key, data: [whereabouts] }
",
    );
    let found = of_rule(&analysis, "personal-data-shared-with-third-party");
    let ids: Vec<String> = found.iter().map(|t| t.id.to_string()).collect();
    assert_eq!(
        ids,
        [
            "personal-data-shared-with-third-party:eta->crm",
            "personal-data-shared-with-third-party:maps"
        ]
    );
    let maps = found[1];
    assert_eq!(maps.element.kind, Element::Component);
    assert_eq!(member_ids(maps), ["courier->maps", "eta->maps"]);
    assert!(
        maps.explanation
            .starts_with("The same gap on 2 flows to `maps`"),
        "{}",
        maps.explanation
    );
    assert!(maps.is_open());
}

/// The recipient is the third party the data goes to, on a flow it calls in on too: a tool
/// that calls in through the CDN and is handed class rosters back is the same party the platform
/// sends launches to, not the CDN (which passes the call on).
#[test]
fn data_a_third_party_reads_back_groups_with_what_it_is_sent() {
    let analysis = analyzed(
        "system: { name: school }
data:
  launch: { classification: confidential, categories: [personal, children] }
  grades: { classification: confidential, categories: [personal, children] }
components:
  tools: { technology: partner-system, exposure: internet }
  cdn: { technology: cdn, exposure: internet }
  lti: { technology: api-service, processes: [launch, grades] }
flows:
  - lti -> tools: { protocol: https, authentication: signature, data: [launch] }
  - tools -> cdn: { id: ags, protocol: https, authentication: token, data: [grades], returns: [launch] }
  - cdn -> lti: { protocol: https, authentication: token, data: [grades], returns: [launch] }
",
    );
    let found = of_rule(&analysis, "personal-data-shared-with-third-party");
    let ids: Vec<String> = found.iter().map(|t| t.id.to_string()).collect();
    assert_eq!(ids, ["personal-data-shared-with-third-party:tools"]);
    assert_eq!(member_ids(found[0]), ["ags", "lti->tools"]);
}

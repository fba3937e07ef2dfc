//! The Threagile importer on small models of our own, in the 1.0 and the 0.9 spellings.

mod support;

use threatforge_analysis::{Analysis, RuleSet};
use threatforge_import::{
    Format, Options, THREAGILE_RULES, ThreagileElem, detect, import, threagile_rule,
};
use threatforge_model::{DecisionStatus, Loaded, ThreatSeverity};

/// An online shop in Threagile 1.0: a browser, a web application on the internet, an
/// unencrypted database link, an LDAP directory, a build pipeline pushing deployments, nested
/// boundaries, a shared runtime, risk tracking and an individual risk category.
const SHOP_1_0: &str = r#"
threagile_version: 1.0.0
title: "Shop: online store"
date: 2024-05-01
author: { name: Team Shop }
business_criticality: critical
business_overview: { description: "Sells <b>things</b> online." }
questions:
  Who rotates the DB password?: ""
data_assets:
  Customer Records:
    id: customer-records
    usage: business
    quantity: many
    confidentiality: confidential
    integrity: critical
    availability: important
    origin: customers
  Product Catalogue:
    id: products
    confidentiality: public
    integrity: important
    availability: important
  Admin Credentials:
    id: admin-credentials
    confidentiality: strictly-confidential
    integrity: mission-critical
    availability: important
technical_assets:
  Customer Browser:
    id: customer-browser
    type: external-entity
    technology: browser
    internet: true
    used_as_client_by_human: true
    machine: physical
    communication_links:
      Shop Traffic:
        target: shop-web
        protocol: https
        authentication: session-id
        authorization: end-user-identity-propagation
        data_assets_sent: [customer-records]
        data_assets_received: [customer-records, products]
  Shop Web App:
    id: shop-web
    type: process
    technology: web-application
    internet: true
    machine: container
    encryption: none
    confidentiality: confidential
    integrity: critical
    availability: critical
    data_assets_processed: [customer-records, products]
    data_formats_accepted: [json, xml]
    tags: [java]
    communication_links:
      Database Traffic:
        target: shop-db
        protocol: jdbc
        authentication: credentials
        authorization: technical-user
        data_assets_sent: [customer-records]
        data_assets_received: [customer-records, products]
      Directory Lookup:
        target: directory
        protocol: ldap
        authentication: credentials
        authorization: technical-user
        readonly: true
        data_assets_received: [customer-records]
  Shop Database:
    id: shop-db
    type: datastore
    technology: database
    machine: container
    encryption: none
    redundant: true
    data_assets_processed: [customer-records, products]
    data_assets_stored: [customer-records, products]
  Directory:
    id: directory
    type: datastore
    technology: ldap-server
    encryption: transparent
    data_assets_stored: [customer-records, admin-credentials]
  Build Pipeline:
    id: build-pipeline
    type: process
    technology: build-pipeline
    usage: devops
    data_assets_processed: [admin-credentials]
    communication_links:
      Deploy:
        target: shop-web
        protocol: ssh
        authentication: client-certificate
        authorization: technical-user
        usage: devops
        vpn: true
        data_assets_sent: [admin-credentials]
trust_boundaries:
  Cloud Account:
    id: cloud
    type: network-cloud-provider
    trust_boundaries_nested: [app-namespace]
    technical_assets_inside: [build-pipeline]
  App Namespace:
    id: app-namespace
    type: network-policy-namespace-isolation
    technical_assets_inside: [shop-web, shop-db, directory]
shared_runtimes:
  Shop Cluster:
    id: shop-cluster
    technical_assets_running: [shop-web, shop-db]
individual_risk_categories:
  Coupon Abuse:
    id: coupon-abuse
    description: Coupons can be redeemed many times.
    stride: tampering
    cwe: 840
    mitigation: Rate-limit redemptions.
    risks_identified:
      <b>Coupon Abuse</b> at <b>Shop Web App</b>:
        severity: elevated
        exploitation_likelihood: likely
        exploitation_impact: medium
        most_relevant_technical_asset: shop-web
risk_tracking:
  sql-nosql-injection@shop-web@shop-db@shop-web>database-traffic:
    status: mitigated
    justification: Prepared statements everywhere.
    ticket: SHOP-1
    date: 2024-04-01
    checked_by: Alice
  unencrypted-communication@shop-web>database-traffic@shop-web@shop-db:
    status: accepted
    justification: Same pod network.
  unencrypted-asset@shop-db:
    status: in-progress
  coupon-abuse@shop-web:
    status: in-discussion
  incomplete-model@*:
    status: false-positive
    justification: The model is complete.
  coupon-stacking@shop-web:
    status: false-positive
    justification: A rule of our own Threagile fork.
  missing-hardening@*:
    status: unchecked
"#;

/// The same kind of system in the 0.9 spellings (`enduser-identity-propagation`, no
/// `threagile_version`).
const SHOP_0_9: &str = r#"
title: Legacy Shop
data_assets:
  Orders:
    id: orders
    confidentiality: confidential
    integrity: critical
    availability: operational
technical_assets:
  Client:
    id: client
    type: external-entity
    technology: browser
    internet: true
    used_as_client_by_human: true
    communication_links:
      Web:
        target: app
        protocol: http
        authentication: credentials
        authorization: enduser-identity-propagation
        data_assets_sent: [orders]
  App:
    id: app
    type: process
    technology: web-application
    internet: true
    data_assets_processed: [orders]
    communication_links:
      DB:
        target: db
        protocol: sql-access-protocol
        authentication: credentials
        authorization: technical-user
        data_assets_sent: [orders]
  DB:
    id: db
    type: datastore
    technology: database
    data_assets_stored: [orders]
"#;

fn analyze(loaded: &Loaded) -> Analysis {
    let rules = RuleSet::builtin();
    assert!(!rules.has_errors());
    threatforge_analysis::analyze(&loaded.model, &rules)
}

fn opts() -> Options {
    support::options("threagile.yaml")
}

#[test]
fn detects_threagile() {
    assert_eq!(detect(None, SHOP_1_0.as_bytes()), Some(Format::Threagile));
    assert_eq!(detect(None, SHOP_0_9.as_bytes()), Some(Format::Threagile));
    assert_eq!(detect(None, b"title: x\nfoo: bar\n"), None);
}

#[test]
fn shop_1_0_snapshot() {
    let imported = import(SHOP_1_0.as_bytes(), Format::Threagile, &opts()).expect("imports");
    insta::assert_snapshot!("shop_1_0", imported.yaml);
    insta::assert_debug_snapshot!("shop_1_0_warnings", imported.warnings);
}

#[test]
fn shop_0_9_snapshot() {
    let imported = import(SHOP_0_9.as_bytes(), Format::Threagile, &opts()).expect("imports");
    insta::assert_snapshot!("shop_0_9", imported.yaml);
}

#[test]
fn output_is_deterministic() {
    let a = import(SHOP_1_0.as_bytes(), Format::Threagile, &opts()).expect("imports");
    let b = import(SHOP_1_0.as_bytes(), Format::Threagile, &opts()).expect("imports");
    assert_eq!(a, b);
}

#[test]
fn imports_load_without_errors_and_keep_the_model() {
    for source in [SHOP_1_0, SHOP_0_9] {
        let imported = import(source.as_bytes(), Format::Threagile, &opts()).expect("imports");
        let loaded = support::load(&imported.yaml);
        support::assert_loads_cleanly(&loaded, &imported.yaml);
    }
    let imported = import(SHOP_1_0.as_bytes(), Format::Threagile, &opts()).expect("imports");
    let loaded = support::load(&imported.yaml);
    let m = &loaded.model;
    assert_eq!(m.system_name(), "Shop: online store");
    assert_eq!(m.components.len(), 5);
    assert_eq!(m.flows.len(), 4);
    assert_eq!(m.data.len(), 3);
    assert_eq!(m.boundaries.len(), 2);
    assert_eq!(m.runtimes.len(), 1);
    assert!(
        m.boundaries["cloud"]
            .contains
            .iter()
            .any(|c| c.value == "app-namespace")
    );
    assert_eq!(
        m.data["admin-credentials"].classification,
        threatforge_model::Classification::Secret
    );
    let web = &m.components["shop-web"];
    assert!(web.traits.iter().any(|t| t.value == "parses-xml"));
    let db = &m.components["shop-db"];
    assert!(db.controls.iter().any(|c| c.value == "high-availability"));
    let directory = &m.components["directory"];
    assert!(
        directory
            .controls
            .iter()
            .any(|c| c.value == "encryption-at-rest")
    );
    let deploy = &m.flows["build-pipeline->shop-web"];
    assert!(deploy.controls.iter().any(|c| c.value == "vpn"));
    assert_eq!(deploy.usage, Some(threatforge_model::Usage::Devops));
    let browse = &m.flows["customer-browser->shop-web"];
    assert_eq!(
        browse.authorization,
        Some(threatforge_model::Authorization::User)
    );

    // The 0.9 spelling of identity propagation reads like the 1.0 one.
    let old = import(SHOP_0_9.as_bytes(), Format::Threagile, &opts()).expect("imports");
    let old = support::load(&old.yaml);
    assert_eq!(
        old.model.flows["client->app"].authorization,
        Some(threatforge_model::Authorization::User)
    );
}

/// The severity a Threagile model states for an individual risk is what its authors and
/// Threagile's report say; where the risk's likelihood and impact score another band, the threat
/// keeps the stated one (Threagile's own example rates a likely, medium-impact risk critical and
/// a frequent, very-high-impact one medium).
#[test]
fn an_individual_risk_keeps_the_severity_its_model_states() {
    let model = SHOP_1_0
        .replace(
            "        severity: elevated\n        exploitation_likelihood: likely",
            "        severity: critical\n        exploitation_likelihood: likely",
        )
        .replace("  coupon-abuse@shop-web:\n    status: in-discussion\n", "");
    assert_ne!(model, SHOP_1_0);
    let imported = import(model.as_bytes(), Format::Threagile, &opts()).expect("imports");
    let loaded = support::load(&imported.yaml);
    let decision = loaded
        .model
        .decisions
        .iter()
        .find(|d| d.threat.value == "manual:coupon-abuse-shop-web")
        .expect("a decision keeps the stated severity");
    assert_eq!(decision.status, DecisionStatus::Open);
    assert_eq!(decision.severity, Some(ThreatSeverity::Critical));
    let analysis = analyze(&loaded);
    let threat = analysis
        .findings()
        .find(|t| t.id == "manual:coupon-abuse-shop-web")
        .expect("threat");
    assert_eq!(threat.severity(), ThreatSeverity::Critical);

    // Tracked as in discussion, the tracking's decision carries it.
    let tracked = SHOP_1_0.replace(
        "        severity: elevated\n        exploitation_likelihood: likely",
        "        severity: critical\n        exploitation_likelihood: likely",
    );
    let imported = import(tracked.as_bytes(), Format::Threagile, &opts()).expect("imports");
    let loaded = support::load(&imported.yaml);
    let decisions: Vec<_> = loaded
        .model
        .decisions
        .iter()
        .filter(|d| d.threat.value == "manual:coupon-abuse-shop-web")
        .collect();
    assert_eq!(decisions.len(), 1, "{decisions:#?}");
    assert_eq!(decisions[0].severity, Some(ThreatSeverity::Critical));

    // Where the stated severity is the band its likelihood and impact give, nothing is added.
    let imported = import(SHOP_1_0.as_bytes(), Format::Threagile, &opts()).expect("imports");
    assert!(!imported.yaml.contains("Threagile's model rates this risk"));
}

/// Each decision's threat selector and status.
fn decisions_of(loaded: &Loaded) -> Vec<(&str, DecisionStatus)> {
    loaded
        .model
        .decisions
        .iter()
        .map(|d| (d.threat.value.as_str(), d.status))
        .collect()
}

#[test]
fn risk_tracking_becomes_decisions_on_threatforge_threats() {
    let imported = import(SHOP_1_0.as_bytes(), Format::Threagile, &opts()).expect("imports");
    let loaded = support::load(&imported.yaml);
    let decisions = decisions_of(&loaded);
    for expected in [
        ("sql-injection:shop-web", DecisionStatus::Mitigated),
        (
            "cleartext-sensitive-data-in-transit:shop-web->shop-db",
            DecisionStatus::Accepted,
        ),
        (
            "unencrypted-sensitive-data-at-rest:shop-db",
            DecisionStatus::InProgress,
        ),
        ("manual:coupon-abuse-shop-web", DecisionStatus::Open),
        ("missing-hardening:*", DecisionStatus::Open),
    ] {
        assert!(
            decisions.contains(&expected),
            "{expected:?} not in {decisions:#?}"
        );
    }
    // A wildcard risk becomes one decision per covering rule.
    for selector in ["flow-without-protocol:*", "component-without-technology:*"] {
        assert!(
            decisions.contains(&(selector, DecisionStatus::FalsePositive)),
            "{selector} not in {decisions:#?}"
        );
    }
    // A risk of a rule threatforge does not know is kept as a manual threat, with a warning.
    assert!(
        imported
            .warnings
            .iter()
            .any(|w| w.contains("coupon-stacking@shop-web") && w.contains("manual threat"))
    );
    assert!(decisions.iter().any(
        |(t, s)| t.starts_with("manual:coupon-stacking") && *s == DecisionStatus::FalsePositive
    ));

    // The decisions select threats that threatforge's analysis finds.
    let analysis = analyze(&loaded);
    let ids: Vec<String> = analysis.findings().map(|t| t.id.to_string()).collect();
    for id in [
        "sql-injection:shop-web",
        // It absorbs the cleartext threat on the same hop (one root cause), and the decision
        // written for that one applies to it.
        "credentials-over-unencrypted-flow:shop-web->shop-db",
        "unencrypted-sensitive-data-at-rest:shop-db",
        "manual:coupon-abuse-shop-web",
    ] {
        assert!(ids.iter().any(|i| i == id), "{id} not found in {ids:#?}");
    }
    let sql = analysis
        .findings()
        .find(|t| t.id == "sql-injection:shop-web")
        .expect("sql");
    assert_eq!(sql.status, DecisionStatus::Mitigated);
    let hop = analysis
        .findings()
        .find(|t| t.id == "credentials-over-unencrypted-flow:shop-web->shop-db")
        .expect("hop");
    assert_eq!(hop.status, DecisionStatus::Accepted);
}

/// The issue's acceptance test: on a Threagile model of our own, threatforge finds at least the
/// design concerns Threagile's rules find. The Threagile risks are listed by hand from
/// Threagile's rule conditions, each with the element it is raised on.
#[test]
fn threatforge_finds_what_threagile_finds() {
    let imported = import(SHOP_1_0.as_bytes(), Format::Threagile, &opts()).expect("imports");
    let loaded = support::load(&imported.yaml);
    support::assert_loads_cleanly(&loaded, &imported.yaml);
    let analysis = analyze(&loaded);
    let expected: &[(&str, &str)] = &[
        // A web application with customer data, reached from the internet.
        ("cross-site-scripting", "shop-web"),
        ("cross-site-request-forgery", "shop-web"),
        ("missing-waf", "shop-web"),
        // It queries a SQL database and an LDAP directory.
        ("sql-nosql-injection", "shop-web"),
        ("ldap-injection", "shop-web"),
        // It accepts XML.
        ("xml-external-entity", "shop-web"),
        // Confidential data over plain JDBC.
        ("unencrypted-communication", "shop-web->shop-db"),
        // The database stores confidential data unencrypted.
        ("unencrypted-asset", "shop-db"),
        // A build pipeline deploys by pushing over SSH.
        ("push-instead-of-pull-deployment", "build-pipeline"),
        // A shared runtime of a cluster: base images.
        ("container-baseimage-backdooring", "shop-cluster"),
    ];
    let mut missing = Vec::new();
    for (name, element) in expected {
        let mapping = threagile_rule(name).expect("a Threagile rule");
        let found = mapping.covered_by.iter().any(|(tf_rule, _)| {
            analysis
                .findings()
                .any(|t| t.stands_for(tf_rule) && t.elements().any(|e| &*e.id == *element))
        });
        if !found {
            missing.push(format!("{name}@{element}"));
        }
    }
    let found: Vec<String> = analysis.findings().map(|t| t.id.to_string()).collect();
    assert!(missing.is_empty(), "missing {missing:?}; found {found:#?}");
}

/// The table in `threagile.rs` agrees with `rules/coverage-threagile.yaml` and with each rule's
/// `applies_to`, so that decisions land on the element kind the rule raises threats on.
#[test]
fn rule_table_matches_the_coverage_file_and_the_rules() {
    let text = include_str!("../../threatforge-analysis/rules/coverage-threagile.yaml");
    let coverage: threatforge_analysis::RuleCoverage =
        serde_saphyr::from_str(text).expect("coverage file");
    let rules = RuleSet::builtin();
    assert_eq!(coverage.len(), THREAGILE_RULES.len());
    for mapping in THREAGILE_RULES {
        let entry = coverage
            .get(mapping.id)
            .unwrap_or_else(|| panic!("{} not in the coverage file", mapping.id));
        let ours: Vec<&str> = mapping.covered_by.iter().map(|(r, _)| *r).collect();
        assert_eq!(ours, entry.covered_by, "{}", mapping.id);
        for (rule_id, elem) in mapping.covered_by {
            let rule = rules.get(rule_id).unwrap_or_else(|| panic!("{rule_id}"));
            let applies = &rule.file.applies_to;
            let expected = match elem {
                ThreagileElem::Model => "model",
                ThreagileElem::Flow => "flow",
                ThreagileElem::Boundary => "boundary",
                ThreagileElem::Runtime => "runtime",
                ThreagileElem::Data => "data",
                ThreagileElem::Component(_) => "component",
            };
            assert_eq!(applies.element.as_str(), expected, "{rule_id}");
            if let ThreagileElem::Component(kinds) = elem {
                assert_eq!(*kinds, applies.kinds.as_slice(), "{rule_id}");
            }
        }
    }
}

#[test]
fn malformed_input_is_an_error_with_a_position() {
    let err = import(b"title: [unclosed\n", Format::Threagile, &opts()).expect_err("malformed");
    assert!(err.line.is_some(), "{err:?}");
    let err = import(b"- a list\n", Format::Threagile, &opts()).expect_err("not a mapping");
    assert!(err.message.contains("mapping"), "{err}");
    let err = import(b"foo: bar\n", Format::Threagile, &opts()).expect_err("not threagile");
    assert!(err.message.contains("not a Threagile model"), "{err}");
    let err = import(b"\xff\xfe", Format::Threagile, &opts()).expect_err("not utf-8");
    assert!(err.message.contains("UTF-8"), "{err}");
    let big = Options {
        max_bytes: 10,
        ..Options::default()
    };
    let err = import(SHOP_1_0.as_bytes(), Format::Threagile, &big).expect_err("too big");
    assert!(err.message.contains("limit"), "{err}");
}

#[test]
fn alias_bombs_are_refused() {
    let mut bomb = String::from("technical_assets:\n  a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    let mut prev = "a".to_owned();
    for i in 0..12 {
        let name = format!("l{i}");
        bomb.push_str(&format!(
            "  {name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
        ));
        prev = name;
    }
    let result = import(bomb.as_bytes(), Format::Threagile, &opts());
    assert!(result.is_err(), "an alias bomb must be refused");
}

#[test]
fn broken_references_become_warnings_not_errors() {
    let source = r#"
threagile_version: 1.0.0
title: Broken
technical_assets:
  A:
    id: a
    type: process
    technology: no-such-technology
    data_assets_processed: [ghost]
    communication_links:
      To Nowhere:
        target: nowhere
      Weird:
        target: a
        protocol: carrier-pigeon
trust_boundaries:
  Z:
    id: z
    technical_assets_inside: [a, missing]
    trust_boundaries_nested: [z]
risk_tracking:
  something-else@a:
    status: nonsense
"#;
    let imported = import(source.as_bytes(), Format::Threagile, &opts()).expect("imports");
    let loaded = support::load(&imported.yaml);
    support::assert_loads_cleanly(&loaded, &imported.yaml);
    assert!(imported.warnings.len() >= 5, "{:#?}", imported.warnings);
}

/// A Threagile model whose application is a `web-server` (as teams write a Node.js service),
/// querying a database; `PARTS` sets `custom_developed_parts`.
const NODE_SHOP: &str = r#"
threagile_version: 1.0.0
title: Node shop
data_assets:
  Orders: { id: orders, confidentiality: confidential, integrity: critical, availability: important }
technical_assets:
  Browser:
    id: browser
    type: external-entity
    technology: browser
    internet: true
    used_as_client_by_human: true
    communication_links:
      Shop: { target: app, protocol: https, authentication: session-id, data_assets_sent: [orders], data_assets_received: [orders] }
  App:
    id: app
    type: process
    technology: web-server
    custom_developed_parts: PARTS
    internet: true
    data_assets_processed: [orders]
    communication_links:
      Queries: { target: db, protocol: jdbc-encrypted, authentication: credentials, data_assets_sent: [orders], data_assets_received: [orders] }
  DB:
    id: db
    type: datastore
    technology: database
    data_assets_stored: [orders]
"#;

#[test]
fn a_web_server_with_its_own_code_is_a_web_application() {
    let technology_of_app = |parts: &str| -> String {
        let text = NODE_SHOP.replace("PARTS", parts);
        let imported = import(text.as_bytes(), Format::Threagile, &opts()).expect("imports");
        let loaded = support::load(&imported.yaml);
        support::assert_loads_cleanly(&loaded, &imported.yaml);
        let analysis = analyze(&loaded);
        assert!(
            analysis.findings().any(|t| t.id == "sql-injection:app"),
            "it queries the database either way"
        );
        let app = loaded.model.components.get("app").expect("the app");
        app.technology
            .as_ref()
            .map(|t| t.value.clone())
            .unwrap_or_default()
    };
    // A Node.js or Rails service: the team's code, an API as well as pages.
    assert_eq!(technology_of_app("true"), "web-application");
    // nginx serving files.
    assert_eq!(technology_of_app("false"), "web-server");
}

/// The team's containers that no shared runtime holds run on one implied cluster; another
/// party's container (an external entity) runs on that party's platform, not beside them.
#[test]
fn only_the_teams_containers_share_the_implied_cluster() {
    let text = r#"threagile_version: 1.0.0
title: Cluster
technical_assets:
  API: { id: api, type: process, technology: web-service-rest, machine: container,
    communication_links: { Peer: { target: peer, protocol: https, authentication: token } } }
  Worker: { id: worker, type: process, technology: batch-processing, machine: container }
  Peer: { id: peer, type: external-entity, technology: web-service-rest, machine: container }
"#;
    let imported = import(text.as_bytes(), Format::Threagile, &opts()).expect("imports");
    let loaded = support::load(&imported.yaml);
    support::assert_loads_cleanly(&loaded, &imported.yaml);
    let runs: Vec<Vec<&str>> = loaded
        .model
        .runtimes
        .values()
        .map(|r| r.runs.iter().map(|c| c.value.as_str()).collect())
        .collect();
    assert_eq!(runs, vec![vec!["api", "worker"]], "{}", imported.yaml);
}

/// Two of Threagile's risks that map to one threat: a false positive on one link does not
/// close what the other, still unchecked (or accepted), found. And the model template's example
/// risk is left out with its tracking.
#[test]
fn a_threat_stays_as_open_as_the_most_open_risk_it_stands_for() {
    let source = r#"
threagile_version: 1.0.0
title: Pipeline
data_assets:
  Code: { id: code, confidentiality: confidential, integrity: critical }
technical_assets:
  Pipeline:
    id: pipeline
    type: process
    technology: build-pipeline
    internet: true
    data_assets_processed: [code]
individual_risk_categories:
  Some Individual Risk Example:
    id: something-strange
    description: Some text describing the risk category...
    stride: repudiation
    risks_identified:
      <b>Example Individual Risk</b> at <b>Pipeline</b>:
        severity: critical
        most_relevant_technical_asset: pipeline
risk_tracking:
  unguarded-access-from-internet@pipeline@dev@dev>push:
    status: false-positive
    justification: Only staff push.
  code-backdooring@pipeline:
    status: unchecked
  something-strange@pipeline:
    status: accepted
    justification: An example.
"#;
    let imported = import(source.as_bytes(), Format::Threagile, &opts()).expect("imports");
    let loaded = support::load(&imported.yaml);
    let decisions = decisions_of(&loaded);
    // Both risks cover the exposed pipeline; only the false positive covers a missing WAF.
    for expected in [
        (
            "exposed-development-infrastructure:pipeline",
            DecisionStatus::Open,
        ),
        (
            "missing-web-application-firewall:pipeline",
            DecisionStatus::FalsePositive,
        ),
    ] {
        assert!(
            decisions.contains(&expected),
            "{expected:?} not in {decisions:#?}"
        );
    }
    assert!(
        !decisions.iter().any(|(t, _)| t.starts_with("manual:")),
        "{decisions:#?}"
    );
    // The false positive's reason is kept beside the decision, not lost.
    assert!(
        imported
            .yaml
            .contains("the false-positive was: Only staff push."),
        "{}",
        imported.yaml
    );
    assert!(loaded.model.threats.is_empty(), "{}", imported.yaml);
    for warned in [
        "is Threagile's template example",
        "tracks a template example left out",
    ] {
        assert!(
            imported.warnings.iter().any(|w| w.contains(warned)),
            "{warned}: {:#?}",
            imported.warnings
        );
    }
    // A risk accepted on one link says the threat is there, whatever the other link's false
    // positive says.
    let accepted = source.replace("status: unchecked", "status: accepted");
    let imported = import(accepted.as_bytes(), Format::Threagile, &opts()).expect("imports");
    let loaded = support::load(&imported.yaml);
    let expected = (
        "exposed-development-infrastructure:pipeline",
        DecisionStatus::Accepted,
    );
    let decisions = decisions_of(&loaded);
    assert!(
        decisions.contains(&expected),
        "{expected:?} not in {decisions:#?}"
    );
}

//! threatforge -> Open Threat Model -> threatforge, through the real binary: `report --format
//! otm`, then `import`. The imported model keeps the elements, their key attributes, the manual
//! threats, the controls and the decisions, so the analysis finds the same threats with the same
//! statuses and scores.

mod support;

use std::path::Path;

use support::{repo, threatforge};
use threatforge_analysis::{Options, RuleSet, analyze_with};
use threatforge_model::{LoadOptions, Loaded, Model, load};

const MODEL: &str = "system: { name: Depot, criticality: high, owners: [team-depot], tags: [pci] }
data:
  orders: { name: Orders, classification: confidential, integrity: high, categories: [personal, financial], quantity: many }
  keys: { classification: secret, availability: critical, categories: [credential] }
components:
  buyer: { technology: browser, exposure: internet }
  shop: { technology: web-application, exposure: internet, processes: [orders], controls: [waf, input-validation], code: [services/shop/**] }
  jobs: { technology: batch-job, processes: [orders], criticality: low, owner: team-ops }
  db: { technology: postgresql, stores: [orders], controls: [encryption-at-rest], tags: [rds] }
  vault: { technology: secrets-vault, stores: [keys] }
  legacy: { kind: store, technology: file-storage, out_of_scope: replaced next quarter }
flows:
  - buyer -> shop: { protocol: https, authentication: session, data: [orders], returns: [orders] }
  - shop -> db: { id: shop-writes, protocol: postgres, authentication: credentials, data: [orders], controls: [mtls] }
  - shop -> db: { id: shop-reads, protocol: postgres-tls, readonly: true, returns: [orders] }
  - jobs -> db: { protocol: postgres-tls, authentication: credentials, usage: devops, returns: [orders] }
  - shop -> vault: { protocol: https, authentication: token, authorization: service, returns: [keys] }
boundaries:
  cloud: { kind: cloud-account, trust: medium, contains: [vpc] }
  vpc: { kind: vpc, trust: high, contains: [db, vault, jobs] }
runtimes:
  cluster: { kind: cluster, runs: [shop, jobs] }
threats:
  refund-fraud:
    title: Refunds issued to another card
    description: Support staff can change the refund card.
    element: shop
    stride: elevation-of-privilege
    linddun: non-compliance
    likelihood: high
    impact: very-high
    mitigations: [human-approval, audit-logging|tamper-evident-logs]
    capec: [122]
    cwe: [639]
    references: [https://example.invalid/refunds]
  key-leak: { title: Keys leak through backups, element: keys, stride: information-disclosure }
rules:
  not_applicable: { \"clickjacking:shop\": the shop sends frame-ancestors none }
decisions:
  - { threat: \"sql-injection:*\", status: mitigated, owner: team-depot, justification: ORM everywhere }
  - { threat: \"manual:refund-fraud\", status: accepted, justification: manual check weekly, expires: 2027-02-01, ticket: DEP-9 }
  - { threat: \"missing-hardening:db\", status: in-progress, severity: low, justification: managed service }
";

fn analyze(loaded: &Loaded) -> Vec<(String, String, u8)> {
    let analysis = analyze_with(
        &loaded.model,
        &RuleSet::builtin(),
        &Options {
            today: Some("2026-11-28".to_owned()),
            ..Default::default()
        },
    );
    analysis
        .threats
        .iter()
        .map(|t| {
            (
                t.id.to_string(),
                t.status.as_str().to_owned(),
                t.residual.score,
            )
        })
        .collect()
}

fn round_trip(path: &Path, work: &Path) -> (Loaded, Loaded) {
    let otm = threatforge()
        .args(["report", "--format", "otm"])
        .arg(path)
        .output()
        .expect("run");
    assert_eq!(
        otm.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&otm.stderr)
    );
    let otm_path = work.join("model.otm.json");
    std::fs::write(&otm_path, &otm.stdout).expect("write");
    let out = work.join("imported.yaml");
    let import = threatforge()
        .arg("import")
        .arg(&otm_path)
        .arg("-o")
        .arg(&out)
        .output()
        .expect("run");
    assert_eq!(
        import.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&import.stderr)
    );
    let original = load(path, &LoadOptions::default());
    let imported = load(&out, &LoadOptions::default());
    let text = std::fs::read_to_string(&out).unwrap_or_default();
    assert!(
        !imported.has_errors(),
        "{text}\n{:#?}",
        imported.diagnostics
    );
    (original, imported)
}

fn strs<T: AsRef<str>>(items: impl IntoIterator<Item = T>) -> Vec<String> {
    items.into_iter().map(|s| s.as_ref().to_owned()).collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn assert_same_model(a: &Model, b: &Model, name: &str) {
    assert_eq!(a.system_name(), b.system_name(), "{name}");
    assert_eq!(a.system_criticality(), b.system_criticality(), "{name}");
    macro_rules! keys {
        ($m:expr) => {
            $m.keys().cloned().collect::<Vec<String>>()
        };
    }
    assert_eq!(
        keys!(a.components),
        keys!(b.components),
        "{name}: components"
    );
    assert_eq!(keys!(a.data), keys!(b.data), "{name}: data");
    assert_eq!(keys!(a.flows), keys!(b.flows), "{name}: flows");
    assert_eq!(
        keys!(a.boundaries),
        keys!(b.boundaries),
        "{name}: boundaries"
    );
    assert_eq!(keys!(a.runtimes), keys!(b.runtimes), "{name}: runtimes");
    // The export lists threats by id, as the analysis does; their order in the file means nothing.
    assert_eq!(
        sorted(keys!(a.threats)),
        sorted(keys!(b.threats)),
        "{name}: threats"
    );
    for (id, x) in &a.components {
        let y = &b.components[id];
        let what = format!("{name}: component {id}");
        assert_eq!(x.technology_id(), y.technology_id(), "{what}");
        assert_eq!(x.effective_kind(), y.effective_kind(), "{what}");
        assert_eq!(x.exposure, y.exposure, "{what}");
        assert_eq!(x.criticality, y.criticality, "{what}");
        assert_eq!(x.owner, y.owner, "{what}");
        assert_eq!(x.tags, y.tags, "{what}");
        assert_eq!(x.out_of_scope, y.out_of_scope, "{what}");
        for (p, q) in [
            (&x.processes, &y.processes),
            (&x.stores, &y.stores),
            (&x.controls, &y.controls),
            (&x.traits, &y.traits),
            (&x.code, &y.code),
        ] {
            assert_eq!(
                strs(p.iter().map(|s| &s.value)),
                strs(q.iter().map(|s| &s.value)),
                "{what}"
            );
        }
    }
    for (id, x) in &a.data {
        let y = &b.data[id];
        let what = format!("{name}: data {id}");
        assert_eq!(x.classification, y.classification, "{what}");
        assert_eq!(x.integrity, y.integrity, "{what}");
        assert_eq!(x.availability, y.availability, "{what}");
        assert_eq!(x.quantity, y.quantity, "{what}");
        let cats =
            |d: &threatforge_model::DataAsset| strs(d.categories.iter().map(|c| c.value.as_str()));
        assert_eq!(cats(x), cats(y), "{what}");
    }
    for (id, x) in &a.flows {
        let y = &b.flows[id];
        let what = format!("{name}: flow {id}");
        assert_eq!(
            (&x.source.value, &x.target.value),
            (&y.source.value, &y.target.value),
            "{what}"
        );
        assert_eq!(x.protocol_id(), y.protocol_id(), "{what}");
        assert_eq!(x.is_encrypted(), y.is_encrypted(), "{what}");
        assert_eq!(x.authentication(), y.authentication(), "{what}");
        assert_eq!(x.authorization(), y.authorization(), "{what}");
        assert_eq!((x.usage, x.readonly), (y.usage, y.readonly), "{what}");
        for (p, q) in [
            (&x.data, &y.data),
            (&x.returns, &y.returns),
            (&x.controls, &y.controls),
        ] {
            assert_eq!(
                strs(p.iter().map(|s| &s.value)),
                strs(q.iter().map(|s| &s.value)),
                "{what}"
            );
        }
    }
    for (id, x) in &a.boundaries {
        let y = &b.boundaries[id];
        let what = format!("{name}: boundary {id}");
        assert_eq!((x.kind, x.trust), (y.kind, y.trust), "{what}");
        assert_eq!(
            sorted(strs(x.contains.iter().map(|s| &s.value))),
            sorted(strs(y.contains.iter().map(|s| &s.value))),
            "{what}"
        );
    }
    for (id, x) in &a.runtimes {
        let y = &b.runtimes[id];
        assert_eq!(x.kind, y.kind, "{name}: runtime {id}");
        assert_eq!(
            strs(x.runs.iter().map(|s| &s.value)),
            strs(y.runs.iter().map(|s| &s.value))
        );
    }
    for (id, x) in &a.threats {
        let y = &b.threats[id];
        let what = format!("{name}: threat {id}");
        assert_eq!(
            (&x.title, &x.stride, &x.linddun),
            (&y.title, &y.stride, &y.linddun),
            "{what}"
        );
        assert_eq!((x.likelihood, x.impact), (y.likelihood, y.impact), "{what}");
        assert_eq!(
            x.element.as_ref().map(|e| &e.value),
            y.element.as_ref().map(|e| &e.value),
            "{what}"
        );
        assert_eq!(
            strs(x.mitigations.iter().map(|s| &s.value)),
            strs(y.mitigations.iter().map(|s| &s.value)),
            "{what}"
        );
        assert_eq!(
            (&x.capec, &x.cwe, &x.references),
            (&y.capec, &y.cwe, &y.references),
            "{what}"
        );
        assert_eq!(
            x.description.as_deref().map(str::trim),
            y.description.as_deref().map(str::trim),
            "{what}"
        );
    }
}

#[test]
fn a_model_survives_the_round_trip_through_otm() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("threatforge.yaml");
    std::fs::write(&path, MODEL).expect("write");
    let (original, imported) = round_trip(&path, dir.path());
    assert!(!original.has_errors(), "{:#?}", original.diagnostics);
    assert_same_model(&original.model, &imported.model, "depot");
    assert_eq!(analyze(&original), analyze(&imported));
    // Decisions come back once per selector, patterns included.
    let selectors: Vec<&str> = imported
        .model
        .decisions
        .iter()
        .map(|d| d.threat.value.as_str())
        .collect();
    assert_eq!(
        selectors,
        [
            "clickjacking:shop",
            "manual:refund-fraud",
            "missing-hardening:db",
            "sql-injection:*"
        ]
    );
    let refund = imported
        .model
        .decisions
        .iter()
        .find(|d| d.threat.value == "manual:refund-fraud")
        .expect("decision");
    assert_eq!(
        refund.expires.as_ref().map(|e| e.value.as_str()),
        Some("2027-02-01")
    );
    assert_eq!(refund.ticket.as_deref(), Some("DEP-9"));
}

#[test]
fn the_examples_survive_the_round_trip_through_otm() {
    for example in ["online-shop", "k8s-platform", "cicd-pipeline"] {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = repo()
            .join("examples")
            .join(example)
            .join("threatforge.yaml");
        let (original, imported) = round_trip(&path, dir.path());
        assert_same_model(&original.model, &imported.model, example);
        assert_eq!(analyze(&original), analyze(&imported), "{example}");
    }
}

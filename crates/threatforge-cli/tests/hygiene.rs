//! The hygiene checklist through the binary: baseline practices are listed beside the threats,
//! decided like them, and counted by no gate.

mod support;

use support::threatforge;

const SHOP: &str = "system: { name: Shop }
data:
  orders: { classification: secret, categories: [personal, payment], quantity: very-many }
components:
  shopper: { technology: browser, exposure: internet }
  shop: { technology: web-application, processes: [orders], traits: [builds-queries] }
  db: { technology: postgresql, stores: [orders] }
flows:
  - shopper -> shop: { protocol: https, authentication: session, data: [orders], returns: [orders] }
  - shop -> db: { protocol: postgres-tls, authentication: credentials, data: [orders], returns: [orders] }
decisions:
  - { threat: \"vulnerable-dependencies:shop\", status: accepted, owner: sec, justification: scanned weekly by the platform, expires: 2027-06-30 }
";

fn shop() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("threatforge.yaml"), SHOP).expect("write");
    dir
}

fn run(dir: &tempfile::TempDir, args: &[&str]) -> (Option<i32>, String) {
    let output = threatforge()
        .current_dir(dir.path())
        .env("THREATFORGE_TODAY", "2026-12-01")
        .args(args)
        .output()
        .expect("run");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

#[test]
fn hygiene_items_are_listed_apart_decided_like_threats_and_gated_by_nothing() {
    let dir = shop();
    let (code, text) = run(&dir, &["check", "--format", "json", "--fail-on", "medium"]);
    assert_eq!(code, Some(1), "the design's own threats fail the gate");
    let json: serde_json::Value = serde_json::from_str(&text).expect("json");
    let ids = |list: &str| -> Vec<String> {
        json[list]
            .as_array()
            .expect("list")
            .iter()
            .map(|t| t["id"].as_str().expect("id").to_owned())
            .collect()
    };
    let hygiene = ids("hygiene");
    let threats = ids("threats");
    // Baseline practices are on the checklist, not in the register.
    for id in [
        "missing-hardening:db",
        "dos-of-internet-facing-service:shop",
    ] {
        assert!(hygiene.contains(&id.to_owned()), "{hygiene:?}");
        assert!(!threats.contains(&id.to_owned()), "{threats:?}");
    }
    // The design's threats stay in the register.
    assert!(
        threats.contains(&"sql-injection:shop".to_owned()),
        "{threats:?}"
    );
    // A decision on a hygiene item applies, and is no unmatched decision.
    let accepted = json["hygiene"]
        .as_array()
        .expect("hygiene")
        .iter()
        .find(|t| t["id"] == "vulnerable-dependencies:shop")
        .expect("the accepted item");
    assert_eq!(accepted["status"], "accepted");
    assert_eq!(json["model"]["warnings"], 0, "{:#}", json["diagnostics"]);
    // The gate counts threats only, though a hygiene item is at medium and open.
    let open_medium_hygiene = json["hygiene"]
        .as_array()
        .expect("hygiene")
        .iter()
        .filter(|t| t["status"] == "open" && t["residual"]["severity"] == "medium")
        .count();
    assert!(open_medium_hygiene > 0);
    let failing: Vec<&str> = json["summary"]["gate"]["failing"]
        .as_array()
        .expect("failing")
        .iter()
        .map(|v| v.as_str().expect("id"))
        .collect();
    assert!(!failing.is_empty());
    assert!(
        failing
            .iter()
            .all(|id| !hygiene.contains(&(*id).to_owned())),
        "{failing:?}"
    );
    let open = json["hygiene"]
        .as_array()
        .expect("hygiene")
        .iter()
        .filter(|t| t["status"] == "open")
        .count();
    assert_eq!(json["summary"]["hygiene_open"], open);
    assert_eq!(json["summary"]["threats"], threats.len());
}

#[test]
fn every_report_for_people_shows_the_checklist() {
    let dir = shop();
    let (_, text) = run(&dir, &["check"]);
    assert!(
        text.contains("Hygiene checklist: 14 baseline practices missing, not counted as threats"),
        "{text}"
    );
    let (_, md) = run(&dir, &["report", "--format", "md"]);
    let section = md.split("## Hygiene checklist").nth(1).expect("a section");
    assert!(
        section.contains("| open | High-value component without a hardening baseline | `db` |")
    );
    assert!(section.contains("| accepted | Known-vulnerable dependencies"));
    let (_, html) = run(&dir, &["report", "--format", "html"]);
    let section = html
        .split("<section id=\"hygiene\"")
        .nth(1)
        .and_then(|s| s.split("</section>").next())
        .expect("a section");
    assert!(section.contains("missing-hardening:db"), "{section}");
    // Tools that read threats and gate on them (SARIF, CSV, JUnit) carry the register only.
    let (_, sarif) = run(&dir, &["report", "--format", "sarif"]);
    assert!(!sarif.contains("missing-hardening:db"));
    assert!(sarif.contains("sql-injection:shop"));
}

#[test]
fn a_diff_lists_what_the_checklist_gained_and_lost_and_gates_none_of_it() {
    let dir = shop();
    let hardened = SHOP.replace(
        "db: { technology: postgresql, stores: [orders] }",
        "db: { technology: postgresql, stores: [orders], controls: [hardening] }\n  \
         cache: { technology: redis, stores: [orders] }",
    );
    std::fs::write(dir.path().join("new.yaml"), hardened).expect("write");
    let (code, text) = run(
        &dir,
        &[
            "diff",
            "threatforge.yaml",
            "new.yaml",
            "--format",
            "json",
            "--fail-on-new",
            "info",
        ],
    );
    let diff: serde_json::Value = serde_json::from_str(&text).expect("json");
    let changed: Vec<&str> = diff["hygiene"]["changed"]
        .as_array()
        .expect("changed")
        .iter()
        .map(|c| c["id"].as_str().expect("id"))
        .collect();
    assert!(changed.contains(&"missing-hardening:db"), "{diff:#}");
    let introduced: Vec<&str> = diff["hygiene"]["new"]
        .as_array()
        .expect("new")
        .iter()
        .map(|c| c["id"].as_str().expect("id"))
        .collect();
    // The cache's hardening, encryption at rest and what it keeps, and retention, whose one
    // element became two: a group of two is the model's practice (`personal-data-retention:model`),
    // where a group of one kept the db's id.
    assert_eq!(
        introduced,
        [
            "missing-hardening:cache",
            "personal-data-retention:model",
            "sensitive-data-in-cache:cache",
            "unencrypted-sensitive-data-at-rest:cache"
        ],
        "{diff:#}"
    );
    // Only the register's new threats fail `--fail-on-new`.
    let new_threats = diff["threats"]["new"].as_array().expect("new").len();
    assert_eq!(code, Some(if new_threats > 0 { 1 } else { 0 }), "{diff:#}");
}

//! Compliance: the framework data holds together, and the statuses of a sample of requirements on
//! the online-shop example are the ones written here from reading the model, before the output
//! was seen.

use std::collections::BTreeSet;
use std::path::Path;

use threatforge_analysis::{
    Analyzed, Compliance, ComplianceStatus as Status, Project, ProjectOptions, RuleSet, Source,
    assess_compliance, framework_mapping, frameworks, resolve_framework,
};

fn or_panic<T>(r: Result<T, String>) -> T {
    r.unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn every_framework_parses_with_unique_ids_and_known_chapters_and_levels() {
    let all = or_panic(frameworks());
    let names: Vec<&str> = all.iter().map(|f| f.id.as_str()).collect();
    for want in [
        "asvs-5.0",
        "asvs-4.0.3",
        "nist-800-53-r5",
        "owasp-top10-2021",
        "owasp-top10-2025",
        "cwe-top25-2024",
        "gdpr",
    ] {
        assert!(names.contains(&want), "{want} missing from {names:?}");
    }
    assert_eq!(names.len(), names.iter().collect::<BTreeSet<_>>().len());
    for f in all {
        let mut seen = BTreeSet::new();
        assert!(!f.requirements.is_empty(), "{}", f.id);
        for r in &f.requirements {
            assert!(seen.insert(&r.id), "{}: {} twice", f.id, r.id);
            assert!(f.chapters.contains_key(&r.chapter), "{}: {}", f.id, r.id);
            assert!(!r.title.trim().is_empty(), "{}: {}", f.id, r.id);
            match r.level {
                Some(l) => assert!((1..=f.levels.len()).contains(&l), "{}: {}", f.id, r.id),
                None => assert!(f.levels.is_empty(), "{}: {} has no level", f.id, r.id),
            }
        }
    }
}

/// Each framework file has its row in the notice, naming the license its `license` field gives;
/// the CC BY-SA sources' changes are noted, as the license asks of an adaptation.
#[test]
fn every_framework_file_is_in_the_notice_with_its_license() {
    let notice = include_str!("../frameworks/NOTICE.md");
    for f in or_panic(frameworks()) {
        let row = notice
            .lines()
            .find(|l| l.starts_with("| ") && l.contains(&format!("`{}.yaml`", f.id)))
            .unwrap_or_else(|| panic!("NOTICE.md has no row for {}.yaml", f.id));
        let license = f.license.split(" (").next().unwrap_or(&f.license);
        assert!(row.contains(license), "{}: `{license}` not in {row}", f.id);
        if f.license.starts_with("CC BY-SA") {
            assert!(row.contains("shared under the same license"), "{row}");
        }
    }
    assert!(notice.contains("## Changes made to the OWASP sources"));
}

#[test]
fn every_mapping_names_an_existing_control_rule_and_requirement() {
    let all = or_panic(frameworks());
    let requirement = |key: &str| {
        key.split_once(':').is_some_and(|(f, id)| {
            all.iter()
                .any(|x| x.id == f && x.requirements.iter().any(|r| r.id == id))
        })
    };
    let mapping = or_panic(framework_mapping());
    let catalog = threatforge_model::catalog();
    for (control, keys) in &mapping.controls {
        assert!(catalog.control(control).is_some(), "no control {control}");
        for key in keys {
            assert!(requirement(key), "{control}: no requirement {key}");
        }
    }
    let rules = RuleSet::builtin();
    for (rule, keys) in &mapping.rules {
        assert!(rules.rules.iter().any(|r| r.id() == rule), "no rule {rule}");
        for key in keys {
            assert!(requirement(key), "{rule}: no requirement {key}");
        }
    }
    for f in all {
        for r in &f.requirements {
            for key in &r.same_as {
                assert!(requirement(key), "{}:{}: no requirement {key}", f.id, r.id);
            }
        }
    }
}

#[test]
fn frameworks_and_levels_are_named_as_the_docs_say() {
    let level = |name: &str, level: Option<&str>| {
        resolve_framework(name, level).map(|(f, l)| (f.id.clone(), l))
    };
    assert_eq!(
        level("asvs-5.0", Some("2")),
        Ok(("asvs-5.0".into(), Some(2)))
    );
    assert_eq!(level("asvs-5.0-l2", None), Ok(("asvs-5.0".into(), Some(2))));
    assert_eq!(
        level("asvs-5.0", Some("L3")),
        Ok(("asvs-5.0".into(), Some(3)))
    );
    assert_eq!(
        level("nist-800-53-r5-moderate", None),
        Ok(("nist-800-53-r5".into(), Some(2)))
    );
    assert_eq!(level("gdpr", None), Ok(("gdpr".into(), None)));
    let unknown = level("asvs-50", None).err().unwrap_or_default();
    assert!(unknown.contains("did you mean `asvs-5.0`"), "{unknown}");
    assert!(level("asvs-5.0", Some("4")).is_err());
    assert!(level("gdpr", Some("2")).is_err());
}

fn example(name: &str) -> Analyzed {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name)
        .join("threatforge.yaml");
    let options = ProjectOptions {
        today: Some("2026-12-01".to_owned()),
        ..Default::default()
    };
    let analyzed = Project::load(Source::Path(&path), &options);
    assert!(!analyzed.has_errors());
    analyzed
}

fn assess(analyzed: &Analyzed, framework: &str, level: Option<&str>) -> Compliance {
    let (f, l) = or_panic(resolve_framework(framework, level));
    or_panic(assess_compliance(
        &analyzed.loaded.model,
        &analyzed.analysis,
        f,
        l,
    ))
}

fn status(c: &Compliance, id: &str) -> (Status, String, Vec<String>) {
    let r = c
        .requirements
        .iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("{id} not assessed"));
    (r.status, r.reason.clone(), r.threats.clone())
}

/// Expected statuses on examples/online-shop, written from the model and the rules' mitigations
/// before the output was read.
#[test]
fn online_shop_sample_statuses() {
    let shop = example("online-shop");
    let asvs = assess(&shop, "asvs-5.0", Some("2"));
    // The storefront queries customer-db and has input validation but no parameterized queries.
    let (s, _, threats) = status(&asvs, "V1.2.4");
    assert_eq!(s, Status::Gap);
    assert!(
        threats
            .iter()
            .any(|t| t.starts_with("sql-injection:storefront")),
        "{threats:?}"
    );
    // CWE-614: credentials cross the plain-HTTP hop from the WAF to the storefront.
    let (s, _, threats) = status(&asvs, "V3.3.1");
    assert_eq!(s, Status::Gap);
    assert!(
        threats
            .iter()
            .any(|t| t.starts_with("credentials-over-unencrypted-flow:")),
        "{threats:?}"
    );
    // Shoppers sign up and log in; the storefront locks accounts out but has no second factor.
    let (s, _, threats) = status(&asvs, "V6.3.3");
    assert_eq!(s, Status::Gap);
    assert!(
        threats
            .iter()
            .any(|t| t.starts_with("credential-stuffing-and-brute-force:storefront")),
        "{threats:?}"
    );
    // Level 1 leaves out the level-2 requirement.
    let l1 = assess(&shop, "asvs-5.0", Some("1"));
    assert!(l1.requirements.iter().all(|r| r.id != "V6.3.3"));
    assert!(l1.requirements.len() < asvs.requirements.len());

    let gdpr = assess(&shop, "gdpr", None);
    // Customer and order data sit in stores without the data-retention control.
    let (s, _, threats) = status(&gdpr, "Art.5(1)(e)");
    assert_eq!(s, Status::Gap);
    assert!(
        threats
            .iter()
            .any(|t| t.starts_with("personal-data-retention:")),
        "{threats:?}"
    );
    // Nothing maps to keeping the records: a process, said so.
    assert_eq!(status(&gdpr, "Art.30").0, Status::NotAssessed);

    let nist = assess(&shop, "nist-800-53-r5", Some("moderate"));
    // Every store whose loss would lose data the business needs is backed up (the queue passes
    // orders on and the cache is rebuilt, so neither is asked for a backup).
    let (s, reason, _) = status(&nist, "CP-9");
    assert_eq!(s, Status::Met, "{reason}");
    assert!(reason.contains("backup on orders-db"), "{reason}");
    // The log collector, the only log store, ships its logs to append-only storage.
    let (s, reason, _) = status(&nist, "AU-9");
    assert_eq!(s, Status::Met, "{reason}");
    assert!(reason.contains("log-collector"), "{reason}");
    // Written first as not applicable (no container, build runner or AI agent was seen); the
    // output named the EKS cluster `shop-cluster`, which runs targets of different exposure, and
    // sandboxing is among the mitigations of that threat: the gap is right, the expectation was not.
    let sc39 = status(&nist, "SC-39");
    assert_eq!(sc39.0, Status::Gap, "{sc39:?}");
    assert_eq!(
        sc39.2,
        ["mixed-targets-on-shared-runtime:shop-cluster (medium)"]
    );

    let top10 = assess(&shop, "owasp-top10-2021", None);
    assert_eq!(status(&top10, "A03:2021").0, Status::Gap);
}

#[test]
fn online_shop_records_of_processing() {
    let shop = example("online-shop");
    let gdpr = assess(&shop, "gdpr", None);
    let records = gdpr.records.unwrap_or_default();
    let profile = records
        .iter()
        .find(|r| r.data == "customer-profile")
        .unwrap_or_else(|| panic!("no record for customer-profile"));
    assert_eq!(profile.processed_by, ["storefront", "admin-console"]);
    assert_eq!(profile.stored_in, ["customer-db"]);
    assert_eq!(profile.collected_from, ["shopper"]);
    assert!(profile.retention.starts_with("not declared"));
    let clicks = records
        .iter()
        .find(|r| r.data == "clickstream")
        .unwrap_or_else(|| panic!("no record for clickstream"));
    assert!(
        clicks
            .third_parties
            .iter()
            .any(|c| c.starts_with("analytics")),
        "{clicks:?}"
    );
    // Not personal: no record.
    assert!(records.iter().all(|r| r.data != "product-catalogue"));
    // The audit trail's store has the data-retention control.
    let audit = records.iter().find(|r| r.data == "audit-trail");
    assert!(audit.is_some_and(|r| r.retention.contains("log-collector")));
}

#[test]
fn gdpr_does_not_apply_without_personal_data() {
    let text = "system: { name: s }\ncomponents:\n  api: { technology: api-service }\n  db: { technology: postgresql, stores: [stock] }\ndata:\n  stock: { classification: internal }\nflows:\n  - api -> db: { protocol: postgres-tls, data: [stock] }\n";
    let analyzed = Project::load(
        Source::Text {
            name: "m.yaml",
            text,
            dir: Path::new("."),
        },
        &ProjectOptions::default(),
    );
    assert!(!analyzed.has_errors());
    let gdpr = assess(&analyzed, "gdpr", None);
    assert!(
        gdpr.requirements
            .iter()
            .all(|r| r.status == Status::NotApplicable)
    );
    assert!(gdpr.requirements[0].reason.contains("no personal data"));
    assert_eq!(gdpr.records.map(|r| r.len()), Some(0));
}

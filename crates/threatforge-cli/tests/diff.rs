//! `threatforge diff`: pairs of small models for each kind of change, a git repository for
//! `--base`, the new-threat gate, and stable output.

mod support;

use support::{git, threatforge};

const BASE: &str = "system: { name: Shop }
data:
  orders: { classification: confidential, categories: [personal] }
components:
  shopper: { technology: browser, exposure: internet }
  shop: { technology: web-application, processes: [orders], traits: [builds-queries] }
  db: { technology: postgresql, stores: [orders], controls: [encryption-at-rest] }
flows:
  - shopper -> shop: { protocol: https, authentication: credentials, data: [orders] }
  - shop -> db: { protocol: postgres-tls, authentication: credentials, data: [orders], returns: [orders] }
boundaries:
  backend: { kind: network, trust: high, contains: [shop, db] }
";

/// Runs `diff OLD NEW --format json` on two model texts.
fn diff_json(old: &str, new: &str, extra: &[&str]) -> (Option<i32>, serde_json::Value) {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("old.yaml"), old).expect("write");
    std::fs::write(dir.path().join("new.yaml"), new).expect("write");
    let output = threatforge()
        .current_dir(dir.path())
        .args(["diff", "old.yaml", "new.yaml", "--format", "json"])
        .args(extra)
        .output()
        .expect("run");
    let value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stderr)));
    (output.status.code(), value)
}

fn ids(list: &serde_json::Value, key: &str) -> Vec<String> {
    list.as_array()
        .expect("array")
        .iter()
        .map(|x| x[key].as_str().expect("string").to_owned())
        .collect()
}

#[test]
fn the_same_model_has_no_differences() {
    let (code, diff) = diff_json(BASE, BASE, &["--fail-on-new", "info"]);
    assert_eq!(code, Some(0));
    assert_eq!(
        diff["summary"],
        "No change to the model's elements, threats or decisions."
    );
    assert_eq!(diff["gate"]["passed"], true);
}

#[test]
fn an_added_flow_and_component_bring_new_threats_with_their_reason() {
    let new = BASE
        .replace(
            "boundaries:",
            "  - shop -> mailer: { protocol: smtp, data: [orders] }\nboundaries:",
        )
        .replace("  db: {", "  mailer: { technology: mail-server }\n  db: {");
    let (_, diff) = diff_json(BASE, &new, &[]);
    let added: Vec<(String, String)> = diff["elements"]["added"]
        .as_array()
        .expect("added")
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap_or("").to_owned(),
                e["id"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert!(
        added.contains(&("component".into(), "mailer".into())),
        "{added:?}"
    );
    assert!(
        added.contains(&("flow".into(), "shop->mailer".into())),
        "{added:?}"
    );
    let new_threats = diff["threats"]["new"].as_array().expect("new");
    let on_flow = new_threats
        .iter()
        .find(|t| {
            t["id"]
                .as_str()
                .is_some_and(|i| i.ends_with(":shop->mailer"))
        })
        .expect("a threat on the new unencrypted flow");
    assert!(
        on_flow["reasons"]
            .as_array()
            .expect("reasons")
            .iter()
            .any(|r| r == "new flow shop->mailer")
    );
}

#[test]
fn a_removed_element_takes_its_threats_with_it() {
    let (_, diff) = diff_json(
        BASE.replace("controls: [encryption-at-rest]", "controls: []")
            .as_str(),
        BASE,
        &[],
    );
    let gone = ids(&diff["threats"]["gone"], "id");
    assert!(
        gone.is_empty(),
        "a control added mitigates, it does not remove: {gone:?}"
    );
    let old = BASE
        .replace(
            "boundaries:",
            "  - shop -> legacy: { protocol: http }\nboundaries:",
        )
        .replace("  db: {", "  legacy: { technology: api-service }\n  db: {");
    let (_, diff) = diff_json(&old, BASE, &[]);
    let removed = ids(&diff["elements"]["removed"], "id");
    assert!(
        removed.contains(&"legacy".to_owned()) && removed.contains(&"shop->legacy".to_owned()),
        "{removed:?}"
    );
    // The link carried no data: its gap was a line of the hygiene checklist, gone with it.
    assert!(
        ids(&diff["hygiene"]["gone"], "id")
            .iter()
            .any(|i| i.ends_with(":shop->legacy"))
    );
}

#[test]
fn attribute_changes_are_shown_with_old_and_new_values() {
    let new = BASE
        .replace("protocol: postgres-tls", "protocol: postgres")
        .replace("trust: high", "trust: medium");
    let (_, diff) = diff_json(BASE, &new, &[]);
    let changed = diff["elements"]["changed"].as_array().expect("changed");
    let flow = changed
        .iter()
        .find(|c| c["id"] == "shop->db")
        .expect("flow changed");
    assert_eq!(flow["changes"][0]["attribute"], "protocol");
    assert_eq!(flow["changes"][0]["old"], "postgres-tls");
    assert_eq!(flow["changes"][0]["new"], "postgres");
    let boundary = changed
        .iter()
        .find(|c| c["id"] == "backend")
        .expect("boundary changed");
    assert_eq!(boundary["kind"], "boundary");
    // The unencrypted flow is a new threat, and says why.
    let new_threats = diff["threats"]["new"].as_array().expect("new");
    let cleartext = new_threats
        .iter()
        .find(|t| t["id"].as_str().is_some_and(|i| i.ends_with(":shop->db")))
        .expect("new threat on the now unencrypted flow");
    assert!(
        cleartext["reasons"][0]
            .as_str()
            .is_some_and(|r| r.contains("protocol postgres-tls -> postgres"))
    );
}

#[test]
fn a_changed_classification_changes_severities_and_says_so() {
    let new = BASE.replace("classification: confidential", "classification: secret");
    let (_, diff) = diff_json(BASE, &new, &[]);
    let changed = diff["threats"]["changed"].as_array().expect("changed");
    assert!(!changed.is_empty());
    assert!(changed.iter().any(
        |t| t["reasons"].as_array().expect("reasons").iter().any(|r| {
            r.as_str()
                .is_some_and(|r| r.contains("classification confidential -> secret"))
        })
    ));
}

#[test]
fn manual_threats_recorded_and_re_rated_say_so() {
    let old = format!(
        "{BASE}threats:\n  replay: {{ title: Order replay, stride: tampering, element: shop }}\n"
    );
    let new = format!(
        "{BASE}threats:
  replay: {{ title: Order replay, stride: tampering, element: shop, likelihood: very-high, impact: high }}
  scraping: {{ title: Price scraping, stride: information-disclosure }}
"
    );
    let (code, diff) = diff_json(&old, &new, &["--fail-on-new", "low"]);
    // The new manual threat is medium (2 x 2), at or above the gate's `low`.
    assert_eq!(code, Some(1));
    let new_threats = diff["threats"]["new"].as_array().expect("new");
    let scraping = new_threats
        .iter()
        .find(|t| t["id"] == "manual:scraping")
        .expect("the new manual threat");
    assert_eq!(
        scraping["reasons"],
        serde_json::json!(["the team recorded threat scraping"])
    );
    let changed = diff["threats"]["changed"].as_array().expect("changed");
    let replay = changed
        .iter()
        .find(|t| t["id"] == "manual:replay")
        .expect("the re-rated manual threat");
    assert_eq!(
        replay["reasons"],
        serde_json::json!([
            "threat replay: impact medium -> high",
            "threat replay: likelihood medium -> very-high"
        ])
    );
}

#[test]
fn decisions_added_changed_and_expired_are_reported() {
    let decided = |status: &str, expires: &str| {
        format!(
            "{BASE}decisions:\n  - {{ threat: \"sql-injection:shop\", status: {status}, justification: reviewed, expires: {expires} }}\n"
        )
    };
    let (_, diff) = diff_json(BASE, &decided("accepted", "2027-01-01"), &[]);
    assert_eq!(
        ids(
            &serde_json::json!([{"id": diff["decisions"]["added"][0]}]),
            "id"
        ),
        vec!["sql-injection:shop"]
    );
    let changed = diff["threats"]["changed"].as_array().expect("changed");
    let sql = changed
        .iter()
        .find(|t| t["id"] == "sql-injection:shop")
        .expect("status changed");
    assert_eq!(sql["old_status"], "open");
    assert_eq!(sql["new_status"], "accepted");
    let (_, diff) = diff_json(
        &decided("accepted", "2027-01-01"),
        &decided("accepted", "2026-01-01"),
        &[],
    );
    assert_eq!(
        diff["decisions"]["changed"][0]["changes"][0]["attribute"],
        "expires"
    );
    assert_eq!(diff["decisions"]["expired"][0], "sql-injection:shop");
    let (_, diff) = diff_json(&decided("accepted", "2027-01-01"), BASE, &[]);
    assert_eq!(diff["decisions"]["removed"][0], "sql-injection:shop");
}

#[test]
fn the_gate_counts_only_what_the_change_introduces() {
    let insecure = BASE.replace("protocol: postgres-tls", "protocol: postgres");
    // Old debt: the same insecure model on both sides passes.
    let (code, _) = diff_json(&insecure, &insecure, &["--fail-on-new", "low"]);
    assert_eq!(code, Some(0));
    // Introducing it fails at a threshold it reaches, passes above.
    let (code, diff) = diff_json(BASE, &insecure, &["--fail-on-new", "low"]);
    assert_eq!(code, Some(1));
    assert!(
        !diff["gate"]["introduced"]
            .as_array()
            .expect("introduced")
            .is_empty()
    );
    let (code, diff) = diff_json(BASE, &insecure, &["--fail-on-new", "critical"]);
    assert_eq!(code, Some(0), "{}", diff["gate"]);
}

#[test]
fn markdown_is_a_pull_request_comment_and_escapes_model_text() {
    let new = BASE.replace(
        "shop: { technology: web-application,",
        "shop: { name: \"<img src=x onerror=alert(1)> | `x`\", technology: web-application,",
    );
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("old.yaml"), BASE).expect("write");
    std::fs::write(dir.path().join("new.yaml"), new).expect("write");
    let run = || {
        threatforge()
            .current_dir(dir.path())
            .args(["diff", "old.yaml", "new.yaml", "--format", "md"])
            .output()
            .expect("run")
            .stdout
    };
    let first = run();
    assert_eq!(first, run(), "byte-identical across runs");
    let md = String::from_utf8(first).expect("utf-8");
    assert!(md.starts_with("### threatforge: "), "{md}");
    assert!(md.contains("```mermaid\nflowchart LR"), "{md}");
    assert!(!md.contains("<img"), "{md}");
    assert!(
        md.contains("&lt;img src=x onerror=alert(1)&gt; \\| \\`x\\`"),
        "{md}"
    );
    assert!(md.contains("#lt;img src=x onerror=alert(1)#gt;"), "{md}");
}

#[test]
fn base_compares_with_a_git_revision_including_its_includes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let repo = dir.path();
    git(repo, &["init", "-q"]);
    std::fs::create_dir(repo.join("model")).expect("mkdir");
    std::fs::write(
        repo.join("model/threatforge.yaml"),
        BASE.replace(
            "system: { name: Shop }",
            "system: { name: Shop }\ninclude: [more.yaml]",
        ),
    )
    .expect("write");
    std::fs::write(repo.join("model/more.yaml"), "data: {}\n").expect("write");
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-q", "-m", "one"]);
    // The change is in the included file only.
    std::fs::write(repo.join("model/more.yaml"), "components:\n  admin: { technology: admin-console }\nflows:\n  - admin -> db: { protocol: postgres }\n").expect("write");
    let output = threatforge()
        .current_dir(repo)
        .args([
            "diff",
            "--base",
            "HEAD",
            "model/threatforge.yaml",
            "--format",
            "json",
        ])
        .output()
        .expect("run");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let diff: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    let added = ids(&diff["elements"]["added"], "id");
    assert_eq!(added, vec!["admin", "admin->db"]);
    // Found from the working directory too, and a bad revision is a usage error.
    threatforge()
        .current_dir(repo.join("model"))
        .args(["diff", "--base", "HEAD"])
        .assert()
        .code(0);
    threatforge()
        .current_dir(repo)
        .args(["diff", "--base", "no-such-rev", "model/threatforge.yaml"])
        .assert()
        .code(2);
}

#[test]
fn invalid_input_exits_2() {
    let (code, _) = (
        threatforge()
            .args(["diff", "only-one.yaml"])
            .output()
            .expect("run")
            .status
            .code(),
        (),
    );
    assert_eq!(code, Some(2));
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("old.yaml"), BASE).expect("write");
    std::fs::write(
        dir.path().join("new.yaml"),
        "system: { name: x, bogus: 1 }\n",
    )
    .expect("write");
    threatforge()
        .current_dir(dir.path())
        .args(["diff", "old.yaml", "new.yaml"])
        .assert()
        .code(2);
}

/// Runs `diff --base REV MODEL` in `repo` with `extra` arguments.
fn diff_base(
    repo: &std::path::Path,
    rev: &str,
    model: &str,
    extra: &[&str],
) -> std::process::Output {
    threatforge()
        .current_dir(repo)
        .args(["diff", "--base", rev, model])
        .args(extra)
        .output()
        .expect("run")
}

#[test]
fn base_is_an_empty_model_when_the_model_did_not_exist_at_the_revision() {
    let dir = tempfile::tempdir().expect("temp dir");
    let repo = dir.path();
    git(repo, &["init", "-q"]);
    std::fs::write(repo.join("README.md"), "a service\n").expect("write");
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-q", "-m", "before threatforge"]);
    // The pull request that adopts threatforge, in a directory that did not exist either.
    std::fs::create_dir(repo.join("model")).expect("mkdir");
    std::fs::write(repo.join("model/threatforge.yaml"), BASE).expect("write");

    let output = diff_base(repo, "HEAD", "model/threatforge.yaml", &["--format", "md"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    let note = "Base: `model/threatforge.yaml` did not exist at `HEAD`; compared with an empty \
                model, so every threat is new.";
    assert_eq!(stdout.matches(note).count(), 1, "{stdout}");
    assert!(stdout.contains("**New threats**"), "{stdout}");

    // JSON keeps its schema: the line goes to standard error, once.
    let output = diff_base(
        repo,
        "HEAD",
        "model/threatforge.yaml",
        &["--format", "json"],
    );
    assert_eq!(output.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim(), note, "{stderr}");
    let diff: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    let new = ids(&diff["threats"]["new"], "id");
    assert!(!new.is_empty());
    assert!(ids(&diff["elements"]["added"], "id").contains(&"shop".to_owned()));
    assert!(ids(&diff["threats"]["gone"], "id").is_empty());

    // The gate decides the exit code: every open threat is introduced by the change.
    let output = diff_base(
        repo,
        "HEAD",
        "model/threatforge.yaml",
        &["--fail-on-new", "info"],
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("did not exist at `HEAD`"), "{stdout}");
    assert!(stdout.contains("Gate failed"), "{stdout}");

    // Committed, the same holds against the revision before it.
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-q", "-m", "adopt threatforge"]);
    let output = diff_base(repo, "HEAD~1", "model/threatforge.yaml", &[]);
    assert_eq!(output.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&output.stdout).contains("did not exist at `HEAD~1`"));
}

#[test]
fn base_follows_a_model_that_git_reports_as_moved() {
    let dir = tempfile::tempdir().expect("temp dir");
    let repo = dir.path();
    git(repo, &["init", "-q"]);
    std::fs::create_dir(repo.join("security")).expect("mkdir");
    std::fs::write(
        repo.join("security/threatforge.yaml"),
        BASE.replace(
            "system: { name: Shop }",
            "system: { name: Shop }\ninclude: [more.yaml]",
        ),
    )
    .expect("write");
    std::fs::write(
        repo.join("security/more.yaml"),
        "components:\n  admin: { technology: admin-console }\n",
    )
    .expect("write");
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-q", "-m", "model"]);
    // The model and its include move to another directory, and the change adds a flow.
    git(repo, &["mv", "security", "model"]);
    let model = std::fs::read_to_string(repo.join("model/threatforge.yaml")).expect("read");
    std::fs::write(
        repo.join("model/threatforge.yaml"),
        model.replace(
            "boundaries:",
            "  - admin -> db: { protocol: postgres-tls, authentication: credentials }\nboundaries:",
        ),
    )
    .expect("write");

    // Not committed yet (a `git mv` in the working tree), then committed.
    let moved = |rev: &str| {
        let output = diff_base(repo, rev, "model/threatforge.yaml", &["--format", "json"]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{stderr}");
        assert_eq!(
            stderr.trim(),
            format!(
                "Base: the model was `security/threatforge.yaml` at `{rev}` (git reports a \
                 rename); compared with that file."
            )
        );
        let diff: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
        // The old include resolved at its old path: only the new flow is new.
        assert_eq!(ids(&diff["elements"]["added"], "id"), vec!["admin->db"]);
        assert!(ids(&diff["elements"]["removed"], "id").is_empty());
    };
    moved("HEAD");
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-q", "-m", "move"]);
    moved("HEAD~1");
    let output = diff_base(
        repo,
        "HEAD~1",
        "model/threatforge.yaml",
        &["--format", "md"],
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert_eq!(
        stdout
            .matches("Base: the model was `security/threatforge.yaml` at `HEAD~1`")
            .count(),
        1,
        "{stdout}"
    );
}

#[test]
fn the_diff_says_why_threats_went_and_what_changed_their_status() {
    let dir = tempfile::tempdir().expect("temp dir");
    // Only batch's link names no data: the checklist's line for such links is batch's own.
    let old = "system: { name: shop }
data: { orders: { classification: internal } }
components:
  web: { technology: web-application, exposure: internet, traits: [builds-queries] }
  admin: { technology: web-application, exposure: internet, traits: [builds-queries] }
  batch: { technology: web-application, exposure: internet, traits: [builds-queries] }
  db: { technology: postgresql }
flows:
  - web -> db: { protocol: postgres, data: [orders] }
  - admin -> db: { protocol: postgres, data: [orders] }
  - batch -> db: { protocol: postgres }
";
    let new = "system: { name: shop }
data: { orders: { classification: internal } }
components:
  web: { technology: web-application, exposure: internet, controls: [parameterized-queries, input-validation], traits: [builds-queries] }
  admin: { technology: web-application, exposure: internet, traits: [builds-queries] }
  db: { technology: postgresql }
flows:
  - web -> db: { protocol: postgres, data: [orders] }
  - admin -> db: { protocol: postgres, data: [orders] }
rules:
  disable: { clickjacking: the pages send frame-ancestors none }
  not_applicable: { \"sql-injection:admin\": reads a fixed view }
decisions:
  - { threat: \"verbose-errors-and-fingerprinting:*\", status: accepted, justification: generic error pages, expires: 2027-06-30 }
";
    std::fs::write(dir.path().join("old.yaml"), old).expect("write");
    std::fs::write(dir.path().join("new.yaml"), new).expect("write");
    let output = threatforge()
        .current_dir(dir.path())
        .env("THREATFORGE_TODAY", "2026-12-01")
        .args(["diff", "old.yaml", "new.yaml", "--format", "json"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(0));
    let diff: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    // Tuning the rules is a change of the model, with its reason.
    let added = &diff["elements"]["added"];
    assert_eq!(
        added,
        &serde_json::json!([
            { "kind": "disabled-rule", "id": "clickjacking", "reason": "the pages send frame-ancestors none" },
            { "kind": "not-applicable", "id": "sql-injection:admin", "reason": "reads a fixed view" }
        ])
    );
    // The hygiene checklist (clickjacking, verbose errors) changes as the threats do, in a list
    // of its own.
    let reasons_in = |list: &str, section: &str, id: &str| -> Vec<String> {
        let threat = diff[list][section]
            .as_array()
            .expect("threats")
            .iter()
            .find(|t| t["id"] == id)
            .unwrap_or_else(|| panic!("no {section} threat {id}: {diff:#}"));
        serde_json::from_value(threat["reasons"].clone()).expect("reasons")
    };
    let reasons = |section: &str, id: &str| reasons_in("threats", section, id);
    // Gone threats say why they went.
    assert_eq!(
        reasons_in("hygiene", "gone", "clickjacking:model"),
        ["rule clickjacking disabled: the pages send frame-ancestors none"]
    );
    assert_eq!(
        reasons("gone", "sql-injection:batch"),
        ["component batch removed"]
    );
    assert_eq!(
        reasons_in("hygiene", "gone", "flow-without-data:batch->db"),
        ["flow batch->db removed"]
    );
    // Status changes carry their cause, and nothing unrelated.
    assert_eq!(
        reasons("changed", "sql-injection:admin"),
        ["status open -> not-applicable: marked not applicable (reads a fixed view)"]
    );
    assert_eq!(
        reasons_in(
            "hygiene",
            "changed",
            "verbose-errors-and-fingerprinting:model"
        ),
        [
            "status open -> accepted by decision `verbose-errors-and-fingerprinting:*`: generic error pages"
        ]
    );
    let injection = reasons("changed", "sql-injection:web");
    assert_eq!(injection.len(), 1, "{injection:?}");
    assert!(
        injection[0].starts_with("status open -> mitigated by controls; component web: controls"),
        "{injection:?}"
    );
    // The human form says the same.
    let output = threatforge()
        .current_dir(dir.path())
        .env("THREATFORGE_TODAY", "2026-12-01")
        .args(["diff", "old.yaml", "new.yaml"])
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("  + disabled-rule clickjacking: the pages send frame-ancestors none"),
        "{text}"
    );
    assert!(
        text.contains("because rule clickjacking disabled: the pages send frame-ancestors none"),
        "{text}"
    );
}

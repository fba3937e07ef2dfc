//! `threatforge baseline`, through the real binary.

use std::path::Path;

use assert_cmd::Command;

fn threatforge() -> Command {
    let mut command = Command::cargo_bin("threatforge").expect("binary");
    command
        .env("NO_COLOR", "1")
        .env("THREATFORGE_TODAY", "2026-12-01");
    command
}

/// Two web applications on one database: rules that fire on both are one decision each.
const MODEL: &str = "# The shop.
system: { name: shop }   # keep this comment

components:
  web: { technology: web-application, exposure: internet, traits: [builds-queries] }
  admin:
    technology: web-application
    exposure: internet
    traits: [builds-queries]
  db: { technology: postgresql }
flows:
  - web -> db: { protocol: postgres }
  - admin -> db: { protocol: postgres }
";

fn write_model(dir: &Path, text: &str) -> std::path::PathBuf {
    let path = dir.join("threatforge.yaml");
    std::fs::write(&path, text).expect("write model");
    path
}

fn gate(path: &Path, today: &str) -> (Option<i32>, String) {
    let output = threatforge()
        .env("THREATFORGE_TODAY", today)
        .args(["check", "--fail-on", "low"])
        .arg(path)
        .output()
        .expect("run");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn baseline(path: &Path, write: bool) -> std::process::Output {
    let mut command = threatforge();
    command
        .args([
            "baseline",
            "--until",
            "2027-03-31",
            "--owner",
            "platform team",
        ])
        .arg(path);
    if write {
        command.arg("--write");
    }
    command.output().expect("run")
}

#[test]
fn baseline_turns_the_gate_green_and_a_second_run_adds_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write_model(dir.path(), MODEL);
    assert_eq!(
        gate(&path, "2026-12-01").0,
        Some(1),
        "the model has open threats"
    );

    // Without --write: printed, the file untouched.
    let dry = baseline(&path, false);
    assert_eq!(dry.status.code(), Some(0));
    let printed = String::from_utf8(dry.stdout).expect("utf-8");
    let said = String::from_utf8_lossy(&dry.stderr);
    assert!(said.contains("Run again with --write"), "{said}");
    assert_eq!(std::fs::read_to_string(&path).expect("read"), MODEL);

    let wet = baseline(&path, true);
    assert_eq!(wet.status.code(), Some(0));
    let said = String::from_utf8_lossy(&wet.stderr);
    assert!(said.contains("Wrote "), "{said}");
    let written = std::fs::read_to_string(&path).expect("read");
    // The team's text, byte for byte, then the decisions that were printed.
    let added = written
        .strip_prefix(MODEL)
        .expect("the model kept as it was");
    assert_eq!(added, printed);
    insta::assert_snapshot!("baseline_decisions", added);
    // One wildcard where a rule's every open threat is covered, not a line per threat.
    assert!(added.contains("- threat: \"sql-injection:*\""), "{added}");
    assert!(
        !added.contains("- threat: \"sql-injection:web\""),
        "{added}"
    );

    let (code, warnings) = gate(&path, "2026-12-01");
    assert_eq!(code, Some(0), "{warnings}");
    assert!(!warnings.contains("orphaned-decision"), "{warnings}");

    let again = baseline(&path, true);
    assert_eq!(again.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("Nothing to baseline"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(std::fs::read_to_string(&path).expect("read"), written);

    // After the date, the threats are open again and the gate says so.
    let (code, warnings) = gate(&path, "2027-04-01");
    assert_eq!(code, Some(1));
    assert!(warnings.contains("expired-acceptance"), "{warnings}");
}

#[test]
fn decisions_go_into_the_teams_list_and_a_decision_it_cannot_override_is_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    let team = "decisions:\n  - threat: sql-injection:web  # on purpose\n    status: open\n    owner: web-team\n# end of the team's decisions\n";
    let text = format!("{MODEL}{team}");
    let path = write_model(dir.path(), &text);
    let output = baseline(&path, true);
    assert_eq!(output.status.code(), Some(0));
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(
        said.contains("note: `sql-injection:web` stays open: the team's decision keeps it open"),
        "{said}"
    );
    let written = std::fs::read_to_string(&path).expect("read");
    let end = text.find("# end of").expect("comment");
    assert_eq!(&written[..end], &text[..end]);
    assert!(
        written.ends_with("# end of the team's decisions\n"),
        "{written}"
    );
    assert!(
        written.contains("  - threat: \"sql-injection:admin\"\n"),
        "{written}"
    );
    assert!(!written.contains("\"sql-injection:*\""), "{written}");
    // The one threat the team keeps open is the gate's only failure.
    let (code, _) = gate(&path, "2026-12-01");
    assert_eq!(code, Some(1));
    let output = threatforge()
        .args(["check", "--fail-on", "low", "--format", "json"])
        .arg(&path)
        .output()
        .expect("run");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(
        report["summary"]["gate"]["failing"],
        serde_json::json!(["sql-injection:web"])
    );
}

#[test]
fn bad_arguments_are_refused_with_exit_code_two() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write_model(dir.path(), MODEL);
    for (args, expected) in [
        (
            vec!["--until", "31/03/2027", "--owner", "x"],
            "give --until as YYYY-MM-DD",
        ),
        (
            vec!["--until", "2026-11-30", "--owner", "x"],
            "before today",
        ),
        (
            vec!["--until", "2027-03-31", "--owner", " "],
            "--owner is empty",
        ),
    ] {
        let output = threatforge()
            .arg("baseline")
            .args(&args)
            .arg(&path)
            .arg("--write")
            .output()
            .expect("run");
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let said = String::from_utf8_lossy(&output.stderr);
        assert!(said.contains(expected), "{args:?}: {said}");
    }
    assert_eq!(std::fs::read_to_string(&path).expect("read"), MODEL);

    // A list the decisions cannot be inserted into is refused, and the file left alone.
    let flow = format!("{MODEL}decisions: []\n");
    let path = write_model(dir.path(), &flow);
    let output = baseline(&path, true);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("flow list"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(std::fs::read_to_string(&path).expect("read"), flow);
}

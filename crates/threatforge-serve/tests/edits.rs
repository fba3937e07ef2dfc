//! Triage edits on every example model and on a corpus of hand-written YAML styles, through the
//! server's routes: each edit changes one file by one insertion (or, for a decision written
//! before, by replacing that decision's lines), every other byte stays as it was, and the
//! result passes `check` with the decision, control or recorded threat in effect.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

mod support;

use axum::Router;
use axum::http::StatusCode;
use serde_json::{Value, json};
use support::{CSRF, HOST, page_version, post, send};
use threatforge_analysis::{Analyzed, Project, ProjectOptions, Source};
use threatforge_model::{ControlTarget, DecisionStatus};
use threatforge_serve::{Config, router};

const TODAY: &str = "2026-12-01";

fn options() -> ProjectOptions {
    ProjectOptions {
        today: Some(TODAY.to_owned()),
        ..ProjectOptions::default()
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("dir");
    let mut entries: Vec<_> = std::fs::read_dir(from)
        .expect("read dir")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for path in entries {
        let target = to.join(path.file_name().expect("name"));
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).expect("copy");
        }
    }
}

/// Every file under `dir`, by path, with its text.
fn texts(dir: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let text = std::fs::read_to_string(&path).expect("text");
                out.insert(path, text);
            }
        }
    }
    out
}

/// The bytes an edit changed: the old text's part and the new text's part between their common
/// prefix and suffix.
fn changed<'a>(old: &'a str, new: &'a str) -> (&'a str, &'a str) {
    let prefix = old
        .bytes()
        .zip(new.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    let room = old.len().min(new.len()) - prefix;
    let suffix = old
        .bytes()
        .rev()
        .zip(new.bytes().rev())
        .take(room)
        .take_while(|(a, b)| a == b)
        .count();
    (
        &old[prefix..old.len() - suffix],
        &new[prefix..new.len() - suffix],
    )
}

/// Posts `body` as the page's script does, with the version the page now carries.
async fn post_from_page(router: &Router, uri: &str, mut body: Value) -> (StatusCode, String) {
    body["version"] = Value::String(page_version(router).await);
    send(router, post(uri, &body)).await
}

fn load(model: &Path) -> Analyzed {
    let analyzed = Project::load(Source::Path(model), &options());
    let errors: Vec<String> = analyzed
        .diagnostics()
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.message.clone())
        .collect();
    assert!(errors.is_empty(), "{}: {errors:?}", model.display());
    analyzed
}

/// Up to four items spread over `n`: the first, the last and two between.
fn spread(n: usize) -> Vec<usize> {
    let mut picks: Vec<usize> = [0, n / 3, 2 * n / 3, n.saturating_sub(1)]
        .into_iter()
        .filter(|&i| i < n)
        .collect();
    picks.dedup();
    picks
}

/// Asserts that an edit changed exactly one file of `before`, as `one_insertion` says, and
/// returns the new texts.
fn one_file_changed(
    dir: &Path,
    before: &BTreeMap<PathBuf, String>,
    what: &str,
    one_insertion: bool,
) -> BTreeMap<PathBuf, String> {
    let after = texts(dir);
    let differing: Vec<&PathBuf> = after
        .iter()
        .filter(|(path, text)| before.get(*path) != Some(text))
        .map(|(path, _)| path)
        .collect();
    assert_eq!(differing.len(), 1, "{what}: {differing:?}");
    let path = differing[0];
    let (old, new) = changed(&before[path], &after[path]);
    if one_insertion {
        assert_eq!(old, "", "{what}: replaced {old:?} with {new:?}");
    } else {
        assert!(old.contains("threat:"), "{what}: replaced {old:?}");
    }
    assert!(!new.is_empty(), "{what}");
    after
}

/// Writes decisions and controls into the model at `dir` through the server and checks each
/// edit; returns how many of each were written.
async fn exercise(dir: &Path, refused: &[&str]) -> (usize, usize) {
    let model = dir.join("threatforge.yaml");
    let router = router(Config {
        model: model.clone(),
        options: options(),
        addr: HOST.parse::<SocketAddr>().expect("address"),
        token: None,
        csrf: CSRF.to_owned(),
        base: None,
    });
    let first = load(&model);
    let threats: Vec<String> = first
        .analysis
        .threats
        .iter()
        .map(|t| t.id.to_string())
        .collect();
    let statuses = [
        ("accepted", DecisionStatus::Accepted),
        ("false-positive", DecisionStatus::FalsePositive),
        ("not-applicable", DecisionStatus::NotApplicable),
        ("mitigated", DecisionStatus::Mitigated),
    ];
    let mut decided = 0;
    for (n, i) in spread(threats.len()).into_iter().enumerate() {
        let threat = &threats[i];
        let (status, expected) = statuses[n % statuses.len()];
        let before = texts(dir);
        let written = first
            .loaded
            .model
            .decisions
            .iter()
            .any(|d| d.threat.value == *threat);
        let body = json!({
            "threat": threat,
            "status": status,
            "owner": "team: \"security\" # not a comment",
            "justification": "Reviewed in the dashboard:\nthe <script>alert(1)</script> stays text.",
            "expires": if status == "accepted" { "2027-06-30" } else { "" },
        });
        let (code, answer) = post_from_page(&router, "/api/decision", body).await;
        assert_eq!(code, StatusCode::OK, "{threat}: {answer}");
        one_file_changed(dir, &before, threat, !written);
        let now = load(&model);
        let t = now
            .analysis
            .threats
            .iter()
            .find(|t| t.id.cmp_str(threat).is_eq())
            .expect("the threat is still found");
        assert_eq!(t.status, expected, "{threat}");
        decided += 1;
    }
    let components: Vec<String> = first.loaded.model.components.keys().cloned().collect();
    let mut controlled = 0;
    for i in spread(components.len()) {
        let id = &components[i];
        let model_now = load(&model);
        let has = &model_now.loaded.model.components[id].controls;
        let control = threatforge_model::catalog()
            .controls
            .iter()
            .find(|(c, entry)| {
                entry.on != ControlTarget::Flow && !has.iter().any(|h| h.value == **c)
            })
            .map(|(c, _)| c.clone())
            .expect("a control to add");
        let before = texts(dir);
        let body = json!({ "component": id, "control": control });
        let (code, answer) = post_from_page(&router, "/api/control", body).await;
        if refused.contains(&id.as_str()) {
            assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{id}: {answer}");
            assert_eq!(texts(dir), before, "{id}");
            continue;
        }
        assert_eq!(code, StatusCode::OK, "{id}: {answer}");
        one_file_changed(dir, &before, id, true);
        let now = load(&model);
        assert!(
            now.loaded.model.components[id]
                .controls
                .iter()
                .any(|c| c.value == control),
            "{id}"
        );
        controlled += 1;
    }
    // A threat recorded by hand on a component, its id made from its title.
    let element = &components[components.len() / 2];
    let before = texts(dir);
    let body = json!({
        "title": "Replayed order: \"twice\" # not a comment",
        "element": element,
        "stride": "tampering",
        "likelihood": "high",
        "impact": "very-high",
        "description": "Recorded in the dashboard:\n<script>alert(1)</script> stays text.",
        "mitigations": ["rate-limiting"],
    });
    let (code, answer) = post_from_page(&router, "/api/threat", body).await;
    assert_eq!(code, StatusCode::OK, "{element}: {answer}");
    let after = one_file_changed(dir, &before, "a manual threat", true);
    let now = load(&model);
    let id = "manual:replayed-order-twice-not-a-comment";
    let t = now
        .analysis
        .threats
        .iter()
        .find(|t| t.id.cmp_str(id).is_eq())
        .unwrap_or_else(|| panic!("{id} in {after:?}"));
    assert_eq!(&*t.element.id, element.as_str());
    assert_eq!(
        t.title.as_ref(),
        "Replayed order: \"twice\" # not a comment"
    );
    assert_eq!(t.stride, threatforge_model::Stride::Tampering);
    assert!(
        answer.contains("replayed-order-twice-not-a-comment:"),
        "{answer}"
    );
    (decided, controlled)
}

#[tokio::test]
async fn edits_on_every_example_change_only_what_they_add() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&examples)
        .expect("examples")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.join("threatforge.yaml").is_file())
        .collect();
    names.sort();
    assert!(names.len() >= 4, "{names:?}");
    for example in names {
        let temp = tempfile::tempdir().expect("temp dir");
        copy_dir(&example, temp.path());
        let (decided, controlled) = exercise(temp.path(), &[]).await;
        assert!(decided >= 2 && controlled >= 2, "{}", example.display());
    }
}

/// Hand-written styles: flow and block maps, quoted keys, comments everywhere, odd
/// indentation, existing decisions and threats (flow and block), anchors, and no final line
/// break.
const STYLES: &[(&str, &str, &[&str])] = &[
    (
        "flow maps, quoted keys, comments",
        r#"# The shop, written tight.
"system": { "name": 'Styles', criticality: high }   # trailing comment
data:
  card: {classification: secret, categories: [payment]}  # card data
components:
  # People first.
  "shopper": {technology: browser, exposure: internet}  # c
  'web' : { technology: web-application, processes: [card], controls: [ input-validation ] } # c
  db: {technology: postgresql, stores: [card], controls: []}
flows:
  - shopper -> web: {protocol: https, data: [card]}
  - web -> db: {protocol: postgres-tls, authentication: credentials, data: [card]}
threats: { 'card-skimming': {title: "Skimming", element: web, stride: information-disclosure} }  # c
# The end.
"#,
        &[],
    ),
    (
        "block maps, deep indentation, a decisions list with comments",
        "system:\n    name: Styles\n    criticality: high\n\ndata:\n    card:\n        classification: secret\n        categories:\n            - payment\n\ncomponents:\n    shopper:\n        technology: browser\n        exposure: internet\n\n    web:   # the storefront\n        technology: web-application\n        processes:\n            - card\n        controls:\n            - input-validation   # why\n        # a comment after the last key\n\n    db:\n        technology: postgresql\n        stores: [card]\n\nflows:\n    - shopper -> web:\n        protocol: https\n        data: [card]\n    - web -> db:\n        protocol: postgres-tls\n        authentication: credentials\n        data: [card]\n\nthreats:\n    # Found in the workshop.\n    insider:   # the one\n        title: Insider reads cards\n        stride: information-disclosure\n        element: db\n        # after the last key\n\ndecisions:\n    # Taken in review.\n    - threat: \"sql-injection:*\"\n      status: open   # to look at\n\n# trailing comment\nrules: {}",
        &[],
    ),
    (
        "anchors and aliases",
        "system: { name: Styles, criticality: high }\ndata:\n  card: { classification: secret, categories: [payment] }\ncomponents:\n  shopper: { technology: browser, exposure: internet }\n  web: &app { technology: web-application, processes: [card] }\n  api: *app\n  db: { technology: postgresql, stores: [card] }\nflows:\n  - shopper -> web: { protocol: https, data: [card] }\n  - web -> api: { protocol: https, authentication: token, data: [card] }\n  - api -> db: { protocol: postgres-tls, authentication: credentials, data: [card] }\n",
        &["web", "api"],
    ),
];

#[tokio::test]
async fn edits_on_hand_written_styles_change_only_what_they_add() {
    for (style, text, refused) in STYLES {
        let temp = tempfile::tempdir().expect("temp dir");
        std::fs::write(temp.path().join("threatforge.yaml"), text).expect("write");
        let (decided, controlled) = exercise(temp.path(), refused).await;
        assert!(decided >= 2, "{style}");
        assert!(controlled >= 1, "{style}");
    }
}

//! `threatforge serve` through the real binary: it prints its address, serves the pages over a
//! real socket, follows changes of the model's files (an invalid model shows its diagnostics
//! beside the last good analysis), writes a decision taken through the API into the file, and
//! refuses what it cannot serve with exit code 2.

mod support;

use std::net::TcpListener;
use std::path::{Path, PathBuf};

use support::{Server, threatforge};

/// The content of a `<meta name=NAME>` of a page.
fn meta(page: &str, name: &str) -> String {
    let key = format!("<meta name=\"{name}\" content=\"");
    let start = page.find(&key).expect("meta") + key.len();
    page[start..start + page[start..].find('"').expect("end")].to_owned()
}

fn shop(dir: &Path) -> PathBuf {
    let model = dir.join("threatforge.yaml");
    std::fs::copy(
        support::repo().join("examples/online-shop/threatforge.yaml"),
        &model,
    )
    .expect("copy the example");
    model
}

#[test]
fn serve_follows_the_files_and_writes_decisions() {
    let dir = tempfile::tempdir().expect("temp dir");
    let model = shop(dir.path());
    let original = std::fs::read_to_string(&model).expect("model");
    let server = Server::start(&model);

    let (status, page) = server.get("/");
    assert_eq!(status, 200);
    assert!(page.contains("Top open risks"), "{page}");
    let (status, _) = server.get("/threats");
    assert_eq!(status, 200);

    // Broken on disk: the page shows the diagnostics, as `check` renders them, and keeps the
    // last good analysis.
    let broken = original.replacen("technology: postgresql", "technology: postgresqll", 1);
    assert_ne!(broken, original);
    std::fs::write(&model, &broken).expect("write");
    let page = server.wait_for("/", "the diagnostics", |p| {
        p.contains("The model has errors")
    });
    assert!(page.contains("unknown-technology"), "{page}");
    assert!(page.contains("Top open risks"), "{page}");
    // Mended: the errors go.
    std::fs::write(&model, &original).expect("write");
    let page = server.wait_for("/", "the mended model", |p| {
        !p.contains("The model has errors")
    });

    // A decision through the API, as the page's script sends it.
    let threat = {
        let (_, register) = server.get("/threats");
        let start = register.find("data-id=\"").expect("a threat") + 9;
        register[start..start + register[start..].find('"').expect("end")].to_owned()
    };
    let origin = server.url.trim_end_matches('/').to_owned();
    let body = serde_json::json!({
        "version": meta(&page, "tf-version"),
        "threat": threat,
        "status": "accepted",
        "owner": "team-shop",
        "justification": "Accepted in the dashboard's test.",
        "expires": "2027-01-31",
    });
    let response = server
        .agent
        .post(format!("{origin}/api/decision"))
        .header("Origin", &origin)
        .header("X-CSRF-Token", &meta(&page, "tf-csrf"))
        .header("Content-Type", "application/json")
        .send(body.to_string())
        .expect("POST");
    let status = response.status().as_u16();
    let answer = response.into_body().read_to_string().expect("body");
    assert_eq!(status, 200, "{answer}");
    let written = std::fs::read_to_string(&model).expect("model");
    assert!(written.starts_with(&original), "only appended to");
    assert!(
        written[original.len()..].contains(&format!("- threat: \"{threat}\"")),
        "{}",
        &written[original.len()..]
    );
    // Without the CSRF token the same request is refused.
    let refused = server
        .agent
        .post(format!("{origin}/api/decision"))
        .header("Origin", &origin)
        .header("Content-Type", "application/json")
        .send(body.to_string())
        .expect("POST");
    assert_eq!(refused.status().as_u16(), 403);
}

#[test]
fn serve_refuses_what_it_cannot_serve() {
    let refused = |out: std::process::Output, says: &str| {
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(says), "{stderr}");
    };
    refused(
        threatforge().args(["serve", "-"]).output().expect("run"),
        "needs a model file",
    );
    let taken = TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = taken.local_addr().expect("address").port().to_string();
    let dir = tempfile::tempdir().expect("temp dir");
    let model = shop(dir.path());
    refused(
        threatforge()
            .arg("serve")
            .arg(&model)
            .args(["--port", &port])
            .output()
            .expect("run"),
        "cannot listen on",
    );
}

/// `--base REV`: the overview lists what `diff --base REV` lists, and a revision that is not
/// there stops the server before it starts.
#[test]
fn serve_base_shows_the_changes_diff_computes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let repo = dir.path();
    support::git(repo, &["init", "-q"]);
    let model = shop(repo);
    support::git(repo, &["add", "-A"]);
    support::git(repo, &["commit", "-q", "-m", "the shop"]);
    // An admin console on the database, and a decision taken since.
    let mut text = std::fs::read_to_string(&model).expect("model");
    text = text.replacen(
        "components:\n",
        "components:\n  backoffice: { technology: admin-console, exposure: internet }\n",
        1,
    );
    assert!(text.contains("backoffice"));
    std::fs::write(&model, &text).expect("write");
    let diff = threatforge()
        .current_dir(repo)
        .args(["diff", "--base", "HEAD", "--format", "json"])
        .output()
        .expect("run");
    let diff: serde_json::Value = serde_json::from_slice(&diff.stdout).expect("json");
    let new: Vec<&str> = diff["threats"]["new"]
        .as_array()
        .expect("new threats")
        .iter()
        .filter_map(|t| t["id"].as_str())
        .collect();
    assert!(!new.is_empty(), "{diff}");

    let server = support::Server::start_with(&model, &["--base", "HEAD"]);
    let (status, page) = server.get("/");
    assert_eq!(status, 200);
    assert!(page.contains("Changes since <code>HEAD</code>"), "{page}");
    assert!(
        page.contains(&format!("<h3>New threats ({})</h3>", new.len())),
        "{page}"
    );
    for id in &new {
        assert!(page.contains(&format!("<code>{id}</code>")), "{id}: {page}");
    }
    assert!(
        page.contains("added component <code>backoffice</code>"),
        "{page}"
    );
    // Mended back to the revision: nothing changed.
    std::fs::copy(
        support::repo().join("examples/online-shop/threatforge.yaml"),
        &model,
    )
    .expect("copy");
    server.wait_for("/", "no change", |p| {
        p.contains("No change to the model or its threats.")
    });

    let out = threatforge()
        .arg("serve")
        .arg(&model)
        .args(["--port", "0", "--base", "no-such-rev"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no-such-rev"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `--listen 0.0.0.0:0`: one address a line, this machine's loopback first, then its network
/// addresses; none names 0.0.0.0 and each carries the token.
#[test]
fn serve_on_every_address_prints_addresses_a_teammate_can_open() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let dir = tempfile::tempdir().expect("temp dir");
    let model = shop(dir.path());
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("threatforge"))
        .arg("serve")
        .arg(&model)
        .args(["--listen", "0.0.0.0:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
    // The addresses are printed before the first line of standard error.
    let mut serving = String::new();
    stderr.read_line(&mut serving).expect("a line");
    let mut note = String::new();
    stderr.read_line(&mut note).expect("a line");
    let _ = child.kill();
    let mut out = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().expect("stdout"), &mut out)
        .expect("stdout");
    let _ = child.wait();
    let urls: Vec<&str> = out.lines().collect();
    assert!(!urls.is_empty(), "{out}");
    assert!(urls[0].starts_with("http://127.0.0.1:"), "{out}");
    let token = &urls[0][urls[0].find("/?token=").expect("a token") + 8..];
    assert_eq!(token.len(), 32, "{out}");
    let port = &urls[0]["http://127.0.0.1:".len()..urls[0].find("/?").expect("path")];
    for url in &urls {
        assert!(!url.contains("0.0.0.0"), "{out}");
        assert!(url.ends_with(&format!(":{port}/?token={token}")), "{out}");
    }
    assert!(serving.contains(urls[0]), "{serving}");
    if urls.len() > 1 {
        assert!(
            note.contains("Teammates open one of the other addresses"),
            "{note}"
        );
    } else {
        assert!(note.contains("this machine's name or address"), "{note}");
    }
}

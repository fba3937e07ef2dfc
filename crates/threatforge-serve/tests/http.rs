//! The server over HTTP, in process (`tower::ServiceExt::oneshot` on the router): pages, the
//! checks every request passes (Host, token, Origin, CSRF, body size), and the edits with their
//! refusals (stale page, unknown ids, invalid values, a model with errors).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

mod support;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use support::{CSRF, HOST, ORIGIN, get, page_version, post, send};
use threatforge_analysis::ProjectOptions;
use threatforge_serve::{Config, MAX_BODY_BYTES, MAX_CHANGES, router};
use tower::ServiceExt;

const MODEL: &str = "\
# A shop, for the dashboard's tests.
system: { name: Shop, criticality: high }
data:
  card: { classification: secret, categories: [payment] }
components:
  shopper: { technology: browser, exposure: internet }
  web:
    technology: web-application   # the storefront
    processes: [card]
  db: { technology: postgresql, stores: [card] }
  # Beside the database it never calls: the segmentation threat on `db`.
  uploads: { technology: backend-service, traits: [accepts-files] }
flows:
  - shopper -> web: { protocol: https, data: [card] }
  - shopper -> uploads: { protocol: https, authentication: session }
  - web -> db: { protocol: postgres-tls, authentication: credentials, data: [card] }
boundaries:
  zone: { kind: network, trust: high, contains: [web, db, uploads] }
";

struct Served {
    _dir: tempfile::TempDir,
    model: PathBuf,
    router: Router,
}

fn config(model: &Path, addr: &str, token: Option<&str>) -> Config {
    Config {
        model: model.to_path_buf(),
        options: ProjectOptions {
            today: Some("2026-12-01".to_owned()),
            ..ProjectOptions::default()
        },
        addr: addr.parse::<SocketAddr>().expect("address"),
        token: token.map(str::to_owned),
        csrf: CSRF.to_owned(),
        base: None,
    }
}

fn serve(text: &str) -> Served {
    let dir = tempfile::tempdir().expect("temp dir");
    let model = dir.path().join("threatforge.yaml");
    std::fs::write(&model, text).expect("write model");
    let router = router(config(&model, HOST, None));
    Served {
        _dir: dir,
        model,
        router,
    }
}

fn decision(version: &str, threat: &str) -> Value {
    json!({
        "version": version,
        "threat": threat,
        "status": "accepted",
        "owner": "team-web",
        "justification": "Behind the <b>VPN</b> until the rewrite",
        "expires": "2027-03-31",
    })
}

/// The id of some threat on `element`.
async fn threat_on(router: &Router, element: &str) -> String {
    let (_, page) = send(router, get("/threats")).await;
    let marker = format!("data-element=\"{element}\"");
    let row = page
        .lines()
        .find(|l| l.contains(&marker))
        .expect("a threat on the element");
    let start = row.find("data-id=\"").expect("id") + 9;
    row[start..start + row[start..].find('"').expect("end")].to_owned()
}

#[tokio::test]
async fn pages_render_from_the_analysis() {
    let s = serve(MODEL);
    let (status, overview) = send(&s.router, get("/")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        overview.contains("<title>Shop · threatforge</title>"),
        "{overview}"
    );
    assert!(overview.contains("Top open risks"));
    let threat = threat_on(&s.router, "web").await;
    for path in [
        "/threats".to_owned(),
        "/diagram".to_owned(),
        format!("/threats/{threat}"),
        "/elements/web".to_owned(),
        "/elements/db".to_owned(),
        "/assets/app.js".to_owned(),
        "/assets/app.css".to_owned(),
    ] {
        let (status, body) = send(&s.router, get(&path)).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
    }
    let (_, diagram) = send(&s.router, get("/diagram")).await;
    assert!(diagram.contains("data-component=\"web\""), "{diagram}");
    // A flow's label opens the flow's page.
    let start = diagram.find("data-flow=\"").expect("a flow label") + 11;
    let flow = &diagram[start..start + diagram[start..].find('"').expect("end")];
    // `shopper->web`, escaped in the attribute, percent-encoded in the path.
    assert_eq!(flow, "shopper-&gt;web");
    let (status, page) = send(&s.router, get("/elements/shopper-%3Eweb")).await;
    assert_eq!(status, StatusCode::OK, "{flow}");
    assert!(page.contains("<p>flow <code>"), "{page}");
    // One boundary drawn open; a boundary the model lacks says so.
    let (status, zone) = send(&s.router, get("/diagram?boundary=zone")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(zone.contains("data-boundary=\"zone\""), "{zone}");
    let (_, elsewhere) = send(&s.router, get("/diagram?boundary=nowhere")).await;
    assert!(
        elsewhere.contains("There is no boundary `nowhere`"),
        "{elsewhere}"
    );
    let (_, page) = send(&s.router, get("/elements/zone")).await;
    assert!(
        page.contains("href=\"&#x2f;diagram?boundary=zone\""),
        "{page}"
    );
    let (_, page) = send(&s.router, get(&format!("/threats/{threat}"))).await;
    assert!(page.contains("id=\"decide\""), "{page}");
    // A threat with a control missing offers to add it to its component.
    let (status, xss) = send(&s.router, get("/threats/cross-site-scripting:web")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        xss.contains("id=\"add-control\" class=\"triage\" data-component=\"web\""),
        "{xss}"
    );
    assert!(xss.contains("<option>output-encoding</option>"), "{xss}");
    for missing in [
        "/threats/no-such:thing",
        "/elements/..%2F..%2Fetc%2Fpasswd",
        "/nothing",
    ] {
        let (status, _) = send(&s.router, get(missing)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{missing}");
    }
}

#[tokio::test]
async fn the_host_header_must_name_the_server() {
    let s = serve(MODEL);
    for host in [
        "evil.example:7878",
        "127.0.0.1:80",
        "localhost:7879",
        "127.0.0.1",
    ] {
        let request = Request::get("/")
            .header(header::HOST, host)
            .body(Body::empty())
            .expect("request");
        let (status, body) = send(&s.router, request).await;
        assert_eq!(status, StatusCode::MISDIRECTED_REQUEST, "{host}");
        assert!(body.contains("DNS rebinding"), "{body}");
    }
    let without = Request::get("/").body(Body::empty()).expect("request");
    assert_eq!(send(&s.router, without).await.0, StatusCode::BAD_REQUEST);
    let localhost = Request::get("/")
        .header(header::HOST, "localhost:7878")
        .body(Body::empty())
        .expect("request");
    assert_eq!(send(&s.router, localhost).await.0, StatusCode::OK);
}

#[tokio::test]
async fn beyond_loopback_every_request_needs_the_token() {
    let dir = tempfile::tempdir().expect("temp dir");
    let model = dir.path().join("threatforge.yaml");
    std::fs::write(&model, MODEL).expect("write");
    let token = "feedfacefeedfacefeedfacefeedface";
    let router = router(config(&model, "0.0.0.0:7878", Some(token)));
    let at = |uri: &str, cookie: Option<&str>| {
        let mut r = Request::get(uri).header(header::HOST, "192.0.2.7:7878");
        if let Some(c) = cookie {
            r = r.header(header::COOKIE, c);
        }
        r.body(Body::empty()).expect("request")
    };
    let (status, body) = send(&router, at("/", None)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body.contains("token"), "{body}");
    assert_eq!(
        send(&router, at("/?token=wrong", None)).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        send(&router, at("/", Some("threatforge_token=feedface")))
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    // The token in the address: the page, and a cookie for the next requests.
    let response = router
        .clone()
        .oneshot(at(&format!("/?token={token}"), None))
        .await
        .expect("answered");
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = response
        .headers()
        .get(header::SET_COOKIE)
        .and_then(|c| c.to_str().ok())
        .expect("a cookie")
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let pair = cookie.split(';').next().expect("name=value");
    assert_eq!(
        send(&router, at("/threats", Some(pair))).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_change_needs_the_same_origin_and_the_csrf_token() {
    let s = serve(MODEL);
    let version = page_version(&s.router).await;
    let threat = threat_on(&s.router, "web").await;
    let body = decision(&version, &threat).to_string();
    let cases: [(Option<&str>, Option<&str>); 5] = [
        (None, Some(CSRF)),
        (Some("http://evil.example"), Some(CSRF)),
        (Some("https://127.0.0.1:7878"), Some(CSRF)),
        (Some(ORIGIN), None),
        (Some(ORIGIN), Some("00000000000000000000000000000000")),
    ];
    for (origin, csrf) in cases {
        let mut r = Request::post("/api/decision")
            .header(header::HOST, HOST)
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(o) = origin {
            r = r.header(header::ORIGIN, o);
        }
        if let Some(c) = csrf {
            r = r.header("x-csrf-token", c);
        }
        let request = r.body(Body::from(body.clone())).expect("request");
        let (status, _) = send(&s.router, request).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{origin:?} {csrf:?}");
    }
    assert_eq!(std::fs::read_to_string(&s.model).expect("model"), MODEL);
}

#[tokio::test]
async fn bodies_are_bounded_and_malformed_ones_refused() {
    let s = serve(MODEL);
    let version = page_version(&s.router).await;
    let mut big = decision(&version, "x:y");
    big["justification"] = Value::String("a".repeat(MAX_BODY_BYTES + 1));
    assert_eq!(
        send(&s.router, post("/api/decision", &big)).await.0,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    let mut request = post("/api/decision", &json!({}));
    *request.body_mut() = Body::from("{not json");
    assert_eq!(send(&s.router, request).await.0, StatusCode::BAD_REQUEST);
    let mut form = post("/api/decision", &json!({}));
    form.headers_mut().insert(
        header::CONTENT_TYPE,
        "application/x-www-form-urlencoded".parse().expect("value"),
    );
    assert_eq!(
        send(&s.router, form).await.0,
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
    let unknown_field =
        json!({ "version": version, "threat": "x", "status": "open", "path": "/etc/passwd" });
    assert_eq!(
        send(&s.router, post("/api/decision", &unknown_field))
            .await
            .0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(std::fs::read_to_string(&s.model).expect("model"), MODEL);
}

#[tokio::test]
async fn a_decision_is_written_checked_and_shown() {
    let s = serve(MODEL);
    let version = page_version(&s.router).await;
    let threat = threat_on(&s.router, "web").await;
    let (status, body) = send(
        &s.router,
        post("/api/decision", &decision(&version, &threat)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let answer: Value = serde_json::from_str(&body).expect("json");
    let written = std::fs::read_to_string(&s.model).expect("model");
    let added = format!(
        "\ndecisions:\n  - threat: \"{threat}\"\n    status: accepted\n    owner: \"team-web\"\n    \
         justification: \"Behind the <b>VPN</b> until the rewrite\"\n    date: 2026-12-01\n    \
         expires: 2027-03-31\n"
    );
    assert_eq!(written, format!("{MODEL}{added}"));
    let diff = answer["diff"].as_str().expect("diff");
    assert!(
        diff.contains("+decisions:") && diff.contains("+    status: accepted"),
        "{diff}"
    );
    let file = answer["file"].as_str().expect("file");
    assert!(file.ends_with("threatforge.yaml"), "{file}");
    // The pages show the new analysis, and the justification as text.
    let (_, page) = send(&s.router, get(&format!("/threats/{threat}"))).await;
    assert!(
        page.contains("<span class=\"status\" id=\"threat-status\">accepted</span>"),
        "{page}"
    );
    assert!(
        page.contains("Behind the &lt;b&gt;VPN&lt;&#x2f;b&gt;"),
        "{page}"
    );
    assert!(!page.contains("<b>VPN</b>"));

    // The page now carries another version; a second decision on the same threat replaces the
    // first, which would otherwise win as the first written.
    let version = page_version(&s.router).await;
    let mut again = decision(&version, &threat);
    again["status"] = json!("false-positive");
    again["expires"] = json!("");
    let (status, body) = send(&s.router, post("/api/decision", &again)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let replaced = std::fs::read_to_string(&s.model).expect("model");
    assert!(replaced.starts_with(MODEL), "{replaced}");
    assert_eq!(replaced.matches("- threat:").count(), 1, "{replaced}");
    assert!(
        replaced.contains("status: false-positive") && !replaced.contains("expires"),
        "{replaced}"
    );
}

#[tokio::test]
async fn a_stale_page_is_refused_with_409_and_nothing_is_written() {
    let s = serve(MODEL);
    let version = page_version(&s.router).await;
    let threat = threat_on(&s.router, "web").await;
    // A version no page was rendered from.
    let (status, body) = send(&s.router, post("/api/decision", &decision("0123", &threat))).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    // The file changed on disk after the page loaded (an editor; the watcher not yet run).
    let edited = MODEL.replace("# the storefront", "# the storefront, edited");
    std::fs::write(&s.model, &edited).expect("write");
    let (status, body) = send(
        &s.router,
        post("/api/decision", &decision(&version, &threat)),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body.contains("changed since this page was loaded"),
        "{body}"
    );
    assert_eq!(std::fs::read_to_string(&s.model).expect("model"), edited);
}

#[tokio::test]
async fn invalid_decisions_are_refused_with_the_reason() {
    let s = serve(MODEL);
    let version = page_version(&s.router).await;
    let threat = threat_on(&s.router, "web").await;
    let cases = [
        (
            json!({ "threat": "no-such:threat" }),
            StatusCode::NOT_FOUND,
            "no threat",
        ),
        (
            json!({ "status": "ignored" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "not a status",
        ),
        (
            json!({ "justification": " " }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "justification",
        ),
        (
            json!({ "owner": "" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "owner",
        ),
        (
            json!({ "owner": "a\nb" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "one line",
        ),
        (
            json!({ "expires": "2027-13-01" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "YYYY-MM-DD",
        ),
        (
            json!({ "expires": "2026-01-01" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "past",
        ),
        (
            json!({ "status": "in-progress", "expires": "2027-01-01" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "only an acceptance",
        ),
    ];
    for (change, expected, says) in cases {
        let mut body = decision(&version, &threat);
        for (k, v) in change.as_object().expect("object") {
            body[k] = v.clone();
        }
        let (status, answer) = send(&s.router, post("/api/decision", &body)).await;
        assert_eq!(status, expected, "{change}: {answer}");
        assert!(answer.contains(says), "{change}: {answer}");
    }
    assert_eq!(std::fs::read_to_string(&s.model).expect("model"), MODEL);
}

#[tokio::test]
async fn a_control_is_added_to_a_component() {
    let s = serve(MODEL);
    let version = page_version(&s.router).await;
    let add = |component: &str, control: &str| {
        post(
            "/api/control",
            &json!({ "version": version, "component": component, "control": control }),
        )
    };
    let (status, body) = send(&s.router, add("db", "encyrption-at-rest")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("did you mean `encryption-at-rest`"), "{body}");
    assert_eq!(
        send(&s.router, add("nowhere", "waf")).await.0,
        StatusCode::NOT_FOUND
    );
    let (status, body) = send(&s.router, add("db", "encryption-at-rest")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let written = std::fs::read_to_string(&s.model).expect("model");
    assert_eq!(
        written,
        MODEL.replace(
            "stores: [card] }",
            "stores: [card], controls: [encryption-at-rest] }"
        )
    );
    let (_, page) = send(&s.router, get("/elements/db")).await;
    assert!(
        page.contains("<span id=\"controls\">encryption-at-rest</span>"),
        "{page}"
    );
}

#[tokio::test]
async fn an_invalid_model_shows_its_diagnostics_and_refuses_edits() {
    let broken = MODEL.replace("technology: postgresql", "technology: postgresq");
    let s = serve(&broken);
    let (status, page) = send(&s.router, get("/")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("The model has errors"), "{page}");
    assert!(page.contains("postgresq"), "{page}");
    let version = page_version(&s.router).await;
    let request = post(
        "/api/control",
        &json!({ "version": version, "component": "db", "control": "waf" }),
    );
    let (status, body) = send(&s.router, request).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("errors"), "{body}");
    assert_eq!(std::fs::read_to_string(&s.model).expect("model"), broken);
}

/// The rows of a register page: (id, element, severity), in order.
fn rows(page: &str) -> Vec<(String, String, String)> {
    let attr = |line: &str, name: &str| {
        let key = format!("{name}=\"");
        let start = line.find(&key).map(|i| i + key.len()).expect("attribute");
        line[start..start + line[start..].find('"').expect("end")].to_owned()
    };
    page.lines()
        .filter(|l| l.starts_with("<tr data-severity="))
        .map(|l| {
            (
                attr(l, "data-id"),
                attr(l, "data-element"),
                attr(l, "data-severity"),
            )
        })
        .collect()
}

/// The rule of the first of these threats (its id is `rule:element`).
fn expected_rule(rows: &[(String, String, String)]) -> String {
    let id = &rows.first().expect("a threat").0;
    id[..id.find(':').expect("rule:element")].to_owned()
}

/// A link of the page, by its `rel`, as the browser follows it (the template escapes `/` and
/// `&` in attributes).
fn link(page: &str, rel: &str) -> Option<String> {
    let key = format!("\" rel=\"{rel}\"");
    let end = page.find(&key)?;
    let start = page[..end].rfind("href=\"")? + 6;
    Some(
        page[start..end]
            .replace("&#x2f;", "/")
            .replace("&amp;", "&"),
    )
}

#[tokio::test]
async fn the_register_is_paged_filtered_and_sorted_on_the_server() {
    let s = serve(MODEL);
    let (status, page) = send(&s.router, get("/threats")).await;
    assert_eq!(status, StatusCode::OK);
    let all = rows(&page);
    let n = all.len();
    // At least three pages of one: a first, a middle and a last.
    assert!(n >= 3, "{n} threats: too few to page");
    assert!(
        page.contains(&format!("Threats 1 to {n} of {n}.")),
        "{page}"
    );
    assert!(link(&page, "next").is_none(), "one page only");

    // One to a page: the pages are the whole list in order, one by one, and the links walk it.
    let (_, first) = send(&s.router, get("/threats?per=1")).await;
    assert_eq!(rows(&first), all[..1]);
    let pages = n;
    assert!(first.contains(&format!("Page 1 of {pages}")), "{first}");
    let mut walked = rows(&first);
    let mut at = first;
    while let Some(next) = link(&at, "next") {
        let (status, page) = send(&s.router, get(&next)).await;
        assert_eq!(status, StatusCode::OK, "{next}");
        walked.extend(rows(&page));
        at = page;
    }
    assert_eq!(walked, all);
    assert!(at.contains(&format!("Page {pages} of {pages}")), "{at}");
    assert_eq!(
        link(&at, "prev").as_deref(),
        Some(format!("/threats?page={}&per=1", pages - 1).as_str())
    );
    // A page past the last shows the last.
    let (_, past) = send(&s.router, get("/threats?per=1&page=999")).await;
    assert_eq!(rows(&past), rows(&at));

    // Filters: exact values, and words in any case.
    let (_, db) = send(&s.router, get("/threats?element=db")).await;
    let expected: Vec<_> = all.iter().filter(|r| r.1 == "db").cloned().collect();
    assert!(!expected.is_empty());
    assert_eq!(rows(&db), expected);
    assert!(db.contains(&format!("(of {n} in the model)")), "{db}");
    let severity = &all[0].2;
    let (_, same) = send(&s.router, get(&format!("/threats?severity={severity}"))).await;
    let expected: Vec<_> = all.iter().filter(|r| &r.2 == severity).cloned().collect();
    assert_eq!(rows(&same), expected);
    // Two words in other cases: the element's id and the rule of one of its threats.
    let rule = expected_rule(&rows(&db));
    let (_, words) = send(
        &s.router,
        get(&format!("/threats?q=DB+{}", rule.to_uppercase())),
    )
    .await;
    let found = rows(&words);
    assert!(found.iter().any(|r| r.1 == "db"), "{found:?}");
    assert!(found.len() < n, "{found:?}");
    assert!(found.iter().all(|r| r.0.contains(&rule)), "{found:?}");
    let (_, none) = send(&s.router, get("/threats?q=no-such-word")).await;
    assert!(rows(&none).is_empty());
    assert!(none.contains("No threat"), "{none}");
    // The filters stay in the form, and in the links of the columns.
    assert!(db.contains("name=\"element\" value=\"db\""), "{db}");

    // Sorting by a column, both ways; the heading says how.
    let (_, by_element) = send(&s.router, get("/threats?sort=element")).await;
    let elements: Vec<String> = rows(&by_element).into_iter().map(|r| r.1).collect();
    assert_eq!(elements.len(), n);
    assert!(elements.is_sorted(), "{elements:?}");
    assert!(
        by_element.contains("data-sort=\"element\" aria-sort=\"ascending\""),
        "{by_element}"
    );
    let (_, reverse) = send(&s.router, get("/threats?sort=element&order=desc")).await;
    let mut descending: Vec<String> = rows(&reverse).into_iter().map(|r| r.1).collect();
    descending.reverse();
    assert!(descending.is_sorted(), "{descending:?}");
    // The default is the order of risk; reversed, the least severe come first.
    let (_, least) = send(&s.router, get("/threats?order=desc")).await;
    let mut back = rows(&least);
    back.reverse();
    assert_eq!(back, all);

    // A query that cannot be shown is refused with the reason, never a panic.
    for (query, says) in [
        ("/threats?sort=colour", "sort by one of severity"),
        ("/threats?order=up", "use asc or desc"),
        ("/threats?page=0", "count from 1"),
        ("/threats?page=abc", "page"),
        ("/threats?colour=red", "colour"),
    ] {
        let (status, body) = send(&s.router, get(query)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert!(body.contains(says), "{query}: {body}");
    }
}

#[tokio::test]
async fn changes_are_rate_limited_and_forged_ones_do_not_count() {
    let s = serve(MODEL);
    let version = page_version(&s.router).await;
    let unknown = |n: usize| decision(&version, &format!("no-such:threat-{n}"));
    // Forged requests (no CSRF token) are refused before they are counted.
    for n in 0..(MAX_CHANGES as usize * 2) {
        let request = Request::post("/api/decision")
            .header(header::HOST, HOST)
            .header(header::ORIGIN, ORIGIN)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(unknown(n).to_string()))
            .expect("request");
        assert_eq!(send(&s.router, request).await.0, StatusCode::FORBIDDEN);
    }
    for n in 0..MAX_CHANGES as usize {
        let (status, body) = send(&s.router, post("/api/decision", &unknown(n))).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{n}: {body}");
    }
    let before = std::fs::read_to_string(&s.model).expect("model");
    let threat = threat_on(&s.router, "web").await;
    let (status, body) = send(
        &s.router,
        post("/api/decision", &decision(&version, &threat)),
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(body.contains("wait a few seconds"), "{body}");
    assert_eq!(std::fs::read_to_string(&s.model).expect("model"), before);
    // Pages are not limited.
    assert_eq!(send(&s.router, get("/threats")).await.0, StatusCode::OK);
}

#[tokio::test]
async fn a_manual_threat_is_recorded_and_bad_ones_refused_with_the_reason() {
    let s = serve(MODEL);
    let version = page_version(&s.router).await;
    let before = std::fs::read_to_string(&s.model).expect("model");
    let threat = |fields: Value| {
        let mut body = json!({
            "version": version,
            "title": "Card numbers in the <b>logs</b>",
            "element": "web",
            "stride": "information-disclosure",
        });
        for (k, v) in fields.as_object().expect("fields") {
            body[k] = v.clone();
        }
        body
    };
    for (fields, status, says) in [
        (
            json!({ "title": "  " }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "the title is one line",
        ),
        (
            json!({ "title": "a\nb" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "the title is one line",
        ),
        (
            json!({ "stride": "sneaking" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "`sneaking` is not a STRIDE category",
        ),
        (
            json!({ "likelihood": "always" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "use low, medium, high or very-high",
        ),
        (
            json!({ "element": "nowhere" }),
            StatusCode::NOT_FOUND,
            "no element `nowhere`",
        ),
        (
            json!({ "id": "Bad Id" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "is not an id",
        ),
        (
            json!({ "mitigations": ["wishful-thinking"] }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "neither a control",
        ),
    ] {
        let (code, body) = send(&s.router, post("/api/threat", &threat(fields.clone()))).await;
        assert_eq!(code, status, "{fields}: {body}");
        assert!(body.contains(says), "{fields}: {body}");
        assert_eq!(std::fs::read_to_string(&s.model).expect("model"), before);
    }
    // Written: appended as a new section, the rest of the file byte for byte; shown at once.
    let (code, body) = send(&s.router, post("/api/threat", &threat(json!({})))).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    let after = std::fs::read_to_string(&s.model).expect("model");
    assert_eq!(
        after,
        format!(
            "{before}\nthreats:\n  card-numbers-in-the-b-logs-b:\n    title: \"Card numbers in the <b>logs</b>\"\n    element: web\n    stride: information-disclosure\n    likelihood: medium\n    impact: medium\n"
        )
    );
    let answer: Value = serde_json::from_str(&body).expect("json");
    assert!(
        answer["diff"]
            .as_str()
            .is_some_and(|d| d.contains("+threats:")),
        "{answer}"
    );
    let (status, page) = send(
        &s.router,
        get("/threats/manual:card-numbers-in-the-b-logs-b"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Card numbers in the &lt;b&gt;logs&lt;&#x2f;b&gt;"),
        "{page}"
    );
    // The same title again gets the next free id; a taken id given outright is refused.
    let version = page_version(&s.router).await;
    let mut again = threat(json!({}));
    again["version"] = json!(version);
    let (code, body) = send(&s.router, post("/api/threat", &again)).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert!(body.contains("card-numbers-in-the-b-logs-b-2:"), "{body}");
    let version = page_version(&s.router).await;
    again["version"] = json!(version);
    again["id"] = json!("card-numbers-in-the-b-logs-b");
    let (code, body) = send(&s.router, post("/api/threat", &again)).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("already has a threat"), "{body}");
}

#[tokio::test]
async fn the_diagram_collapses_and_opens_boundaries_in_place() {
    let s = serve(MODEL);
    let (status, open) = send(&s.router, get("/diagram.svg")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(open.starts_with("<?xml"), "a whole SVG document");
    assert!(open.contains("data-component=\"web\""), "{open}");
    let (_, closed) = send(&s.router, get("/diagram.svg?collapse=zone")).await;
    assert!(
        closed.contains("data-boundary=\"zone\" data-collapsed=\"true\""),
        "{closed}"
    );
    assert!(!closed.contains("data-component=\"web\""), "{closed}");
    // The page keeps the reader's choice from its address.
    let (_, page) = send(&s.router, get("/diagram?collapse=zone")).await;
    assert!(page.contains("data-collapsed=\"true\""), "{page}");
    assert!(!page.contains("data-component=\"web\""), "{page}");
}

/// Runs git in `dir` as a test author, on a fixed date a day apart per commit.
fn git(dir: &Path, args: &[&str], day: u32) {
    let date = format!("2026-11-{day:02}T12:00:00Z");
    let status = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=Ana O'Lyst & co",
            "-c",
            "user.email=ana@example.com",
        ])
        .args([
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .env("GIT_AUTHOR_DATE", &date)
        .env("GIT_COMMITTER_DATE", &date)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?}");
}

/// The history rows of a threat's page: (commit, date, subject cell or "", selector, before,
/// after), as text without tags.
fn history_rows(page: &str) -> Vec<Vec<String>> {
    let strip = |cell: &str| {
        let mut out = String::new();
        let mut inside = false;
        for c in cell.chars() {
            match c {
                '<' => inside = true,
                '>' => inside = false,
                c if !inside => out.push(c),
                _ => {}
            }
        }
        // The entities of the template environment's escaping, `&amp;` last.
        [
            ("&lt;", "<"),
            ("&gt;", ">"),
            ("&quot;", "\""),
            ("&#x27;", "'"),
            ("&#x2f;", "/"),
        ]
        .iter()
        .fold(out, |text, (from, to)| text.replace(from, to))
        .replace("&amp;", "&")
    };
    page.split("<tr class=\"history-entry\"")
        .skip(1)
        .map(|row| {
            let row = &row[..row.find("</tr>").expect("row end")];
            row.split("<td")
                .skip(1)
                .map(|cell| strip(&cell[cell.find('>').expect("cell") + 1..]))
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn a_threat_page_shows_the_history_of_its_decisions_from_git() {
    let dir = tempfile::tempdir().expect("temp dir");
    let repo = dir.path();
    git(repo, &["init", "-q"], 1);
    let model = repo.join("threatforge.yaml");
    std::fs::write(&model, MODEL).expect("write");
    let served = router(config(&model, HOST, None));
    let id = threat_on(&served, "web").await;
    git(repo, &["add", "."], 1);
    git(repo, &["commit", "-q", "-m", "The shop's model"], 1);
    let with = |decisions: &str| format!("{MODEL}{decisions}");
    std::fs::write(
        &model,
        with(&format!(
            "decisions:\n  - {{ threat: \"{id}\", status: in-progress, owner: team-web }}\n"
        )),
    )
    .expect("write");
    git(
        repo,
        &["commit", "-q", "-am", "Triage: the first decision <script>"],
        2,
    );
    // A commit that changes no decision is not in the history.
    std::fs::write(
        &model,
        with(&format!(
            "decisions:\n  - {{ threat: \"{id}\", status: in-progress, owner: team-web }}\n"
        ))
        .replace("# the storefront", "# the shop's storefront"),
    )
    .expect("write");
    git(repo, &["commit", "-q", "-am", "A comment"], 3);
    // The decision moves to an included file, and changes.
    std::fs::write(&model, format!("include: [decisions.yaml]\n{MODEL}")).expect("write");
    std::fs::write(
        repo.join("decisions.yaml"),
        format!("decisions:\n  - {{ threat: \"{id}\", status: accepted, owner: team-web, justification: \"Behind the VPN\", expires: 2027-03-31 }}\n"),
    )
    .expect("write");
    git(repo, &["add", "."], 4);
    git(repo, &["commit", "-q", "-m", "Accept it"], 4);
    // A wildcard that covers the threat replaces it.
    std::fs::write(
        repo.join("decisions.yaml"),
        "decisions:\n  - { threat: \"*:web\", status: mitigated, justification: \"Parameterized queries\" }\n",
    )
    .expect("write");
    git(
        repo,
        &[
            "commit",
            "-q",
            "-am",
            "Every threat on the web is mitigated",
        ],
        5,
    );

    let (status, page) = send(&served, get(&format!("/threats/{id}"))).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let rows = history_rows(&page);
    let summary: Vec<Vec<&str>> = rows
        .iter()
        .map(|r| r.iter().map(String::as_str).collect())
        .collect();
    // Newest first; the wildcard's commit has two rows: one decision added, one removed.
    let short = |row: &[&str]| row[0].len() >= 7;
    assert!(
        summary.iter().filter(|r| r.len() == 7).all(|r| short(r)),
        "{summary:?}"
    );
    assert_eq!(summary.len(), 4, "{summary:?}");
    assert_eq!(
        summary[0][1..],
        [
            "2026-11-05",
            "Ana O'Lyst & co",
            "Every threat on the web is mitigated",
            "*:web",
            "none",
            "mitigated: Parameterized queries"
        ]
    );
    assert_eq!(
        summary[1],
        [
            id.as_str(),
            "accepted, owner team-web, expires 2027-03-31: Behind the VPN",
            "none"
        ]
    );
    assert_eq!(
        summary[2][1..],
        [
            "2026-11-04",
            "Ana O'Lyst & co",
            "Accept it",
            id.as_str(),
            "in-progress, owner team-web",
            "accepted, owner team-web, expires 2027-03-31: Behind the VPN"
        ]
    );
    assert_eq!(
        summary[3][1..],
        [
            "2026-11-02",
            "Ana O'Lyst & co",
            "Triage: the first decision <script>",
            id.as_str(),
            "none",
            "in-progress, owner team-web"
        ]
    );
    // Names from the repository are text.
    assert!(page.contains("Ana O&#x27;Lyst &amp; co"), "{page}");
    assert!(page.contains("the first decision &lt;script&gt;"), "{page}");
    // Another threat has no history.
    let other = threat_on(&served, "db").await;
    let (_, page) = send(&served, get(&format!("/threats/{other}"))).await;
    assert!(page.contains("id=\"history-none\""), "{page}");

    // A new commit moves HEAD: the history is read again.
    std::fs::remove_file(repo.join("decisions.yaml")).expect("remove");
    std::fs::write(&model, MODEL).expect("write");
    git(repo, &["commit", "-q", "-am", "Start over"], 6);
    let (_, page) = send(&served, get(&format!("/threats/{id}"))).await;
    let rows = history_rows(&page);
    assert_eq!(rows.len(), 5, "{rows:?}");
    assert_eq!(rows[0][3], "Start over");
    assert_eq!(rows[0][5], "mitigated: Parameterized queries");
    assert_eq!(rows[0][6], "none");
}

#[tokio::test]
async fn without_a_git_repository_the_history_says_why_it_is_unavailable() {
    let served = serve(MODEL);
    let id = threat_on(&served.router, "web").await;
    let (status, page) = send(&served.router, get(&format!("/threats/{id}"))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(
            "id=\"history-unavailable\">The history is unavailable: the model is not in a git repository."
        ),
        "{page}"
    );
}

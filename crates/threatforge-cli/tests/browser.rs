//! The HTML report in a real browser: Debian's Chromium, driven by ChromeDriver over the W3C
//! WebDriver HTTP protocol on a loopback port.
//!
//! It checks what only a browser can: the page runs without a console error (a script error, or a
//! Content-Security-Policy violation such as a blocked inline handler, is logged as `SEVERE`);
//! the register's filters and sorting work; and a model whose names carry markup shows them as
//! text and runs none of it.
//!
//! Needs `chromium` and `chromedriver` (Debian: `apt-get install -y chromium chromium-driver`).
//! Without them the test skips and says what to install; under `CI=true` (`.ci/run` installs
//! them) it fails instead, so CI never passes without a browser. `THREATFORGE_SKIP_BROWSER_TESTS=1`
//! skips it anywhere. `THREATFORGE_CHROMIUM` and `THREATFORGE_CHROMEDRIVER` may name the
//! executables.
//!
//! The browser log: ChromeDriver has no W3C endpoint for it, and answers `GET /se/log` with
//! "unknown command"; it serves the legacy `POST /session/{id}/se/log` with `{"type": "browser"}`
//! when the session asked for `goog:loggingPrefs: {browser: ALL}`. Each call returns the entries
//! since the previous one.
//!
//! No network: the report's pages are `file://` URLs whose policy forbids every fetch, the
//! dashboard's are served by `threatforge serve` on 127.0.0.1, Chromium is told not to resolve
//! host names (but 127.0.0.1) or use a proxy, and the only other socket is ChromeDriver's on
//! 127.0.0.1.

mod support;

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const SKIP: &str = "THREATFORGE_SKIP_BROWSER_TESTS";
const INSTALL: &str = "apt-get install -y chromium chromium-driver";
/// The key of a web element reference in WebDriver responses.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
/// Every request to ChromeDriver, and every wait, ends within this.
const TIMEOUT: Duration = Duration::from_secs(60);

/// A hostile name: an image whose error handler would retitle the page.
const PAYLOAD: &str = r#"<img src=x onerror="document.title='pwned'">"#;

fn hostile_model() -> String {
    // YAML double-quoted scalars: the payload's quotes escaped.
    let p = PAYLOAD.replace('"', "\\\"");
    format!(
        "system: {{ name: Clinic, criticality: high }}
data:
  records: {{ name: \"{p}\", classification: secret, integrity: high, categories: [health] }}
components:
  patient: {{ technology: browser, exposure: internet }}
  portal: {{ name: \"{p}\", technology: web-application, processes: [records] }}
  db: {{ technology: postgresql, stores: [records], controls: [encryption-at-rest] }}
flows:
  - patient -> portal: {{ name: \"{p}\", protocol: https, data: [records] }}
  - portal -> db: {{ protocol: postgres-tls, authentication: credentials, data: [records], returns: [records] }}
boundaries:
  hospital: {{ name: \"{p}\", kind: network, trust: high, contains: [portal, db] }}
decisions:
  - {{ threat: \"cross-site-scripting:portal\", status: accepted, owner: team-portal, justification: \"{p}\", expires: 2027-03-31 }}
"
    )
}

/// An executable named by `variable`, or the first of `names` on the PATH.
fn find(variable: &str, names: &[&str]) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(variable) {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// Chromium and ChromeDriver, or None when the test is to be skipped. Under CI=true it panics when
/// they are missing: a CI whose browser test passed without a browser would hide a broken report.
fn browser_tools() -> Option<(PathBuf, PathBuf)> {
    if std::env::var(SKIP).is_ok_and(|v| v == "1") {
        eprintln!("browser test skipped: {SKIP}=1");
        return None;
    }
    let chromium = find(
        "THREATFORGE_CHROMIUM",
        &[
            "chromium",
            "chromium-browser",
            "google-chrome",
            "google-chrome-stable",
        ],
    );
    let driver = find("THREATFORGE_CHROMEDRIVER", &["chromedriver"]);
    match (chromium, driver) {
        (Some(chromium), Some(driver)) => Some((chromium, driver)),
        (chromium, driver) => {
            let missing: Vec<&str> = [
                chromium.is_none().then_some("chromium"),
                driver.is_none().then_some("chromedriver"),
            ]
            .into_iter()
            .flatten()
            .collect();
            let message = format!(
                "the browser test needs Chromium and ChromeDriver, and {} cannot be found on \
                 the PATH. Install them (Debian: `{INSTALL}`)",
                missing.join(" and ")
            );
            if support::in_ci() {
                panic!("{message}; CI=true requires this test");
            }
            // Straight to stderr: the test harness captures `eprintln!` of a passing test, and
            // a skip must be seen.
            let _ = writeln!(
                std::io::stderr(),
                "browser test skipped: {message}; CI=true requires it"
            );
            None
        }
    }
}

/// ChromeDriver, killed when dropped.
struct Driver {
    child: Child,
    base: String,
    agent: ureq::Agent,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

impl Driver {
    fn start(executable: &Path) -> Driver {
        let port = free_port();
        let child = Command::new(executable)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", executable.display()));
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(TIMEOUT))
            .http_status_as_error(false)
            .proxy(None)
            .build()
            .into();
        let mut driver = Driver {
            child,
            base: format!("http://127.0.0.1:{port}"),
            agent,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(Some(status)) = driver.child.try_wait() {
                panic!("chromedriver exited at start: {status}");
            }
            let ready = driver
                .agent
                .get(format!("{}/status", driver.base))
                .call()
                .ok()
                .and_then(|r| r.into_body().read_to_string().ok())
                .and_then(|text| serde_json::from_str::<Value>(&text).ok())
                .is_some_and(|v| v["value"]["ready"] == json!(true));
            if ready {
                return driver;
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver did not get ready within 30 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// One WebDriver command; returns its `value`, panics on a WebDriver error.
    fn command(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{path}", self.base);
        let response = match (method, body) {
            ("GET", _) => self.agent.get(&url).call(),
            ("DELETE", _) => self.agent.delete(&url).call(),
            (_, body) => self
                .agent
                .post(&url)
                .header("Content-Type", "application/json")
                .send(body.unwrap_or_else(|| json!({})).to_string()),
        };
        let response = response.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = response.status();
        let text = response
            .into_body()
            .read_to_string()
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let value: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{method} {path}: not JSON ({e}): {text}"));
        assert!(
            status.is_success(),
            "{method} {path} failed with {status}: {}",
            value["value"]["message"]
        );
        value["value"].clone()
    }
}

/// A browser session, closed (and the browser with it) when dropped.
struct Session<'d> {
    driver: &'d Driver,
    id: String,
}

impl Drop for Session<'_> {
    fn drop(&mut self) {
        let _ = self
            .driver
            .agent
            .delete(format!("{}/session/{}", self.driver.base, self.id))
            .call();
    }
}

impl<'d> Session<'d> {
    fn new(driver: &'d Driver, chromium: &Path, profile: &Path) -> Session<'d> {
        let capabilities = json!({
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "goog:chromeOptions": {
                        "binary": chromium.to_string_lossy(),
                        "args": [
                            "--headless",
                            "--no-sandbox",
                            "--disable-gpu",
                            "--disable-background-networking",
                            "--no-first-run",
                            "--disable-component-update",
                            "--disable-sync",
                            "--disable-dev-shm-usage",
                            "--disable-extensions",
                            "--no-default-browser-check",
                            "--no-proxy-server",
                            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                            "--window-size=1280,1024",
                            format!("--user-data-dir={}", profile.display()),
                        ],
                    },
                    "goog:loggingPrefs": { "browser": "ALL" },
                    "timeouts": { "script": 10_000, "pageLoad": 30_000, "implicit": 0 },
                }
            }
        });
        let value = driver.command("POST", "/session", Some(capabilities));
        let id = value["sessionId"]
            .as_str()
            .expect("a session id")
            .to_owned();
        Session { driver, id }
    }

    fn command(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.driver
            .command(method, &format!("/session/{}{path}", self.id), body)
    }

    fn open(&self, file: &Path) {
        self.visit(&file_url(file));
    }

    fn visit(&self, url: &str) {
        self.command("POST", "/url", Some(json!({ "url": url })));
    }

    /// Runs `script` until it returns `true`, for up to the timeout.
    fn wait_until(&self, script: &str, what: &str) {
        let deadline = Instant::now() + TIMEOUT;
        while self.run(script) != json!(true) {
            let page = || self.run("return document.querySelector('main').innerText;");
            assert!(Instant::now() < deadline, "waited for {what}: {}", page());
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The page's title half a second from now: long enough for an error handler, had a payload
    /// created one, to have run and changed it.
    fn title_after_a_pause(&self) -> Value {
        self.command(
            "POST",
            "/execute/async",
            Some(json!({
                "script": "var done = arguments[arguments.length - 1]; setTimeout(function () { done(document.title); }, 500);",
                "args": []
            })),
        )
    }

    fn run(&self, script: &str) -> Value {
        self.command(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": [] })),
        )
    }

    fn click(&self, css: &str) {
        let element = self.command(
            "POST",
            "/element",
            Some(json!({ "using": "css selector", "value": css })),
        );
        let id = element[ELEMENT].as_str().expect("an element reference");
        // A sticky table header may cover an element the page scrolled to the top edge: the
        // click goes where a person would click, in the middle of the view.
        self.command(
            "POST",
            "/execute/sync",
            Some(json!({
                "script": "arguments[0].scrollIntoView({block: 'center', inline: 'nearest'});",
                "args": [element.clone()],
            })),
        );
        self.command("POST", &format!("/element/{id}/click"), Some(json!({})));
    }

    /// Types `keys` (WebDriver's codes: `\u{E007}` is Enter) into the element, focused first.
    fn keys(&self, css: &str, keys: &str) {
        let element = self.command(
            "POST",
            "/element",
            Some(json!({ "using": "css selector", "value": css })),
        );
        let id = element[ELEMENT].as_str().expect("an element reference");
        self.command(
            "POST",
            &format!("/element/{id}/value"),
            Some(json!({ "text": keys })),
        );
    }

    /// Errors in the browser's console since the last call.
    fn console_errors(&self) -> Vec<String> {
        let entries = self.command("POST", "/se/log", Some(json!({ "type": "browser" })));
        entries
            .as_array()
            .expect("log entries")
            .iter()
            .filter(|e| e["level"] == "SEVERE")
            .map(|e| e["message"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    fn visible_rows(&self) -> Vec<Value> {
        let rows = self.run(
            "return Array.from(document.querySelectorAll('#register-table tbody tr'))
               .filter(function (r) { return r.getClientRects().length > 0; })
               .map(function (r) {
                 return { severity: r.getAttribute('data-severity'),
                          id: r.cells[0].textContent.trim() };
               });",
        );
        rows.as_array().expect("rows").clone()
    }
}

/// The ids of the threats on the dashboard's register page, in order.
fn register_ids(session: &Session) -> Vec<String> {
    let ids = session.run(
        "return Array.from(document.querySelectorAll('#register tbody tr'))
           .map(function (r) { return r.dataset.id; });",
    );
    ids.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn file_url(path: &Path) -> String {
    let mut url = String::from("file://");
    for byte in path.to_string_lossy().bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => {
                url.push(byte as char)
            }
            _ => url.push_str(&format!("%{byte:02X}")),
        }
    }
    url
}

fn report(model: &Path, output: &Path) {
    let result = assert_cmd::Command::cargo_bin("threatforge")
        .expect("the threatforge binary")
        .env("NO_COLOR", "1")
        .env("THREATFORGE_TODAY", "2026-11-28")
        .arg("report")
        .arg(model)
        .args(["--format", "html", "-o"])
        .arg(output)
        .timeout(TIMEOUT)
        .output()
        .expect("run threatforge");
    assert!(
        result.status.success(),
        "threatforge report failed: {}",
        String::from_utf8_lossy(&result.stderr)
    );
}

#[test]
fn the_html_report_works_in_a_browser() {
    let Some((chromium, chromedriver)) = browser_tools() else {
        return;
    };
    let dir = tempfile::tempdir().expect("a temporary directory");
    let shop = dir.path().join("report.html");
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    report(
        &examples.join("online-shop").join("threatforge.yaml"),
        &shop,
    );
    let hostile_dir = dir.path().join("hostile");
    std::fs::create_dir(&hostile_dir).expect("mkdir");
    std::fs::write(hostile_dir.join("threatforge.yaml"), hostile_model()).expect("write");
    let hostile = dir.path().join("hostile.html");
    report(&hostile_dir.join("threatforge.yaml"), &hostile);

    let driver = Driver::start(&chromedriver);
    let session = Session::new(&driver, &chromium, &dir.path().join("profile"));

    // The online shop: it runs cleanly, and the register filters and sorts.
    session.open(&shop);
    assert_eq!(
        session.run("return document.title;"),
        json!("Threat model report: Acme online shop")
    );
    assert_eq!(
        session.run("return document.getElementById('register-filters').hidden;"),
        json!(false),
        "the script did not run: the filters are still hidden"
    );
    let all = session.visible_rows();
    assert!(all.len() > 10, "only {} register rows", all.len());
    let high = session
        .run("return document.querySelectorAll('#register-table tbody tr[data-severity=\"high\"]').length;");
    assert!(high.as_u64().unwrap_or(0) > 0, "no high threat");

    session.click("select[data-filter='severity'] option[value='high']");
    let shown = session.visible_rows();
    assert!(
        !shown.is_empty() && shown.len() < all.len(),
        "filtering on high shows {} of {} rows",
        shown.len(),
        all.len()
    );
    assert_eq!(json!(shown.len()), high);
    assert!(
        shown.iter().all(|row| row["severity"] == "high"),
        "a row of another severity is visible: {shown:?}"
    );
    let count = session.run("return document.getElementById('register-count').textContent;");
    assert!(
        count
            .as_str()
            .is_some_and(|c| c.starts_with(&format!("{} of {}", shown.len(), all.len()))),
        "the count says {count}"
    );

    // Sorting by id, both ways, keeps the filter.
    session.click("#register-table thead th:nth-child(1) button");
    let ids: Vec<String> = session
        .visible_rows()
        .iter()
        .map(|r| r["id"].as_str().unwrap_or_default().to_lowercase())
        .collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "not sorted by id");
    assert_eq!(ids.len(), shown.len());
    session.click("#register-table thead th:nth-child(1) button");
    let descending: Vec<String> = session
        .visible_rows()
        .iter()
        .map(|r| r["id"].as_str().unwrap_or_default().to_lowercase())
        .collect();
    sorted.reverse();
    assert_eq!(descending, sorted, "not sorted by id, descending");
    assert_eq!(
        session.run(
            "return document.querySelector('#register-table thead th').getAttribute('aria-sort');"
        ),
        json!("descending")
    );

    session.click("#register-reset");
    assert_eq!(
        session.visible_rows().len(),
        all.len(),
        "reset keeps a filter"
    );

    // The diagram switches between fitted and actual size.
    let svg_width =
        "return document.querySelector('#diagram-figure svg').getBoundingClientRect().width;";
    let fitted = session.run(svg_width).as_f64().unwrap_or(0.0);
    session.click("#diagram-zoom");
    let actual = session.run(svg_width).as_f64().unwrap_or(0.0);
    assert!(
        actual > fitted && fitted > 0.0,
        "actual size ({actual}px) is not wider than fitted ({fitted}px)"
    );
    assert_eq!(
        session.run("return document.getElementById('diagram-zoom').getAttribute('aria-pressed');"),
        json!("true")
    );

    let errors = session.console_errors();
    assert!(errors.is_empty(), "console errors: {errors:#?}");

    // The other examples run cleanly too.
    for example in ["k8s-platform", "cicd-pipeline"] {
        let page = dir.path().join(format!("{example}.html"));
        report(&examples.join(example).join("threatforge.yaml"), &page);
        session.open(&page);
        assert_eq!(
            session.run("return document.getElementById('register-filters').hidden;"),
            json!(false),
            "{example}: the script did not run"
        );
        let errors = session.console_errors();
        assert!(errors.is_empty(), "{example}: console errors: {errors:#?}");
    }

    // The hostile model: the markup in its names is text, and nothing of it runs.
    session.open(&hostile);
    // Give an error handler, had one been created, time to run.
    let title = session.title_after_a_pause();
    assert_eq!(
        title,
        json!("Threat model report: Clinic"),
        "the payload ran"
    );
    assert_eq!(
        session.run("return document.images.length;"),
        json!(0),
        "the payload became an image element"
    );
    for selector in ["#c-portal .name", "#d-records .name", "#b-hospital .name"] {
        assert_eq!(
            session.run(&format!(
                "var e = document.querySelector(\"{selector}\"); return e && e.textContent;"
            )),
            json!(PAYLOAD),
            "{selector} does not show the name as text"
        );
    }
    let shown_as_text = session.run(&format!(
        "return document.body.textContent.split({}).length - 1;",
        json!(PAYLOAD)
    ));
    assert!(
        shown_as_text.as_u64().unwrap_or(0) >= 5,
        "the payload is shown as text {shown_as_text} times"
    );
    let errors = session.console_errors();
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}

/// A name that closes the register's data element if it is not escaped, then runs an image's
/// error handler.
const BREAKOUT: &str = r#"</script><!--<img src=x onerror="document.title='pwned'">"#;

/// A generated model of 2,000 components, whose register the page's script renders from the
/// JSON data (above `SCRIPTED_ABOVE` threats), with hostile names on an exposed component.
fn large_model() -> String {
    let model = threatforge_bench::model(2000, 42);
    let name = BREAKOUT.replace('"', "\\\"");
    let hostile = format!("  c1: {{ name: \"{name}\", ");
    let replaced = model.replacen("  c1: { ", &hostile, 1);
    assert_ne!(replaced, model, "the generator's second component moved");
    replaced
}

/// The rows of the scripted register, without the opened sections.
fn register_rows(session: &Session) -> Vec<Value> {
    let rows = session.run(
        "return Array.from(document.querySelectorAll('#register-table tbody tr:not(.details)'))
           .map(function (r) {
             return { severity: r.getAttribute('data-severity'),
                      component: r.getAttribute('data-component'),
                      id: r.cells[0].textContent.trim() };
           });",
    );
    rows.as_array().expect("rows").clone()
}

/// The rows of a table the page's script draws from data (`components`, `flows`, `hygiene`...):
/// each row's id and its first cell's text (for the checklist, the text of its "where, and
/// why" cell).
fn table_rows(session: &Session, table: &str) -> Vec<(String, String)> {
    let cell = if table == "hygiene" { 2 } else { 0 };
    let rows = session.run(&format!(
        "return Array.from(document.querySelectorAll('#{table}-table tbody tr'))
           .map(function (r) {{ return [r.id, r.cells[{cell}].textContent]; }});"
    ));
    rows.as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            let text = |i: usize| r[i].as_str().unwrap_or_default().to_owned();
            (text(0), text(1))
        })
        .collect()
}

fn text_of(session: &Session, id: &str) -> String {
    session
        .run(&format!(
            "var e = document.getElementById('{id}'); return e && e.textContent;"
        ))
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Types `text` into a table's filter, replacing what it had, as a person would.
fn filter(session: &Session, table: &str, text: &str) {
    session.run(&format!(
        "var input = document.getElementById('{table}-filter');
         input.value = ''; input.dispatchEvent(new Event('input')); return true;"
    ));
    if !text.is_empty() {
        session.keys(&format!("#{table}-filter"), text);
    }
}

/// The inventory and the hygiene checklist of the large model: no row of them at load, a page
/// of rows once the reader comes to them, paging, a filter, a link to a row on another page, and
/// the hostile name shown as text.
fn inventory_and_checklist_on_demand(session: &Session) {
    session.run("window.scrollTo(0, 0); return true;");
    let at_load = session.run(
        "return ['components', 'data', 'flows', 'boundaries', 'runtimes', 'hygiene']
           .map(function (t) { return document.querySelectorAll('#' + t + '-table tbody tr').length; });",
    );
    assert_eq!(
        at_load,
        json!([0, 0, 0, 0, 0, 0]),
        "rows drawn before they are in view"
    );
    let elements = session.run("return document.getElementsByTagName('*').length;");
    assert!(
        elements.as_u64().is_some_and(|n| n < 10_000),
        "{elements} elements in the page at load"
    );

    // The components: a page of 100 once in view, then the next.
    session.run("document.getElementById('components-table').scrollIntoView(); return true;");
    session.wait_until(
        "return document.querySelectorAll('#components-table tbody tr').length === 100;",
        "the first page of components",
    );
    assert_eq!(text_of(session, "components-count"), "2000 components");
    let first = table_rows(session, "components");
    assert_eq!(first[0].0, "c-c0");
    assert_eq!(
        text_of(session, "components-page"),
        "1\u{2013}100 of 2000, page 1 of 20"
    );
    session.click("#components-next");
    let second = table_rows(session, "components");
    assert_eq!(second.len(), 100);
    assert_eq!(second[0].0, "c-c100", "the second page starts at the 101st");
    assert_eq!(
        text_of(session, "components-page"),
        "101\u{2013}200 of 2000, page 2 of 20"
    );

    // The filter: by id, then by the hostile name, which is text in the row.
    filter(session, "components", "c1999");
    let found = table_rows(session, "components");
    assert_eq!(
        found.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(),
        ["c-c1999"]
    );
    assert_eq!(
        text_of(session, "components-count"),
        "1 of 2000 components (matching \u{201c}c1999\u{201d})"
    );
    filter(session, "components", "</script>");
    let found = table_rows(session, "components");
    assert_eq!(
        found.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(),
        ["c-c1"]
    );
    assert_eq!(
        session.run("var e = document.querySelector('#c-c1 .name'); return e && e.textContent;"),
        json!(BREAKOUT)
    );

    // The flows of one component, by the filter; each row links to its ends.
    session.run("document.getElementById('flows-table').scrollIntoView(); return true;");
    session.wait_until(
        "return document.querySelectorAll('#flows-table tbody tr').length > 0;",
        "the first page of flows",
    );
    filter(session, "flows", "c1999");
    let flows = table_rows(session, "flows");
    assert!(!flows.is_empty(), "no flow of c1999");
    assert!(
        flows
            .iter()
            .all(|(id, ends)| id.starts_with("f-") && ends.contains("c1999")),
        "a flow of another component: {flows:?}"
    );

    // A link to a component on another page, from a flow: the page that has it is drawn and
    // the link followed. Then the address alone does the same.
    filter(session, "components", "");
    let other = flows
        .iter()
        .flat_map(|(_, ends)| ends.split(" \u{2192} "))
        .map(str::trim)
        .find(|end| *end != "c1999" && !end.is_empty())
        .map(|end| end.split_whitespace().next().unwrap_or_default().to_owned());
    if let Some(other) = other {
        session.click(&format!("#flows-table a[href='#c-{other}']"));
        session.wait_until(
            &format!("return !!document.getElementById('c-{other}');"),
            "the linked component's row",
        );
    }
    session.run("location.hash = '#c-c1500'; return true;");
    session.wait_until(
        "return !!document.getElementById('c-c1500');",
        "the row of the address",
    );
    assert_eq!(
        text_of(session, "components-page"),
        "1501\u{2013}1600 of 2000, page 16 of 20"
    );

    // The checklist: a page at a time, and a filter.
    session.run("document.getElementById('hygiene-table').scrollIntoView(); return true;");
    session.wait_until(
        "return document.querySelectorAll('#hygiene-table tbody tr').length > 0;",
        "the first page of the checklist",
    );
    let count = text_of(session, "hygiene-count");
    let total: usize = count
        .strip_suffix(" items")
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("the checklist's count says {count}"));
    assert!(total > 100, "{total} items on the checklist");
    let first = table_rows(session, "hygiene");
    assert_eq!(first.len(), 100);
    session.click("#hygiene-next");
    let second = table_rows(session, "hygiene");
    assert_eq!(second.len(), 100.min(total - 100));
    assert_ne!(
        first[0].0, second[0].0,
        "the next page shows the same items"
    );
    assert!(second.iter().all(|(id, _)| id.starts_with("t-")));
    filter(session, "hygiene", "c1999");
    let items = table_rows(session, "hygiene");
    assert!(!items.is_empty(), "no checklist item of c1999");
    assert!(
        items
            .iter()
            .all(|(id, why)| id.contains("c1999") || why.contains("c1999")),
        "an item of another element: {items:?}"
    );
    assert!(
        text_of(session, "hygiene-count").starts_with(&format!("{} of {total} items", items.len())),
        "the count says {}",
        text_of(session, "hygiene-count")
    );
}

/// A large model's report: the register comes from the page's data, a page at a time; filters,
/// sorting and a threat's section work; the hostile names stay text; nothing is logged as an
/// error. No timing is asserted (BENCHMARKS.md has the figures).
#[test]
fn a_large_models_report_renders_its_register_on_demand() {
    let Some((chromium, chromedriver)) = browser_tools() else {
        return;
    };
    let dir = tempfile::tempdir().expect("a temporary directory");
    let model_dir = dir.path().join("large");
    std::fs::create_dir(&model_dir).expect("mkdir");
    std::fs::write(model_dir.join("threatforge.yaml"), large_model()).expect("write");
    let page = dir.path().join("large.html");
    report(&model_dir.join("threatforge.yaml"), &page);
    let html = std::fs::read_to_string(&page).expect("the report");
    assert!(
        html.contains("<script type=\"application/json\" id=\"register-data\">"),
        "the register is not written as data"
    );
    assert!(
        !html.contains(BREAKOUT),
        "the name is in the page unescaped"
    );

    let driver = Driver::start(&chromedriver);
    let session = Session::new(&driver, &chromium, &dir.path().join("profile"));
    session.open(&page);
    assert_eq!(
        session.run("return document.title;"),
        json!("Threat model report: Synthetic 2000")
    );
    let total = session
        .run("return JSON.parse(document.getElementById('register-data').textContent).threats.length;")
        .as_u64()
        .unwrap_or(0);
    assert!(total > 1000, "only {total} threats in the data");
    let count = session.run("return document.getElementById('register-count').textContent;");
    assert_eq!(count, json!(format!("{total} threats")));

    // A page of rows, and the next one.
    let first = register_rows(&session);
    assert_eq!(first.len(), 100, "the first page has {} rows", first.len());
    session.click("#register-next");
    let second = register_rows(&session);
    assert_eq!(second.len(), 100);
    assert_ne!(
        first[0]["id"], second[0]["id"],
        "the next page shows the same rows"
    );
    assert!(
        session
            .run("return document.getElementById('register-page').textContent;")
            .as_str()
            .is_some_and(|t| t.starts_with("Threats 101\u{2013}200 of ")),
        "the pager does not say where it is"
    );

    // Filtering on a component shows its threats only, and counts them.
    session.run(
        "const s = document.querySelector(\"select[data-filter='component']\");
         s.value = 'c1'; s.dispatchEvent(new Event('change')); return true;",
    );
    let c1 = register_rows(&session);
    assert!(!c1.is_empty(), "no threat of c1 shown");
    assert!(
        c1.iter().all(|r| r["component"]
            .as_str()
            .is_some_and(|c| c.split(' ').any(|x| x == "c1"))),
        "a row of another component is shown: {c1:?}"
    );
    let count = session.run("return document.getElementById('register-count').textContent;");
    assert!(
        count
            .as_str()
            .is_some_and(|c| c.starts_with(&format!("{} of {total} threats", c1.len()))),
        "the count says {count}"
    );

    // Sorting by id keeps the filter.
    session.click("#register-table thead th:nth-child(1) button");
    let ids: Vec<String> = register_rows(&session)
        .iter()
        .map(|r| r["id"].as_str().unwrap_or_default().to_lowercase())
        .collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "not sorted by id");
    assert_eq!(ids.len(), c1.len());

    // A threat of c1 opens its section; the hostile name is text in it.
    let opened = session.run(
        "var row = Array.from(document.querySelectorAll('#register-table tbody tr'))
           .find(function (r) { return r.cells[2].textContent === 'component c1'; });
         if (!row) { return false; }
         row.querySelector('td.id-cell button').click();
         return true;",
    );
    assert_eq!(opened, json!(true), "no threat on the component c1 itself");
    assert_eq!(
        session.run(
            "return document.querySelectorAll('#register-table tr.details article.threat').length;"
        ),
        json!(1)
    );
    let section = session
        .run("return document.querySelector('#register-table tr.details').textContent;")
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(section.contains("Why it applies"), "{section}");
    assert!(section.contains("Declared at"), "{section}");
    assert!(
        section.contains(BREAKOUT),
        "the name is not shown as text: {section}"
    );
    session.click("#register-table tbody tr td.id-cell button[aria-expanded='true']");
    assert_eq!(
        session.run("return document.querySelectorAll('#register-table tr.details').length;"),
        json!(0),
        "a second click does not close the section"
    );

    inventory_and_checklist_on_demand(&session);

    // The hostile names: shown as text in the inventory and the filter, run nowhere.
    let title = session.title_after_a_pause();
    assert_eq!(
        title,
        json!("Threat model report: Synthetic 2000"),
        "the payload ran"
    );
    assert_eq!(
        session.run("return document.images.length;"),
        json!(0),
        "the payload became an image element"
    );
    assert!(
        session
            .run("return document.querySelector(\"select[data-filter='component'] option[value='c1']\").textContent;")
            .as_str()
            .is_some_and(|t| t.contains(BREAKOUT)),
        "the filter does not show the name as text"
    );
    let errors = session.console_errors();
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}

/// The dashboard (`threatforge serve`) in the browser, on the hostile model: the pages run
/// without a console error under their policy, a click on the diagram opens the element, a
/// triage form writes the decision into the file on disk and the reloaded page shows it with the
/// file's diff, and the hostile names stay text.
#[test]
fn the_dashboard_works_in_a_browser() {
    let Some((chromium, chromedriver)) = browser_tools() else {
        return;
    };
    let dir = tempfile::tempdir().expect("a temporary directory");
    let model_dir = dir.path().join("model");
    std::fs::create_dir(&model_dir).expect("mkdir");
    let model = model_dir.join("threatforge.yaml");
    // A second flow from the portal to the database: one line in the diagram for both. The
    // portal also parses XML: one threat more, so that the register has two pages of two.
    let merged = hostile_model()
        .replace(
            "returns: [records] }\n",
            "returns: [records] }\n  - portal -> db: { id: backups, protocol: postgres-tls, authentication: credentials, data: [records] }\n",
        )
        .replace(
            "technology: web-application, processes: [records] }",
            "technology: web-application, traits: [parses-xml], processes: [records] }",
        );
    assert_ne!(merged, hostile_model());
    std::fs::write(&model, merged).expect("write");
    let server = support::Server::start(&model);
    let driver = Driver::start(&chromedriver);
    let session = Session::new(&driver, &chromium, &dir.path().join("profile"));

    session.visit(&server.url);
    assert_eq!(
        session.run("return document.title;"),
        json!("Clinic · threatforge")
    );
    session.wait_until(
        "return !document.getElementById('live').classList.contains('off') \
         && document.querySelectorAll('#top tbody tr').length > 0;",
        "the overview",
    );

    // The diagram: a click on the portal opens its page, whose name is the payload as text.
    session.visit(&format!("{}diagram", server.url));
    session.click("[data-component='portal']");
    session.wait_until(
        "return location.pathname === '/elements/portal';",
        "the portal's page",
    );
    assert_eq!(
        session.run("return document.querySelector('h1').textContent;"),
        json!(PAYLOAD)
    );
    assert_eq!(
        session.run("return document.querySelectorAll('main img').length;"),
        json!(0)
    );

    // A flow's label is a link to the flow's page, by a click and by the keyboard (Enter on the
    // label, which Tab reaches; the line is not a second stop).
    session.visit(&format!("{}diagram", server.url));
    session.click("g[data-flow='patient->portal']");
    session.wait_until(
        "return location.pathname === '/elements/patient-%3Eportal';",
        "the flow's page after a click on its label",
    );
    assert_eq!(
        session.run("return document.querySelector('h1').textContent;"),
        json!(PAYLOAD)
    );
    assert_eq!(
        session.run(
            "return document.querySelector('main').textContent.includes('patient -> portal');"
        ),
        json!(true)
    );
    session.visit(&format!("{}diagram", server.url));
    assert_eq!(
        session.run(
            "return [document.querySelector(\"g[data-flow='patient->portal']\").getAttribute('tabindex'), \
             document.querySelector(\"path[data-flow='patient->portal']:not(.hit)\").hasAttribute('tabindex')];"
        ),
        json!(["0", false])
    );
    session.keys("g[data-flow='patient->portal']", "\u{E007}");
    session.wait_until(
        "return location.pathname === '/elements/patient-%3Eportal';",
        "the flow's page after Enter on its label",
    );
    // The line of two flows: a click on it offers both; one opens.
    session.visit(&format!("{}diagram", server.url));
    session.run(
        "document.querySelector(\"path.hit[data-flows='portal->db backups']\")\
         .dispatchEvent(new MouseEvent('click', { bubbles: true })); return true;",
    );
    session.wait_until(
        "return !document.getElementById('flow-menu').hidden;",
        "the choice of the line's flows",
    );
    assert_eq!(
        session.run(
            "return Array.from(document.querySelectorAll('#flow-menu a'), a => a.textContent);"
        ),
        json!(["portal->db", "backups"])
    );
    session.click("#flow-menu a[href='/elements/backups']");
    session.wait_until(
        "return location.pathname === '/elements/backups';",
        "the second flow's page",
    );

    // Triage: the decision on the portal's XSS threat, written and shown.
    session.visit(&format!(
        "{}threats/cross-site-scripting:portal",
        server.url
    ));
    session.run(
        "const f = document.getElementById('decide');
         f.elements.status.value = 'false-positive';
         f.elements.owner.value = 'team-portal';
         f.elements.justification.value = 'Templates escape every value <b>here</b>.';
         return true;",
    );
    session.click("#decide button[type=submit]");
    session.wait_until(
        "return !document.getElementById('diff').hidden \
         && document.getElementById('threat-status').textContent === 'false-positive';",
        "the decision's diff and the new status",
    );
    let diff = session.run("return document.getElementById('diff-text').textContent;");
    assert!(
        diff.as_str()
            .is_some_and(|d| d.contains("+    status: false-positive")),
        "{diff}"
    );
    let written = std::fs::read_to_string(&model).expect("the model");
    assert!(written.contains("status: false-positive"), "{written}");
    assert!(
        written.contains("Templates escape every value <b>here</b>."),
        "{written}"
    );

    // The register filters on the server: a choice in a list submits the form.
    session.visit(&format!("{}threats", server.url));
    let all = register_ids(&session);
    // Two pages of two at least.
    assert!(all.len() >= 4, "{all:?}");
    session.run(
        "const s = document.getElementById('filter-status');
         s.value = 'false-positive'; s.dispatchEvent(new Event('change')); return true;",
    );
    session.wait_until(
        "return location.search === '?status=false-positive';",
        "the filtered register",
    );
    assert_eq!(register_ids(&session), ["cross-site-scripting:portal"]);
    // Paged, two to a page: the next page's link shows the next two, in the same order.
    session.visit(&format!("{}threats?per=2", server.url));
    assert_eq!(register_ids(&session), all[..2]);
    session.click("#page-next");
    session.wait_until(
        "return new URLSearchParams(location.search).get('page') === '2';",
        "the second page",
    );
    assert_eq!(register_ids(&session), all[2..4]);
    assert_eq!(
        session.run("return document.getElementById('page').textContent;"),
        json!(format!("Page 2 of {}", all.len().div_ceil(2)))
    );

    // A threat recorded from the element's page: written into the file, listed on the page.
    session.visit(&format!("{}elements/db", server.url));
    session.click("#record summary");
    session.run(
        "const f = document.getElementById('record-threat');
         f.elements.title.value = 'Backups copied <b>off-site</b> unencrypted';
         f.elements.stride.value = 'information-disclosure';
         f.elements.impact.value = 'high';
         return true;",
    );
    session.click("#record-threat button[type=submit]");
    session.wait_until(
        "return !document.getElementById('diff').hidden \
         && !!document.querySelector('tr[data-id=\"manual:backups-copied-b-off-site-b-unencrypted\"]');",
        "the recorded threat and its diff",
    );
    let written = std::fs::read_to_string(&model).expect("the model");
    assert!(
        written.contains("title: \"Backups copied <b>off-site</b> unencrypted\""),
        "{written}"
    );

    // A boundary collapsed into a box and opened again, in place.
    session.visit(&format!("{}diagram", server.url));
    let double_click = |css: &str| {
        session.run(&format!(
            "document.querySelector(\"{css}\").dispatchEvent(new MouseEvent('dblclick', {{ bubbles: true }})); return true;"
        ));
    };
    double_click("g[data-boundary='hospital']");
    session.wait_until(
        "return !!document.querySelector('[data-boundary=\"hospital\"][data-collapsed=\"true\"]') \
         && !document.querySelector('[data-component=\"portal\"]') \
         && location.search === '?collapse=hospital';",
        "the hospital collapsed",
    );
    double_click("[data-boundary='hospital'][data-collapsed='true']");
    session.wait_until(
        "return !!document.querySelector('[data-component=\"portal\"]') \
         && location.search === '?expand=hospital';",
        "the hospital open again",
    );
    assert_eq!(
        session.run("return location.pathname;"),
        json!("/diagram"),
        "a double click does not open the boundary's page"
    );
    assert_eq!(
        session.run("return document.title;"),
        json!("Clinic · threatforge")
    );
    let errors = session.console_errors();
    assert!(errors.is_empty(), "console errors: {errors:?}");
}

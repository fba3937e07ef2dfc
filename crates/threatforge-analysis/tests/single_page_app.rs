//! A single-page app (browser code the team ships) gets the web threats of a page the team
//! renders (XSS and its CSP, sessions, clickjacking, CSRF) through its `web-ui` trait; a third
//! party's web UI the same data reaches does not, since its vendor writes its pages.

mod support;

use support::{analyzed, threat};

const INVOICING: &str = "system: { name: invoicing }
data:
  invoice: { classification: confidential, categories: [financial] }
  login: { classification: secret, categories: [credential] }
components:
  customer: { technology: browser, exposure: internet }
  spa: { technology: single-page-app, processes: [invoice, login] }
  api: { technology: api-service, processes: [invoice] }
  helpdesk: { technology: saas, exposure: internet, processes: [invoice] }
flows:
  - customer -> spa: { protocol: https, data: [invoice, login], authentication: session }
  - spa -> api: { protocol: https, data: [invoice], authentication: token, returns: [invoice] }
  - api -> helpdesk: { protocol: https, data: [invoice], authentication: api-key }
";

#[test]
fn a_single_page_app_gets_the_web_threats_and_a_third_party_web_ui_does_not() {
    let analysis = analyzed(INVOICING);
    for rule in [
        "cross-site-scripting",
        "session-hijacking",
        "clickjacking",
        "cross-site-request-forgery",
    ] {
        let found = threat(&analysis, &format!("{rule}:spa"));
        assert!(found.is_some(), "{rule} on the single-page app");
    }
    let xss = threat(&analysis, "cross-site-scripting:spa").map(|t| &t.mitigation);
    assert!(
        xss.is_some_and(|m| m.missing().any(|c| c.contains("content-security-policy"))),
        "CSP counts against the SPA's XSS: {xss:?}"
    );
    for rule in [
        "cross-site-scripting",
        "clickjacking",
        "cross-site-request-forgery",
    ] {
        assert!(
            threat(&analysis, &format!("{rule}:helpdesk")).is_none(),
            "{rule} on the third party's web UI"
        );
    }
}

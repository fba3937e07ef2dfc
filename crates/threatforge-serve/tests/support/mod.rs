//! What the server's tests share: the address and CSRF token they serve with, requests as a
//! page's script sends them, and sending them to the router in process.

// Each test binary uses what it needs of this module.
#![allow(dead_code)]

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

pub(crate) const HOST: &str = "127.0.0.1:7878";
pub(crate) const ORIGIN: &str = "http://127.0.0.1:7878";
pub(crate) const CSRF: &str = "0123456789abcdef0123456789abcdef";

pub(crate) fn get(uri: &str) -> Request<Body> {
    Request::get(uri)
        .header(header::HOST, HOST)
        .body(Body::empty())
        .expect("request")
}

pub(crate) fn post(uri: &str, body: &Value) -> Request<Body> {
    Request::post(uri)
        .header(header::HOST, HOST)
        .header(header::ORIGIN, ORIGIN)
        .header("x-csrf-token", CSRF)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .expect("request")
}

pub(crate) async fn send(router: &Router, request: Request<Body>) -> (StatusCode, String) {
    let response = router.clone().oneshot(request).await.expect("answered");
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    // Every answer, refusals included, carries the policy and no CORS header.
    let csp = headers
        .get(header::CONTENT_SECURITY_POLICY)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(csp.contains("script-src 'self'"), "{status}: {csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert!(headers.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none());
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// The version of the model a page carries, as the script sends it back.
pub(crate) async fn page_version(router: &Router) -> String {
    let (_, page) = send(router, get("/")).await;
    let start = page
        .find("name=\"tf-version\" content=\"")
        .expect("version")
        + 27;
    page[start..start + 32].to_owned()
}

//! What keeps a web server on a developer's machine from being a way into it.
//!
//! - `Host` must name the bound address: a page on another site that rebinds its DNS name to
//!   127.0.0.1 reaches the port, but its requests say its own name (DNS rebinding).
//! - Beyond loopback, every request needs the random token printed at start (once in the query,
//!   then as a cookie the server sets).
//! - Every state change needs the same-origin `Origin` and the CSRF token a page carries; a
//!   JSON body (the only kind read) cannot come from a plain HTML form either.
//! - No CORS headers are ever sent, so other origins cannot read the answers; a strict
//!   Content-Security-Policy allows the one script file and no inline script or style.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::state::App;

/// The policy of every page: the script and stylesheet come from this server, the page talks
/// and submits forms (the register's filters) only to it, and nothing frames it.
pub(crate) const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

/// At most this many changes in a window of `RATE_WINDOW`: far more than a person triaging
/// (each change is a write, a diff and a reload), few enough that a runaway page cannot
/// rewrite the model in a loop.
pub const MAX_CHANGES: u32 = 30;
/// The window of the rate limit.
pub const RATE_WINDOW: std::time::Duration = std::time::Duration::from_secs(10);

/// The cookie that carries the access token after the first request.
const TOKEN_COOKIE: &str = "threatforge_token";

/// A refusal: a status and a sentence saying why and what to do.
pub(crate) fn refuse(status: StatusCode, message: impl Into<String>) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        message.into() + "\n",
    )
        .into_response()
}

/// Whether a request may name `host`: the bound address, or `localhost` with its port when the
/// address is a loopback one. Bound to every address (`0.0.0.0`), the server cannot know the
/// names it is reached by, and the token it then requires stands in for the check: a rebound
/// name has neither the token nor its cookie.
fn host_allowed(app: &App, host: &str) -> bool {
    let addr = app.config.addr;
    if addr.ip().is_unspecified() && app.config.token.is_some() {
        return true;
    }
    host.eq_ignore_ascii_case(&addr.to_string())
        || (addr.ip().is_loopback()
            && host.eq_ignore_ascii_case(&format!("localhost:{}", addr.port())))
}

/// Checks every request before it reaches a handler, and adds the security headers to every
/// answer.
pub(crate) async fn guard(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let mut response = match check(&app, &request) {
        Ok(set_cookie) => {
            let mut response = next.run(request).await;
            if set_cookie && let Some(token) = &app.config.token {
                let cookie = format!("{TOKEN_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/");
                if let Ok(value) = HeaderValue::from_str(&cookie) {
                    response.headers_mut().insert(header::SET_COOKIE, value);
                }
            }
            response
        }
        Err((status, message)) => refuse(status, message),
    };
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::CACHE_CONTROL, "no-store"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// Whether the request may go on (and whether to set the token's cookie), or its refusal.
fn check(app: &App, request: &Request) -> Result<bool, (StatusCode, String)> {
    let headers = request.headers();
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return Err((
            StatusCode::BAD_REQUEST,
            "the request has no Host header".to_owned(),
        ));
    };
    if !host_allowed(app, host) {
        return Err((
            StatusCode::MISDIRECTED_REQUEST,
            format!(
                "this server answers only to http://{}/ (the request named `{}`): other names \
                 are refused against DNS rebinding",
                app.config.addr,
                host.escape_debug()
            ),
        ));
    }
    let mut set_cookie = false;
    if let Some(token) = &app.config.token {
        let in_query = request
            .uri()
            .query()
            .into_iter()
            .flat_map(|q| q.split('&'))
            .filter_map(|pair| pair.strip_prefix("token="))
            .any(|given| same(given, token));
        let in_cookie = cookies(headers)
            .filter_map(|c| {
                c.strip_prefix(TOKEN_COOKIE)
                    .and_then(|c| c.strip_prefix('='))
            })
            .any(|given| same(given, token));
        if !in_query && !in_cookie {
            return Err((
                StatusCode::UNAUTHORIZED,
                "this server listens beyond loopback and needs its access token: open the \
                 address it printed at start (with `?token=...`)"
                    .to_owned(),
            ));
        }
        set_cookie = in_query && !in_cookie;
    }
    if request.method() != Method::GET && request.method() != Method::HEAD {
        let origin = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok());
        // Same origin: the scheme and the very host the request names.
        let same_origin = origin.is_some_and(|o| o.eq_ignore_ascii_case(&format!("http://{host}")));
        if !same_origin {
            return Err((
                StatusCode::FORBIDDEN,
                "a change must come from this server's own pages (the Origin header is missing \
                 or names another site)"
                    .to_owned(),
            ));
        }
        let csrf = headers.get("x-csrf-token").and_then(|t| t.to_str().ok());
        if !csrf.is_some_and(|t| same(t, &app.config.csrf)) {
            return Err((
                StatusCode::FORBIDDEN,
                "the CSRF token is missing or wrong: reload the page and try again".to_owned(),
            ));
        }
        // Counted only now: a request another site forges cannot use up the page's changes.
        if !within_rate(app) {
            return Err((
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "more than {MAX_CHANGES} changes in {} s: nothing was written; wait a few \
                     seconds and try again",
                    RATE_WINDOW.as_secs()
                ),
            ));
        }
    }
    Ok(set_cookie)
}

/// Counts a change in the current window; false when the window has had its share.
fn within_rate(app: &App) -> bool {
    let mut window = app
        .changes
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let now = std::time::Instant::now();
    if now.duration_since(window.0) >= RATE_WINDOW {
        *window = (now, 0);
    }
    window.1 = window.1.saturating_add(1);
    window.1 <= MAX_CHANGES
}

/// The request's cookies, `name=value` each.
fn cookies(headers: &HeaderMap) -> impl Iterator<Item = &str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .map(str::trim)
}

/// Compares a secret in time that does not depend on where the texts first differ.
fn same(given: &str, secret: &str) -> bool {
    given.len() == secret.len()
        && given
            .bytes()
            .zip(secret.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// A new random secret: 32 hexadecimal digits from the system's generator.
pub fn random_token() -> Result<String, String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| format!("no randomness from the system: {e}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_by_their_whole_text() {
        assert!(same("abc", "abc"));
        assert!(!same("abd", "abc"));
        assert!(!same("ab", "abc"));
        assert!(!same("", "abc"));
    }

    #[test]
    fn tokens_are_32_hex_digits_and_differ() {
        let a = random_token().expect("token");
        let b = random_token().expect("token");
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()), "{a}");
        assert_ne!(a, b);
    }
}

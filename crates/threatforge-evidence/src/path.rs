//! Locations in findings, made comparable with the model's `code` globs and `endpoints`: file
//! URIs and paths (relative, absolute, Windows, percent-encoded) become `/`-separated paths
//! relative to the repository's root, and none of them may leave it.

use std::collections::HashMap;
use std::path::Path;

use percent_encoding::percent_decode_str;

/// Why a location was not kept.
#[derive(Debug, PartialEq)]
pub(crate) enum Rejected {
    /// `..` climbs above the repository's root.
    Escapes,
    /// An absolute path outside the repository's root (or with no root to compare with).
    Outside,
    /// Percent-encoding that does not decode to UTF-8, or a NUL.
    Undecodable,
}

impl Rejected {
    pub(crate) fn says(&self) -> &'static str {
        match self {
            Rejected::Escapes => "climbs out of the repository with `..`",
            Rejected::Outside => "is an absolute path outside the repository",
            Rejected::Undecodable => "is not valid percent-encoded UTF-8",
        }
    }
}

/// Whether `uri` is a web address (a web scanner's location) rather than a file.
pub(crate) fn is_web(uri: &str) -> bool {
    let lower = uri.get(..8).unwrap_or(uri).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// A file URI or path as a `/`-separated path relative to `root`.
pub(crate) fn relative(uri: &str, root: Option<&Path>) -> Result<String, Rejected> {
    let decoded = percent_decode_str(uri)
        .decode_utf8()
        .map_err(|_| Rejected::Undecodable)?;
    if decoded.contains('\0') {
        return Err(Rejected::Undecodable);
    }
    let mut text = decoded.replace('\\', "/");
    if text
        .get(..7)
        .is_some_and(|s| s.eq_ignore_ascii_case("file://"))
    {
        // `file:///abs`, `file://host/abs`, and the Windows `file:///C:/x`.
        let rest = &text[7..];
        let path = rest.find('/').map_or("", |i| &rest[i..]);
        text = path.to_owned();
    }
    // A Windows drive (`/C:/x` from a URI, `C:/x` from a path) is absolute.
    let drive = |s: &str| {
        let b = s.as_bytes();
        b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':'
    };
    if text.starts_with('/') && drive(&text[1..]) {
        text.remove(0);
    }
    let absolute = text.starts_with('/') || drive(&text);
    if absolute {
        let Some(root) = root.and_then(Path::to_str) else {
            return Err(Rejected::Outside);
        };
        let root = root.replace('\\', "/");
        let root = root.trim_end_matches('/');
        let inside = text
            .strip_prefix(root)
            .filter(|rest| rest.is_empty() || rest.starts_with('/'));
        match inside {
            Some(rest) => text = rest.trim_start_matches('/').to_owned(),
            None => return Err(Rejected::Outside),
        }
    }
    normalized(&text)
}

/// `.` and empty segments dropped and `..` applied, refusing to climb above the start.
fn normalized(path: &str) -> Result<String, Rejected> {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop().ok_or(Rejected::Escapes)?;
            }
            other => parts.push(other),
        }
    }
    Ok(parts.join("/"))
}

/// Joins a base URI (from `originalUriBaseIds`) and a relative reference.
pub(crate) fn join(base: &str, relative: &str) -> String {
    if relative.contains("://") || base.is_empty() {
        return relative.to_owned();
    }
    let mut out = base.to_owned();
    if !out.ends_with('/') && !out.ends_with('\\') {
        out.push('/');
    }
    out.push_str(relative.trim_start_matches(['/', '\\']));
    out
}

/// Whether the URL `url` is under `endpoint`, a component's declared endpoint: a URL
/// (`https://shop.example.com/api`) or a host and path prefix (`shop.example.com/api`). Hosts
/// compare case-insensitively and with the port when the endpoint gives one; the path must be
/// the prefix whole segments at a time (`/api` covers `/api/x`, not `/apix`). Query and
/// fragment are ignored; percent-encoding is decoded on both sides.
pub fn url_matches(url: &str, endpoint: &str) -> bool {
    let (url_host, url_path) = split_url(url);
    let (host, path) = split_url(endpoint);
    let host_matches = if host.contains(':') {
        url_host.eq_ignore_ascii_case(&host)
    } else {
        url_host
            .split(':')
            .next()
            .is_some_and(|h| h.eq_ignore_ascii_case(&host))
    };
    if !host_matches {
        return false;
    }
    under(&url_path, path.trim_end_matches('/'))
}

/// Components' endpoints, indexed by host and path prefix, so that a URL is looked up once per
/// segment of its path rather than compared with every endpoint (a model of 10,000 components
/// on one host and 50,000 web findings would otherwise compare every pair).
#[derive(Debug, Default)]
pub struct EndpointIndex {
    /// Lowercase host without port -> path prefix without the trailing slash -> endpoints.
    by_host: HashMap<String, HashMap<String, Vec<Endpoint>>>,
}

/// An endpoint under its host and prefix: the port as written (or empty), its specificity (the
/// length of host and prefix), its owner.
type Endpoint = (String, usize, usize);

impl EndpointIndex {
    /// Adds `endpoint` (as `url_matches` reads it) for `owner`.
    pub fn add(&mut self, endpoint: &str, owner: usize) {
        let (host, path) = split_url(endpoint);
        let (name, port) = host.split_once(':').unwrap_or((&host, ""));
        let prefix = path.trim_end_matches('/').to_owned();
        let specificity = host.len() + prefix.len();
        self.by_host
            .entry(name.to_ascii_lowercase())
            .or_default()
            .entry(prefix)
            .or_default()
            .push((port.to_owned(), specificity, owner));
    }

    /// The owners of the most specific endpoints `url` is under, sorted.
    pub fn owners(&self, url: &str) -> Vec<usize> {
        let (host, path) = split_url(url);
        let (name, port) = host.split_once(':').unwrap_or((&host, ""));
        let Some(prefixes) = self.by_host.get(&name.to_ascii_lowercase()) else {
            return Vec::new();
        };
        // The prefixes `path` is under, whole segments at a time (`under`): none, each part
        // before a `/`, and the whole path.
        let cuts = path
            .match_indices('/')
            .map(|(i, _)| &path[..i])
            .chain([path.as_str()]);
        let mut matching: Vec<(usize, usize)> = Vec::new();
        for prefix in cuts {
            if let Some(entries) = prefixes.get(prefix) {
                matching.extend(
                    entries
                        .iter()
                        .filter(|(p, _, _)| p.is_empty() || p == port)
                        .map(|(_, specificity, owner)| (*specificity, *owner)),
                );
            }
        }
        let best = matching.iter().map(|(s, _)| *s).max();
        let mut owners: Vec<usize> = matching
            .into_iter()
            .filter(|(s, _)| Some(*s) == best)
            .map(|(_, o)| o)
            .collect();
        owners.sort_unstable();
        owners.dedup();
        owners
    }
}

/// Whether `path` is `prefix` or below it, whole segments at a time.
fn under(path: &str, prefix: &str) -> bool {
    prefix.is_empty()
        || path == prefix
        || path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// A URL's host (with any port, without user info) and decoded path.
fn split_url(url: &str) -> (String, String) {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let host = authority.rsplit('@').next().unwrap_or("");
    let path = percent_decode_str(path).decode_utf8_lossy().into_owned();
    (host.to_owned(), path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_uris_and_paths_become_paths_relative_to_the_root() {
        let root = Some(Path::new("/home/runner/work/shop"));
        let cases = [
            ("services/api/db.py", "services/api/db.py"),
            ("./services//api/./db.py", "services/api/db.py"),
            ("services\\api\\db.py", "services/api/db.py"),
            ("services/api/my%20file.py", "services/api/my file.py"),
            (
                "file:///home/runner/work/shop/services/api/db.py",
                "services/api/db.py",
            ),
            ("/home/runner/work/shop/web/app.js", "web/app.js"),
            ("services/api/../web/x.js", "services/web/x.js"),
        ];
        for (uri, want) in cases {
            assert_eq!(relative(uri, root).as_deref(), Ok(want), "{uri}");
        }
        let windows = Some(Path::new("C:\\src\\shop"));
        assert_eq!(
            relative("file:///C:/src/shop/services/api/Db.cs", windows).as_deref(),
            Ok("services/api/Db.cs")
        );
        assert_eq!(
            relative("C:\\src\\shop\\web\\app.ts", windows).as_deref(),
            Ok("web/app.ts")
        );
    }

    #[test]
    fn paths_that_leave_the_repository_are_rejected() {
        let root = Some(Path::new("/repo"));
        assert_eq!(relative("../../etc/passwd", root), Err(Rejected::Escapes));
        assert_eq!(relative("a/%2e%2e/%2e%2e/x", root), Err(Rejected::Escapes));
        assert_eq!(relative("/etc/passwd", root), Err(Rejected::Outside));
        assert_eq!(relative("/repository/x", root), Err(Rejected::Outside));
        assert_eq!(relative("file:///etc/passwd", root), Err(Rejected::Outside));
        assert_eq!(relative("/repo/x", None), Err(Rejected::Outside));
        assert_eq!(relative("D:\\x", root), Err(Rejected::Outside));
        assert_eq!(relative("a%00b", root), Err(Rejected::Undecodable));
        assert_eq!(relative("a%ff", root), Err(Rejected::Undecodable));
    }

    #[test]
    fn base_uris_join_relative_references() {
        assert_eq!(
            join("file:///w/shop/", "src/a.js"),
            "file:///w/shop/src/a.js"
        );
        assert_eq!(
            join("file:///w/shop", "/src/a.js"),
            "file:///w/shop/src/a.js"
        );
        assert_eq!(join("", "src/a.js"), "src/a.js");
        assert_eq!(join("file:///w/", "file:///x/a.js"), "file:///x/a.js");
    }

    #[test]
    fn the_index_gives_the_most_specific_endpoints_of_the_urls_host() {
        let mut index = EndpointIndex::default();
        index.add("https://shop.example.com/", 0);
        index.add("shop.example.com/api/checkout", 1);
        index.add("SHOP.example.com/api/checkout/", 2);
        index.add("shop.example.com:8443/admin", 3);
        index.add("other.example.com", 4);
        assert_eq!(
            index.owners("https://shop.example.com/api/checkout/pay?x=1"),
            [1, 2]
        );
        assert_eq!(index.owners("https://shop.example.com/account"), [0]);
        assert_eq!(index.owners("https://shop.example.com:8443/admin/x"), [3]);
        assert_eq!(index.owners("https://shop.example.com/admin/x"), [0]);
        assert!(index.owners("https://unknown.example.com/").is_empty());
    }

    /// The index gives what comparing the URL with every endpoint gives: the owners of the
    /// matching endpoints of the greatest specificity.
    #[test]
    fn the_index_agrees_with_comparing_every_endpoint() {
        let endpoints = [
            "shop.example.com",
            "https://shop.example.com/",
            "shop.example.com/api",
            "shop.example.com/api/",
            "shop.example.com/api/v1",
            "shop.example.com:8443/api",
            "SHOP.example.com/a%20b",
            "shop.example.com//x",
            "other.example.com/api",
        ];
        let mut index = EndpointIndex::default();
        for (owner, endpoint) in endpoints.iter().enumerate() {
            index.add(endpoint, owner);
        }
        let urls = [
            "https://shop.example.com",
            "https://shop.example.com/",
            "https://shop.example.com/api",
            "https://shop.example.com/api/",
            "https://shop.example.com/apix",
            "https://shop.example.com/api/v1/orders?id=1",
            "https://shop.example.com/api/v10",
            "https://shop.example.com:8443/api/x",
            "https://shop.example.com:9000/api/x",
            "https://shop.example.com/a b/c",
            "https://shop.example.com/a%20b",
            "https://shop.example.com//x/y",
            "https://other.example.com/api/x",
            "https://nowhere.example.com/api",
        ];
        for url in urls {
            let (host, _) = split_url(url);
            let matching: Vec<(usize, usize)> = endpoints
                .iter()
                .enumerate()
                .filter(|(_, e)| url_matches(url, e))
                .map(|(owner, e)| {
                    let (h, p) = split_url(e);
                    (h.len() + p.trim_end_matches('/').len(), owner)
                })
                .collect();
            let best = matching.iter().map(|(s, _)| *s).max();
            let want: Vec<usize> = matching
                .iter()
                .filter(|(s, _)| Some(*s) == best)
                .map(|(_, o)| *o)
                .collect();
            assert_eq!(index.owners(url), want, "{url} (host {host})");
        }
    }

    /// 20,000 endpoints on one host and 100,000 URLs: comparing every pair (two billion
    /// comparisons) would take minutes in a test build; the index looks up a few prefixes per URL.
    #[test]
    fn urls_are_looked_up_not_compared_with_every_endpoint_of_their_host() {
        let mut index = EndpointIndex::default();
        for c in 0..20_000 {
            index.add(&format!("app.example.com/c{c}"), c);
        }
        index.add("app.example.com", 20_000);
        let mut found = 0;
        for u in 0..100_000 {
            let c = u % 25_000;
            let owners = index.owners(&format!("https://app.example.com/c{c}/api/{u}"));
            if c < 20_000 {
                assert_eq!(owners, [c]);
                found += 1;
            } else {
                assert_eq!(owners, [20_000]);
            }
        }
        assert_eq!(found, 80_000);
    }

    #[test]
    fn urls_match_endpoints_by_host_and_whole_path_segments() {
        let url = "https://Shop.Example.com/api/orders?id=1";
        assert!(url_matches(url, "https://shop.example.com/api"));
        assert!(url_matches(url, "shop.example.com/api/"));
        assert!(url_matches(url, "shop.example.com"));
        assert!(!url_matches(url, "shop.example.com/ap"));
        assert!(!url_matches(url, "example.com/api"));
        assert!(!url_matches(url, "shop.example.com:8443/api"));
        assert!(url_matches(
            "http://shop.example.com:8443/api",
            "shop.example.com:8443"
        ));
        assert!(url_matches(
            "http://u:p@admin.example.com/a%20b/c",
            "admin.example.com/a b"
        ));
    }
}

//! The register, paged, filtered and sorted on the server: a model of 10,000 components has
//! tens of thousands of threats, and a page of every one of them (21 MB of HTML) is more than a
//! browser filters and sorts at a keystroke. The query names everything (`/threats?severity=high
//! &sort=score&order=desc&page=3`), so a view can be linked, reloaded live and used without the
//! script.

use std::cmp::Ordering;

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde::{Deserialize, Serialize};
use threatforge_analysis::{Analyzed, Threat};

/// Rows on a page unless the query asks for another number.
pub(crate) const PER_PAGE: usize = 100;
/// The most rows a page shows, whatever the query asks: the page stays small.
pub(crate) const MAX_PER_PAGE: usize = 500;

/// The columns a register sorts by, as the query names them.
pub(crate) const SORTS: [&str; 8] = [
    "severity", "score", "title", "element", "status", "stride", "rule", "owner",
];

/// A view of the register, as its query says. Every field is optional: `/threats` is every
/// threat, most severe first, the first page.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RegisterQuery {
    /// Words that must all occur (in any case) in the title, element, rule, owner or id.
    pub q: String,
    pub severity: String,
    pub status: String,
    pub stride: String,
    /// Exact ids: the threats of one rule, one element or one owner.
    pub rule: String,
    pub element: String,
    pub owner: String,
    /// One of `SORTS`; empty: the order of risk.
    pub sort: String,
    /// `asc` or `desc`; empty: ascending (for severity, the most severe first).
    pub order: String,
    /// From 1.
    pub page: Option<usize>,
    pub per: Option<usize>,
    /// The access token, when the server needs one: it is in the address a teammate opened,
    /// and the links keep it out (the cookie carries it), so it is accepted and ignored.
    #[serde(skip_serializing)]
    pub token: Option<String>,
}

/// One page of the register.
pub(crate) struct Page<'a> {
    pub threats: Vec<&'a Threat>,
    /// Threats that pass the filters, on every page.
    pub matched: usize,
    pub total: usize,
    /// The page shown (from 1) and how many there are (at least 1).
    pub page: usize,
    pub pages: usize,
    /// The index (from 1) of the first row shown.
    pub first: usize,
}

impl RegisterQuery {
    /// Why the query cannot be shown, in words, or nothing.
    pub(crate) fn invalid(&self) -> Option<String> {
        if !self.sort.is_empty() && !SORTS.contains(&self.sort.as_str()) {
            return Some(format!(
                "cannot sort by `{}`; sort by one of {}",
                self.sort.escape_debug(),
                SORTS.join(", ")
            ));
        }
        if !matches!(self.order.as_str(), "" | "asc" | "desc") {
            return Some(format!(
                "`{}` is not an order; use asc or desc",
                self.order.escape_debug()
            ));
        }
        if self.page == Some(0) || self.per == Some(0) {
            return Some("pages and their sizes count from 1".to_owned());
        }
        None
    }

    fn descending(&self) -> bool {
        self.order == "desc"
    }

    fn passes(&self, t: &Threat, words: &[String]) -> bool {
        let exact = |want: &str, have: &str| want.is_empty() || want == have;
        let owner = owner(t);
        exact(&self.severity, t.severity().as_str())
            && exact(&self.status, t.status.as_str())
            && exact(&self.stride, &t.stride.to_string())
            && exact(&self.rule, &t.rule)
            && exact(&self.element, &t.element.id)
            && exact(&self.owner, owner)
            && (words.is_empty() || {
                let hay = format!("{} {} {} {} {}", t.title, t.element.id, t.rule, owner, t.id)
                    .to_lowercase();
                words.iter().all(|w| hay.contains(w.as_str()))
            })
    }

    /// The threats this view shows, from the analysis's threats in the order of risk.
    pub(crate) fn page<'a>(&self, analyzed: &'a Analyzed) -> Page<'a> {
        let words: Vec<String> = self.q.split_whitespace().map(str::to_lowercase).collect();
        let total = analyzed.analysis.threats.len();
        let mut threats: Vec<&Threat> = analyzed
            .analysis
            .threats
            .iter()
            .filter(|t| self.passes(t, &words))
            .collect();
        // The order of risk first, so that equal keys of another column keep it (a stable sort).
        threats.sort_by_key(|t| t.risk_order());
        let key = self.sort.as_str();
        if matches!(key, "" | "severity") {
            if self.descending() {
                threats.reverse();
            }
        } else {
            threats.sort_by(|a, b| {
                let c = compare(key, a, b);
                if self.descending() { c.reverse() } else { c }
            });
        }
        let matched = threats.len();
        let per = self.per.unwrap_or(PER_PAGE).clamp(1, MAX_PER_PAGE);
        let pages = matched.div_ceil(per).max(1);
        let page = self.page.unwrap_or(1).clamp(1, pages);
        let start = (page - 1) * per;
        let shown: Vec<&Threat> = threats.into_iter().skip(start).take(per).collect();
        Page {
            first: if shown.is_empty() { 0 } else { start + 1 },
            threats: shown,
            matched,
            total,
            page,
            pages,
        }
    }

    /// The link to this view with another sort, order or page; empty parameters left out, in
    /// a fixed order, so a view has one address.
    pub(crate) fn href(&self, sort: &str, order: &str, page: usize) -> String {
        let page = page.to_string();
        let per = self.per.map(|p| p.to_string()).unwrap_or_default();
        let pairs = [
            ("q", self.q.as_str()),
            ("severity", &self.severity),
            ("status", &self.status),
            ("stride", &self.stride),
            ("rule", &self.rule),
            ("element", &self.element),
            ("owner", &self.owner),
            ("sort", sort),
            ("order", order),
            ("page", if page == "1" { "" } else { &page }),
            ("per", &per),
        ];
        let query: Vec<String> = pairs
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}={}", utf8_percent_encode(v, NON_ALPHANUMERIC)))
            .collect();
        if query.is_empty() {
            "/threats".to_owned()
        } else {
            format!("/threats?{}", query.join("&"))
        }
    }

    /// A column's heading: the link that sorts by it (ascending, or the other way when it is
    /// the column sorted by now), and how it is sorted now, for `aria-sort`.
    pub(crate) fn heading(&self, column: &str) -> (String, &'static str) {
        let current = self.sort == column || (self.sort.is_empty() && column == "severity");
        let now = match (current, self.descending()) {
            (false, _) => "none",
            (true, false) => "ascending",
            (true, true) => "descending",
        };
        let next = if now == "ascending" { "desc" } else { "" };
        let sort = if column == "severity" { "" } else { column };
        (self.href(sort, next, 1), now)
    }
}

/// The owner named by the decision in force, or nothing.
pub(crate) fn owner(t: &Threat) -> &str {
    t.decision
        .as_ref()
        .and_then(|d| d.owner.as_deref())
        .unwrap_or_default()
}

/// Two threats by one column (not severity, which is the order of risk).
fn compare(key: &str, a: &Threat, b: &Threat) -> Ordering {
    match key {
        "score" => a.residual.score.cmp(&b.residual.score),
        "title" => a.title.cmp(&b.title),
        "element" => a.element.id.cmp(&b.element.id),
        "status" => a.status.as_str().cmp(b.status.as_str()),
        "stride" => a.stride.to_string().cmp(&b.stride.to_string()),
        "rule" => a.rule.cmp(&b.rule),
        "owner" => owner(a).cmp(owner(b)),
        _ => Ordering::Equal,
    }
}

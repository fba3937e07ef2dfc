//! The pages, rendered on the server from the last good analysis through the report crate's
//! escaping template environment (every model text HTML-escaped, control characters shown
//! escaped) and its SVG diagram. The register is filtered, sorted and paged here (`register`);
//! no model text reaches the script, which only submits forms, follows links and swaps in the
//! SVG the server draws.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use minijinja::{Environment, Value, context};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::{Deserialize, Serialize};
use threatforge_analysis::{Analyzed, Threat};
use threatforge_model::{ControlTarget, DecisionStatus, ThreatSeverity};
use threatforge_report::{DiagramFormat, DiagramOptions, render_diagram};

use crate::register::{RegisterQuery, SORTS, owner};
use crate::security::refuse;
use crate::state::{App, Snapshot};

/// Threats on the overview.
const TOP: usize = 10;

/// What an id keeps in a link: the characters ids are made of, the rest percent-encoded.
const IN_PATH: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b':')
    .remove(b'~');

fn environment() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = threatforge_report::html_environment();
        for (name, text) in [
            ("layout.html", include_str!("templates/layout.html")),
            ("overview.html", include_str!("templates/overview.html")),
            ("register.html", include_str!("templates/register.html")),
            ("threat.html", include_str!("templates/threat.html")),
            ("element.html", include_str!("templates/element.html")),
            ("diagram.html", include_str!("templates/diagram.html")),
            ("rows.html", include_str!("templates/rows.html")),
        ] {
            env.add_template(name, text)
                .expect("the dashboard's templates are valid");
        }
        env
    })
}

/// A page: its template's body inside the layout, which shows the model's errors, if any, above
/// the last good analysis.
fn page(snapshot: &Snapshot, app: &App, active: &str, template: &str, ctx: Value) -> Response {
    let system = snapshot
        .good
        .as_ref()
        .map(|g| g.loaded.model.system_name().to_owned())
        .unwrap_or_default();
    let env = environment();
    let body = match template {
        "" => Ok(String::new()),
        name => env.get_template(name).and_then(|t| t.render(ctx)),
    };
    let html = body.and_then(|body| {
        env.get_template("layout.html")?.render(context! {
            body => Value::from_safe_string(body),
            active,
            system,
            errors => snapshot.errors.clone(),
            has_good => snapshot.good.is_some(),
            generation => snapshot.generation,
            version => snapshot.version.clone(),
            csrf => app.config.csrf.clone(),
        })
    });
    match html {
        Ok(html) => Html(html).into_response(),
        // Only a defect of a template gets here.
        Err(e) => refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("the page could not be rendered: {e}"),
        ),
    }
}

/// A link's path to an element or a threat.
fn href(prefix: &str, id: &str) -> String {
    format!("{prefix}/{}", utf8_percent_encode(id, IN_PATH))
}

/// One threat as a row of a table.
#[derive(Serialize)]
struct Row {
    id: String,
    href: String,
    title: String,
    element: String,
    element_href: String,
    severity: &'static str,
    score: u8,
    status: &'static str,
    stride: String,
    rule: String,
    owner: String,
}

fn row(t: &Threat) -> Row {
    Row {
        id: t.id.to_string(),
        href: href("/threats", &t.id.to_string()),
        title: t.title.to_string(),
        element: t.element.id.to_string(),
        element_href: href("/elements", &t.element.id),
        severity: t.severity().as_str(),
        score: t.residual.score,
        status: t.status.as_str(),
        stride: t.stride.to_string(),
        rule: t.rule.to_string(),
        owner: owner(t).to_owned(),
    }
}

/// Threats in the order of lists for people: most severe first.
fn by_risk(analyzed: &Analyzed) -> Vec<&Threat> {
    let mut threats: Vec<&Threat> = analyzed.analysis.threats.iter().collect();
    threats.sort_by_key(|t| t.risk_order());
    threats
}

/// The page when no analysis was ever good: only the errors.
fn without_model(snapshot: &Snapshot, app: &App, active: &str) -> Response {
    page(snapshot, app, active, "", Value::UNDEFINED)
}

pub(crate) async fn overview(State(app): State<Arc<App>>) -> Response {
    let snapshot = app.snapshot();
    let Some(good) = &snapshot.good else {
        return without_model(&snapshot, &app, "overview");
    };
    let model = &good.loaded.model;
    let threats = by_risk(good);
    let severities: Vec<(&str, usize)> = [
        ThreatSeverity::Critical,
        ThreatSeverity::High,
        ThreatSeverity::Medium,
        ThreatSeverity::Low,
        ThreatSeverity::Info,
    ]
    .iter()
    .map(|s| {
        let n = threats
            .iter()
            .filter(|t| t.is_open() && t.severity() == *s)
            .count();
        (s.as_str(), n)
    })
    .collect();
    let statuses: Vec<(&str, usize)> = [
        DecisionStatus::Open,
        DecisionStatus::InProgress,
        DecisionStatus::Mitigated,
        DecisionStatus::Accepted,
        DecisionStatus::FalsePositive,
        DecisionStatus::NotApplicable,
    ]
    .iter()
    .map(|s| {
        (
            s.as_str(),
            threats.iter().filter(|t| t.status == *s).count(),
        )
    })
    .collect();
    let top: Vec<Row> = threats
        .iter()
        .filter(|t| t.is_open())
        .take(TOP)
        .map(|t| row(t))
        .collect();
    let changes = app.config.base.as_ref().map(|base| {
        let diff = threatforge_analysis::diff(
            &base.analyzed.loaded.model,
            &base.analyzed.analysis,
            model,
            &good.analysis,
        );
        // Links to the threats the model has now.
        let hrefs: BTreeMap<&str, String> = (diff.threats.new.iter())
            .chain(&diff.hygiene.new)
            .map(|t| t.threat.id.as_str())
            .chain(diff.threats.changed.iter().map(|t| t.id.as_str()))
            .map(|id| (id, href("/threats", id)))
            .collect();
        context! {
            rev => base.rev.clone(),
            note => base.note.clone(),
            empty => diff.is_empty(),
            hrefs,
            diff,
        }
    });
    page(
        &snapshot,
        &app,
        "overview",
        "overview.html",
        context! {
            components => model.components.len(),
            flows => model.flows.len(),
            boundaries => model.boundaries.len(),
            threats => threats.len(),
            severities,
            statuses,
            top,
            changes,
        },
    )
}

pub(crate) async fn register(
    State(app): State<Arc<App>>,
    Query(query): Query<RegisterQuery>,
) -> Response {
    let snapshot = app.snapshot();
    let Some(good) = &snapshot.good else {
        return without_model(&snapshot, &app, "register");
    };
    if let Some(why) = query.invalid() {
        return refuse(StatusCode::BAD_REQUEST, why);
    }
    let page_of = query.page(good);
    let rows: Vec<Row> = page_of.threats.iter().map(|t| row(t)).collect();
    let sorts: BTreeMap<&str, (String, &str)> =
        SORTS.iter().map(|c| (*c, query.heading(c))).collect();
    let (at, pages) = (page_of.page, page_of.pages);
    let link = |n: usize| query.href(&query.sort, &query.order, n);
    page(
        &snapshot,
        &app,
        "register",
        "register.html",
        context! {
            rows,
            sorts,
            query => &query,
            matched => page_of.matched,
            total => page_of.total,
            first => page_of.first,
            last => page_of.first + page_of.threats.len().saturating_sub(1),
            page => at,
            pages,
            previous => (at > 1).then(|| link(at - 1)),
            next => (at < pages).then(|| link(at + 1)),
            first_page => (at > 1).then(|| link(1)),
            last_page => (at < pages).then(|| link(pages)),
        },
    )
}

/// What the diagram draws: the whole system, or one boundary (`?boundary=ID`) with what it
/// contains and its neighbours, which opens a boundary that a large model shows collapsed;
/// `collapse` and `expand` (ids, comma-separated) are the boundaries the reader closed into a
/// box or opened in place.
#[derive(Deserialize)]
pub(crate) struct DiagramQuery {
    boundary: Option<String>,
    #[serde(default)]
    collapse: String,
    #[serde(default)]
    expand: String,
}

impl DiagramQuery {
    fn options(&self) -> DiagramOptions {
        let ids = |list: &str| -> Vec<String> {
            list.split(',')
                .map(str::trim)
                .filter(|id| !id.is_empty())
                .map(str::to_owned)
                .collect()
        };
        DiagramOptions {
            boundary: self.boundary.clone(),
            element_links: true,
            collapse: ids(&self.collapse),
            expand: ids(&self.expand),
        }
    }
}

fn svg_of(good: &Analyzed, query: &DiagramQuery) -> String {
    render_diagram(
        DiagramFormat::Svg,
        &good.loaded.model,
        &good.analysis,
        &query.options(),
    )
}

pub(crate) async fn diagram(
    State(app): State<Arc<App>>,
    Query(query): Query<DiagramQuery>,
) -> Response {
    let snapshot = app.snapshot();
    let Some(good) = &snapshot.good else {
        return without_model(&snapshot, &app, "diagram");
    };
    let svg = svg_of(good, &query);
    // The SVG element without the XML prolog, which has no place inside HTML.
    let svg = svg.find("<svg").map_or("", |start| svg[start..].trim_end());
    page(
        &snapshot,
        &app,
        "diagram",
        "diagram.html",
        context! {
            svg => Value::from_safe_string(svg.to_owned()),
            boundary => query.boundary,
        },
    )
}

/// The diagram alone, which the page's script puts in place of the one it shows when a
/// boundary is collapsed or opened.
pub(crate) async fn diagram_svg(
    State(app): State<Arc<App>>,
    Query(query): Query<DiagramQuery>,
) -> Response {
    let snapshot = app.snapshot();
    let Some(good) = &snapshot.good else {
        return refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "the model has never loaded without errors; fix them first",
        );
    };
    (
        [(header::CONTENT_TYPE, "image/svg+xml; charset=utf-8")],
        svg_of(good, &query),
    )
        .into_response()
}

fn not_found(what: &str, id: &str) -> Response {
    refuse(
        StatusCode::NOT_FOUND,
        format!("the model has no {what} `{}`", id.escape_debug()),
    )
}

pub(crate) async fn threat(State(app): State<Arc<App>>, Path(id): Path<String>) -> Response {
    let snapshot = app.snapshot();
    let Some(good) = &snapshot.good else {
        return without_model(&snapshot, &app, "register");
    };
    let Some(t) = good
        .analysis
        .threats
        .iter()
        .find(|t| t.id.cmp_str(&id).is_eq())
    else {
        return not_found("threat", &id);
    };
    let model = &good.loaded.model;
    // A control that would mitigate it, where the element is a component it can be added to.
    let component = model.components.contains_key(&*t.element.id);
    let missing: Vec<&str> = if component {
        // An entry `a|b` is met by either control.
        t.mitigation
            .missing()
            .flat_map(|m| m.split('|'))
            .filter(|m| {
                threatforge_model::catalog().controls.contains_key(*m)
                    || model.controls.contains_key(*m)
            })
            .collect()
    } else {
        Vec::new()
    };
    let decision = t.decision.as_ref().map(|d| {
        context! {
            selector => d.selector.clone(),
            status => d.status.as_str(),
            owner => d.owner.clone().unwrap_or_default(),
            justification => d.justification.clone().unwrap_or_default(),
        }
    });
    let history = history(&app, t).await;
    let factors: Vec<Value> = t
        .factors
        .iter()
        .map(|f| context! { on => f.on, factor => f.factor, effect => f.effect, reason => f.reason.to_string() })
        .collect();
    page(
        &snapshot,
        &app,
        "register",
        "threat.html",
        context! {
            t => row(t),
            explanation => t.explanation.to_string(),
            description => t.description.to_string(),
            inherent => t.inherent.severity.as_str(),
            inherent_score => t.inherent.score,
            in_place => t.mitigation.in_place().collect::<Vec<_>>(),
            missing_all => t.mitigation.missing().map(|m| m.replace('|', " or ")).collect::<Vec<_>>(),
            missing,
            component,
            factors,
            decision,
            history,
            capec => t.capec.to_vec(),
            cwe => t.cwe.to_vec(),
            statuses => ["open", "in-progress", "mitigated", "accepted", "false-positive", "not-applicable"],
        },
    )
}

/// The commits that changed the decisions covering `t`, read from git off the async workers,
/// or why they cannot be shown.
async fn history(app: &Arc<App>, t: &Threat) -> Value {
    let ids: Vec<String> = std::iter::once(t.id.to_string())
        .chain(t.absorbed.iter().map(|a| a.to_string()))
        .collect();
    let app = Arc::clone(app);
    let read = tokio::task::spawn_blocking(move || {
        let timeline =
            app.history
                .timeline(&app.config.model, &app.root, &app.config.options.limits)?;
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        Ok::<_, String>((timeline.entries(&ids), timeline.truncated))
    })
    .await;
    match read {
        Ok(Ok((entries, truncated))) => context! {
            unavailable => Value::from(()),
            entries,
            truncated,
            commits => crate::history::MAX_COMMITS,
        },
        Ok(Err(why)) => context! { unavailable => why },
        Err(_) => context! { unavailable => "reading it stopped unexpectedly" },
    }
}

pub(crate) async fn element(State(app): State<Arc<App>>, Path(id): Path<String>) -> Response {
    let snapshot = app.snapshot();
    let Some(good) = &snapshot.good else {
        return without_model(&snapshot, &app, "diagram");
    };
    let model = &good.loaded.model;
    let (kind, name, detail, controls, data): (&str, String, String, Vec<String>, Vec<String>) =
        if let Some(c) = model.components.get(&id) {
            (
                "component",
                c.name.clone().unwrap_or_else(|| id.clone()),
                c.technology
                    .as_ref()
                    .map(|t| t.value.clone())
                    .unwrap_or_default(),
                c.controls.iter().map(|c| c.value.clone()).collect(),
                c.processes
                    .iter()
                    .chain(&c.stores)
                    .map(|d| d.value.clone())
                    .collect(),
            )
        } else if let Some(f) = model.flows.get(&id) {
            (
                "flow",
                f.name.clone().unwrap_or_else(|| id.clone()),
                format!("{} -> {}", f.source.value, f.target.value),
                f.controls.iter().map(|c| c.value.clone()).collect(),
                f.data
                    .iter()
                    .chain(&f.returns)
                    .map(|d| d.value.clone())
                    .collect(),
            )
        } else if let Some(b) = model.boundaries.get(&id) {
            (
                "boundary",
                b.name.clone().unwrap_or_else(|| id.clone()),
                format!("{} boundary, trust {}", b.kind, b.trust),
                Vec::new(),
                b.contains.iter().map(|c| c.value.clone()).collect(),
            )
        } else {
            return not_found("element", &id);
        };
    let rows: Vec<Row> = by_risk(good)
        .into_iter()
        .filter(|t| t.elements().any(|e| *e.id == *id))
        .map(row)
        .collect();
    let catalog: Vec<&str> = threatforge_model::catalog()
        .controls
        .iter()
        .filter(|(_, c)| c.on != ControlTarget::Flow)
        .map(|(id, _)| id)
        .chain(model.controls.keys())
        .map(String::as_str)
        .filter(|c| !controls.iter().any(|have| have == c))
        .collect();
    page(
        &snapshot,
        &app,
        "diagram",
        "element.html",
        context! {
            id,
            kind,
            name,
            detail,
            controls,
            data,
            rows,
            catalog,
            strides => ["spoofing", "tampering", "repudiation", "information-disclosure", "denial-of-service", "elevation-of-privilege"],
            levels => ["low", "medium", "high", "very-high"],
            diagram => format!("/diagram?boundary={}", utf8_percent_encode(&id, IN_PATH)),
        },
    )
}

pub(crate) async fn script() -> Response {
    asset(
        "text/javascript; charset=utf-8",
        include_str!("assets/app.js"),
    )
}

pub(crate) async fn style() -> Response {
    asset("text/css; charset=utf-8", include_str!("assets/app.css"))
}

fn asset(content_type: &'static str, text: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type)], text).into_response()
}

//! Triage from the pages: a decision on a threat, a control added to a component, or a threat
//! recorded by hand, written into the model file that holds it by the model crate's span-based edits (the rest of the
//! file stays byte for byte), then checked by loading the model again. A request names threats,
//! components and controls by id; the file written is found from the loaded model, so only a
//! file the model already includes is ever written.

use std::path::PathBuf;
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use threatforge_analysis::Analyzed;
use threatforge_model::{
    ControlTarget, DecisionStatus, FileId, Insertion, Level, Limits, Model, NewDecision, NewThreat,
    Stride, insert_control, insert_decisions, insert_threat, read_confined, replace_decision,
};

use crate::state::{App, hash_texts};

/// A decision on one threat.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DecisionRequest {
    /// The model's version the page was rendered from.
    pub version: String,
    pub threat: String,
    pub status: String,
    #[serde(default)]
    pub owner: String,
    #[serde(default)]
    pub justification: String,
    /// YYYY-MM-DD; for an acceptance only.
    #[serde(default)]
    pub expires: String,
}

/// A control to add to a component.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ControlRequest {
    pub version: String,
    pub component: String,
    pub control: String,
}

/// A threat the team found, to record in the model's `threats`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ThreatRequest {
    pub version: String,
    /// The new threat's id; empty: made from the title.
    #[serde(default)]
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// A component, flow, data asset, boundary or runtime; empty: the whole model.
    #[serde(default)]
    pub element: String,
    pub stride: String,
    /// `low`, `medium`, `high` or `very-high`; empty: medium.
    #[serde(default)]
    pub likelihood: String,
    #[serde(default)]
    pub impact: String,
    #[serde(default)]
    pub mitigations: Vec<String>,
}

/// What an edit did.
#[derive(Debug, Serialize)]
pub(crate) struct Edited {
    /// The file written, as the model's diagnostics name it.
    pub file: String,
    /// The file's change, as a unified diff.
    pub diff: String,
    /// The generation the pages now show.
    pub generation: u64,
}

/// A refusal of an edit: its status, and a sentence saying why and what to do.
pub(crate) struct Refusal(StatusCode, String);

fn refuse(status: StatusCode, message: impl Into<String>) -> Refusal {
    Refusal(status, message.into())
}

impl IntoResponse for Refusal {
    /// As JSON, `{"error": "..."}`, which the page's script shows.
    fn into_response(self) -> Response {
        (self.0, Json(serde_json::json!({ "error": self.1 }))).into_response()
    }
}

/// How a file's text changes.
type Edit = Box<dyn Fn(&str) -> Result<Insertion, String> + Send>;

/// The edit to make: which of the model's files, and how its text changes.
struct Plan {
    file: FileId,
    edit: Edit,
}

pub(crate) async fn decide(
    State(app): State<Arc<App>>,
    Json(request): Json<DecisionRequest>,
) -> Response {
    let today = app.config.options.today.clone();
    let version = request.version.clone();
    write(app, version, move |good| {
        plan_decision(good, request, today)
    })
    .await
}

pub(crate) async fn add_control(
    State(app): State<Arc<App>>,
    Json(request): Json<ControlRequest>,
) -> Response {
    let version = request.version.clone();
    write(app, version, move |good| plan_control(good, request)).await
}

pub(crate) async fn record_threat(
    State(app): State<Arc<App>>,
    Json(request): Json<ThreatRequest>,
) -> Response {
    let version = request.version.clone();
    write(app, version, move |good| plan_threat(good, request)).await
}

/// A value of one of the language's kebab-case enumerations, or a refusal naming the choices.
fn choice<T: serde::de::DeserializeOwned>(
    what: &str,
    value: &str,
    choices: &str,
) -> Result<T, Refusal> {
    serde_json::from_value(serde_json::Value::String(value.to_owned())).map_err(|_| {
        refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("`{}` is not a {what}; use {choices}", value.escape_debug()),
        )
    })
}

/// An id made from a title (`Replay of orders` -> `replay-of-orders`), not yet taken.
fn id_from(title: &str, model: &Model) -> String {
    let mut id = String::new();
    for c in title.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            id.push(c);
        } else if !id.is_empty() && !id.ends_with('-') {
            id.push('-');
        }
    }
    // Short enough to read in a decision's `threat:`; an id starts with a letter.
    let mut id: String = id.chars().take(60).collect();
    if !id.starts_with(|c: char| c.is_ascii_lowercase()) {
        id.insert_str(0, "threat-");
    }
    let id = id.trim_end_matches('-').to_owned();
    let mut candidate = id.clone();
    let mut n = 2;
    while model.threats.contains_key(&candidate) {
        candidate = format!("{id}-{n}");
        n += 1;
    }
    candidate
}

fn plan_threat(good: &Analyzed, request: ThreatRequest) -> Result<Plan, Refusal> {
    let model = &good.loaded.model;
    let invalid = |m: String| Err(refuse(StatusCode::UNPROCESSABLE_ENTITY, m));
    let title = request.title.trim();
    if title.is_empty() || title.chars().any(char::is_control) {
        return invalid("the title is one line saying what could happen".to_owned());
    }
    let description = request.description.trim();
    let id = match request.id.trim() {
        "" => id_from(title, model),
        id if !threatforge_model::is_valid_id(id) => {
            return invalid(format!(
                "`{}` is not an id: lowercase letters, digits, `-` and `_`, starting with a letter",
                id.escape_debug()
            ));
        }
        id if model.threats.contains_key(id) => {
            return invalid(format!(
                "the model already has a threat `{id}`; choose another id"
            ));
        }
        id => id.to_owned(),
    };
    let element = request.element.trim();
    let known = model.components.contains_key(element)
        || model.flows.contains_key(element)
        || model.data.contains_key(element)
        || model.boundaries.contains_key(element)
        || model.runtimes.contains_key(element);
    if !element.is_empty() && !known {
        return Err(refuse(
            StatusCode::NOT_FOUND,
            format!("the model has no element `{}`", element.escape_debug()),
        ));
    }
    let stride: Stride = choice(
        "STRIDE category",
        request.stride.trim(),
        "spoofing, tampering, repudiation, information-disclosure, denial-of-service or \
         elevation-of-privilege",
    )?;
    let level = |what: &str, value: &str| -> Result<Level, Refusal> {
        match value.trim() {
            "" => Ok(Level::Medium),
            v => choice(what, v, "low, medium, high or very-high"),
        }
    };
    let likelihood = level("likelihood", &request.likelihood)?;
    let impact = level("impact", &request.impact)?;
    let catalog = threatforge_model::catalog();
    let mut mitigations = Vec::new();
    for m in &request.mitigations {
        let m = m.trim();
        if !catalog.controls.contains_key(m) && !model.controls.contains_key(m) {
            return invalid(format!(
                "`{}` is neither a control of the catalogue nor one the model declares",
                m.escape_debug()
            ));
        }
        if !mitigations.iter().any(|have| have == m) {
            mitigations.push(m.to_owned());
        }
    }
    let threat = NewThreat {
        id,
        title: title.to_owned(),
        description: (!description.is_empty()).then(|| description.to_owned()),
        element: (!element.is_empty()).then(|| element.to_owned()),
        stride: stride.as_str().to_owned(),
        likelihood: likelihood.as_str().to_owned(),
        impact: impact.as_str().to_owned(),
        mitigations,
    };
    // Beside the threats the team recorded before, else in the root file.
    let file = model
        .threats
        .values()
        .next()
        .map_or(FileId(0), |t| t.id.span.file);
    let limits = Limits::default();
    Ok(Plan {
        file,
        edit: Box::new(move |text| insert_threat(text, &threat, &limits)),
    })
}

fn plan_decision(
    good: &Analyzed,
    request: DecisionRequest,
    today: Option<String>,
) -> Result<Plan, Refusal> {
    let model = &good.loaded.model;
    let threat = request.threat.trim().to_owned();
    if !good.analysis.threats.iter().any(|t| t.id == threat) {
        return Err(refuse(
            StatusCode::NOT_FOUND,
            format!("the model has no threat `{}`", threat.escape_debug()),
        ));
    }
    let status: DecisionStatus = serde_json::from_value(serde_json::Value::String(
        request.status.clone(),
    ))
    .map_err(|_| {
        refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "`{}` is not a status; use open, in-progress, mitigated, accepted, \
                 false-positive or not-applicable",
                request.status.escape_debug()
            ),
        )
    })?;
    let invalid = |m: &str| Err(refuse(StatusCode::UNPROCESSABLE_ENTITY, m));
    let owner = request.owner.trim();
    if owner.chars().any(char::is_control) {
        return invalid("the owner is one line of text");
    }
    let justification = request.justification.trim();
    let needs_reason = matches!(
        status,
        DecisionStatus::Accepted
            | DecisionStatus::Mitigated
            | DecisionStatus::FalsePositive
            | DecisionStatus::NotApplicable
    );
    if needs_reason && justification.is_empty() {
        return invalid("say why in the justification: a reviewer of the change reads it");
    }
    let expires = request.expires.trim();
    if status == DecisionStatus::Accepted {
        if owner.is_empty() {
            return invalid("an acceptance needs an owner: who answers for the risk");
        }
        if !threatforge_model::is_valid_date(expires) {
            return invalid("an acceptance needs an expiry date, YYYY-MM-DD");
        }
        // ISO dates compare as text.
        if today.as_deref().is_some_and(|t| expires < t) {
            return invalid("the expiry date is in the past: the acceptance would lapse at once");
        }
    } else if !expires.is_empty() {
        return invalid("only an acceptance expires; leave the date empty");
    }
    let decision = NewDecision {
        threat: threat.clone(),
        status,
        owner: (!owner.is_empty()).then(|| owner.to_owned()),
        justification: (!justification.is_empty()).then(|| justification.to_owned()),
        date: today,
        expires: (!expires.is_empty()).then(|| expires.to_owned()),
    };
    // A decision written for the threat already is replaced (the first written would win over
    // a new one); otherwise the new one joins the file that holds the decisions, else the root.
    let existing = model.decisions.iter().find(|d| d.threat.value == threat);
    let file = existing
        .or(model.decisions.first())
        .map_or(FileId(0), |d| d.threat.span.file);
    let limits = Limits::default();
    let edit: Edit = if existing.is_some() {
        Box::new(move |text| replace_decision(text, &decision, &limits))
    } else {
        Box::new(move |text| insert_decisions(text, "", std::slice::from_ref(&decision), &limits))
    };
    Ok(Plan { file, edit })
}

fn plan_control(good: &Analyzed, request: ControlRequest) -> Result<Plan, Refusal> {
    let model = &good.loaded.model;
    let Some(component) = model.components.get(request.component.as_str()) else {
        return Err(refuse(
            StatusCode::NOT_FOUND,
            format!(
                "the model has no component `{}`",
                request.component.escape_debug()
            ),
        ));
    };
    let control = request.control.trim().to_owned();
    let catalog = threatforge_model::catalog();
    if !catalog.controls.contains_key(&control) && !model.controls.contains_key(&control) {
        let names = catalog
            .controls
            .keys()
            .chain(model.controls.keys())
            .map(String::as_str);
        let hint = threatforge_model::suggest::nearest(&control, names)
            .map(|n| format!("; did you mean `{n}`?"))
            .unwrap_or_default();
        return Err(refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "`{}` is neither a control of the catalogue nor one the model declares{hint}",
                control.escape_debug()
            ),
        ));
    }
    if catalog
        .controls
        .get(&control)
        .is_some_and(|c| c.on == ControlTarget::Flow)
    {
        return Err(refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("`{control}` is a control of flows, not of components"),
        ));
    }
    let id = request.component.clone();
    let limits = Limits::default();
    Ok(Plan {
        file: component.id.span.file,
        edit: Box::new(move |text| insert_control(text, &id, &control, &limits)),
    })
}

/// Makes one planned edit: refused when the model is invalid or the page is stale (the files
/// on disk are not the ones it was rendered from), written, then checked by loading the model
/// again; a change that makes the model invalid is undone.
async fn write(
    app: Arc<App>,
    version: String,
    plan: impl FnOnce(&Analyzed) -> Result<Plan, Refusal> + Send + 'static,
) -> Response {
    let _one_at_a_time = app.writing.lock().await;
    let worker = Arc::clone(&app);
    let work = tokio::task::spawn_blocking(move || write_blocking(&worker, &version, plan));
    match work.await {
        Ok(Ok(edited)) => Json(edited).into_response(),
        Ok(Err(refusal)) => refusal.into_response(),
        Err(_) => refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the edit stopped unexpectedly; the file is as it was or as the diff would show: \
             reload the page",
        )
        .into_response(),
    }
}

fn write_blocking(
    app: &App,
    version: &str,
    plan: impl FnOnce(&Analyzed) -> Result<Plan, Refusal>,
) -> Result<Edited, Refusal> {
    let snapshot = app.snapshot();
    let stale = || {
        refuse(
            StatusCode::CONFLICT,
            "the model's files changed since this page was loaded (by an editor, git or \
             another page); nothing was written: look at the page again (it reloads itself) \
             and redo the change",
        )
    };
    if snapshot.errors.is_some() {
        return Err(refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            "the model has errors (shown on the page); fix them first: an edit is checked \
             against a valid model",
        ));
    }
    let Some(good) = snapshot.good.clone() else {
        return Err(refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            "the model has never loaded without errors",
        ));
    };
    if version != snapshot.version {
        return Err(stale());
    }
    let plan = plan(&good)?;
    // The files as they are on disk now: an edit in an editor that the watcher has not
    // reported yet makes the page stale too.
    let sources = &good.loaded.model.sources;
    let root = &app.root;
    let cap = Limits::default().max_file_bytes;
    let mut texts = Vec::new();
    for (_, file) in sources.files() {
        match read_confined(&file.path, root, cap) {
            Ok((_, text)) => texts.push((file.display.clone(), text)),
            Err(_) => return Err(stale()),
        }
    }
    if hash_texts(texts.iter().map(|(d, t)| (d.as_str(), t.as_str()))) != version {
        return Err(stale());
    }
    let Some((display, old)) = texts.get(plan.file.0 as usize).cloned() else {
        return Err(stale());
    };
    let path: PathBuf = match sources.get(plan.file) {
        Some(file) => file.path.clone(),
        None => return Err(stale()),
    };
    let insertion = (plan.edit)(&old).map_err(|why| {
        refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("cannot edit {display}: {why}"),
        )
    })?;
    let new = insertion.apply(&old);
    std::fs::write(&path, &new).map_err(|e| {
        refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot write {display}: {e}"),
        )
    })?;
    let after = app.reload();
    if let Some(errors) = &after.errors {
        // Put the file back as it was; the model loads as before.
        let restored = std::fs::write(&path, &old);
        app.reload();
        let note = match restored {
            Ok(()) => "the file was put back as it was".to_owned(),
            Err(e) => format!("putting the file back failed ({e}): restore {display} by hand"),
        };
        return Err(refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("the edit made the model invalid, so {note}:\n{errors}"),
        ));
    }
    let diff = similar::TextDiff::from_lines(&old, &new)
        .unified_diff()
        .context_radius(3)
        .header(&display, &display)
        .to_string();
    Ok(Edited {
        file: display,
        diff,
        generation: after.generation,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_made_from_a_title_is_valid_and_free() {
        let mut model = Model::default();
        for (title, id) in [
            ("Replay of orders", "replay-of-orders"),
            ("  SQL <b>injection</b>!  ", "sql-b-injection-b"),
            ("2FA bypass", "threat-2fa-bypass"),
            ("日本", "threat"),
        ] {
            let made = id_from(title, &model);
            assert_eq!(made, id, "{title}");
            assert!(threatforge_model::is_valid_id(&made), "{made}");
        }
        let long = id_from(&"word ".repeat(40), &model);
        assert!(long.len() <= 60 && !long.ends_with('-'), "{long}");
        let taken = |id: &str| threatforge_model::Decl {
            id: threatforge_model::Sp::new(id.to_owned(), threatforge_model::Span::default()),
            value: serde_json::from_value::<threatforge_model::ManualThreat>(serde_json::json!({
                "title": "T", "stride": "spoofing"
            }))
            .expect("a threat"),
        };
        for id in ["replay", "replay-2"] {
            model.threats.insert(id.to_owned(), taken(id));
        }
        assert_eq!(id_from("Replay", &model), "replay-3");
    }
}

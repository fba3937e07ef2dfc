//! `threatforge serve`: a local dashboard over the model in the working tree. It renders the
//! same analysis as the reports (through `Project::load`, the report crate's diagram and
//! escaping), reloads the pages when the model's files change, and writes triage decisions and
//! controls into the model files as minimal, reviewable edits.
//!
//! The module map: `state` (the model as last loaded, and the generations pages follow),
//! `security` (every request's checks, and the headers of every answer), `pages` (the HTML),
//! `triage` (the edits), `watch` (the files), `history` (a threat's decisions over the
//! git history), and here the routes and the server.

mod history;
mod pages;
mod register;
mod security;
mod state;
mod triage;
mod watch;

use std::convert::Infallible;
use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::{get, post};
use futures_util::Stream;
use tokio::sync::broadcast::error::RecvError;

pub use security::{MAX_CHANGES, RATE_WINDOW, random_token};
pub use state::{Base, Config};

use crate::state::App;

/// The largest request body read: a decision's fields, with room to spare.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The routes, over the model loaded once now. The watcher is not started: `run` does that.
pub fn router(config: Config) -> Router {
    routes(Arc::new(App::new(config)))
}

fn routes(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(pages::overview))
        .route("/threats", get(pages::register))
        .route("/threats/{id}", get(pages::threat))
        .route("/diagram", get(pages::diagram))
        .route("/diagram.svg", get(pages::diagram_svg))
        .route("/elements/{id}", get(pages::element))
        .route("/assets/app.js", get(pages::script))
        .route("/assets/app.css", get(pages::style))
        .route("/events", get(events))
        .route("/api/decision", post(triage::decide))
        .route("/api/control", post(triage::add_control))
        .route("/api/threat", post(triage::record_threat))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&app),
            security::guard,
        ))
        .with_state(app)
}

/// Serves on `listener` (already bound to `config.addr`) until the process ends, watching the
/// model's files.
pub fn run(config: Config, listener: std::net::TcpListener) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the server's runtime: {e}"))?;
    let app = Arc::new(App::new(config));
    runtime.block_on(async move {
        watch::spawn(Arc::clone(&app))?;
        listener
            .set_nonblocking(true)
            .map_err(|e| format!("cannot use the listening socket: {e}"))?;
        let listener = tokio::net::TcpListener::from_std(listener)
            .map_err(|e| format!("cannot use the listening socket: {e}"))?;
        axum::serve(listener, routes(app))
            .await
            .map_err(|e| format!("the server stopped: {e}"))
    })
}

/// Server-sent events: `reload` with the generation now shown, first the current one (a page
/// that loaded just before a change catches up), then each new one.
async fn events(State(app): State<Arc<App>>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let receiver = app.events.subscribe();
    let now = app.snapshot().generation;
    let first = futures_util::stream::once(async move { reload_event(now) });
    let next = futures_util::stream::unfold(receiver, |mut receiver| async move {
        loop {
            match receiver.recv().await {
                Ok(generation) => return Some((reload_event(generation), receiver)),
                // Only the latest generation matters.
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(futures_util::StreamExt::chain(first, next)).keep_alive(KeepAlive::default())
}

fn reload_event(generation: u64) -> Result<Event, Infallible> {
    Ok(Event::default()
        .event("reload")
        .data(generation.to_string()))
}

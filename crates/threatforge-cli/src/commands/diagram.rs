//! `threatforge diagram`: the data-flow diagram as SVG, Mermaid or DOT.

use threatforge_report::{DiagramOptions, render_diagram};

use super::{find_model, load_and_analyze};
use crate::cli::DiagramArgs;
use crate::terminal::{Terminal, eprint, write_output};

pub(super) fn run(args: DiagramArgs, term: &Terminal) -> Result<u8, String> {
    let path = find_model(args.model.as_deref())?;
    let analyzed = load_and_analyze(
        &path,
        None,
        &args.rules,
        Some(super::today(None)?),
        &args.limits,
    )?;
    if analyzed.has_errors() {
        eprint(&super::render_analyzed(&analyzed, term));
        return Ok(crate::exit::INVALID);
    }
    let model = &analyzed.loaded.model;
    if let Some(boundary) = &args.boundary
        && !model.boundaries.contains_key(boundary)
    {
        let ids: Vec<&str> = model.boundaries.keys().map(String::as_str).collect();
        return Err(
            match threatforge_model::suggest::nearest(boundary, ids.iter().copied()) {
                Some(n) => format!("there is no boundary `{boundary}`; did you mean `{n}`?"),
                None if ids.is_empty() => {
                    format!("there is no boundary `{boundary}`; the model declares no boundaries")
                }
                None => format!(
                    "there is no boundary `{boundary}`; give one of {}",
                    threatforge_model::suggest::one_of(&ids)
                ),
            },
        );
    }
    let options = DiagramOptions {
        boundary: args.boundary.clone(),
        ..DiagramOptions::default()
    };
    let text = render_diagram(args.format, model, &analyzed.analysis, &options);
    write_output(args.output.as_deref(), &text)?;
    Ok(crate::exit::OK)
}

//! `threatforge report`: the threats of a model in a format for people or machines.

use super::{find_model, load_and_analyze};
use crate::cli::{ReportArgs, ReportFormat, SeverityArg};
use crate::terminal::{Terminal, eprint, write_output};

pub fn run(args: ReportArgs, term: &Terminal) -> Result<u8, String> {
    let path = find_model(args.model.as_deref())?;
    let today = super::today(args.today.as_deref())?;
    let analyzed = load_and_analyze(&path, args.root.as_deref(), &args.rules, Some(today))?;
    if analyzed.has_errors() {
        eprint(&analyzed.render(term));
        return Ok(crate::exit::INVALID);
    }
    let model = &analyzed.loaded.model;
    let analysis = &analyzed.analysis;
    let fail_on = args.fail_on.map(SeverityArg::severity);
    let text = match args.format {
        ReportFormat::Json => threatforge_report::json::render_gated(model, analysis, fail_on),
        ReportFormat::Html => threatforge_report::html::render(model, analysis),
        ReportFormat::Md => threatforge_report::markdown::render(model, analysis),
        ReportFormat::Sarif => {
            let root = super::repository_root(&path, args.root.as_deref());
            threatforge_report::sarif::render(model, analysis, &analyzed.rules, &root)
        }
        ReportFormat::Csv => threatforge_report::csv::render(model, analysis),
        ReportFormat::Otm => threatforge_report::otm::render(model, analysis),
        ReportFormat::Junit => {
            let failing = fail_on.unwrap_or(threatforge_model::ThreatSeverity::Medium);
            threatforge_report::junit::render(model, analysis, failing)
        }
    };
    write_output(args.output.as_deref(), &text)?;
    let gate_failed = fail_on.is_some_and(|t| !threatforge_report::json::gate_passes(analysis, t));
    Ok(if gate_failed {
        crate::exit::GATE_FAILED
    } else {
        crate::exit::OK
    })
}

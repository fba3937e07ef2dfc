//! `threatforge report`: the threats of a model in a format for people or machines.

use super::find_model;
use crate::cli::{ReportArgs, SeverityArg};
use crate::terminal::{Terminal, write_streamed};

pub(super) fn run(args: ReportArgs, term: &Terminal) -> Result<u8, String> {
    let path = find_model(args.model.as_deref())?;
    let Some(analyzed) = args
        .inputs
        .analyze_with_evidence(&path, &args.evidence, term, false)?
    else {
        return Ok(crate::exit::INVALID);
    };
    let root = super::repository_root(&path, args.inputs.root.as_deref());
    let input = threatforge_report::Input {
        model: &analyzed.loaded.model,
        analysis: &analyzed.analysis,
        rules: &analyzed.rules,
        root: &root,
        fail_on: args.fail_on.map(SeverityArg::severity),
    };
    write_streamed(args.output.as_deref(), |out| {
        threatforge_report::render_to(args.format, &input, out)
    })?;
    let gate_failed = input
        .fail_on
        .is_some_and(|t| !threatforge_report::gate_passes(input.analysis, t));
    Ok(if gate_failed {
        crate::exit::GATE_FAILED
    } else {
        crate::exit::OK
    })
}

//! `threatforge compliance`: where the model stands against a framework.

use threatforge_analysis::{assess_compliance, resolve_framework};

use super::find_model;
use crate::cli::ComplianceArgs;
use crate::terminal::{Terminal, write_output};

pub(super) fn run(args: ComplianceArgs, term: &Terminal) -> Result<u8, String> {
    // A misspelled framework is a usage error before any work.
    let (framework, level) = resolve_framework(&args.framework, args.level.as_deref())?;
    let path = find_model(args.model.as_deref())?;
    let Some(analyzed) = args
        .inputs
        .analyze_with_evidence(&path, &args.evidence, term, false)?
    else {
        return Ok(crate::exit::INVALID);
    };
    let model = &analyzed.loaded.model;
    let compliance = assess_compliance(model, &analyzed.analysis, framework, level)?;
    let text = threatforge_report::render_compliance(args.format, model, &compliance);
    write_output(args.output.as_deref(), &text)?;
    Ok(if args.fail_on_gap && compliance.gaps() > 0 {
        crate::exit::GATE_FAILED
    } else {
        crate::exit::OK
    })
}

//! `threatforge plan`: which missing controls to put in place first.

use threatforge_analysis::{PlanOptions, plan_controls};

use super::find_model;
use crate::cli::{PlanArgs, SeverityArg};
use crate::terminal::{Terminal, eprint, write_output};

pub(super) fn run(args: PlanArgs, term: &Terminal) -> Result<u8, String> {
    let path = find_model(args.model.as_deref())?;
    let analyzed = args.inputs.analyze(&path, args.inputs.today()?)?;
    if analyzed.has_errors() {
        eprint(&super::render_analyzed(&analyzed, term));
        return Ok(crate::exit::INVALID);
    }
    let model = &analyzed.loaded.model;
    let options = PlanOptions {
        target: args.target.map(SeverityArg::severity),
        budget: args.budget,
    };
    let plan = plan_controls(model, &analyzed.analysis, options)?;
    let text = threatforge_report::render_plan(args.format, model, &plan);
    write_output(args.output.as_deref(), &text)?;
    Ok(if plan.reached == Some(false) {
        crate::exit::GATE_FAILED
    } else {
        crate::exit::OK
    })
}

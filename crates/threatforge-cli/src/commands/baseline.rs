//! `threatforge baseline`: accept every open threat until a date, written into the model file.

use std::fmt::Write as _;
use std::path::Path;

use threatforge_analysis::{Plan, Planned, plan_baseline};
use threatforge_model::DecisionStatus;
use threatforge_model::escape::line;
use threatforge_model::{NewDecision, insert_decisions, render_decisions};

use super::check::counted;
use super::find_model;
use crate::cli::BaselineArgs;
use crate::terminal::{Terminal, eprint, write_output};

/// Elements named in a wildcard's justification before "and N more".
const ELEMENTS_NAMED: usize = 8;

pub(super) fn run(args: BaselineArgs, term: &Terminal) -> Result<u8, String> {
    let path = find_model(args.model.as_deref())?;
    let today = args.inputs.today()?;
    if !threatforge_model::is_valid_date(&args.until) {
        return Err(format!(
            "`{}` is not a date; give --until as YYYY-MM-DD",
            line(&args.until)
        ));
    }
    // ISO dates compare as text.
    if args.until.as_str() < today.as_str() {
        return Err(format!(
            "--until {} is before today ({today}): the acceptances would be expired at once; \
             give a date to work the list down by",
            args.until
        ));
    }
    let owner = args.owner.trim();
    if owner.is_empty() {
        return Err("--owner is empty; name who answers for the acceptances".to_owned());
    }
    if args.write && path == Path::new("-") {
        return Err("--write needs a model file, not standard input".to_owned());
    }
    let analyzed = args.inputs.analyze(&path, today.clone())?;
    if analyzed.has_errors() {
        eprint(&super::render_analyzed(&analyzed, term));
        return Ok(crate::exit::INVALID);
    }
    let model = &analyzed.loaded.model;
    let plan = plan_baseline(model, &analyzed.analysis);
    let notes = notes(&plan);
    if plan.decisions.is_empty() {
        eprint(&format!(
            "Nothing to baseline: no open threat without a decision.\n{notes}"
        ));
        return Ok(crate::exit::OK);
    }
    let decisions: Vec<NewDecision> = plan
        .decisions
        .iter()
        .map(|p| NewDecision {
            threat: p.selector.clone(),
            status: DecisionStatus::Accepted,
            owner: Some(owner.to_owned()),
            justification: Some(justification(p, &today, &args.until)),
            date: Some(today.clone()),
            expires: Some(args.until.clone()),
        })
        .collect();
    let accepted = plan.accepted();
    let comment = format!(
        "threatforge baseline of {today}: {} accepted until {}. Edit each justification, \
         then fix the threats and remove their decisions.",
        counted(accepted, "open threat"),
        args.until
    );
    let (display, text) = model
        .sources
        .files()
        .next()
        .map(|(_, f)| (f.display.clone(), f.text.clone()))
        .ok_or("the model has no root file")?;
    let limits = threatforge_model::Limits::default();
    let insertion = insert_decisions(&text, &comment, &decisions, &limits);
    if !args.write {
        let (shown, whither) = match &insertion {
            Ok(i) => (
                i.text.clone(),
                format!(
                    "would insert into {} at line {}",
                    line(&display),
                    text[..i.at].lines().count() + 1
                ),
            ),
            Err(why) => (
                render_decisions("  ", &comment, &decisions),
                format!("cannot insert into {} ({why})", line(&display)),
            ),
        };
        write_output(None, &shown)?;
        eprint(&format!(
            "{} accepting {}; {whither}. Run again with --write to write them.\n{notes}",
            counted(decisions.len(), "decision"),
            counted(accepted, "open threat"),
        ));
        return Ok(crate::exit::OK);
    }
    let insertion = insertion
        .map_err(|why| format!("cannot add the decisions to {}: {why}", line(&display)))?;
    let written = insertion.apply(&text);
    std::fs::write(&path, written)
        .map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
    eprint(&format!(
        "Wrote {} accepting {} until {} into {}. Edit their justifications.\n{notes}",
        counted(decisions.len(), "decision"),
        counted(accepted, "open threat"),
        args.until,
        line(&display),
    ));
    Ok(crate::exit::OK)
}

/// The generated justification: what was accepted and when, for the team to replace with the
/// real reason.
fn justification(planned: &Planned, today: &str, until: &str) -> String {
    let mut text = format!(
        "Accepted as found when threatforge was adopted ({today}): {}",
        planned.title
    );
    let n = planned.elements.len();
    if planned.selector.ends_with('*') || n > 1 {
        let named: Vec<&str> = planned
            .elements
            .iter()
            .take(ELEMENTS_NAMED)
            .map(String::as_str)
            .collect();
        let _ = write!(text, ", on {n} elements: {}", named.join(", "));
        if n > ELEMENTS_NAMED {
            let _ = write!(text, " and {} more", n - ELEMENTS_NAMED);
        }
        if planned.selector.ends_with('*') {
            text.push_str(". The wildcard also accepts this rule's new threats until then");
        }
    } else if let Some(element) = planned.elements.first() {
        let _ = write!(text, ", on {element}");
    }
    let _ = write!(
        text,
        ". Replace with why the risk is acceptable, or fix it before {until}."
    );
    text
}

/// What the baseline left open, and why.
fn notes(plan: &Plan) -> String {
    let mut out = String::new();
    for left in &plan.left {
        let _ = writeln!(
            out,
            "note: `{}` stays open: {} (decision `{}`)",
            line(&left.threat),
            left.why,
            line(&left.decision)
        );
    }
    if !plan.in_progress.is_empty() {
        let _ = writeln!(
            out,
            "note: {} in progress under the team's decisions left as they are; the gate still \
             counts them",
            counted(plan.in_progress.len(), "threat")
        );
    }
    out
}

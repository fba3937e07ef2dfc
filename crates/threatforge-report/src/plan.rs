//! The control plan (`threatforge plan`) for a terminal, a pull request (Markdown), machines
//! (JSON) and trackers (CSV). Every text from the model goes through its target's escape.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use threatforge_analysis::{ControlPlan, Step, Totals};
use threatforge_model::Model;
use threatforge_model::escape::line;

use crate::escape::{csv as cell, markdown, markdown_code, markdown_row};

/// The plan's formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanFormat {
    Human,
    Md,
    Json,
    Csv,
}

impl PlanFormat {
    pub const ALL: &[PlanFormat] = &[
        PlanFormat::Human,
        PlanFormat::Md,
        PlanFormat::Json,
        PlanFormat::Csv,
    ];

    pub fn name(self) -> &'static str {
        match self {
            PlanFormat::Human => "human",
            PlanFormat::Md => "md",
            PlanFormat::Json => "json",
            PlanFormat::Csv => "csv",
        }
    }

    pub fn help(self) -> &'static str {
        match self {
            PlanFormat::Human => "a table for the terminal",
            PlanFormat::Md => "Markdown for a planning comment or pull request",
            PlanFormat::Json => "the plan for machines",
            PlanFormat::Csv => "one row per step, for a tracker import",
        }
    }
}

pub fn render_plan(format: PlanFormat, model: &Model, plan: &ControlPlan) -> String {
    match format {
        PlanFormat::Human => human(model, plan),
        PlanFormat::Md => md(model, plan),
        PlanFormat::Json => crate::escape::json(plan),
        PlanFormat::Csv => csv(plan),
    }
}

fn totals(t: &Totals) -> String {
    format!(
        "critical {}, high {}, medium {}, low {} (residual risk {})",
        t.critical, t.high, t.medium, t.low, t.risk
    )
}

/// What a step does to its threats, in words: `closes a (high 12); lowers b critical 16 -> high 12`.
fn effects(step: &Step) -> String {
    let mut closes = Vec::new();
    let mut lowers = Vec::new();
    let mut prepares = Vec::new();
    for t in &step.threats {
        match t.after {
            None => closes.push(format!("{} ({} {})", t.id, t.before, t.before_score)),
            // One of controls that close a threat only together.
            Some(_) if t.after_score == t.before_score => prepares.push(t.id.clone()),
            Some(after) => lowers.push(format!(
                "{} {} {} -> {} {}",
                t.id, t.before, t.before_score, after, t.after_score
            )),
        }
    }
    let mut parts = Vec::new();
    if !closes.is_empty() {
        parts.push(format!("closes {}", closes.join(", ")));
    }
    if !lowers.is_empty() {
        parts.push(format!("lowers {}", lowers.join(", ")));
    }
    if !prepares.is_empty() {
        parts.push(format!(
            "with the next step, closes {}",
            prepares.join(", ")
        ));
    }
    parts.join("; ")
}

fn place(step: &Step) -> String {
    if step.members.is_empty() {
        format!("{} {}", step.kind, step.element)
    } else {
        format!("{} ({})", step.element, step.members.join(", "))
    }
}

fn headline(model: &Model, plan: &ControlPlan) -> String {
    let spent = plan.steps.last().map_or(0, |s| s.spent);
    let mut out = format!(
        "Control plan for {}: {} step{}, {} effort point{} (low 1, medium 2, high 4)",
        model.system_name(),
        plan.steps.len(),
        if plan.steps.len() == 1 { "" } else { "s" },
        spent,
        if spent == 1 { "" } else { "s" },
    );
    if let Some(target) = plan.target {
        let _ = write!(
            out,
            "; target: nothing {target} or above open ({})",
            if plan.reached == Some(true) {
                "reached"
            } else {
                "not reached"
            }
        );
    }
    if let Some(budget) = plan.budget {
        let _ = write!(out, "; budget {budget} points");
    }
    out
}

/// Owners and the steps that are theirs, owners in name order (unowned last).
fn by_owner(plan: &ControlPlan) -> Vec<(String, Vec<usize>)> {
    let mut owners: BTreeMap<(bool, String), Vec<usize>> = BTreeMap::new();
    for (i, s) in plan.steps.iter().enumerate() {
        let key = match &s.owner {
            Some(o) => (false, o.clone()),
            None => (true, "no owner in the model".to_owned()),
        };
        owners.entry(key).or_default().push(i + 1);
    }
    owners.into_iter().map(|((_, o), s)| (o, s)).collect()
}

fn numbers(steps: &[usize]) -> String {
    steps
        .iter()
        .map(|n| format!("#{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn human(model: &Model, plan: &ControlPlan) -> String {
    let mut out = format!("{}\n", line(&headline(model, plan)));
    let _ = writeln!(out, "Open now:   {}", totals(&plan.before));
    let _ = writeln!(out, "Open after: {}", totals(&plan.after));
    if plan.steps.is_empty() {
        out.push_str("\nNo missing control would lower an open threat's risk.\n");
    }
    for (i, s) in plan.steps.iter().enumerate() {
        let _ = writeln!(
            out,
            "\n{:>3}. {} on {}  [{} effort, {} point{}; removes {}; {} spent]",
            i + 1,
            line(&s.control),
            line(&place(s)),
            s.effort,
            s.points,
            if s.points == 1 { "" } else { "s" },
            s.removed,
            s.spent,
        );
        let _ = writeln!(out, "     {}", line(&effects(s)));
        let _ = writeln!(out, "     effort: {}", line(&s.effort_why));
        if let Some(owner) = &s.owner {
            let _ = writeln!(out, "     owner: {}", line(owner));
        }
        let _ = writeln!(out, "     after: {}", totals(&s.after));
    }
    if !plan.steps.is_empty() {
        out.push_str("\nBy owner:\n");
        for (owner, steps) in by_owner(plan) {
            let _ = writeln!(out, "  {}: {}", line(&owner), numbers(&steps));
        }
    }
    if !plan.ruled_out.is_empty() {
        out.push_str("\nRuled out by the team (not proposed):\n");
        for r in &plan.ruled_out {
            let _ = writeln!(
                out,
                "  {} (named by {} open threat{}): {}",
                line(&r.control),
                r.threats,
                if r.threats == 1 { "" } else { "s" },
                line(&r.why)
            );
        }
    }
    if !plan.left.is_empty() {
        let what = if plan.target.is_some() {
            "Open at or above the target, which no step closes:"
        } else {
            "Left out by the budget:"
        };
        let _ = writeln!(out, "\n{what}");
        for l in &plan.left {
            let _ = writeln!(out, "  {}", line(l));
        }
    }
    out
}

fn md(model: &Model, plan: &ControlPlan) -> String {
    let mut out = format!("## {}\n\n", markdown(&headline(model, plan)));
    let _ = writeln!(out, "- Open now: {}", totals(&plan.before));
    let _ = writeln!(out, "- Open after: {}\n", totals(&plan.after));
    if plan.steps.is_empty() {
        out.push_str("No missing control would lower an open threat's risk.\n");
    } else {
        out.push_str(
            "| # | control | on | effort | removes | spent | open after (critical / high / medium / low) | owner | what it does |\n\
             |---|---|---|---|---|---|---|---|---|\n",
        );
        for (i, s) in plan.steps.iter().enumerate() {
            let row = [
                (i + 1).to_string(),
                markdown_code(&s.control),
                markdown(&place(s)),
                format!("{} ({})", s.effort, s.points),
                s.removed.to_string(),
                s.spent.to_string(),
                format!(
                    "{} / {} / {} / {}",
                    s.after.critical, s.after.high, s.after.medium, s.after.low
                ),
                markdown(s.owner.as_deref().unwrap_or("")),
                markdown(&effects(s)),
            ];
            out.push_str(&markdown_row(&row));
            out.push('\n');
        }
        out.push_str("\n**By owner:** ");
        let owners: Vec<String> = by_owner(plan)
            .into_iter()
            .map(|(o, s)| format!("{}: {}", markdown(&o), numbers(&s)))
            .collect();
        out.push_str(&owners.join("; "));
        out.push('\n');
    }
    if !plan.ruled_out.is_empty() {
        out.push_str("\n**Ruled out by the team:**\n\n");
        for r in &plan.ruled_out {
            let _ = writeln!(
                out,
                "- {} (named by {} open threat{}): {}",
                markdown_code(&r.control),
                r.threats,
                if r.threats == 1 { "" } else { "s" },
                markdown(&r.why)
            );
        }
    }
    if !plan.left.is_empty() {
        out.push_str(if plan.target.is_some() {
            "\n**Open at or above the target, which no step closes:**\n\n"
        } else {
            "\n**Left out by the budget:**\n\n"
        });
        for l in &plan.left {
            let _ = writeln!(out, "- {}", markdown(l));
        }
    }
    out
}

fn csv(plan: &ControlPlan) -> String {
    let mut out = String::from(
        "step,control,title,element_kind,element,owner,effort,points,removed,spent,open_critical,open_high,open_medium,open_low,residual_risk,threats,effort_why\r\n",
    );
    for (i, s) in plan.steps.iter().enumerate() {
        let row = [
            (i + 1).to_string(),
            s.control.clone(),
            s.title.clone(),
            s.kind.as_str().to_owned(),
            s.element.clone(),
            s.owner.clone().unwrap_or_default(),
            s.effort.as_str().to_owned(),
            s.points.to_string(),
            s.removed.to_string(),
            s.spent.to_string(),
            s.after.critical.to_string(),
            s.after.high.to_string(),
            s.after.medium.to_string(),
            s.after.low.to_string(),
            s.after.risk.to_string(),
            effects(s),
            s.effort_why.clone(),
        ];
        let cells: Vec<String> = row.iter().map(|c| cell(c)).collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out
}

//! `threatforge rules`: list, show, test and document the rules.

use std::fmt::Write as _;
use std::path::PathBuf;

use threatforge_analysis::check_examples;
use threatforge_analysis::{RuleDir, RuleSet};
use threatforge_model::escape::{block, line};

use super::render_diagnostics;
use crate::cli::{ListFormat, RulesCommand};
use crate::terminal::{Terminal, eprint, write_output};

pub(super) fn run(command: RulesCommand, term: &Terminal) -> Result<u8, String> {
    match command {
        RulesCommand::List { rules, format } => {
            let set = load(rules, term)?;
            let text = match format {
                ListFormat::Human => {
                    let mut out = String::new();
                    let width = set.rules.iter().map(|r| r.id().len()).max().unwrap_or(0);
                    for rule in &set.rules {
                        let _ = writeln!(
                            out,
                            "{:<width$}  {:<9}  {:<22}  {}",
                            rule.id(),
                            rule.file.applies_to.element.as_str(),
                            rule.file.stride.as_str(),
                            line(&rule.file.title)
                        );
                    }
                    let _ = writeln!(out, "\n{} rules", set.rules.len());
                    out
                }
                ListFormat::Json => threatforge_report::rules_json(&set),
            };
            write_output(None, &text)?;
            Ok(crate::exit::OK)
        }
        RulesCommand::Show { id, rules } => {
            let set = load(rules, term)?;
            match set.get(&id) {
                Some(rule) => {
                    write_output(None, &threatforge_report::show_rule(rule))?;
                    Ok(crate::exit::OK)
                }
                None => {
                    let near = threatforge_model::suggest::nearest(&id, set.ids());
                    Err(match near {
                        Some(n) => format!("there is no rule `{id}`; did you mean `{n}`?"),
                        None => {
                            format!("there is no rule `{id}`; `threatforge rules list` lists them")
                        }
                    })
                }
            }
        }
        RulesCommand::Test { dirs } => {
            let set = if dirs.is_empty() {
                RuleSet::builtin()
            } else {
                RuleSet::only_dirs(&own_dirs(dirs))
            };
            if set.has_errors() {
                eprint(&render_diagnostics(&set.diagnostics, &set.sources, term));
                return Ok(crate::exit::INVALID);
            }
            let mut failed = 0;
            let mut out = String::new();
            for rule in &set.rules {
                let failures = check_examples(rule, &set);
                if failures.is_empty() {
                    let _ = writeln!(out, "ok    {}", rule.id());
                } else {
                    failed += 1;
                    let _ = writeln!(out, "FAIL  {}", rule.id());
                    for f in failures {
                        let _ = writeln!(out, "      {}", block(&f));
                    }
                }
            }
            let _ = writeln!(
                out,
                "\n{} passed, {failed} failed",
                set.rules.len() - failed
            );
            write_output(None, &out)?;
            Ok(if failed > 0 {
                crate::exit::GATE_FAILED
            } else {
                crate::exit::OK
            })
        }
        RulesCommand::Doc { output } => {
            let set = load(Vec::new(), term)?;
            write_output(output.as_deref(), &threatforge_report::rules_markdown(&set))?;
            Ok(crate::exit::OK)
        }
    }
}

/// Directories named on the command line: each confines its own files.
fn own_dirs(dirs: Vec<PathBuf>) -> Vec<RuleDir> {
    dirs.into_iter().map(RuleDir::own).collect()
}

fn load(dirs: Vec<PathBuf>, term: &Terminal) -> Result<RuleSet, String> {
    let set = RuleSet::with_dirs(&own_dirs(dirs));
    if set.has_errors() {
        eprint(&render_diagnostics(&set.diagnostics, &set.sources, term));
        return Err("the rules have errors".to_owned());
    }
    Ok(set)
}

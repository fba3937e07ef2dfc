//! CSV, one row per threat, for issue trackers. Cells are written by [`crate::escape::csv`]:
//! RFC 4180 quoting, and cells that a spreadsheet would run as a formula prefixed with `'`.

use threatforge_analysis::{Analysis, Element, Threat, Verification};
use threatforge_model::Model;

use crate::escape::csv as cell;

pub(crate) fn render(model: &Model, analysis: &Analysis) -> String {
    let mut out = String::from(
        "id,title,rule,element_kind,element,stride,linddun,status,inherent_severity,inherent_score,residual_severity,residual_score,missing_controls,controls_in_place,capec,cwe,owner,ticket,file,line,explanation,computed_severity,override_cvss,override_justification,description,remediation,link",
    );
    // Evidence columns only when evidence was read, so that a run without it keeps the columns
    // a tracker import was set up for.
    let with_evidence = analysis.evidence.is_some();
    if with_evidence {
        out.push_str(",confirmed_by,verified_controls,failed_controls,unverified_controls");
    }
    out.push_str("\r\n");
    for t in &analysis.threats {
        let location = model.sources.locate(t.span);
        let over = t.rating_override.as_deref();
        let advice = crate::remediation::of(model, t);
        let row = [
            t.id.to_string(),
            t.title.to_string(),
            t.rule.to_string(),
            t.element.kind.as_str().to_owned(),
            t.element.id.to_string(),
            t.stride.as_str().to_owned(),
            t.linddun.map_or(String::new(), |l| l.as_str().to_owned()),
            t.status.as_str().to_owned(),
            t.inherent.severity.as_str().to_owned(),
            t.inherent.score.to_string(),
            t.severity().as_str().to_owned(),
            t.residual.score.to_string(),
            threatforge_analysis::join(t.mitigation.missing(), " "),
            threatforge_analysis::join(t.mitigation.in_place(), " "),
            t.capec
                .iter()
                .map(|c| format!("CAPEC-{c}"))
                .collect::<Vec<_>>()
                .join(" "),
            t.cwe
                .iter()
                .map(|c| format!("CWE-{c}"))
                .collect::<Vec<_>>()
                .join(" "),
            owner(model, t),
            t.decision
                .as_ref()
                .and_then(|d| d.ticket.clone())
                .unwrap_or_default(),
            location.file,
            location.line.to_string(),
            t.explanation.to_string(),
            // Without an override, the severity in force is the computed one.
            over.map_or(t.severity(), |o| o.computed)
                .as_str()
                .to_owned(),
            over.and_then(|o| o.cvss.clone()).unwrap_or_default(),
            over.map(|o| o.justification.clone()).unwrap_or_default(),
            t.description.to_string(),
            advice.text,
            advice.link.unwrap_or_default(),
        ];
        let mut cells: Vec<String> = row.iter().map(|c| cell(c)).collect();
        if with_evidence {
            cells.extend(evidence_cells(t).iter().map(|c| cell(c)));
        }
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out
}

/// A threat's evidence as four cells: the findings that confirm it, and its controls in place
/// that tests verified, failed and left unverified; each list `; `-separated.
fn evidence_cells(t: &Threat) -> [String; 4] {
    let Some(e) = t.evidence.as_deref() else {
        return Default::default();
    };
    let findings: Vec<String> = e
        .findings
        .iter()
        .map(|f| crate::evidence::finding(f))
        .collect();
    let of = |status: Verification| {
        e.controls
            .iter()
            .filter(|c| c.status == status)
            .map(crate::evidence::check)
            .collect::<Vec<_>>()
            .join("; ")
    };
    [
        findings.join("; "),
        of(Verification::Verified),
        of(Verification::Failed),
        of(Verification::Unverified),
    ]
}

/// Who answers for a threat: the owner its decision names, else its element's owner (a component
/// or a data asset; for a threat grouped for the model, its members' owners), else the system's
/// owners. Empty when the model names none.
pub(crate) fn owner(model: &Model, threat: &Threat) -> String {
    let decided = threat.decision.as_ref().and_then(|d| d.owner.clone());
    // A threat grouped for the model belongs to the owners of its members, each named once.
    let element = || {
        // A threat grouped by the component its flows lead into is that component's too.
        let mut owners: Vec<&str> = std::iter::once(&threat.element)
            .chain(threat.elements())
            .filter_map(|e| match e.kind {
                Element::Component => model.components.get(&*e.id)?.owner.as_deref(),
                Element::Data => model.data.get(&*e.id)?.owner.as_deref(),
                _ => None,
            })
            .collect();
        owners.sort_unstable();
        owners.dedup();
        (!owners.is_empty()).then(|| owners.join(" "))
    };
    decided
        .or_else(element)
        .or_else(|| {
            model
                .system
                .as_ref()
                .filter(|s| !s.owners.is_empty())
                .map(|s| s.owners.join(" "))
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_owner_is_the_decisions_then_the_elements_then_the_systems() {
        let text = "system: { name: shop, owners: [sec, ops] }
components:
  web: { technology: web-application, exposure: internet, owner: team-web }
  admin: { technology: web-application, exposure: internet, owner: team-admin }
  db: { technology: postgresql }
flows:
  - web -> db: { protocol: postgres }
decisions:
  - { threat: \"sql-injection:web\", status: open, owner: alice }
";
        let (model, analysis) = crate::analyzed(text);
        let owner_of = |id: &str| owner(&model, crate::threat(&analysis, id));
        assert_eq!(owner_of("sql-injection:web"), "alice");
        // A threat grouped for the model belongs to its members' owners.
        assert_eq!(owner_of("clickjacking:model"), "team-admin team-web");
        assert_eq!(owner_of("flow-without-data:web->db"), "sec ops");
    }
}

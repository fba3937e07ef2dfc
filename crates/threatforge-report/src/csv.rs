//! CSV, one row per threat, for issue trackers. Cells are written by [`crate::escape::csv`]:
//! RFC 4180 quoting, and cells that a spreadsheet would run as a formula prefixed with `'`.

use threatforge_analysis::Analysis;
use threatforge_model::Model;

use crate::escape::csv as cell;

pub fn render(model: &Model, analysis: &Analysis) -> String {
    let mut out = String::from(
        "id,title,rule,element_kind,element,stride,linddun,status,inherent_severity,inherent_score,residual_severity,residual_score,missing_controls,controls_in_place,capec,cwe,owner,ticket,file,line,explanation\r\n",
    );
    for t in &analysis.threats {
        let location = model.sources.locate(t.span);
        let decision = t.decision.as_ref();
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
            decision.and_then(|d| d.owner.clone()).unwrap_or_default(),
            decision.and_then(|d| d.ticket.clone()).unwrap_or_default(),
            location.file,
            location.line.to_string(),
            t.explanation.to_string(),
        ];
        let cells: Vec<String> = row.iter().map(|c| cell(c)).collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out
}

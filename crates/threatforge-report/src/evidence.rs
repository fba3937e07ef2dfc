//! Evidence as plain text, for the formats that carry it in cells, properties and messages (CSV,
//! JUnit, SARIF): a finding as `tool rule (CWE-n) at place: message`, a control's verification
//! as `control status: tests`. Each format escapes the text for itself.

use threatforge_analysis::ControlCheck;
use threatforge_evidence::Finding;

/// `Semgrep sql-injection (CWE-89) at services/api/db.py:42: message`, on one line.
pub(crate) fn finding(f: &Finding) -> String {
    let cwe: Vec<String> = f.cwe.iter().map(|c| format!("CWE-{c}")).collect();
    let mut text = format!("{} {}", f.tool, f.rule);
    if !cwe.is_empty() {
        text.push_str(&format!(" ({})", cwe.join(", ")));
    }
    let place = f.location();
    if !place.is_empty() {
        text.push_str(&format!(" at {place}"));
    }
    let message = threatforge_analysis::one_line(&f.message);
    if !message.is_empty() {
        text.push_str(&format!(": {message}"));
    }
    text
}

/// `authorization failed: com.acme.AuthorizationTest.x`, or `input-validation unverified`.
pub(crate) fn check(c: &ControlCheck) -> String {
    if c.tests.is_empty() {
        format!("{} {}", c.control, c.status.as_str())
    } else {
        format!(
            "{} {}: {}",
            c.control,
            c.status.as_str(),
            c.tests.join(", ")
        )
    }
}

//! What evidence attaches to threats and controls: the findings that confirm a threat, what
//! tests say of each control, and the summary. Apart from `evidence.rs`, which computes them,
//! because the threat carries them and `evidence.rs` reads threats.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;
use threatforge_evidence::{Finding, Warning};

use crate::score::Factor;

/// The rule id of the threats evidence adds where no threat of the model covers a finding.
pub const UNMODELED: &str = "unmodeled-weakness";

/// What tests say of a control.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verification {
    /// A test named in `verified_by` passed, and none failed.
    Verified,
    /// A test named in `verified_by` failed or erred: the control does not count.
    Failed,
    /// No test verifies it (none named, or none of those named ran).
    Unverified,
}

impl Verification {
    pub fn as_str(self) -> &'static str {
        match self {
            Verification::Verified => "verified",
            Verification::Failed => "failed",
            Verification::Unverified => "unverified",
        }
    }
}

/// One control on one component, as the tests left it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ControlCheck {
    pub component: Arc<str>,
    pub control: Arc<str>,
    pub status: Verification,
    /// The tests that decided it: the failing ones when it failed, else the passing ones.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tests: Vec<String>,
}

/// What the evidence says of one threat.
#[derive(Clone, Debug, Serialize)]
pub struct ThreatEvidence {
    /// Findings that confirm it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<Arc<Finding>>,
    /// The likelihood the findings set, as a factor of the score.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub factor: Option<Factor>,
    /// Its mitigating controls in place, and what the tests say of each; a failed control is
    /// here though the analysis no longer counts it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub controls: Vec<ControlCheck>,
}

impl ThreatEvidence {
    /// Whether a scanner's finding confirms the threat.
    pub fn confirmed(&self) -> bool {
        !self.findings.is_empty()
    }
}

/// Per tool: how many findings, and where they went.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ToolCount {
    pub tool: String,
    pub findings: usize,
    /// Claimed by a component.
    pub mapped: usize,
    /// Claimed by none.
    pub unmapped: usize,
    /// Suppressed in the tool: listed only.
    pub suppressed: usize,
}

/// The evidence as a whole, for the summary, the reports and the gates.
#[derive(Clone, Debug, Default, Serialize)]
pub struct EvidenceSummary {
    pub files: Vec<String>,
    pub tools: Vec<ToolCount>,
    pub tests: BTreeMap<&'static str, usize>,
    /// Threats a finding confirms, by id.
    pub confirmed: Vec<String>,
    /// Threats added for findings no threat covers, by id.
    pub unmodeled: Vec<String>,
    /// Every control of every component that declares controls, with what tests say of it.
    pub controls: Vec<ControlCheck>,
    /// Findings no component claims: where the model does not cover the code or the site.
    pub unmapped: Vec<Arc<Finding>>,
    pub warnings: Vec<Warning>,
}

impl EvidenceSummary {
    pub fn count(&self, status: Verification) -> usize {
        self.controls.iter().filter(|c| c.status == status).count()
    }
}

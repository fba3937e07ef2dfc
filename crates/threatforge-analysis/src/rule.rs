//! The rule format: what a rule file says. See docs/writing-rules.md.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use threatforge_model::{ComponentKind, Sp};

macro_rules! kebab_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:literal),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "kebab-case")]
        pub enum $name { $($variant),* }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &[$name] = &[$($name::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),* }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

// Threat categories and the hint scale are part of the model language too (manual threats).
pub use threatforge_model::{Level, Linddun, Stride};

kebab_enum! {
    /// What kind of element a rule looks at.
    Element {
        Component = "component",
        Flow = "flow",
        Data = "data",
        Boundary = "boundary",
        Runtime = "runtime",
        Model = "model",
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppliesTo {
    pub element: Element,
    /// Components only: the kinds it applies to (all when empty).
    #[serde(default)]
    pub kinds: Vec<ComponentKind>,
    /// Components only: any of these technologies (all when empty).
    #[serde(default)]
    pub technologies: Vec<Sp<String>>,
    /// Components only: any of these traits (all when empty).
    #[serde(default)]
    pub traits: Vec<Sp<String>>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Covers {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub threagile: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pytm: Vec<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Examples {
    #[serde(default)]
    pub fires: Vec<Sp<String>>,
    #[serde(default)]
    pub passes: Vec<Sp<String>>,
    /// For a hygiene rule with `threat_when`: models where it holds, whose finding must be in the
    /// register rather than the checklist.
    #[serde(default)]
    pub threat: Vec<Sp<String>>,
}

/// How a rule's threats on several elements become one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Group {
    /// One threat for the whole model, `<rule>:model`.
    Model,
    /// For a flow rule: one threat per component its flows lead into, `<rule>:<component>`, where
    /// one change at that component closes the gap on every flow (TLS on the collector's
    /// listener, one agreement with the vendor every service sends data to); flows between two
    /// components on one cluster group per cluster instead, `<rule>:<cluster>`, whose mesh
    /// closes them all.
    Target,
    /// For a flow rule: one threat per component its flows come from, `<rule>:<component>`, where
    /// that component's side is the one fix for every flow (the app that speaks an unencrypted
    /// commissioning protocol to each kind of device it sets up).
    Source,
    /// For a flow rule: one threat per component its flows' data goes to, `<rule>:<component>`:
    /// a third party the flow sends to (not a forwarder passing it on), else a third party that
    /// calls in and is handed data back, else the target, or the source where the flow only
    /// returns data (the party every service hands people's data to, whichever side calls).
    Recipient,
}

/// Where a rule's findings are listed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tier {
    /// A threat of this design: the model's facts (exposure, data, trust, the flows) make it
    /// apply here more than elsewhere. The register, the gate and the diff count it.
    #[default]
    Threat,
    /// A practice every such element needs whatever the design (patching, hardening, backups,
    /// dependency scanning, security headers): true, but generic, so it is listed once in the
    /// hygiene checklist beside the register rather than as a threat of the design, and no gate
    /// counts it.
    Hygiene,
}

/// A rule file as written.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    pub id: Sp<String>,
    pub title: String,
    pub description: String,
    pub stride: Stride,
    #[serde(default)]
    pub linddun: Option<Linddun>,
    #[serde(default)]
    pub capec: Vec<u32>,
    #[serde(default)]
    pub cwe: Vec<u32>,
    pub applies_to: AppliesTo,
    /// Named sub-expressions the rule's expressions share (`let:`): `name: expr`, a value of the
    /// element, or `name(a, b): expr`, one of its parameters; each may use those above it.
    #[serde(default, rename = "let")]
    pub lets: IndexMap<Sp<String>, Sp<String>>,
    pub condition: Sp<String>,
    pub explanation: Sp<String>,
    pub likelihood: Level,
    pub impact: Level,
    /// The most severe this rule's threats can be: for weaknesses that make other attacks easier
    /// or harder to see (no monitoring, verbose errors, no SBOM) but are not an attack of their
    /// own. The impact comes down until the score fits.
    #[serde(default)]
    pub max_severity: Option<threatforge_model::ThreatSeverity>,
    /// Why the rule's threats stop at `max_severity`, where the usual reason (a weakness that
    /// makes other attacks easier or harder to see) is not it: a privacy gap with no attacker, an
    /// abuse whose loss is bounded. A threat's ceiling factor says it.
    #[serde(default)]
    pub max_severity_reason: Option<Sp<String>>,
    /// Ceilings that replace `max_severity` on the elements where a condition holds, the first
    /// that holds: a practice that is a checklist line in general is a threat of its own where
    /// the model shows what it opens (a static key that alone mints value or writes every
    /// identity), and one capped nowhere may be capped where what it reaches is bounded.
    #[serde(default)]
    pub max_severity_when: Vec<SeverityWhen>,
    /// The attack reaches secrets whatever the element handles (the cloud metadata service's
    /// credentials for a request forgery): very high impact stays without secret data of its own.
    #[serde(default)]
    pub reaches_secrets: bool,
    /// A flow rule whose attacker stands on the flow's network path, reading, changing or
    /// forging what crosses it (clear text, no integrity, no caller authentication): its
    /// likelihood follows where the wire runs, on a network outsiders share or the team's own,
    /// not how far the flow's source is from the internet nor who may call it.
    #[serde(default)]
    pub in_transit: bool,
    /// With `in_transit`: the attacker forges the caller, sending the target requests in its
    /// name, so a target that listens on the internet is reached by anyone there whatever the
    /// wire between the two (an eavesdropper still needs the wire).
    #[serde(default)]
    pub forges_caller: bool,
    /// The threat is a failure or a mistake, not an attack (the one instance of a store lost, data
    /// destroyed by an operator or a bad migration): no attacker's path moves its likelihood, so
    /// the element's exposure and authentication do not apply, only the rule's own rating.
    #[serde(default)]
    pub failure: bool,
    /// Component rules: the attack travels in the content the component is handed (an XML
    /// document, a query's text, a file): whoever writes that content reaches the component
    /// through the services that carry it, needing no login of their own on the way. Where the
    /// component is handed data written outside the team, the authentication on the paths in
    /// does not lower the likelihood.
    #[serde(default)]
    pub in_content: bool,
    /// Component rules: as `in_content`, and the content also counts where the component reads
    /// it back from a store the team's services wrote it to (a stored script on a page, a
    /// formula in an export): what parties outside the team wrote is shown as they wrote it.
    #[serde(default)]
    pub in_stored_content: bool,
    /// The attacker is a legitimate caller acting within its own login (a compromised or buggy
    /// writer of a shared store, another tenant, a user or partner asking a service for records
    /// that are not theirs): the logins on the paths in are what that caller holds, so they do
    /// not lower the likelihood.
    #[serde(default)]
    pub by_caller: bool,
    /// The attack does not come over the network to the element: a secret read where it is kept
    /// (a chart's values, a pipeline's settings), an agent talked into it on the phone; or it
    /// comes from a victim's own client (a request forged across sites). The element's exposure
    /// and authentication do not move the likelihood, as for a failure.
    #[serde(default)]
    pub off_network: bool,
    /// Likelihoods that replace `likelihood` on the elements where a condition holds, the first
    /// that holds: the same weakness is sought out where the model shows what draws attackers
    /// to it (one-time codes that confirm moving money out), which no path of flows says.
    #[serde(default)]
    pub likelihood_when: Vec<LikelihoodWhen>,
    #[serde(default)]
    pub mitigations: Vec<Sp<String>>,
    /// Mitigations that replace `mitigations` on the elements where a condition holds, the first
    /// that holds: the same weakness is closed otherwise on another kind of element (a
    /// controller of equipment authenticates its masters with its protocol's secure profile,
    /// not with middleware checking tokens), and advice that cannot be followed there is noise.
    #[serde(default)]
    pub mitigations_when: Vec<MitigationsWhen>,
    /// Rules that describe consequences of the same root cause on the same element: where this
    /// rule fires, their threats on that element become part of this one (one threat per root
    /// cause, scored as the most severe of them).
    #[serde(default)]
    pub supersedes: Vec<Sp<String>>,
    /// For a practice whose one fix serves every element it finds (dependency scanning, a
    /// secrets vault, a privacy notice): `model` makes one threat naming every open finding.
    #[serde(default)]
    pub group: Option<Group>,
    /// For a hygiene rule with `threat_when`: how the findings the model makes threats of group
    /// (they stay apart, one per element, where this is not given): one agreement with a vendor
    /// answers every flow that hands it people's data.
    #[serde(default)]
    pub threat_group: Option<Group>,
    /// For a component rule: the flows (or other components) the threat is about, as a CEL
    /// list: where the weakness acts (the flows a pipeline deploys over, the calls it makes).
    /// The threat stays one, on the component, and names them as its members, so reports,
    /// diagrams and filters find it on each.
    #[serde(default)]
    pub members: Option<Sp<String>>,
    /// `hygiene` for a baseline practice rather than a threat of the design.
    #[serde(default)]
    pub tier: Tier,
    /// For a hygiene rule: where this holds on the element, the model states the fact that makes
    /// the practice's absence a threat of this design (queries built from request text, a path
    /// taken from the caller), so the finding stays in the register.
    #[serde(default)]
    pub threat_when: Option<Sp<String>>,
    #[serde(default)]
    pub references: Vec<String>,
    #[serde(default)]
    pub covers: Covers,
    #[serde(default)]
    pub examples: Examples,
}

/// An entry of `mitigations_when`: where `when` holds on the element, its threat asks for
/// `mitigations` instead of the rule's.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MitigationsWhen {
    pub when: Sp<String>,
    pub mitigations: Vec<Sp<String>>,
}

/// An entry of `likelihood_when`: where `when` holds on the element, its threat is rated
/// `likelihood` instead of the rule's, for the reason `because` gives (a clause the factor
/// that rates it quotes: "the rule rates the attack's likelihood medium where ...").
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LikelihoodWhen {
    pub when: Sp<String>,
    pub likelihood: Level,
    pub because: Sp<String>,
}

/// An entry of `max_severity_when`: where `when` holds on the element, its threat is at most
/// `max_severity` instead of the rule's ceiling, for the reason `because` gives (a clause the
/// ceiling factor quotes: "the rule rates this high at most where ...").
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeverityWhen {
    pub when: Sp<String>,
    pub max_severity: threatforge_model::ThreatSeverity,
    pub because: Sp<String>,
}

/// One entry of a coverage file: which threatforge rules cover a peer's rule, or why none does.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CoverageEntry {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub covered_by: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left_out: Option<String>,
    /// Where threatforge deliberately answers otherwise than the peer's rule on a case, and why
    /// (the parity tests hold the documented behaviour).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub differs: Option<String>,
}

pub type Coverage = IndexMap<String, CoverageEntry>;

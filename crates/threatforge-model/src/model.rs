//! The types of the model language.
//!
//! These structs are what a team writes (they derive `Deserialize` for the loader and `JsonSchema`
//! for `threatforge schema`, so the two cannot drift apart) and, once loaded and resolved, what
//! every later stage reads. Doc comments here become the descriptions editors show.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::source::{SourceMap, Span};
use crate::sp::Sp;

/// An id: lowercase letters, digits and `-` or `_`, starting with a letter (`payments`, `card-data`).
pub type Id = String;

/// Whether `id` is a valid element id.
pub fn is_valid_id(id: &str) -> bool {
    let mut chars = id.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        && id.len() <= 100
}

macro_rules! ordered_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
        #[serde(rename_all = "kebab-case")]
        pub enum $name { $($(#[$vmeta])* $variant),* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

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

ordered_enum! {
    /// How much harm disclosure of the data would do, from least to most.
    Classification {
        /// Meant for anyone.
        Public = "public",
        /// Not for the public, but low harm if disclosed.
        Internal = "internal",
        /// Harm to people or the business if disclosed (personal data, business plans).
        Confidential = "confidential",
        /// Severe harm if disclosed (credentials, card data, health records, keys).
        Secret = "secret",
    }
}

ordered_enum! {
    /// A rating on a four-step scale (integrity, availability, criticality).
    Rating {
        Low = "low",
        Medium = "medium",
        High = "high",
        Critical = "critical",
    }
}

ordered_enum! {
    /// Roughly how many records of the data the system holds or moves.
    Quantity {
        Few = "few",
        Many = "many",
        VeryMany = "very-many",
    }
}

ordered_enum! {
    /// Trust level of a zone, from the open internet to the most protected zone.
    Trust {
        /// Anyone can be here: the internet, a guest network.
        Untrusted = "untrusted",
        Low = "low",
        Medium = "medium",
        High = "high",
    }
}

ordered_enum! {
    /// What categories of data an asset is, for privacy and compliance rules.
    DataCategory {
        /// Data about an identifiable person (GDPR personal data).
        Personal = "personal",
        /// Special categories: ethnicity, beliefs, sexual orientation, union membership (GDPR art. 9).
        SpecialCategory = "special-category",
        /// Passwords, tokens, API keys, private keys, session ids.
        Credential = "credential",
        /// Card numbers and payment details (PCI DSS).
        Payment = "payment",
        /// Financial records, balances, transactions.
        Financial = "financial",
        /// Health data (HIPAA, GDPR art. 9).
        Health = "health",
        /// Biometric templates and samples.
        Biometric = "biometric",
        /// Precise location of people or devices.
        Location = "location",
        /// Behaviour and usage profiles of people.
        Behavioral = "behavioral",
        /// Data about children.
        Children = "children",
        /// Source code, designs, trade secrets.
        IntellectualProperty = "intellectual-property",
        /// Security and application logs.
        Logs = "logs",
        /// Audit records: who did what and when. They name people by design and must stay
        /// complete and tamper-evident; rules read them as logs too.
        Audit = "audit",
        /// Operational metrics and traces.
        Telemetry = "telemetry",
        /// Configuration, including infrastructure definitions.
        Configuration = "configuration",
        /// Training data, prompts or weights of a machine-learning model.
        Model = "model",
    }
}

impl DataCategory {
    /// Categories that identify or describe a person: the privacy (LINDDUN) rules look for these.
    pub fn is_personal(self) -> bool {
        matches!(
            self,
            DataCategory::Personal
                | DataCategory::SpecialCategory
                | DataCategory::Health
                | DataCategory::Biometric
                | DataCategory::Location
                | DataCategory::Behavioral
                | DataCategory::Children
        )
    }
}

ordered_enum! {
    /// The data-flow-diagram role of a component.
    ComponentKind {
        /// An external entity: a person or a system outside the team's control.
        Actor = "actor",
        /// Code that runs: a service, a job, a proxy.
        Process = "process",
        /// Where data rests: a database, a bucket, a queue.
        Store = "store",
    }
}

ordered_enum! {
    /// Where a component can be reached from.
    Exposure {
        /// Reachable from the internet (or, for an actor, located on it).
        Internet = "internet",
        /// Reachable only from inside the system's networks.
        Internal = "internal",
    }
}

ordered_enum! {
    /// How the source of a flow proves who it is to the target.
    Authentication {
        None = "none",
        /// A user name and password, or another shared secret typed by a person.
        Credentials = "credentials",
        /// A static API key.
        ApiKey = "api-key",
        /// A session cookie from an earlier login.
        Session = "session",
        /// A signed token (OAuth 2 / OIDC bearer token, JWT).
        Token = "token",
        /// Each request or message carries a signature the receiver verifies (webhook HMAC
        /// signatures, signed messages). Implied by the `message-signing` control.
        Signature = "signature",
        /// A client certificate (mutual TLS). Implied by the `mtls` control.
        ClientCertificate = "client-certificate",
        /// Kerberos tickets.
        Kerberos = "kerberos",
    }
}

ordered_enum! {
    /// Whose permissions the target checks for a flow.
    Authorization {
        /// None: any authenticated caller may do anything.
        None = "none",
        /// The calling service's own (technical) identity.
        Service = "service",
        /// The end user's identity, propagated through the call.
        User = "user",
    }
}

ordered_enum! {
    /// What a flow is for.
    Usage {
        /// The system's own business traffic.
        Business = "business",
        /// Operations: deployment, administration, monitoring, backups.
        Devops = "devops",
    }
}

ordered_enum! {
    /// What sort of zone a trust boundary draws.
    BoundaryKind {
        /// A network zone or segment (DMZ, internal network).
        Network = "network",
        /// A cloud account, subscription or project.
        CloudAccount = "cloud-account",
        /// A virtual private cloud or virtual network.
        Vpc = "vpc",
        /// A container cluster.
        Cluster = "cluster",
        /// A namespace inside a cluster.
        Namespace = "namespace",
        /// A single host or virtual machine.
        Host = "host",
        /// An execution environment: a process, a sandbox, a browser, a device.
        ExecutionEnvironment = "execution-environment",
        /// A physical site: a data centre, an office, a device in the field.
        Physical = "physical",
    }
}

ordered_enum! {
    /// What a shared runtime is.
    RuntimeKind {
        Host = "host",
        VirtualMachine = "virtual-machine",
        Cluster = "cluster",
        CloudAccount = "cloud-account",
        Serverless = "serverless",
    }
}

impl RuntimeKind {
    /// Whether its workloads share machines (a kernel, the node's credentials, its disks): a
    /// host, a virtual machine or a cluster. A cloud account's workloads do not share credentials
    /// by running in it, and a serverless platform runs each function with its own role.
    pub fn shares_nodes(self) -> bool {
        matches!(
            self,
            RuntimeKind::Host | RuntimeKind::VirtualMachine | RuntimeKind::Cluster
        )
    }
}

ordered_enum! {
    /// How severe a threat is, from least to most.
    ThreatSeverity {
        Info = "info",
        Low = "low",
        Medium = "medium",
        High = "high",
        Critical = "critical",
    }
}

ordered_enum! {
    /// Where a team stands on a threat.
    DecisionStatus {
        /// Known and not yet dealt with.
        Open = "open",
        /// Being worked on.
        InProgress = "in-progress",
        /// Dealt with by controls outside the model's view (say how in the justification).
        Mitigated = "mitigated",
        /// The risk is taken, by the owner, until `expires`.
        Accepted = "accepted",
        /// The threat does not exist here; the rule misjudged the system.
        FalsePositive = "false-positive",
        /// The concern does not apply to this system.
        NotApplicable = "not-applicable",
    }
}

/// A team's decision on one threat, or on several through a `*` wildcard in `threat`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// The threat id (`rule:element`); `*` matches any text, e.g. `sql-injection:*` or `*:legacy-db`.
    pub threat: Sp<String>,
    pub status: DecisionStatus,
    /// Who made the decision and answers for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Why. Required for `accepted`, `false-positive` and `not-applicable`, and for a rating override.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    /// A link to the ticket that tracks the work.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
    /// When the decision was made (YYYY-MM-DD).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<Sp<String>>,
    /// When an acceptance lapses (YYYY-MM-DD); the threat is open again after it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<Sp<String>>,
    /// Overrides the computed severity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<ThreatSeverity>,
    /// Overrides the computed severity with a CVSS v4.0 vector (`CVSS:4.0/AV:N/...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvss: Option<Sp<String>>,
}

/// Whether `date` is a calendar date written YYYY-MM-DD.
pub fn is_valid_date(date: &str) -> bool {
    let parts: Vec<&str> = date.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return false;
    };
    let number = |s: &str, len: usize| {
        (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u32>().ok())
            .flatten()
    };
    match (number(y, 4), number(m, 2), number(d, 2)) {
        (Some(year), Some(month @ 1..=12), Some(day)) => {
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
            let days = match month {
                2 if leap => 29,
                2 => 28,
                4 | 6 | 9 | 11 => 30,
                _ => 31,
            };
            (1..=days).contains(&day)
        }
        _ => false,
    }
}

/// A person or team to contact about the system.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// What the contact is for: `security`, `on-call`, `product`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

/// The system being modeled. Only the root file of a model has it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct System {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The version of the system this model describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// How much the business depends on the system. Components inherit it unless they say otherwise.
    #[serde(default = "default_rating")]
    pub criticality: Rating,
    /// Teams or people accountable for the system.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owners: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contacts: Vec<Contact>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Frameworks whose coverage the HTML report shows, as `threatforge compliance` names them
    /// (`asvs-5.0-l2`, `nist-800-53-r5-moderate`, `gdpr`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub compliance: Vec<Sp<String>>,
    /// What `threatforge plan` should know beyond the catalogue: efforts and controls ruled out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<PlanConfig>,
}

/// The team's corrections to the control plan.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanConfig {
    /// Control -> effort here (`low`, `medium`, `high`), instead of the catalogue's.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub effort: IndexMap<Sp<Id>, Effort>,
    /// Controls the team has decided not to put in place: control -> why. The plan never
    /// proposes them.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub ruled_out: IndexMap<Sp<Id>, String>,
}

ordered_enum! {
    /// What putting a control in place costs a team, from least to most.
    Effort {
        /// Hours to a day: a setting, a header, a flag.
        Low = "low",
        /// Days: a library, a service's configuration, a new check in the pipeline.
        Medium = "medium",
        /// Weeks: new infrastructure, a redesign, a new team process.
        High = "high",
    }
}

fn default_rating() -> Rating {
    Rating::Medium
}

/// A kind of data the system handles. Its sensitivity is said once, here, and flows to every
/// component and flow that handles it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DataAsset {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Confidentiality: how much harm disclosure would do.
    #[serde(default = "default_classification")]
    pub classification: Classification,
    /// How much harm tampering would do.
    #[serde(default = "default_rating")]
    pub integrity: Rating,
    /// How much harm loss of access would do.
    #[serde(default = "default_rating")]
    pub availability: Rating,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<Sp<DataCategory>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<Quantity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

fn default_classification() -> Classification {
    Classification::Internal
}

/// A part of the system: a person or external system (actor), code that runs (process), or a
/// place where data rests (store).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Component {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The technology, from the catalogue (`threatforge schema` lists them). Implies the kind and
    /// traits unless they are given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub technology: Option<Sp<String>>,
    /// Overrides the kind the technology implies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<Sp<ComponentKind>>,
    /// Whether the component can be reached from the internet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exposure: Option<Exposure>,
    /// Data assets the component handles in memory.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub processes: Vec<Sp<Id>>,
    /// Data assets the component keeps at rest.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stores: Vec<Sp<Id>>,
    /// Controls in place on the component, from the control catalogue.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub controls: Vec<Sp<Id>>,
    /// Traits in addition to those of the technology (`parses-xml`, `accepts-files`, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub traits: Vec<Sp<Id>>,
    /// Overrides the system's criticality for this component.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub criticality: Option<Rating>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Where the component's source lives in the repository, as path globs (`services/shop/**`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub code: Vec<Sp<String>>,
    /// Where the component is declared in infrastructure code: a Terraform resource address
    /// (`aws_db_instance.orders`), a Kubernetes object (`k8s:shop/Deployment/checkout`), a
    /// Compose service (`compose:db`). `threatforge drift` reports those that resolve to nothing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub iac: Vec<Sp<String>>,
    /// Where web scanners reach the component: URLs (`https://shop.example.com/api`) or a host
    /// and path prefix (`shop.example.com/api`). A scanner's finding at a URL under one of them
    /// is the component's (docs/evidence.md).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub endpoints: Vec<Sp<String>>,
    /// What verifies each of the component's controls: control id -> test id patterns
    /// (`classname.name` as JUnit reports it; `*` matches any text). A passing test makes the
    /// control verified, a failing one takes its effect away (docs/evidence.md).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub verified_by: IndexMap<Sp<Id>, Vec<Sp<String>>>,
    /// Marks the component out of scope; the text says why. Rules skip it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_of_scope: Option<String>,
}

/// What a flow entry says about the flow, beside its ends.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FlowAttributes {
    /// Gives the flow an explicit id; needed when two flows join the same components.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Sp<Id>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The protocol, from the catalogue. Implies whether the flow is encrypted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<Sp<String>>,
    /// Overrides the encryption the protocol implies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypted: Option<bool>,
    /// How the source authenticates to the target. Defaults to `none`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication: Option<Authentication>,
    /// Whose permissions the target checks. Defaults to `none`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization: Option<Authorization>,
    /// Data assets sent from the source to the target.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data: Vec<Sp<Id>>,
    /// Data assets sent back in the response, from the target to the source.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub returns: Vec<Sp<Id>>,
    /// Controls in place on the flow.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub controls: Vec<Sp<Id>>,
    /// On a flow out of a shared proxy, load balancer, CDN or gateway: the upstream callers
    /// (component ids) whose requests it carries. The analysis then follows only their paths
    /// over it, so a public link and an authenticated API behind the same front are told apart.
    /// Without it, a flow out of a forwarder carries every caller's requests.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub on_behalf_of: Vec<Sp<Id>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// The flow only reads: the target's data does not change.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub readonly: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Marks the flow out of scope; the text says why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_of_scope: Option<String>,
}

/// A zone of trust. Members are components and nested boundaries.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Boundary {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default = "default_boundary_kind")]
    pub kind: BoundaryKind,
    /// How much the zone is trusted. Defaults to `medium`.
    #[serde(default = "default_trust")]
    pub trust: Trust,
    /// Ids of the components and boundaries inside this one.
    #[serde(default)]
    pub contains: Vec<Sp<Id>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

fn default_boundary_kind() -> BoundaryKind {
    BoundaryKind::Network
}

fn default_trust() -> Trust {
    Trust::Medium
}

/// Components that share a host, cluster, virtual machine or account.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Runtime {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub kind: RuntimeKind,
    /// What runs the runtime, from the technology catalogue (`container-platform` for Kubernetes
    /// or ECS, `data-processing-cluster` for EMR or Dataproc, `virtual-machine`): rules about
    /// containers ask a cluster's technology before they assume pods. A cluster without one is
    /// taken for a container platform, the common case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub technology: Option<Sp<String>>,
    /// Ids of the components that run here.
    pub runs: Vec<Sp<Id>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

ordered_enum! {
    /// The STRIDE category of a threat.
    Stride {
        Spoofing = "spoofing",
        Tampering = "tampering",
        Repudiation = "repudiation",
        InformationDisclosure = "information-disclosure",
        DenialOfService = "denial-of-service",
        ElevationOfPrivilege = "elevation-of-privilege",
    }
}

ordered_enum! {
    /// The LINDDUN category of a privacy threat.
    Linddun {
        Linking = "linking",
        Identifying = "identifying",
        NonRepudiation = "non-repudiation",
        Detecting = "detecting",
        DataDisclosure = "data-disclosure",
        Unawareness = "unawareness",
        NonCompliance = "non-compliance",
    }
}

ordered_enum! {
    /// A four-step scale for likelihood (ease of attack) and impact.
    Level {
        Low = "low",
        Medium = "medium",
        High = "high",
        VeryHigh = "very-high",
    }
}

impl ThreatSeverity {
    /// The band of a score (likelihood x impact, each 1-4), as docs/scoring.md sets them: kept
    /// with the scale so that an importer weighing a source's own rating uses the same bands.
    pub fn of_score(score: u8) -> ThreatSeverity {
        match score {
            16.. => ThreatSeverity::Critical,
            8..=15 => ThreatSeverity::High,
            4..=7 => ThreatSeverity::Medium,
            2..=3 => ThreatSeverity::Low,
            _ => ThreatSeverity::Info,
        }
    }
}

impl Level {
    /// The step on the 1-4 scale that scores use.
    pub fn step(self) -> u8 {
        match self {
            Level::Low => 1,
            Level::Medium => 2,
            Level::High => 3,
            Level::VeryHigh => 4,
        }
    }
}

/// A threat the team found by hand (in a workshop, a review, or brought over from another tool),
/// which no rule finds. Its id in reports and decisions is `manual:<id>`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ManualThreat {
    /// A short statement of the threat.
    pub title: String,
    /// What could happen, and how.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The component, flow, data asset, boundary or runtime it is about; the whole model when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub element: Option<Sp<Id>>,
    pub stride: Stride,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linddun: Option<Linddun>,
    /// How likely it is, before controls.
    #[serde(default = "Level::medium")]
    pub likelihood: Level,
    /// How much harm it would do.
    #[serde(default = "Level::medium")]
    pub impact: Level,
    /// Controls from the catalogue that mitigate it; `a|b` means either. In place on the element
    /// (for a flow, on the flow or its target), they mitigate it as they do a rule's threats.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mitigations: Vec<Sp<String>>,
    /// CAPEC attack pattern ids.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub capec: Vec<u32>,
    /// CWE weakness ids.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cwe: Vec<u32>,
    /// Links to read more.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
}

/// A control of the team's own (a platform guard, an in-house library, a process), which the
/// catalogue does not hold. Components, flows, manual threats and the team's rules name it by its
/// id as they name the catalogue's; reports advise its remediation beside the threats it closes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamControl {
    /// A short name.
    pub title: String,
    /// What it is and what it guards against, in a paragraph.
    pub description: String,
    /// What a team does to put it in place, as reports advise it for an open threat.
    pub remediation: String,
    /// Rules (built-in or the team's) whose threats it closes wherever it is in place, as an
    /// alternative to each control the rule asks for: a compensating control.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mitigates: Vec<Sp<Id>>,
}

impl Level {
    fn medium() -> Level {
        Level::Medium
    }
}

/// The prefix of a manual threat's id, which sets it apart from `rule:element` ids.
pub const MANUAL: &str = "manual";

/// How the model tunes the rule engine.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RulesConfig {
    /// Directories of the team's own rules, relative to the root model file, inside its root.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dirs: Vec<Sp<String>>,
    /// Rules that do not apply to this system: rule id -> why.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub disable: IndexMap<Sp<String>, String>,
    /// Single threats that do not apply: threat id (`rule:element`) -> why.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub not_applicable: IndexMap<Sp<String>, String>,
}

/// An element as loaded: its id (with where it was declared) and its attributes.
#[derive(Clone, Debug)]
pub struct Decl<T> {
    pub id: Sp<Id>,
    pub value: T,
}

impl<T> std::ops::Deref for Decl<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

/// A flow between two components.
#[derive(Clone, Debug)]
pub struct Flow {
    pub source: Sp<Id>,
    pub target: Sp<Id>,
    pub attributes: FlowAttributes,
}

impl std::ops::Deref for Flow {
    type Target = FlowAttributes;
    fn deref(&self) -> &FlowAttributes {
        &self.attributes
    }
}

/// A whole model, loaded from all its files, checked and resolved.
#[derive(Debug, Default)]
pub struct Model {
    pub system: Option<System>,
    pub data: IndexMap<Id, Decl<DataAsset>>,
    pub components: IndexMap<Id, Decl<Component>>,
    pub flows: IndexMap<Id, Decl<Flow>>,
    pub boundaries: IndexMap<Id, Decl<Boundary>>,
    pub runtimes: IndexMap<Id, Decl<Runtime>>,
    /// Threats the team recorded by hand.
    pub threats: IndexMap<Id, Decl<ManualThreat>>,
    /// The team's own controls, beside the catalogue's.
    pub controls: IndexMap<Id, Decl<TeamControl>>,
    pub rules: RulesConfig,
    pub decisions: Vec<Decision>,
    /// Evidence files (scanner and test reports) the model names, relative to the root file.
    pub evidence: Vec<Sp<String>>,
    pub sources: SourceMap,
    /// Span of the `system` section, for diagnostics about the model as a whole.
    pub system_span: Span,
}

impl Model {
    pub fn system_name(&self) -> &str {
        self.system.as_ref().map_or("", |s| s.name.as_str())
    }

    pub fn system_criticality(&self) -> Rating {
        self.system
            .as_ref()
            .map_or(Rating::Medium, |s| s.criticality)
    }
}

/// The implicit zone outside every declared boundary that has internet exposure.
pub const INTERNET: &str = "internet";

/// The document a team writes, as one type: what `threatforge schema` describes. The loader reads
/// it section by section (see `load.rs`) so that every broken entity is reported.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "threatforge model")]
pub struct Document {
    /// The system being modeled. Required in the root file, not allowed in included files.
    pub system: Option<System>,
    /// Other model files to merge into this one, relative to this file, inside the model's root.
    #[serde(default)]
    pub include: Vec<String>,
    /// Data assets, by id.
    #[serde(default)]
    pub data: IndexMap<Id, DataAsset>,
    /// Components, by id.
    #[serde(default)]
    pub components: IndexMap<Id, Component>,
    /// Data flows, as a list of `source -> target` entries.
    #[serde(default)]
    pub flows: Vec<FlowEntry>,
    /// Trust boundaries, by id.
    #[serde(default)]
    pub boundaries: IndexMap<Id, Boundary>,
    /// Shared runtimes, by id.
    #[serde(default)]
    pub runtimes: IndexMap<Id, Runtime>,
    /// Threats found by hand, by id; reports and decisions call them `manual:<id>`.
    #[serde(default)]
    pub threats: IndexMap<Id, ManualThreat>,
    /// The team's own controls, by id (not a catalogue control's): components, flows, manual
    /// threats and team rules name them as they name the catalogue's.
    #[serde(default)]
    pub controls: IndexMap<Id, TeamControl>,
    /// Team rules, disabled rules and threats that do not apply. Root file only.
    #[serde(default)]
    pub rules: Option<RulesConfig>,
    /// The team's decisions on threats: status, owner, justification, expiry, rating overrides.
    #[serde(default)]
    pub decisions: Vec<Decision>,
    /// Scanner and test reports (SARIF, JUnit XML, ZAP JSON) to read with the model, relative to
    /// the root model file, inside the model's root; `*` globs allowed (docs/evidence.md).
    #[serde(default)]
    pub evidence: Vec<String>,
}

/// One entry of `flows`: `- source -> target: { attributes }`, or just `- source -> target`.
#[derive(Debug, Deserialize)]
pub struct FlowEntry;

impl JsonSchema for FlowEntry {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "FlowEntry".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let attributes = generator.subschema_for::<FlowAttributes>();
        schemars::json_schema!({
            "description": "A flow: `source -> target`, alone or as the single key of a mapping of its attributes.",
            "oneOf": [
                { "type": "string", "pattern": FLOW_KEY_PATTERN },
                {
                    "type": "object",
                    "minProperties": 1,
                    "maxProperties": 1,
                    "patternProperties": { FLOW_KEY_PATTERN: { "anyOf": [attributes, { "type": "null" }] } },
                    "additionalProperties": false
                }
            ]
        })
    }
}

/// The form of a flow key, for the JSON Schema.
pub const FLOW_KEY_PATTERN: &str = r"^\s*[a-z][a-z0-9_-]*\s*->\s*[a-z][a-z0-9_-]*\s*$";

//! A format-neutral draft of a threatforge model, which every importer fills and
//! the `write` module renders.
//!
//! The draft is owned and plain (no spans, no references into the input) so that an importer can
//! build it in any order and fix it up before writing. Enums are the model language's own where
//! it has them; catalogue names (technologies, protocols, controls, traits) stay strings, and the
//! writer checks them against the catalogue so that an importer's guess can never make the output
//! fail `check`.
//!
//! Ids: importers mint them with [`Namespace::mint`] from the foreign name, so that they are
//! valid, readable and unique. Components, boundaries, runtimes and explicit flow ids share
//! [`Draft::ids`]; data assets have [`Draft::data_ids`], manual threats [`Draft::threat_ids`],
//! mirroring the model language's namespaces.

use std::collections::{HashMap, HashSet};

pub(crate) use threatforge_model::{
    Authentication, Authorization, BoundaryKind, Classification, ComponentKind, DataCategory,
    DecisionStatus, Exposure, Quantity, Rating, RuntimeKind, ThreatSeverity, Trust, Usage,
};

/// Free-text comments that the writer puts above an entity (or at the top of the file), one
/// `# ` line per line of text. Importers use them for what had no direct equivalent.
pub(crate) type Comments = Vec<String>;

/// A whole model as an importer builds it.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Draft {
    /// Comments at the top of the file: where the model came from, what was left out.
    pub header: Comments,
    pub system: DraftSystem,
    pub data: Vec<DraftData>,
    pub components: Vec<DraftComponent>,
    pub flows: Vec<DraftFlow>,
    pub boundaries: Vec<DraftBoundary>,
    pub runtimes: Vec<DraftRuntime>,
    pub threats: Vec<DraftThreat>,
    pub decisions: Vec<DraftDecision>,
    /// Ids of components, boundaries, runtimes and explicit flow ids (one namespace).
    pub ids: Namespace,
    /// Ids of data assets.
    pub data_ids: Namespace,
    /// Ids of manual threats (`manual:<id>`).
    pub threat_ids: Namespace,
    /// The source tool's element ids and the ids they became (`Imported::ids`).
    pub source_ids: Vec<(String, String)>,
    /// `Imported::tracked_alternatives`.
    pub tracked_alternatives: usize,
    /// The ends of flows without an explicit id, so that [`Draft::push_flow`] stays linear.
    unnamed_flow_ends: HashSet<(String, String)>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct DraftSystem {
    pub name: String,
    pub description: Option<String>,
    pub version: Option<String>,
    pub criticality: Option<Rating>,
    pub owners: Vec<String>,
    pub tags: Vec<String>,
    pub comments: Comments,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct DraftData {
    pub id: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub classification: Option<Classification>,
    pub integrity: Option<Rating>,
    pub availability: Option<Rating>,
    pub categories: Vec<DataCategory>,
    pub quantity: Option<Quantity>,
    pub owner: Option<String>,
    pub tags: Vec<String>,
    pub comments: Comments,
}

impl DraftData {
    pub(crate) fn new(id: impl Into<String>) -> Self {
        DraftData {
            id: id.into(),
            name: None,
            description: None,
            classification: None,
            integrity: None,
            availability: None,
            categories: Vec::new(),
            quantity: None,
            owner: None,
            tags: Vec::new(),
            comments: Vec::new(),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct DraftComponent {
    pub id: String,
    pub name: Option<String>,
    pub description: Option<String>,
    /// A catalogue technology id; the writer drops (into a comment) a name the catalogue lacks.
    pub technology: Option<String>,
    pub kind: Option<ComponentKind>,
    pub exposure: Option<Exposure>,
    pub processes: Vec<String>,
    pub stores: Vec<String>,
    /// Catalogue control ids with `on: component` or `on: both`.
    pub controls: Vec<String>,
    /// Catalogue trait ids beyond the technology's.
    pub traits: Vec<String>,
    pub criticality: Option<Rating>,
    pub owner: Option<String>,
    pub tags: Vec<String>,
    /// Source globs (`code:`), relative to the repository root; the importer checks them.
    pub code: Vec<String>,
    pub out_of_scope: Option<String>,
    pub comments: Comments,
}

impl DraftComponent {
    pub(crate) fn new(id: impl Into<String>) -> Self {
        DraftComponent {
            id: id.into(),
            name: None,
            description: None,
            technology: None,
            kind: None,
            exposure: None,
            processes: Vec::new(),
            stores: Vec::new(),
            controls: Vec::new(),
            traits: Vec::new(),
            criticality: None,
            owner: None,
            tags: Vec::new(),
            code: Vec::new(),
            out_of_scope: None,
            comments: Vec::new(),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct DraftFlow {
    /// An explicit id; [`Draft::push_flow`] sets one when another flow joins the same ends.
    pub id: Option<String>,
    pub source: String,
    pub target: String,
    pub name: Option<String>,
    pub description: Option<String>,
    /// A catalogue protocol id.
    pub protocol: Option<String>,
    pub encrypted: Option<bool>,
    pub authentication: Option<Authentication>,
    pub authorization: Option<Authorization>,
    pub data: Vec<String>,
    pub returns: Vec<String>,
    /// Catalogue control ids with `on: flow` or `on: both`.
    pub controls: Vec<String>,
    pub usage: Option<Usage>,
    pub readonly: bool,
    pub tags: Vec<String>,
    pub out_of_scope: Option<String>,
    pub comments: Comments,
}

impl DraftFlow {
    pub(crate) fn new(source: impl Into<String>, target: impl Into<String>) -> Self {
        DraftFlow {
            id: None,
            source: source.into(),
            target: target.into(),
            name: None,
            description: None,
            protocol: None,
            encrypted: None,
            authentication: None,
            authorization: None,
            data: Vec::new(),
            returns: Vec::new(),
            controls: Vec::new(),
            usage: None,
            readonly: false,
            tags: Vec::new(),
            out_of_scope: None,
            comments: Vec::new(),
        }
    }

    /// The id the model knows the flow by: its explicit id, else `source->target`.
    pub(crate) fn effective_id(&self) -> String {
        match &self.id {
            Some(id) => id.clone(),
            None => format!("{}->{}", self.source, self.target),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct DraftBoundary {
    pub id: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub kind: Option<BoundaryKind>,
    pub trust: Option<Trust>,
    /// Ids of components and of nested boundaries.
    pub contains: Vec<String>,
    pub tags: Vec<String>,
    pub comments: Comments,
}

impl DraftBoundary {
    pub(crate) fn new(id: impl Into<String>) -> Self {
        DraftBoundary {
            id: id.into(),
            name: None,
            description: None,
            kind: None,
            trust: None,
            contains: Vec::new(),
            tags: Vec::new(),
            comments: Vec::new(),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct DraftRuntime {
    pub id: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub kind: RuntimeKind,
    pub runs: Vec<String>,
    pub tags: Vec<String>,
    pub comments: Comments,
}

impl DraftRuntime {
    pub(crate) fn new(id: impl Into<String>, kind: RuntimeKind) -> Self {
        DraftRuntime {
            id: id.into(),
            name: None,
            description: None,
            kind,
            runs: Vec::new(),
            tags: Vec::new(),
            comments: Vec::new(),
        }
    }
}

// The model language's own categories and scale, so a draft cannot hold a value `check` rejects.
pub(crate) use threatforge_model::{Level, Stride};

/// Reads a STRIDE category from the spellings other tools use (`Information Disclosure`,
/// `information_disclosure`, `DoS`, `I`...).
pub(crate) fn stride_loose(text: &str) -> Option<Stride> {
    let key: String = text
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    Some(match key.as_str() {
        "s" | "spoofing" | "spoof" => Stride::Spoofing,
        "t" | "tampering" | "tamper" => Stride::Tampering,
        "r" | "repudiation" => Stride::Repudiation,
        "i" | "informationdisclosure" | "disclosure" | "infodisclosure" => {
            Stride::InformationDisclosure
        }
        "d" | "denialofservice" | "dos" => Stride::DenialOfService,
        "e" | "elevationofprivilege" | "elevationofprivileges" | "privilegeescalation" => {
            Stride::ElevationOfPrivilege
        }
        _ => return None,
    })
}

/// A threat the team writes by hand (`threats:`); its id in the model is `manual:<id>`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct DraftThreat {
    pub id: String,
    pub title: String,
    pub description: Option<String>,
    /// Id of a component, flow (`a->b` or explicit id), data asset, boundary or runtime.
    pub element: Option<String>,
    pub stride: Stride,
    /// A LINDDUN category (`linking`, `identifying`, ...).
    pub linddun: Option<String>,
    pub likelihood: Option<Level>,
    pub impact: Option<Level>,
    /// Catalogue control names; `a|b` means either.
    pub mitigations: Vec<String>,
    pub capec: Vec<u32>,
    pub cwe: Vec<u32>,
    pub references: Vec<String>,
    pub comments: Comments,
}

impl DraftThreat {
    pub(crate) fn new(id: impl Into<String>, title: impl Into<String>, stride: Stride) -> Self {
        DraftThreat {
            id: id.into(),
            title: title.into(),
            description: None,
            element: None,
            stride,
            linddun: None,
            likelihood: None,
            impact: None,
            mitigations: Vec::new(),
            capec: Vec::new(),
            cwe: Vec::new(),
            references: Vec::new(),
            comments: Vec::new(),
        }
    }

    /// The id decisions select the threat by.
    pub(crate) fn threat_id(&self) -> String {
        format!("manual:{}", self.id)
    }
}

/// A decision on a threat.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct DraftDecision {
    /// A threat id (`rule:element`, `manual:<id>`) or a `*` pattern.
    pub threat: String,
    pub status: DecisionStatus,
    pub owner: Option<String>,
    /// The writer supplies a placeholder where the status needs one and the source had none.
    pub justification: Option<String>,
    pub ticket: Option<String>,
    /// YYYY-MM-DD; anything else is moved into a comment by the writer.
    pub date: Option<String>,
    pub expires: Option<String>,
    pub severity: Option<ThreatSeverity>,
    pub comments: Comments,
}

impl DraftDecision {
    pub(crate) fn new(threat: impl Into<String>, status: DecisionStatus) -> Self {
        DraftDecision {
            threat: threat.into(),
            status,
            owner: None,
            justification: None,
            ticket: None,
            date: None,
            expires: None,
            severity: None,
            comments: Vec::new(),
        }
    }
}

impl Draft {
    pub(crate) fn new(system_name: impl Into<String>) -> Self {
        Draft {
            system: DraftSystem {
                name: system_name.into(),
                ..DraftSystem::default()
            },
            ..Draft::default()
        }
    }

    /// Adds a flow and returns the id the model will know it by. A second flow between the same
    /// ends gets an explicit id minted from `name_hint` (its name, or `source-to-target`), since
    /// the model forbids two unnamed flows with the same ends.
    pub(crate) fn push_flow(&mut self, mut flow: DraftFlow, name_hint: Option<&str>) -> String {
        if flow.id.is_none()
            && !self
                .unnamed_flow_ends
                .insert((flow.source.clone(), flow.target.clone()))
        {
            let hint = name_hint
                .map(str::to_owned)
                .unwrap_or_else(|| format!("{}-to-{}", flow.source, flow.target));
            flow.id = Some(self.ids.mint(&hint));
        }
        let id = flow.effective_id();
        self.flows.push(flow);
        id
    }
}

/// Words an id may not be, or should not be because YAML readers would take them for something
/// else when written unquoted.
const RESERVED: &[&str] = &["internet"];

/// The longest id the model allows.
pub(crate) const MAX_ID_LEN: usize = 100;

/// A set of ids already taken, which mints new ones from foreign names.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Namespace {
    taken: HashSet<String>,
    /// Keeps iteration out of the picture: minting depends only on the order of calls.
    order: Vec<String>,
    /// Per slug, the suffix its last clash was given: every suffix below it is taken (ids are
    /// never released), so the next clash starts there instead of probing from `-2`, which made
    /// 8,000 components of one name quadratic.
    next_suffix: HashMap<String, u64>,
}

impl Namespace {
    /// A valid, readable, unique id for `name`: lowercase kebab-case, starting with a letter, at
    /// most 100 characters, `-2`, `-3`... on a clash. The caller keeps `name` as the display name.
    pub(crate) fn mint(&mut self, name: &str) -> String {
        let base = slug(name);
        let mut candidate = base.clone();
        let mut n = self.next_suffix.get(&base).copied().unwrap_or(2);
        while self.taken.contains(&candidate) || RESERVED.contains(&candidate.as_str()) {
            #[cfg(test)]
            tests::PROBES.with(|p| p.set(p.get() + 1));
            let suffix = format!("-{n}");
            let keep = MAX_ID_LEN - suffix.len();
            let mut stem = truncate(&base, keep).to_owned();
            while stem.ends_with(['-', '_']) {
                stem.pop();
            }
            candidate = format!("{stem}{suffix}");
            n += 1;
        }
        if candidate != base {
            self.next_suffix.insert(base, n);
        }
        self.reserve(&candidate);
        candidate
    }

    /// Marks an id as taken (for ids kept verbatim from the source).
    pub(crate) fn reserve(&mut self, id: &str) {
        if self.taken.insert(id.to_owned()) {
            self.order.push(id.to_owned());
        }
    }
}

/// Disjoint sets of ids (union-find with path halving): which boundaries and members are in one
/// tree of nesting. Nesting an element that is not nested yet (the top of its tree) in a boundary
/// makes a cycle exactly when the boundary is in its tree already; walking up the parents to find
/// out made a chain of nested boundaries quadratic.
#[derive(Debug, Default)]
pub(crate) struct Forest {
    at: HashMap<String, usize>,
    up: Vec<usize>,
}

impl Forest {
    fn root(&mut self, id: &str) -> usize {
        let mut at = match self.at.get(id) {
            Some(&at) => at,
            None => {
                let at = self.up.len();
                self.at.insert(id.to_owned(), at);
                self.up.push(at);
                at
            }
        };
        while self.up[at] != at {
            self.up[at] = self.up[self.up[at]];
            at = self.up[at];
        }
        at
    }

    /// Puts `child` (not nested yet) in the tree of `parent`; false, and nothing joined, when it
    /// is there already (the nesting would make a cycle).
    pub(crate) fn join(&mut self, child: &str, parent: &str) -> bool {
        let (child, parent) = (self.root(child), self.root(parent));
        self.up[child] = parent;
        child != parent
    }
}

/// `name` as lowercase kebab-case: ASCII letters and digits kept, accents folded where simple,
/// everything else a single `-`; a leading letter added when needed.
pub(crate) fn slug(name: &str) -> String {
    let mut out = String::new();
    let mut dash = false;
    let push = |out: &mut String, c: char, dash: &mut bool| {
        if *dash && !out.is_empty() {
            out.push('-');
        }
        *dash = false;
        out.push(c);
    };
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            push(&mut out, c.to_ascii_lowercase(), &mut dash);
        } else if let Some(folded) = fold(c) {
            for f in folded.chars() {
                push(&mut out, f, &mut dash);
            }
        } else if c.is_uppercase() || c.is_lowercase() {
            // A letter of another script: we cannot transliterate it, but keeping a trace of
            // the word boundary keeps ids of different non-Latin names from collapsing into one.
            dash = true;
        } else {
            dash = true;
        }
        if out.len() >= MAX_ID_LEN {
            break;
        }
    }
    let mut out = truncate(&out, MAX_ID_LEN).to_owned();
    while out.ends_with('-') {
        out.pop();
    }
    if out.is_empty() {
        return "item".to_owned();
    }
    if !out.starts_with(|c: char| c.is_ascii_lowercase()) {
        out = format!("x-{out}");
        out = truncate(&out, MAX_ID_LEN).trim_end_matches('-').to_owned();
    }
    out
}

fn truncate(s: &str, max: usize) -> &str {
    // Ids are ASCII, so byte and char boundaries agree.
    if s.len() <= max { s } else { &s[..max] }
}

/// A few common Latin letters with diacritics, so that `Zürich` becomes `zurich`, not `z-rich`.
fn fold(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => "a",
        'æ' | 'Æ' => "ae",
        'ç' | 'Ç' => "c",
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => "e",
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => "i",
        'ñ' | 'Ñ' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => "o",
        'œ' | 'Œ' => "oe",
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => "u",
        'ý' | 'ÿ' | 'Ý' => "y",
        'ß' => "ss",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use threatforge_model::is_valid_id;

    #[test]
    fn slugs_are_readable() {
        assert_eq!(slug("Customer Web Client"), "customer-web-client");
        assert_eq!(slug("  Payment--API (v2) "), "payment-api-v2");
        assert_eq!(slug("Zürich Ärzte-Portal"), "zurich-arzte-portal");
        assert_eq!(slug("42 things"), "x-42-things");
        assert_eq!(slug("日本語"), "item");
        assert_eq!(slug(""), "item");
        assert_eq!(slug("snake_case_name"), "snake-case-name");
    }

    #[test]
    fn minted_ids_are_valid_and_unique() {
        let mut ns = Namespace::default();
        let long = "A".repeat(300);
        let names = [
            "Web Server",
            "web-server",
            "WEB SERVER",
            "Internet",
            "",
            "",
            long.as_str(),
            long.as_str(),
            "---",
            "9",
        ];
        let ids: Vec<String> = names.iter().map(|n| ns.mint(n)).collect();
        assert_eq!(ids[0], "web-server");
        assert_eq!(ids[1], "web-server-2");
        assert_eq!(ids[2], "web-server-3");
        assert_eq!(ids[3], "internet-2");
        assert_eq!(ids[4], "item");
        assert_eq!(ids[5], "item-2");
        let unique: HashSet<&String> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len());
        for id in &ids {
            assert!(is_valid_id(id), "{id}");
        }
    }

    std::thread_local! {
        /// Clashes `mint` probed past: its work beyond one lookup per id.
        pub(super) static PROBES: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    }

    #[test]
    fn minting_many_ids_of_one_name_is_linear() {
        let mut ns = Namespace::default();
        PROBES.with(|p| p.set(0));
        let ids: Vec<String> = (0..8_000).map(|_| ns.mint("Web Server")).collect();
        assert_eq!(ids[0], "web-server");
        assert_eq!(ids[1], "web-server-2");
        assert_eq!(ids[7_999], "web-server-8000");
        // Probing from `-2` every time is 32 million probes; one per clash is 7,999.
        let probes = PROBES.with(std::cell::Cell::get);
        assert!(probes < 2 * 8_000, "{probes} probes");
        // A suffix that another name took already is still skipped.
        ns.reserve("api-3");
        assert_eq!(ns.mint("API"), "api");
        assert_eq!(ns.mint("API"), "api-2");
        assert_eq!(ns.mint("API"), "api-4");
        assert_eq!(ns.mint("api-2"), "api-2-2");
    }

    #[test]
    fn a_forest_refuses_only_the_nesting_that_closes_a_cycle() {
        let mut trees = Forest::default();
        assert!(trees.join("b", "a"));
        assert!(trees.join("c", "b"));
        assert!(trees.join("x", "y"));
        assert!(!trees.join("a", "c"));
        assert!(!trees.join("a", "a"));
        assert!(trees.join("y", "c"));
    }

    #[test]
    fn second_flow_between_the_same_ends_gets_an_id() {
        let mut draft = Draft::new("x");
        let a = draft.push_flow(DraftFlow::new("a", "b"), None);
        let b = draft.push_flow(DraftFlow::new("a", "b"), Some("Reports"));
        let c = draft.push_flow(DraftFlow::new("b", "a"), None);
        assert_eq!(a, "a->b");
        assert_eq!(b, "reports");
        assert_eq!(c, "b->a");
    }
}

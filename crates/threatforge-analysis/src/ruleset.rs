//! Loading rules: the built-in library and a team's directories, in one format, each rule
//! compiled and type-checked once, with errors at the rule file's line and column.

use std::path::PathBuf;
use std::sync::Arc;
use threatforge_model::Code;

use rayon::prelude::*;
use threatforge_model::Diagnostic;
use threatforge_model::catalog;
use threatforge_model::read_confined;
use threatforge_model::{
    FileId, SourceFile, SourceMap, Sp, Span, is_valid_id, read_typed_as, read_typed_in, suggest,
};

use cel::common::ast::IdedExpr;

use crate::bounds::{self, Exceeded};
use crate::cel::check::{Checker, root_type};
use crate::cel::definitions::{Definition, Definitions, MAX_DEFINITIONS};
use crate::cel::types::Ty;
use crate::rule::{Element, RuleFile};

include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// Where a rule came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    Builtin,
    Team(PathBuf),
}

/// A piece of an explanation template.
#[derive(Debug)]
pub enum Segment {
    Text(String),
    /// `{{ expression }}`, with where it stands in the rule file: a value that renders empty
    /// leaves a broken sentence ("stores ,"), which is reported there.
    Expr(crate::cel::eval::Expression, Span),
    /// `{{#if condition}} ... {{else}} ... {{/if}}`: a clause said only when it holds, so a
    /// sentence names a fact only where the element has it.
    If(crate::cel::eval::Expression, Vec<Segment>, Vec<Segment>),
}

/// Deepest nesting of `{{#if}}` clauses in one explanation. Rendering recurses once per level;
/// real explanations need two or three.
const MAX_CLAUSE_NESTING: usize = 8;

/// An `{{#if}}` clause being read: its condition, where it opened, the segments before it, and
/// its `then` part once `{{else}}` was seen.
struct OpenClause {
    condition: Option<crate::cel::eval::Expression>,
    opened: Span,
    before: Vec<Segment>,
    then: Option<Vec<Segment>>,
}

/// Parts of a rule that every threat it finds carries.
#[derive(Clone, Debug)]
pub struct Shared {
    pub id: Arc<str>,
    pub title: Arc<str>,
    /// The likelihood and impact factors of the rule's own hints.
    pub hints: Arc<[crate::score::Factor; 2]>,
    /// Why the impact came down to the rule's `max_severity`, when it has one.
    pub severity_cap: Arc<str>,
    /// The same two, said of the rule as the consequence a threat of another rule absorbed and
    /// is scored by.
    pub absorbed_hints: Arc<[crate::score::Factor; 2]>,
    pub absorbed_severity_cap: Arc<str>,
    /// The mitigations, with their alternatives split out, as threats list them.
    pub mitigations: Arc<[crate::mitigation::MitigationEntry]>,
    pub capec: Arc<[u32]>,
    pub cwe: Arc<[u32]>,
    /// The rule's description on one line, and its first reference: what reports say the threat is
    /// and where to read more.
    pub description: Arc<str>,
    pub reference: Option<Arc<str>>,
}

/// A loaded, compiled and checked rule. What compiling made is shared, so a copy of the rule set
/// (every run starts from the built-in one, compiled once per process) costs no compilation.
#[derive(Clone, Debug)]
pub struct Rule {
    pub file: Arc<RuleFile>,
    /// What every threat of the rule repeats, shared rather than copied into each.
    pub shared: Shared,
    pub origin: Origin,
    pub condition: Arc<crate::cel::eval::Expression>,
    /// `threat_when`, compiled: a hygiene finding for which it holds stays in the register.
    pub threat_when: Option<Arc<crate::cel::eval::Expression>>,
    /// `members`, compiled: the flows or components a component's threat is about.
    pub members: Option<Arc<crate::cel::eval::Expression>>,
    /// `mitigations_when`, compiled: the first whose condition holds on an element gives its
    /// threat's mitigations in place of `shared.mitigations`.
    pub mitigations_when: Arc<[MitigationVariant]>,
    /// `likelihood_when`, compiled: the first whose condition holds on an element rates its
    /// threat's likelihood in place of the rule's.
    pub likelihood_when: Arc<[LikelihoodVariant]>,
    /// `max_severity_when`, compiled: the first whose condition holds on an element caps its
    /// threat in place of the rule's `max_severity`.
    pub max_severity_when: Arc<[SeverityVariant]>,
    pub explanation: Arc<[Segment]>,
}

/// One entry of a rule's `mitigations_when`, compiled.
#[derive(Clone, Debug)]
pub struct MitigationVariant {
    pub when: Arc<crate::cel::eval::Expression>,
    pub mitigations: Arc<[crate::mitigation::MitigationEntry]>,
}

/// One entry of a rule's `likelihood_when`, compiled, with the factors that rate the likelihood
/// (as the rule's own threat, and as a consequence another rule's threat absorbed).
#[derive(Clone, Debug)]
pub struct LikelihoodVariant {
    pub when: Arc<crate::cel::eval::Expression>,
    pub likelihood: crate::rule::Level,
    pub hints: Arc<[crate::score::Factor; 2]>,
    pub absorbed_hints: Arc<[crate::score::Factor; 2]>,
}

/// One entry of a rule's `max_severity_when`, compiled, with the reason its ceiling factor
/// gives (as the rule's own threat, and as a consequence another rule's threat absorbed).
#[derive(Clone, Debug)]
pub struct SeverityVariant {
    pub when: Arc<crate::cel::eval::Expression>,
    pub max_severity: threatforge_model::ThreatSeverity,
    pub severity_cap: Arc<str>,
    pub absorbed_severity_cap: Arc<str>,
}

impl Rule {
    pub fn id(&self) -> &str {
        &self.file.id.value
    }

    /// What scoring needs of the rule, as a consequence another rule's threat absorbed: the
    /// same, with factors that name it.
    pub fn scoring_absorbed(&self) -> crate::score::RuleScoring<'_> {
        crate::score::RuleScoring {
            hints: &self.shared.absorbed_hints,
            severity_cap: &self.shared.absorbed_severity_cap,
            ..self.scoring()
        }
    }

    /// What scoring needs of the rule where its `likelihood_when` entry `rated` and its
    /// `max_severity_when` entry `capped` hold (the rule's own rating and ceiling where none
    /// does), as its own threat or as a consequence absorbed.
    pub fn scoring_rated<'r>(
        &'r self,
        rated: Option<&'r LikelihoodVariant>,
        capped: Option<&'r SeverityVariant>,
        absorbed: bool,
    ) -> crate::score::RuleScoring<'r> {
        let mut scoring = if absorbed {
            self.scoring_absorbed()
        } else {
            self.scoring()
        };
        if let Some(v) = rated {
            scoring.likelihood = v.likelihood;
            scoring.hints = if absorbed {
                &v.absorbed_hints
            } else {
                &v.hints
            };
        }
        if let Some(v) = capped {
            scoring.max_severity = Some(v.max_severity);
            scoring.severity_cap = if absorbed {
                &v.absorbed_severity_cap
            } else {
                &v.severity_cap
            };
        }
        scoring
    }

    /// What scoring needs of the rule.
    pub fn scoring(&self) -> crate::score::RuleScoring<'_> {
        crate::score::RuleScoring {
            stride: self.file.stride,
            likelihood: self.file.likelihood,
            impact: self.file.impact,
            max_severity: self.file.max_severity,
            privacy: self.file.linddun.is_some(),
            reaches_secrets: self.file.reaches_secrets,
            in_transit: self.file.in_transit,
            forges_caller: self.file.forges_caller,
            failure: self.file.failure,
            of_the_design: self.file.linddun.is_some_and(crate::score::of_the_design),
            in_content: self.file.in_content,
            in_stored_content: self.file.in_stored_content,
            by_caller: self.file.by_caller,
            off_network: self.file.off_network,
            hints: &self.shared.hints,
            severity_cap: &self.shared.severity_cap,
        }
    }
}

/// The rules in force, sorted by id, with the files they came from.
#[derive(Clone, Debug, Default)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
    pub sources: SourceMap,
    pub diagnostics: Vec<Diagnostic>,
    /// The model's own controls (`controls:`), which a team's rules may name beside the
    /// catalogue's; set before the team's directories are added.
    team_controls: std::collections::BTreeSet<String>,
}

/// A team's rule directory, and the directory its files may not leave: a rule file that is a
/// symlink to `/proc/self/environ` or to another team's rules is refused, not read.
#[derive(Clone, Debug)]
pub struct RuleDir {
    pub path: PathBuf,
    /// Canonical.
    pub root: PathBuf,
    /// What the root is to the user, for messages.
    root_name: &'static str,
}

impl RuleDir {
    /// A directory given on the command line: its files stay inside it.
    pub fn own(path: PathBuf) -> RuleDir {
        let root = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
        RuleDir {
            path,
            root,
            root_name: "the rule directory",
        }
    }

    /// A directory the model names: its files stay inside the model's root (`root`, canonical).
    pub fn within(path: PathBuf, root: PathBuf) -> RuleDir {
        RuleDir {
            path,
            root,
            root_name: "the model's root",
        }
    }
}

/// Bounds on a team's rule directories.
const MAX_RULE_FILES: usize = 2000;
const MAX_RULE_BYTES: u64 = 1024 * 1024;

impl RuleSet {
    /// The built-in library alone: compiled on the first call of the process, a copy of that
    /// afterwards. A server reloading a model, or a fuzzer analyzing thousands of models a minute,
    /// would otherwise compile the same 400-odd expressions for every model.
    pub fn builtin() -> RuleSet {
        static COMPILED: std::sync::OnceLock<RuleSet> = std::sync::OnceLock::new();
        if let Some(set) = COMPILED.get() {
            return set.clone();
        }
        // Compiled outside the lock: compiling runs on rayon's threads, and a thread that waits
        // for its work may take up another caller's `builtin()`, which would then wait for the
        // lock that thread holds. Two first callers at once both compile; one result is kept.
        let mut set = RuleSet::default();
        set.add_builtin();
        set.finish();
        COMPILED.get_or_init(|| set).clone()
    }

    /// The built-in library and the rules in `dirs` (a team rule replaces a built-in of the same id).
    pub fn with_dirs(dirs: &[RuleDir]) -> RuleSet {
        let mut set = RuleSet::builtin();
        set.add_dirs(dirs);
        set
    }

    /// Adds the rules in `dirs` to the set (a team rule replaces a built-in of the same id).
    pub fn add_dirs(&mut self, dirs: &[RuleDir]) {
        for dir in dirs {
            self.add_dir(dir);
        }
        self.finish();
    }

    /// Lets the rules added next name the model's own controls.
    pub fn know_controls<'a>(&mut self, ids: impl IntoIterator<Item = &'a String>) {
        self.team_controls.extend(ids.into_iter().cloned());
    }

    /// Makes each team control that says `mitigates: [rule, ...]` an alternative to every control
    /// those rules ask for, so that where it is in place their threats are mitigated. Returns an
    /// error, located in the model, for each id that is not a rule.
    pub fn add_team_mitigations(
        &mut self,
        controls: &indexmap::IndexMap<
            String,
            threatforge_model::Decl<threatforge_model::TeamControl>,
        >,
    ) -> Vec<Diagnostic> {
        let mut diagnostics = Vec::new();
        for (control, team) in controls {
            for rule_id in &team.mitigates {
                let Some(rule) = self.rules.iter_mut().find(|r| r.id() == rule_id.value) else {
                    let help = match threatforge_model::suggest::nearest(
                        &rule_id.value,
                        self.rules.iter().map(Rule::id),
                    ) {
                        Some(n) => format!("did you mean `{n}`?"),
                        None => "`threatforge rules list` lists the rules".to_owned(),
                    };
                    diagnostics.push(
                        Diagnostic::new(
                            Code::UnknownRule,
                            format!(
                                "control `{control}` mitigates `{}`, which is not a rule",
                                rule_id.value
                            ),
                        )
                        .with_label(rule_id.span, "not a rule")
                        .with_help(help),
                    );
                    continue;
                };
                rule.shared.mitigations = with_alternative(&rule.shared.mitigations, control);
                rule.mitigations_when = rule
                    .mitigations_when
                    .iter()
                    .map(|variant| MitigationVariant {
                        when: variant.when.clone(),
                        mitigations: with_alternative(&variant.mitigations, control),
                    })
                    .collect();
            }
        }
        diagnostics
    }

    /// Only the rules in `dirs` (for `rules test` on a team's own rules).
    pub fn only_dirs(dirs: &[RuleDir]) -> RuleSet {
        let mut set = RuleSet::default();
        for dir in dirs {
            set.add_dir(dir);
        }
        set.finish();
        set
    }

    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules
            .binary_search_by(|r| r.id().cmp(id))
            .ok()
            .map(|i| &self.rules[i])
    }

    pub fn ids(&self) -> Vec<&str> {
        self.rules.iter().map(Rule::id).collect()
    }

    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    fn add_dir(&mut self, dir: &RuleDir) {
        let entries = match std::fs::read_dir(&dir.path) {
            Ok(entries) => entries,
            Err(e) => {
                self.diagnostics.push(Diagnostic::new(
                    Code::IoError,
                    format!("cannot read rule directory `{}`: {e}", dir.path.display()),
                ));
                return;
            }
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
            .collect();
        paths.sort();
        if paths.len() > MAX_RULE_FILES {
            self.diagnostics.push(Diagnostic::new(
                Code::LimitExceeded,
                format!(
                    "`{}` has more than {MAX_RULE_FILES} rule files",
                    dir.path.display()
                ),
            ));
            paths.truncate(MAX_RULE_FILES);
        }
        for path in paths {
            let display = path.display().to_string();
            match read_confined(&path, &dir.root, MAX_RULE_BYTES) {
                Ok((_, text)) => {
                    self.add_text(display, path.clone(), Arc::from(text), Origin::Team(path))
                }
                Err(refused) => self
                    .diagnostics
                    .push(refused.diagnostic(&display, dir.root_name)),
            }
        }
    }

    /// Reads and compiles the built-in rules, in parallel: they are independent of each other
    /// and of the model, and a small model's `check` would otherwise spend most of its time here.
    fn add_builtin(&mut self) {
        let files: Vec<_> = BUILTIN_RULES
            .iter()
            .map(|(name, text)| {
                let display = format!("rules/{name}");
                let path = PathBuf::from(&display);
                let text = Arc::<str>::from(*text);
                let file = SourceFile::new(display.clone(), path.clone(), text.clone());
                (self.sources.add(file), display, path, text)
            })
            .collect();
        let sources = &self.sources;
        // `collect` keeps the files' order, so diagnostics and rules come out the same every run.
        let compiled: Vec<_> = files
            .into_par_iter()
            .map(|(file, display, path, text)| {
                let none = &std::collections::BTreeSet::new();
                compile_file(sources, none, file, display, path, text, Origin::Builtin)
            })
            .collect();
        for (rule, diagnostics) in compiled {
            self.diagnostics.extend(diagnostics);
            if let Some(rule) = rule {
                self.insert(rule);
            }
        }
    }

    pub(crate) fn add_text(
        &mut self,
        display: String,
        path: PathBuf,
        text: Arc<str>,
        origin: Origin,
    ) {
        let file = SourceFile::new(display.clone(), path.clone(), text.clone());
        let file = self.sources.add(file);
        let (rule, diagnostics) = compile_file(
            &self.sources,
            &self.team_controls,
            file,
            display,
            path,
            text,
            origin,
        );
        self.diagnostics.extend(diagnostics);
        if let Some(rule) = rule {
            self.insert(rule);
        }
    }

    fn insert(&mut self, rule: Rule) {
        let Some(existing) = self.rules.iter().position(|r| r.id() == rule.id()) else {
            self.rules.push(rule);
            return;
        };
        let replaced = &self.rules[existing];
        if replaced.origin == Origin::Builtin && rule.origin != Origin::Builtin {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::RuleReplaced,
                    format!(
                        "team rule `{}` replaces the built-in rule of that id",
                        rule.id()
                    ),
                )
                .with_label(rule.file.id.span, "replaces the built-in rule"),
            );
            self.rules[existing] = rule;
        } else {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::DuplicateId,
                    format!("rule `{}` is defined twice", rule.id()),
                )
                .with_label(rule.file.id.span, "defined again here")
                .with_label(replaced.file.id.span, "first defined here"),
            );
        }
    }

    pub(crate) fn finish(&mut self) {
        self.rules.sort_by(|a, b| a.id().cmp(b.id()));
        let ids: Vec<&str> = self.ids();
        let mut problems = Vec::new();
        for rule in &self.rules {
            for superseded in &rule.file.supersedes {
                let known = ids.binary_search(&superseded.value.as_str()).is_ok();
                if known && superseded.value != rule.id() {
                    continue;
                }
                let help = match suggest::nearest(&superseded.value, ids.iter().copied()) {
                    Some(n) if known => {
                        format!("a rule cannot supersede itself; did you mean `{n}`?")
                    }
                    Some(n) => format!("did you mean `{n}`?"),
                    None => "`supersedes` lists ids of other rules".to_owned(),
                };
                problems.push(
                    Diagnostic::new(
                        Code::UnknownRule,
                        format!(
                            "rule `{}` supersedes `{}`, which is not another rule",
                            rule.id(),
                            superseded.value
                        ),
                    )
                    .with_label(superseded.span, "not another rule")
                    .with_help(help),
                );
            }
        }
        self.diagnostics.extend(problems);
        threatforge_model::sort_diagnostics(&mut self.diagnostics);
    }
}

/// Why a threat's impact came down to the rule's `max_severity`, when it has one; said of the rule
/// as a consequence another rule's threat absorbed, where `absorbed`.
fn severity_cap(file: &RuleFile, absorbed: bool) -> Arc<str> {
    let rater = crate::score::rater(file, absorbed);
    Arc::from(match (file.max_severity, &file.max_severity_reason) {
        (Some(cap), Some(reason)) => format!(
            "{rater} rates this {cap} at most: {}",
            crate::mitigation::one_line(reason.value.trim())
        ),
        (Some(cap), None) => format!(
            "{rater} rates this weakness {cap} at most: it makes other attacks easier or harder \
             to see, and is not one of its own"
        ),
        (None, _) => String::new(),
    })
}

/// Why a threat's impact came down to the ceiling of the rule's `max_severity_when` entry that
/// holds on its element.
fn severity_cap_where(
    file: &RuleFile,
    absorbed: bool,
    cap: threatforge_model::ThreatSeverity,
    because: &str,
) -> Arc<str> {
    let rater = crate::score::rater(file, absorbed);
    Arc::from(format!(
        "{rater} rates this {cap} at most where {}",
        crate::mitigation::one_line(because.trim())
    ))
}

/// Reads one rule file that `sources` holds as `file`, and compiles it.
fn compile_file(
    sources: &SourceMap,
    team_controls: &std::collections::BTreeSet<String>,
    file: FileId,
    display: String,
    path: PathBuf,
    text: Arc<str>,
    origin: Origin,
) -> (Option<Rule>, Vec<Diagnostic>) {
    // The file is in `sources` (both callers have just added it), whose index of its lines is
    // reused rather than computed again.
    let (parsed, mut diagnostics) = match sources.get(file) {
        Some(source) => read_typed_in::<RuleFile>(file, source, "the rule"),
        None => read_typed_as::<RuleFile>(file, display, path, text, "the rule"),
    };
    let Some(parsed) = parsed else {
        return (None, diagnostics);
    };
    let mut compiler = RuleCompiler {
        sources,
        team_controls,
        diagnostics: Vec::new(),
    };
    let rule = compiler.compile(parsed, origin);
    diagnostics.extend(compiler.diagnostics);
    (rule, diagnostics)
}

/// Compiles and checks one rule, collecting what is wrong with it.
struct RuleCompiler<'s> {
    sources: &'s SourceMap,
    team_controls: &'s std::collections::BTreeSet<String>,
    diagnostics: Vec<Diagnostic>,
}

impl RuleCompiler<'_> {
    fn compile(&mut self, file: RuleFile, origin: Origin) -> Option<Rule> {
        let before = self.diagnostics.len();
        if !is_valid_id(&file.id.value) || file.id.value.contains('_') {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::InvalidId,
                    format!("`{}` is not a kebab-case rule id", file.id.value),
                )
                .with_label(file.id.span, "lowercase letters, digits and `-`"),
            );
        }
        if file.id.value == threatforge_model::MANUAL {
            self.diagnostics.push(
                Diagnostic::new(Code::ReservedId, "`manual` is a reserved rule id")
                    .with_label(file.id.span, "reserved for the model's own threats")
                    .with_help("the model's `threats:` section reports its threats as `manual:<id>`; choose another id"),
            );
        }
        let catalog = catalog();
        // `a|b` names alternatives: either control mitigates.
        let variants = file
            .mitigations_when
            .iter()
            .flat_map(|v| v.mitigations.iter());
        for entry in file.mitigations.iter().chain(variants) {
            for control in entry.value.split('|') {
                if catalog.control(control).is_none() && !self.team_controls.contains(control) {
                    let name = Sp::new(control.to_owned(), entry.span);
                    let team = self.team_controls.iter().map(String::as_str);
                    let ids: Vec<&str> = catalog.control_ids().into_iter().chain(team).collect();
                    self.unknown(Code::UnknownControl, "control", &name, &ids);
                }
            }
        }
        for technology in &file.applies_to.technologies {
            if catalog.technology(&technology.value).is_none() {
                self.unknown(
                    Code::UnknownTechnology,
                    "technology",
                    technology,
                    &catalog.technology_ids(),
                );
            }
        }
        for t in &file.applies_to.traits {
            if !catalog.traits.contains_key(&t.value) {
                self.unknown(Code::UnknownTrait, "trait", t, &catalog.trait_ids());
            }
        }
        let filters_components = !file.applies_to.kinds.is_empty()
            || !file.applies_to.technologies.is_empty()
            || !file.applies_to.traits.is_empty();
        if filters_components && file.applies_to.element != Element::Component {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::InvalidRule,
                    "`kinds`, `technologies` and `traits` filter components only",
                )
                .with_label(
                    file.id.span,
                    format!("this rule applies to {}s", file.applies_to.element),
                ),
            );
        }
        let (root, ty) = root_type(file.applies_to.element);
        let builtin = origin == Origin::Builtin;
        // What uses a definition that is wrong would only repeat its error.
        let definitions = self.compile_definitions(&file, root, ty, builtin)?;
        let scope = Scope::of_element(root, ty, builtin, &definitions);
        let condition = self.compile_expression(
            &file.condition,
            &file.condition.value,
            0,
            scope,
            Expect::Bool,
        );
        let threat_when = file.threat_when.as_ref().map(|when| {
            if file.tier != crate::rule::Tier::Hygiene {
                self.diagnostics.push(
                    Diagnostic::new(Code::InvalidRule, "`threat_when` without `tier: hygiene`")
                        .with_label(when.span, "only a hygiene finding can move to the register")
                        .with_help(
                            "add `tier: hygiene`, or fold this expression into the condition",
                        ),
                );
            }
            self.compile_expression(when, &when.value, 0, scope, Expect::Bool)
        });
        let mitigations_when: Vec<_> = file
            .mitigations_when
            .iter()
            .map(|variant| {
                let when = &variant.when;
                self.compile_expression(when, &when.value, 0, scope, Expect::Bool)
            })
            .collect();
        let likelihood_when: Vec<_> = file
            .likelihood_when
            .iter()
            .map(|variant| {
                self.compile_reasoned(
                    &variant.when,
                    &variant.because,
                    "likelihood_when",
                    "say in a clause what makes the attack likelier or rarer here: `because: the codes confirm withdrawals`",
                    scope,
                )
            })
            .collect();
        let max_severity_when: Vec<_> = file
            .max_severity_when
            .iter()
            .map(|variant| {
                self.compile_reasoned(
                    &variant.when,
                    &variant.because,
                    "max_severity_when",
                    "say in a clause what the weakness opens here: `because: the key alone mints value`",
                    scope,
                )
            })
            .collect();
        if let Some(reason) = &file.max_severity_reason
            && file.max_severity.is_none()
        {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::InvalidRule,
                    "`max_severity_reason` without `max_severity`",
                )
                .with_label(reason.span, "says why a ceiling the rule does not set")
                .with_help("add `max_severity`, or remove the reason"),
            );
        }
        if file.in_transit && file.applies_to.element != crate::rule::Element::Flow {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::InvalidRule,
                    "`in_transit` on a rule that does not apply to flows",
                )
                .with_label(
                    file.id.span,
                    format!("this rule applies to {}s", file.applies_to.element),
                )
                .with_help("only a flow has a network path to stand on; remove `in_transit`"),
            );
        }
        if file.forges_caller && !file.in_transit {
            self.diagnostics.push(
                Diagnostic::new(Code::InvalidRule, "`forges_caller` without `in_transit`")
                    .with_label(file.id.span, "this rule's attacker is not on a flow's path")
                    .with_help("add `in_transit: true`, or remove `forges_caller`"),
            );
        }
        for (set, name) in [
            (file.in_content, "in_content"),
            (file.in_stored_content, "in_stored_content"),
        ] {
            if set && file.applies_to.element != crate::rule::Element::Component {
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::InvalidRule,
                        format!("`{name}` on a rule that does not apply to components"),
                    )
                    .with_label(
                        file.id.span,
                        format!("this rule applies to {}s", file.applies_to.element),
                    )
                    .with_help(format!(
                        "only a component is handed or shows content; remove `{name}`"
                    )),
                );
            }
        }
        let by_end = |group: Option<crate::rule::Group>| match group {
            Some(crate::rule::Group::Target) => Some("target"),
            Some(crate::rule::Group::Source) => Some("source"),
            Some(crate::rule::Group::Recipient) => Some("recipient"),
            _ => None,
        };
        if file.threat_group.is_some()
            && (file.threat_when.is_none() || file.tier != crate::rule::Tier::Hygiene)
        {
            let threat_group = by_end(file.threat_group).unwrap_or("model");
            self.diagnostics.push(
                Diagnostic::new(
                    Code::InvalidRule,
                    "`threat_group` without `threat_when` on a hygiene rule",
                )
                .with_label(
                    file.id.span,
                    format!("its threats group by {threat_group}, but the model makes none"),
                )
                .with_help("use `group` for a rule's own threats; `threat_group` groups the findings `threat_when` makes threats"),
            );
        }
        // The grouper keys a group by `<rule>:<key>`: a threat group and a checklist group of one
        // rule grouped alike would get one id and fold into one entry, the threats lost in the
        // checklist line (or the line in the threat).
        if file.threat_group.is_some() && file.threat_group == file.group {
            let same = by_end(file.group).unwrap_or("model");
            self.diagnostics.push(
                Diagnostic::new(
                    Code::InvalidRule,
                    format!("`threat_group: {same}` the same as `group: {same}`"),
                )
                .with_label(
                    file.id.span,
                    "its threats and its checklist line would share one id",
                )
                .with_help("group the findings `threat_when` makes threats another way, or leave `threat_group` out so that they stay one per element"),
            );
        }
        let grouped_by_end = (by_end(file.group).map(|end| ("group", end)))
            .or(by_end(file.threat_group).map(|end| ("threat_group", end)));
        if let Some((key, end)) = grouped_by_end
            && file.applies_to.element != crate::rule::Element::Flow
        {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::InvalidRule,
                    format!("`{key}: {end}` on a rule that does not apply to flows"),
                )
                .with_label(
                    file.id.span,
                    format!("this rule applies to {}s", file.applies_to.element),
                )
                .with_help(format!(
                    "group a flow rule by its {end}, or use `group: model`"
                )),
            );
        }
        let members = file.members.as_ref().map(|members| {
            if file.applies_to.element != Element::Component {
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::InvalidRule,
                        "`members` on a rule that does not apply to components",
                    )
                    .with_label(members.span, "names what a component's threat is about")
                    .with_help("a flow or data threat is about its own element; remove `members`"),
                );
            } else if file.group.is_some() || file.threat_group.is_some() {
                self.diagnostics.push(
                    Diagnostic::new(Code::InvalidRule, "`members` on a rule with `group`")
                        .with_label(members.span, "a group's members are the elements it joins")
                        .with_help("keep one of the two"),
                );
            }
            self.compile_expression(members, &members.value, 0, scope, Expect::Elements)
        });
        // The explanation may name what `members` gives, as `members`, with its checked type.
        let explanation_scope = Scope {
            members: members.as_ref().and_then(|m| m.as_ref().map(|(_, ty)| *ty)),
            ..scope
        };
        let explanation = self.compile_template(&file.explanation, explanation_scope);
        if self.diagnostics.len() > before {
            return None;
        }
        let mitigations_when = mitigations_when
            .into_iter()
            .zip(&file.mitigations_when)
            .map(|(compiled, variant)| {
                Some(MitigationVariant {
                    when: Arc::new(compiled?.0),
                    mitigations: crate::mitigation::mitigation_entries(&variant.mitigations),
                })
            })
            .collect::<Option<_>>()?;
        let likelihood_when = likelihood_when
            .into_iter()
            .zip(&file.likelihood_when)
            .map(|(compiled, variant)| {
                let because = Some(variant.because.value.as_str());
                Some(LikelihoodVariant {
                    when: Arc::new(compiled?.0),
                    likelihood: variant.likelihood,
                    hints: crate::score::hint_factors_rated(
                        &file,
                        false,
                        variant.likelihood,
                        because,
                    ),
                    absorbed_hints: crate::score::hint_factors_rated(
                        &file,
                        true,
                        variant.likelihood,
                        because,
                    ),
                })
            })
            .collect::<Option<_>>()?;
        let max_severity_when = max_severity_when
            .into_iter()
            .zip(&file.max_severity_when)
            .map(|(compiled, variant)| {
                let because = &variant.because.value;
                let cap = variant.max_severity;
                Some(SeverityVariant {
                    when: Arc::new(compiled?.0),
                    max_severity: cap,
                    severity_cap: severity_cap_where(&file, false, cap, because),
                    absorbed_severity_cap: severity_cap_where(&file, true, cap, because),
                })
            })
            .collect::<Option<_>>()?;
        Some(Rule {
            shared: Shared {
                id: Arc::from(file.id.value.as_str()),
                title: Arc::from(file.title.as_str()),
                hints: crate::score::hint_factors(&file, false),
                severity_cap: severity_cap(&file, false),
                absorbed_hints: crate::score::hint_factors(&file, true),
                absorbed_severity_cap: severity_cap(&file, true),
                mitigations: crate::mitigation::mitigation_entries(&file.mitigations),
                capec: Arc::from(file.capec.as_slice()),
                cwe: Arc::from(file.cwe.as_slice()),
                description: Arc::from(crate::mitigation::one_line(&file.description)),
                reference: file.references.first().map(|r| Arc::from(r.as_str())),
            },
            file: Arc::new(file),
            origin,
            condition: Arc::new(condition?.0),
            threat_when: match threat_when {
                Some(compiled) => Some(Arc::new(compiled?.0)),
                None => None,
            },
            members: match members {
                Some(compiled) => Some(Arc::new(compiled?.0)),
                None => None,
            },
            mitigations_when,
            likelihood_when,
            max_severity_when,
            explanation: Arc::from(explanation?),
        })
    }

    fn unknown(&mut self, code: Code, kind: &str, name: &Sp<String>, ids: &[&str]) {
        let help = match suggest::nearest(&name.value, ids.iter().copied()) {
            Some(n) => format!("did you mean `{n}`?"),
            None => format!("expected one of {}", suggest::one_of(ids)),
        };
        self.diagnostics.push(
            Diagnostic::new(code, format!("unknown {kind} `{}` in the rule", name.value))
                .with_label(name.span, format!("not a known {kind}"))
                .with_help(help),
        );
    }

    /// Parses and checks the rule's definitions (`let:`), each seeing the element, its own
    /// parameters (of types it does not know) and the definitions above it. `None` when any is
    /// wrong: what uses them is then not compiled either.
    fn compile_definitions(
        &mut self,
        file: &RuleFile,
        root: &str,
        ty: Ty,
        builtin: bool,
    ) -> Option<Vec<Definition>> {
        let mut definitions: Vec<Definition> = Vec::with_capacity(file.lets.len());
        let mut ok = true;
        if file.lets.len() > MAX_DEFINITIONS {
            let first = file
                .lets
                .keys()
                .nth(MAX_DEFINITIONS)
                .map_or(file.id.span, |k| k.span);
            self.diagnostics.push(
                Diagnostic::new(
                    Code::LimitExceeded,
                    format!("the rule has more than {MAX_DEFINITIONS} definitions"),
                )
                .with_label(first, "over the limit here")
                .with_help("a rule needs a few; split the rule"),
            );
            return None;
        }
        for (key, body) in &file.lets {
            let (name, params) =
                match crate::cel::definitions::parse_head(&key.value, &[root, MEMBERS]) {
                    Ok(head) => head,
                    Err(message) => {
                        self.diagnostics.push(
                            Diagnostic::new(Code::InvalidRule, message)
                                .with_label(key.span, "in this definition")
                                .with_help("definitions read `name: expr` or `name(a, b): expr`"),
                        );
                        ok = false;
                        continue;
                    }
                };
            let scope = Scope::of_element(root, ty, builtin, &definitions);
            match self.parse_checked(body, &body.value, 0, scope, &params, Expect::Any) {
                Some((body, ty)) => definitions.push(Definition {
                    name,
                    params,
                    body,
                    ty,
                }),
                None => ok = false,
            }
        }
        ok.then_some(definitions)
    }

    /// Compiles the condition of a `*_when` entry whose factor quotes its `because`, which must
    /// say something.
    fn compile_reasoned(
        &mut self,
        when: &Sp<String>,
        because: &Sp<String>,
        key: &str,
        help: &str,
        scope: Scope,
    ) -> Option<(crate::cel::eval::Expression, Ty)> {
        if because.value.trim().is_empty() {
            self.diagnostics.push(
                Diagnostic::new(Code::InvalidRule, format!("`{key}` entry without a reason"))
                    .with_label(because.span, "says nothing")
                    .with_help(help),
            );
        }
        self.compile_expression(when, &when.value, 0, scope, Expect::Bool)
    }

    /// Compiles and checks one CEL expression that sits at `offset` (in characters) inside the
    /// scalar `scalar`.
    fn compile_expression(
        &mut self,
        scalar: &Sp<String>,
        source: &str,
        offset: usize,
        scope: Scope,
        expect: Expect,
    ) -> Option<(crate::cel::eval::Expression, Ty)> {
        let (expression, ty) = self.parse_checked(scalar, source, offset, scope, &[], expect)?;
        let roots = roots(scope.root, scope.members);
        // The checker accepted it, so compiling only fails on what the checker does not model,
        // and on what the definitions written in cost.
        match crate::cel::eval::compile(&expression, &roots, scope.definitions) {
            Ok(node) => Some((node, ty)),
            Err(error) => {
                let span = self.scalar_span(scalar, offset);
                let diagnostic = if error.over_limit {
                    Diagnostic::new(Code::LimitExceeded, error.message)
                        .with_label(span, "over the limit here")
                        .with_help(
                            "each use of a definition copies its body: use fewer definitions \
                             of definitions, or name the value once",
                        )
                } else {
                    Diagnostic::new(Code::RuleType, error.message)
                        .with_label(span, "in this expression")
                };
                self.diagnostics.push(diagnostic);
                None
            }
        }
    }

    /// Parses and checks one CEL expression that sits at `offset` (in characters) inside the
    /// scalar `scalar`, which may also name `params` (a definition's parameters).
    fn parse_checked(
        &mut self,
        scalar: &Sp<String>,
        source: &str,
        offset: usize,
        scope: Scope,
        params: &[String],
        expect: Expect,
    ) -> Option<(IdedExpr, Ty)> {
        if let Err(exceeded) = bounds::before_parsing(source) {
            let at = match exceeded {
                Exceeded::Operators { at } | Exceeded::Brackets { at } => at,
                _ => 0,
            };
            self.exceeded(scalar, offset + at, &exceeded);
            return None;
        }
        if scope.builtin
            && let Some(parsed) = parse_builtin_fast(source, scope, params, expect)
        {
            return Some(parsed);
        }
        let program = match cel::Program::compile(source) {
            Ok(program) => program,
            Err(errors) => {
                for error in errors.errors.iter().take(5) {
                    let (line, column) = error.pos;
                    let at = char_offset(source, line.max(1) as usize, column.max(0) as usize);
                    let span = self.scalar_span(scalar, offset + at);
                    self.diagnostics.push(
                        Diagnostic::new(
                            Code::RuleSyntax,
                            format!("syntax error in the condition: {}", error.msg),
                        )
                        .with_label(span, "here")
                        .with_help("conditions are CEL expressions; see docs/writing-rules.md"),
                    );
                }
                return None;
            }
        };
        if let Err(exceeded) = bounds::nesting(program.expression()) {
            let at = match exceeded {
                Exceeded::Nesting { expr_id } => program
                    .source_info()
                    .offset_for(expr_id)
                    .map_or(0, |(start, _)| start as usize),
                _ => 0,
            };
            self.exceeded(scalar, offset + at, &exceeded);
            return None;
        }
        let mut checker = checker_for(scope, params);
        let result = checker.check(program.expression());
        let checked = checker.errors.is_empty();
        for error in checker.errors {
            let at = program
                .source_info()
                .offset_for(error.expr_id)
                .map_or(0, |(start, _)| start as usize);
            let span = self.scalar_span(scalar, offset + at);
            self.diagnostics.push(
                Diagnostic::new(Code::RuleType, error.message)
                    .with_label(span, "here")
                    .with_help_opt(error.help),
            );
        }
        if expect.rejects(result) {
            let span = self.scalar_span(scalar, offset);
            let (message, label) = match expect {
                Expect::Elements => (
                    format!(
                        "`members` is a {}, not a list of flows or components",
                        result.describe()
                    ),
                    "must evaluate to a list of flows or components",
                ),
                _ => (
                    format!("the condition is a {}, not a boolean", result.describe()),
                    "must evaluate to true or false",
                ),
            };
            self.diagnostics
                .push(Diagnostic::new(Code::RuleType, message).with_label(span, label));
        }
        if !checked {
            return None;
        }
        Some((program.expression().clone(), result))
    }

    /// Reports an expression over one of its bounds, at the character `chars` of the scalar.
    fn exceeded(&mut self, scalar: &Sp<String>, chars: usize, exceeded: &Exceeded) {
        let span = self.scalar_span(scalar, chars);
        self.diagnostics.push(
            Diagnostic::new(Code::LimitExceeded, exceeded.message())
                .with_label(span, "over the limit here")
                .with_help(exceeded.help()),
        );
    }

    fn compile_template(&mut self, template: &Sp<String>, scope: Scope) -> Option<Vec<Segment>> {
        let text = template.value.as_str();
        let mut segments = Vec::new();
        let mut open: Vec<OpenClause> = Vec::new();
        let mut rest = text;
        let mut ok = true;
        // The tags' spans, found walking forward once through the value and the file: each
        // `scalar_span` walks from the scalar's start, which is quadratic in a template's tags.
        let file_text = self.sources.get(template.span.file).map(|f| f.text.clone());
        let mut cursor = file_text
            .as_deref()
            .map(|file| SpanCursor::new(file, template.span.start as usize, text));
        while let Some(start) = rest.find("{{") {
            if start > 0 {
                segments.push(Segment::Text(rest[..start].to_owned()));
            }
            let tag_at = text.len() - rest.len() + start;
            let tag_span = match cursor.as_mut() {
                Some(cursor) => Span::new(template.span.file, cursor.offset_of(tag_at), 1),
                None => template.span,
            };
            let after = &rest[start + 2..];
            let Some(close) = after.find("}}") else {
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::RuleSyntax,
                        "`{{` without a closing `}}` in the explanation",
                    )
                    .with_label(tag_span, "opened here"),
                );
                return None;
            };
            let inner = &after[..close];
            let inner_start = text.len() - after.len();
            rest = &after[close + 2..];
            let leading = inner.len() - inner.trim_start().len();
            let word = inner.trim();
            if let Some(condition) = inner[leading..]
                .strip_prefix("#if")
                .filter(|c| c.starts_with(char::is_whitespace))
            {
                let offset = text[..inner_start + leading + 3].chars().count();
                let condition = self
                    .compile_expression(template, condition, offset, scope, Expect::Bool)
                    .map(|(compiled, _)| compiled);
                ok &= condition.is_some();
                if open.len() == MAX_CLAUSE_NESTING {
                    self.template_error(
                        tag_span,
                        format!("`{{{{#if}}}}` clauses nest deeper than {MAX_CLAUSE_NESTING}"),
                        "nested too deep",
                    );
                    return None;
                }
                open.push(OpenClause {
                    condition,
                    opened: tag_span,
                    before: std::mem::take(&mut segments),
                    then: None,
                });
            } else if word == "else" {
                match open.last_mut() {
                    Some(clause) if clause.then.is_none() => {
                        clause.then = Some(std::mem::take(&mut segments));
                    }
                    Some(_) => {
                        self.template_error(tag_span, "a second `{{else}}` in one clause", "here");
                        return None;
                    }
                    None => {
                        self.template_error(tag_span, "`{{else}}` outside an `{{#if}}`", "here");
                        return None;
                    }
                }
            } else if word == "/if" {
                let Some(clause) = open.pop() else {
                    self.template_error(tag_span, "`{{/if}}` without an `{{#if}}`", "here");
                    return None;
                };
                let inner_part = std::mem::replace(&mut segments, clause.before);
                let (then, otherwise) = match clause.then {
                    Some(then) => (then, inner_part),
                    None => (inner_part, Vec::new()),
                };
                if let Some(condition) = clause.condition {
                    segments.push(Segment::If(condition, then, otherwise));
                }
            } else {
                let offset = text[..inner_start].chars().count();
                match self.compile_expression(template, inner, offset, scope, Expect::Any) {
                    Some((program, _)) => segments.push(Segment::Expr(program, tag_span)),
                    None => ok = false,
                }
            }
        }
        if let Some(clause) = open.last() {
            self.template_error(
                clause.opened,
                "`{{#if}}` without its `{{/if}}`",
                "opened here",
            );
            return None;
        }
        if !rest.is_empty() {
            segments.push(Segment::Text(rest.to_owned()));
        }
        ok.then_some(segments)
    }

    fn template_error(&mut self, at: Span, message: impl Into<String>, label: &str) {
        self.diagnostics.push(
            Diagnostic::new(Code::RuleSyntax, message)
                .with_label(at, label)
                .with_help(
                    "clauses read `{{#if condition}} ... {{else}} ... {{/if}}`; see \
                     docs/writing-rules.md",
                ),
        );
    }

    /// The span in the rule file of the character at `chars` inside a scalar's text.
    fn scalar_span(&self, scalar: &Sp<String>, chars: usize) -> Span {
        let Some(file) = self.sources.get(scalar.span.file) else {
            return scalar.span;
        };
        let offset = map_into_file(&file.text, scalar.span.start as usize, &scalar.value, chars);
        Span::new(scalar.span.file, offset, 1)
    }
}

/// What an expression is checked against, and whether it is one of the built-in rules'.
#[derive(Clone, Copy)]
struct Scope<'a> {
    root: &'a str,
    ty: Ty,
    /// The type of the rule's `members`, which its explanation may name.
    members: Option<Ty>,
    builtin: bool,
    /// The rule's definitions the expression may use.
    definitions: &'a Definitions,
}

impl<'a> Scope<'a> {
    /// The scope of an expression over the rule's element alone, not its `members`.
    fn of_element(root: &'a str, ty: Ty, builtin: bool, definitions: &'a Definitions) -> Self {
        Scope {
            root,
            ty,
            members: None,
            builtin,
            definitions,
        }
    }
}

/// The variable that holds a rule's `members` in its explanation.
const MEMBERS: &str = "members";

/// Parses and checks a built-in rule's expression with the `cel` crate's Pratt parser, or returns
/// `None` when anything is wrong with it, so that the caller reports it through the reference
/// parser.
///
/// Why two parsers: the reference (ANTLR) parser takes about 22 ms for the built-in library's
/// 428 expressions, more than the whole rest of a 100-component `check`; the Pratt parser takes
/// about 2 ms. The crate still marks the Pratt parser experimental, so it reads only the
/// built-in rules, whose trees `tests::pratt_parser_reads_every_builtin_expression_as_the_reference`
/// holds identical to the reference parser's (node ids included); a team's rules and every
/// diagnostic keep the reference parser, which also gives the positions a diagnostic needs.
/// What an expression of a rule must evaluate to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    /// A condition: `condition`, `threat_when`, `{{#if}}`.
    Bool,
    /// A value an explanation prints.
    Any,
    /// `members`: the flows or components a threat is about.
    Elements,
}

impl Expect {
    /// Whether a checked type certainly is not what is expected (an unknown type never is).
    fn rejects(self, found: Ty) -> bool {
        use crate::cel::types::Object;
        match self {
            Expect::Bool => found.conflicts(Ty::Bool),
            Expect::Any => false,
            Expect::Elements => !matches!(
                found,
                Ty::Dyn
                    | Ty::List(
                        Ty::Dyn | Ty::Obj(Object::Flow | Object::Component | Object::ComponentRef)
                    )
            ),
        }
    }
}

fn parse_builtin_fast(
    source: &str,
    scope: Scope,
    params: &[String],
    expect: Expect,
) -> Option<(IdedExpr, Ty)> {
    let expression = cel::parser::PrattParser::default().parse(source).ok()?;
    bounds::nesting(&expression).ok()?;
    let mut checker = checker_for(scope, params);
    let result = checker.check(&expression);
    if !checker.errors.is_empty() || expect.rejects(result) {
        return None;
    }
    Some((expression, result))
}

/// The checker of an expression over the scope's root, that may also name `members` and a
/// definition's `params` (whose types it does not know), and use the scope's definitions.
fn checker_for<'d>(scope: Scope<'d>, params: &[String]) -> Checker<'d> {
    let mut checker = Checker::new(scope.root, scope.ty).using(scope.definitions);
    if let Some(members) = scope.members {
        checker = checker.with(MEMBERS, members);
    }
    for param in params {
        checker = checker.with(param, Ty::Dyn);
    }
    checker
}

/// The variables an expression's slots hold, in order.
fn roots(root: &str, members: Option<Ty>) -> Vec<&str> {
    match members {
        Some(_) => vec![root, MEMBERS],
        None => vec![root],
    }
}

/// Character offset of a (1-based line, 0-based column) position in `text`.
fn char_offset(text: &str, line: usize, column: usize) -> usize {
    let before: usize = text
        .split_inclusive('\n')
        .take(line - 1)
        .map(|l| l.chars().count())
        .sum();
    before + column
}

/// Maps a character position inside a scalar's value to a byte offset in the file. YAML block
/// scalars fold and strip indentation, so positions are matched by counting the non-blank
/// characters before them, which folding does not change.
fn map_into_file(file: &str, start: usize, value: &str, chars: usize) -> usize {
    let wanted = value
        .chars()
        .take(chars)
        .filter(|c| !c.is_whitespace())
        .count();
    let Some(tail) = file.get(start..) else {
        return start;
    };
    let mut skip = 0;
    if tail.starts_with('|') || tail.starts_with('>') {
        skip = tail.find('\n').map_or(tail.len(), |i| i + 1);
    } else if tail.starts_with('"') || tail.starts_with('\'') {
        skip = 1;
    }
    let mut seen = 0;
    for (i, c) in tail[skip..].char_indices() {
        if c.is_whitespace() {
            continue;
        }
        if seen == wanted {
            return start + skip + i;
        }
        seen += 1;
    }
    start
}

/// [`map_into_file`] for positions asked in increasing order: the value and the file are each
/// walked once, whatever the number of positions.
struct SpanCursor<'a> {
    file: &'a str,
    start: usize,
    value: &'a str,
    /// Where the scalar's characters begin in `file`, past a block indicator's line or a quote.
    body: usize,
    /// Bytes of `value` walked, and the non-blank characters among them.
    value_at: usize,
    wanted: usize,
    /// Bytes of the body walked, and the non-blank characters among them.
    body_at: usize,
    seen: usize,
}

impl<'a> SpanCursor<'a> {
    fn new(file: &'a str, start: usize, value: &'a str) -> SpanCursor<'a> {
        let tail = file.get(start..).unwrap_or("");
        let skip = if tail.starts_with('|') || tail.starts_with('>') {
            tail.find('\n').map_or(tail.len(), |i| i + 1)
        } else if tail.starts_with('"') || tail.starts_with('\'') {
            1
        } else {
            0
        };
        SpanCursor {
            file,
            start,
            value,
            body: start + skip,
            value_at: 0,
            wanted: 0,
            body_at: 0,
            seen: 0,
        }
    }

    /// The byte offset in the file of the character at byte `at` of the value, as
    /// [`map_into_file`] gives it.
    fn offset_of(&mut self, at: usize) -> usize {
        let Some(ahead) = self.value.get(self.value_at..at) else {
            // Not forward, or not at a character: the walk from the scalar's start.
            let chars = self.value.get(..at).map_or(0, |v| v.chars().count());
            return map_into_file(self.file, self.start, self.value, chars);
        };
        self.wanted += ahead.chars().filter(|c| !c.is_whitespace()).count();
        self.value_at = at;
        let Some(body) = self.file.get(self.body..) else {
            return self.start;
        };
        for (i, c) in body[self.body_at..].char_indices() {
            if c.is_whitespace() {
                continue;
            }
            if self.seen == self.wanted {
                self.body_at += i;
                return self.body + self.body_at;
            }
            self.seen += 1;
        }
        self.body_at = body.len();
        self.start
    }
}

/// The entries with `control` added as an alternative to each (or as the only entry of a rule
/// that asks for none).
fn with_alternative(
    entries: &Arc<[crate::mitigation::MitigationEntry]>,
    control: &str,
) -> Arc<[crate::mitigation::MitigationEntry]> {
    use crate::mitigation::MitigationEntry;
    let alternative: Arc<str> = Arc::from(control);
    if entries.is_empty() {
        return Arc::from([MitigationEntry {
            whole: alternative.clone(),
            alternatives: Box::from([alternative]),
        }]);
    }
    entries
        .iter()
        .map(|entry| {
            if entry.alternatives.iter().any(|a| **a == *control) {
                return entry.clone();
            }
            let mut alternatives = entry.alternatives.to_vec();
            alternatives.push(alternative.clone());
            MitigationEntry {
                whole: Arc::from(format!("{}|{control}", entry.whole)),
                alternatives: alternatives.into_boxed_slice(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn span_cursor_finds_what_the_walk_from_the_start_finds() {
        let file = "a: x\nexplanation: >\n  One {{a}} and\n  {{ b }}, {{c}}.\n\
                    q: \"x {{d}}  y {{e}}\"\np: plain {{f}} {{g}}\n";
        for (start, value) in [
            (
                file.find('>').unwrap_or(0),
                "One {{a}} and {{ b }}, {{c}}.\n",
            ),
            (file.find('"').unwrap_or(0), "x {{d}}  y {{e}}"),
            (file.find("plain").unwrap_or(0), "plain {{f}} {{g}}"),
        ] {
            let mut cursor = super::SpanCursor::new(file, start, value);
            let tags: Vec<usize> = value.match_indices("{{").map(|(i, _)| i).collect();
            assert!(tags.len() >= 2);
            for at in tags.iter().copied().chain([value.len(), 0]) {
                let chars = value[..at].chars().count();
                assert_eq!(
                    cursor.offset_of(at),
                    super::map_into_file(file, start, value, chars),
                    "{value:?} at {at}"
                );
            }
        }
    }

    use super::*;

    /// A CEL expression of the built-in library.
    struct Builtin {
        rule: String,
        element: Element,
        expect: Expect,
        source: String,
        /// The rule's `members`, which its explanation may name.
        named: Option<String>,
        /// For a definition's body (`let:`): its name and parameters.
        defines: Option<(String, Vec<String>)>,
    }

    /// Every CEL expression of the built-in library, rule by rule: definitions first, in order,
    /// then conditions and explanation placeholders.
    fn builtin_expressions() -> Vec<Builtin> {
        let set = RuleSet::builtin();
        assert!(!set.has_errors(), "{:?}", set.diagnostics);
        let mut found = Vec::new();
        for rule in &set.rules {
            let element = rule.file.applies_to.element;
            let expression = |expect, source: &str, named: Option<String>| Builtin {
                rule: rule.id().to_owned(),
                element,
                expect,
                source: source.to_owned(),
                named,
                defines: None,
            };
            for (key, body) in &rule.file.lets {
                let head = crate::cel::definitions::parse_head(&key.value, &[]);
                found.push(Builtin {
                    defines: Some(head.expect("the library's definitions are well named")),
                    ..expression(Expect::Any, &body.value, None)
                });
            }
            found.push(expression(Expect::Bool, &rule.file.condition.value, None));
            if let Some(when) = &rule.file.threat_when {
                found.push(expression(Expect::Bool, &when.value, None));
            }
            if let Some(members) = &rule.file.members {
                found.push(expression(Expect::Elements, &members.value, None));
            }
            // An explanation may name the rule's `members`.
            let named = rule.file.members.as_ref().map(|m| m.value.clone());
            for piece in rule.file.explanation.value.split("{{").skip(1) {
                let (inner, _) = piece
                    .split_once("}}")
                    .expect("the library's templates close");
                match inner.trim() {
                    "else" | "/if" => {}
                    tag => match tag.strip_prefix("#if ") {
                        Some(condition) => {
                            found.push(expression(Expect::Bool, condition, named.clone()));
                        }
                        None => found.push(expression(Expect::Any, inner, named.clone())),
                    },
                }
            }
        }
        found
    }

    #[test]
    fn pratt_parser_reads_every_builtin_expression_as_the_reference() {
        let expressions = builtin_expressions();
        assert!(expressions.len() > 300, "{} expressions", expressions.len());
        let mut definitions: Vec<Definition> = Vec::new();
        let mut of_rule = String::new();
        for Builtin {
            rule,
            element,
            expect,
            source,
            named,
            defines,
        } in expressions
        {
            if rule != of_rule {
                definitions.clear();
                of_rule.clone_from(&rule);
            }
            let reference = cel::Program::compile(&source).expect("the library parses");
            let pratt = cel::parser::PrattParser::default()
                .parse(&source)
                .expect("the Pratt parser reads what the reference reads");
            assert_eq!(
                reference.expression(),
                &pratt,
                "rule `{rule}`: the parsers disagree on `{source}`"
            );
            let (root, ty) = root_type(element);
            let scope = |members| Scope {
                root,
                ty,
                members,
                builtin: true,
                definitions: &definitions,
            };
            let members = named.and_then(|m| {
                parse_builtin_fast(&m, scope(None), &[], Expect::Elements).map(|(_, ty)| ty)
            });
            let params = defines
                .as_ref()
                .map(|(_, p)| p.as_slice())
                .unwrap_or_default();
            let parsed = parse_builtin_fast(&source, scope(members), params, expect);
            let Some((body, ty)) = parsed else {
                panic!("rule `{rule}`: `{source}` falls back to the reference parser");
            };
            match defines {
                Some((name, params)) => definitions.push(Definition {
                    name,
                    params,
                    body,
                    ty,
                }),
                None => {
                    let roots = roots(root, members);
                    if let Err(error) = crate::cel::eval::compile(&body, &roots, &definitions) {
                        panic!("rule `{rule}`: `{source}` does not compile: {error}");
                    }
                }
            }
        }
    }

    #[test]
    fn builtin_expressions_are_well_within_the_bounds() {
        let (mut operators, mut nesting) = (0, 0);
        for Builtin { rule, source, .. } in builtin_expressions() {
            let counted = bounds::before_parsing(&source).expect("within bounds");
            let program = cel::Program::compile(&source).expect("the library parses");
            let depth = bounds::nesting(program.expression()).expect("within bounds");
            assert!(source.len() <= bounds::MAX_EXPRESSION_BYTES / 8, "{rule}");
            operators = operators.max(counted);
            nesting = nesting.max(depth);
        }
        assert!(
            operators <= bounds::MAX_OPERATORS / 8,
            "{operators} operators"
        );
        assert!(nesting <= bounds::MAX_NESTING / 2, "nested {nesting} deep");
    }

    /// A team's rule with `condition` and `explanation`, read from a directory of its own.
    fn team_rule(condition: &str, explanation: &str) -> RuleSet {
        team_rule_on("component", condition, explanation)
    }

    fn team_rule_on(element: &str, condition: &str, explanation: &str) -> RuleSet {
        let dir = tempfile::tempdir().expect("temp dir");
        let text = format!(
            "id: team-rule\ntitle: Team rule\ndescription: A rule.\nstride: tampering\n\
             applies_to: {{ element: {element} }}\ncondition: >\n  {condition}\n\
             explanation: >\n  {explanation}\nlikelihood: low\nimpact: low\n"
        );
        std::fs::write(dir.path().join("team.yaml"), text).expect("write");
        RuleSet::only_dirs(&[RuleDir::own(dir.path().to_path_buf())])
    }

    fn limit_messages(set: &RuleSet) -> Vec<(usize, String)> {
        set.diagnostics
            .iter()
            .map(|d| {
                assert_eq!(d.code, "limit-exceeded", "{d:?}");
                let line = set.sources.locate(d.labels[0].span).line;
                (line, d.message.clone())
            })
            .collect()
    }

    #[test]
    fn a_ceiling_says_its_own_reason_where_the_rule_gives_one() {
        let set = RuleSet::builtin();
        let cap = |id: &str| set.get(id).map(|r| r.shared.severity_cap.to_string());
        assert_eq!(
            cap("card-testing").as_deref(),
            Some(
                "the rule rates this medium at most: what is lost is fees, chargebacks and the \
                 standing with the payment provider, not the card data the component handles"
            )
        );
        assert!(
            cap("missing-sbom").is_some_and(|c| c.ends_with("and is not one of its own")),
            "{:?}",
            cap("missing-sbom")
        );
        let set = team_rule("true", "x\nmax_severity_reason: because");
        let messages: Vec<&str> = set.diagnostics.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(messages, ["`max_severity_reason` without `max_severity`"]);
    }

    #[test]
    fn only_a_rule_in_transit_forges_a_caller() {
        let set = team_rule("true", "x\nforges_caller: true");
        let messages: Vec<&str> = set.diagnostics.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(messages, ["`forges_caller` without `in_transit`"]);
    }

    #[test]
    fn only_a_flow_rule_is_in_transit() {
        let set = team_rule("true", "x\nin_transit: true");
        let messages: Vec<&str> = set.diagnostics.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            ["`in_transit` on a rule that does not apply to flows"]
        );
    }

    #[test]
    fn only_a_component_rule_is_in_content() {
        let set = team_rule_on("flow", "true", "x\nin_content: true");
        let messages: Vec<&str> = set.diagnostics.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            ["`in_content` on a rule that does not apply to components"]
        );
        let set = team_rule_on("data", "true", "x\nin_stored_content: true");
        let messages: Vec<&str> = set.diagnostics.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            ["`in_stored_content` on a rule that does not apply to components"]
        );
    }

    #[test]
    fn only_a_flow_rule_groups_by_its_target() {
        let set = team_rule("true", "x\ngroup: target");
        let messages: Vec<&str> = set.diagnostics.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            ["`group: target` on a rule that does not apply to flows"]
        );
        let set = team_rule("true", "x\ngroup: source");
        let messages: Vec<&str> = set.diagnostics.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            ["`group: source` on a rule that does not apply to flows"]
        );
    }

    /// A condition that gives something other than a boolean is an error of the rule.
    fn assert_not_boolean(set: &RuleSet) {
        assert!(
            set.diagnostics
                .iter()
                .any(|d| d.message.contains("not a boolean")),
            "{:?}",
            set.diagnostics
        );
    }

    #[test]
    fn mitigations_when_names_known_controls_under_a_boolean_condition() {
        let variants = |when: &str, control: &str| {
            team_rule(
                "true",
                &format!(
                    "x\nmitigations: [hardening]\nmitigations_when:\n  - when: {when}\n    mitigations: [{control}]"
                ),
            )
        };
        let set = variants("component.name == 'a'", "firewall");
        assert!(!set.has_errors(), "{:?}", set.diagnostics);
        let compiled = &set.rules[0].mitigations_when;
        assert_eq!(compiled.len(), 1);
        assert_eq!(&*compiled[0].mitigations[0].whole, "firewall");
        let set = variants("component.name == 'a'", "firewal");
        let messages: Vec<&str> = set.diagnostics.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(messages, ["unknown control `firewal` in the rule"]);
        let set = variants("component.name", "firewall");
        assert_not_boolean(&set);
    }

    #[test]
    fn likelihood_when_rates_under_a_boolean_condition_and_says_why() {
        let variants = |when: &str, because: &str| {
            team_rule(
                "true",
                &format!(
                    "x\nlikelihood_when:\n  - when: {when}\n    likelihood: high\n    because: '{because}'"
                ),
            )
        };
        let set = variants("component.name == 'a'", "the codes confirm payments");
        assert!(!set.has_errors(), "{:?}", set.diagnostics);
        let compiled = &set.rules[0].likelihood_when;
        assert_eq!(compiled.len(), 1);
        assert_eq!(compiled[0].likelihood, crate::rule::Level::High);
        assert_eq!(
            &*compiled[0].hints[0].reason,
            "the rule rates the attack's likelihood high where the codes confirm payments"
        );
        let set = variants("component.name", "the codes confirm payments");
        assert_not_boolean(&set);
        let set = variants("component.name == 'a'", " ");
        let messages: Vec<&str> = set.diagnostics.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(messages, ["`likelihood_when` entry without a reason"]);
    }

    #[test]
    fn max_severity_when_caps_under_a_boolean_condition_and_says_why() {
        let variants = |when: &str, because: &str| {
            team_rule(
                "true",
                &format!(
                    "x\nmax_severity: medium\nmax_severity_when:\n  - when: {when}\n    max_severity: high\n    because: '{because}'"
                ),
            )
        };
        let set = variants("component.name == 'a'", "the key alone mints value");
        assert!(!set.has_errors(), "{:?}", set.diagnostics);
        let compiled = &set.rules[0].max_severity_when;
        assert_eq!(compiled.len(), 1);
        assert_eq!(
            compiled[0].max_severity,
            threatforge_model::ThreatSeverity::High
        );
        assert_eq!(
            &*compiled[0].severity_cap,
            "the rule rates this high at most where the key alone mints value"
        );
        let set = variants("component.name", "the key alone mints value");
        assert_not_boolean(&set);
        let set = variants("component.name == 'a'", " ");
        let messages: Vec<&str> = set.diagnostics.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(messages, ["`max_severity_when` entry without a reason"]);
    }

    #[test]
    fn threat_group_needs_findings_the_model_makes_threats() {
        let messages = |extra: &str| -> Vec<String> {
            let set = team_rule("true", &format!("x\n{extra}"));
            set.diagnostics.iter().map(|d| d.message.clone()).collect()
        };
        assert_eq!(
            messages("threat_group: model"),
            ["`threat_group` without `threat_when` on a hygiene rule"]
        );
        assert!(messages("tier: hygiene\nthreat_when: 'true'\nthreat_group: model").is_empty());
        // Grouped as the checklist line is: one id for both.
        assert_eq!(
            messages("tier: hygiene\nthreat_when: 'true'\ngroup: model\nthreat_group: model"),
            ["`threat_group: model` the same as `group: model`"]
        );
        // Grouping by a flow's ends needs a flow rule.
        assert_eq!(
            messages("tier: hygiene\nthreat_when: 'true'\nthreat_group: recipient"),
            ["`threat_group: recipient` on a rule that does not apply to flows"]
        );
    }

    #[test]
    fn a_team_control_that_mitigates_a_rule_is_an_alternative_in_its_variants_too() {
        let loaded = threatforge_model::load_str(
            "m.yaml",
            "system: { name: t }\ncontrols:\n  modbus-gateway:\n    title: Modbus gateway\n    \
             description: Passes only the named masters' function codes.\n    \
             remediation: Put it in front of the controllers.\n    \
             mitigates: [caller-spoofing-on-unauthenticated-flow]\n",
            std::path::Path::new("."),
            &threatforge_model::LoadOptions::default(),
        );
        assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
        let mut set = RuleSet::builtin();
        assert!(set.add_team_mitigations(&loaded.model.controls).is_empty());
        let rule = set
            .get("caller-spoofing-on-unauthenticated-flow")
            .expect("built-in rule");
        let wholes = |entries: &[crate::mitigation::MitigationEntry]| -> Vec<String> {
            entries.iter().map(|e| e.whole.to_string()).collect()
        };
        assert_eq!(
            wholes(&rule.shared.mitigations),
            ["authentication|mtls|modbus-gateway"]
        );
        assert_eq!(
            wholes(&rule.mitigations_when[0].mitigations),
            ["industrial-protocol-security|modbus-gateway"]
        );
    }

    #[test]
    fn threat_when_belongs_to_hygiene_rules_and_is_checked_like_a_condition() {
        let set = team_rule("true", "x\nthreat_when: component.name == 'a'");
        let messages: Vec<&str> = set.diagnostics.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(messages, ["`threat_when` without `tier: hygiene`"]);
        let set = team_rule("true", "x\ntier: hygiene\nthreat_when: component.name");
        assert_not_boolean(&set);
        let set = team_rule(
            "true",
            "x\ntier: hygiene\nthreat_when: component.name == 'a'",
        );
        assert!(!set.has_errors(), "{:?}", set.diagnostics);
        assert!(set.rules[0].threat_when.is_some());
    }

    #[test]
    fn members_are_a_component_rules_list_of_flows_or_components() {
        let messages = |extra: &str| -> Vec<String> {
            team_rule("true", &format!("x\n{extra}"))
                .diagnostics
                .iter()
                .map(|d| d.message.clone())
                .collect()
        };
        assert_eq!(
            messages("members: component.name"),
            ["`members` is a string, not a list of flows or components"]
        );
        assert_eq!(
            messages("members: component.stored_data"),
            ["`members` is a list<data>, not a list of flows or components"]
        );
        assert_eq!(
            messages("members: component.outbound\ngroup: model"),
            ["`members` on a rule with `group`"]
        );
        // The explanation names the list as `members`, typed: a flow's fields check.
        let set = team_rule(
            "true",
            "'{{ members.map(f, f.target.name) }}'\nmembers: component.outbound",
        );
        assert!(!set.has_errors(), "{:?}", set.diagnostics);
        assert!(
            team_rule(
                "true",
                "'{{ members.map(f, f.no_such_field) }}'\nmembers: component.outbound",
            )
            .has_errors()
        );
        // Without `members`, there is no such variable.
        assert!(team_rule("true", "'{{ members }}'").has_errors());
        for fine in [
            "members: component.outbound.filter(f, f.readonly)",
            "members: component.runtime_peers",
            "members: component.inbound + component.outbound",
        ] {
            let set = team_rule("true", &format!("x\n{fine}"));
            assert!(!set.has_errors(), "{fine}: {:?}", set.diagnostics);
            assert!(set.rules[0].members.is_some());
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let text = "id: team-rule\ntitle: T\ndescription: D.\nstride: tampering\n\
                    applies_to: { element: flow }\ncondition: 'true'\nexplanation: x\n\
                    members: '[flow.source]'\nlikelihood: low\nimpact: low\n";
        std::fs::write(dir.path().join("team.yaml"), text).expect("write");
        let set = RuleSet::only_dirs(&[RuleDir::own(dir.path().to_path_buf())]);
        let messages: Vec<&str> = set.diagnostics.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            ["`members` on a rule that does not apply to components"]
        );
    }

    #[test]
    fn long_chains_are_refused_before_parsing() {
        let plus = vec!["1"; 3000].join(" + ");
        let set = team_rule(&format!("{plus} > 0"), "x");
        assert_eq!(
            limit_messages(&set),
            vec![(7, "the expression has more than 1000 operators".to_owned())]
        );
        // The position is the first operator over the limit.
        let span = set.diagnostics[0].labels[0].span;
        let text = &set.sources.get(span.file).expect("file").text;
        let before = &text[..span.start as usize];
        assert_eq!(
            before.matches('+').count(),
            bounds::MAX_OPERATORS,
            "{before}"
        );
        // In an explanation's placeholder too, and when the text is long rather than busy.
        let eq = vec!["true"; 5000].join(" == ");
        let set = team_rule("true", &format!("{{{{ {eq} }}}}"));
        assert_eq!(
            limit_messages(&set),
            vec![(9, "the expression is longer than 16384 bytes".to_owned())]
        );
    }

    #[test]
    fn deep_nesting_is_refused_after_parsing() {
        let mut deep = "1".to_owned();
        for i in 0..bounds::MAX_NESTING {
            deep = format!("({deep} {} 1)", if i % 2 == 0 { '+' } else { '*' });
        }
        let set = team_rule(&format!("{deep} > 0"), "x");
        assert_eq!(
            limit_messages(&set),
            vec![(
                7,
                "the expression is nested more than 64 levels deep".to_owned()
            )]
        );
    }

    #[test]
    fn chains_within_the_bounds_compile_and_evaluate() {
        let plus = vec!["1"; bounds::MAX_OPERATORS - 1].join(" + ");
        let set = team_rule(&format!("{plus} == 999"), "{{ [1] + [2] + [3] }}");
        assert!(set.diagnostics.is_empty(), "{:?}", set.diagnostics);
        assert_eq!(set.rules.len(), 1);
    }

    #[test]
    fn fast_path_declines_what_needs_a_diagnostic() {
        let (root, ty) = root_type(Element::Component);
        let scope = Scope::of_element(root, ty, true, &[]);
        let fast = |source, expect| parse_builtin_fast(source, scope, &[], expect);
        assert!(fast("component.kind ==", Expect::Bool).is_none());
        assert!(fast("component.no_such_field", Expect::Any).is_none());
        assert!(fast("component.name", Expect::Bool).is_none());
        assert!(fast("component.name", Expect::Any).is_some());
    }
}

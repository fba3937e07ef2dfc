//! Command-line arguments.

use std::path::PathBuf;

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "threatforge",
    version,
    about = "Threat modeling as code: describe your system in YAML, find and track its threats.",
    after_help = "Exit codes: 0 clean, 1 the risk gate failed, 2 invalid input or usage.\n\
                  Colors appear only on a terminal; NO_COLOR turns them off."
)]
pub(crate) struct Cli {
    /// When to use colors.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Validate a model and report every problem. The CI gate.
    Check(CheckArgs),
    /// Write a commented starter model that passes `check`.
    Init(InitArgs),
    /// Write the threats of a model as a report.
    Report(ReportArgs),
    /// Accept every open threat until a date, so that a team turns the gate on today and works
    /// the list down: decisions written into the model file, one per rule where a wildcard says
    /// the same. Prints them; --write writes them.
    Baseline(BaselineArgs),
    /// Compare two versions of a model: files, or the working tree and a git revision.
    Diff(DiffArgs),
    /// Draw the data-flow diagram.
    Diagram(DiagramArgs),
    /// Which missing controls to put in place first: ranked by the residual risk they remove per
    /// effort point, with running totals.
    Plan(PlanArgs),
    /// Where the model stands against a framework (ASVS, NIST SP 800-53, OWASP Top 10, CWE Top
    /// 25, GDPR), requirement by requirement, with why.
    Compliance(ComplianceArgs),
    /// List, show, test and document the rules.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Print the JSON Schema of the model language, for editors.
    Schema(SchemaArgs),
    /// Compare a model with its infrastructure code (Compose, Kubernetes, Terraform JSON): what
    /// the code has that the model lacks, and `iac:` references that name nothing.
    Drift(DriftArgs),
    /// Summarize what scanner and test reports say of a model: findings per tool, mapped and
    /// unmapped, threats confirmed, controls verified, failed and unverified (docs/evidence.md).
    Evidence(EvidenceArgs),
    /// Convert a model from another tool (Threagile, OTM, Threat Dragon, Microsoft TMT) into a
    /// threatforge model.
    Import(ImportArgs),
    /// Serve a local dashboard of the model: overview, diagram, register, triage written into
    /// the model files; pages reload when the files change.
    Serve(ServeArgs),
    /// Print shell completions.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, clap::Args)]
pub(crate) struct CheckArgs {
    /// The model file; `-` reads standard input. Default: `threatforge.yaml` in this directory
    /// or the nearest parent that has one.
    pub model: Option<PathBuf>,

    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = CheckFormat::Human)]
    pub format: CheckFormat,

    /// Write the output to this file instead of standard output (`-` for standard output).
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,

    /// The gate: exit 1 when an open threat's severity is at or above this.
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<SeverityArg>,

    /// How many of the most severe open threats to list (the report lists all).
    #[arg(long, default_value_t = 10)]
    pub top: usize,

    /// Warn about `code:` globs that match no file under this directory (the repository's top).
    #[arg(long, value_name = "DIR")]
    pub code_root: Option<PathBuf>,

    /// A second gate: exit 1 when a threat at or above this severity (before controls) is
    /// mitigated only by controls no passing test verifies (`verified_by`, docs/evidence.md).
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub require_verified: Option<SeverityArg>,

    #[command(flatten)]
    pub inputs: ModelInputs,

    #[command(flatten)]
    pub evidence: EvidenceInputs,
}

#[derive(Debug, clap::Args)]
pub(crate) struct ServeArgs {
    /// The model file. Default: the nearest `threatforge.yaml`.
    pub model: Option<PathBuf>,

    /// The port on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 7878)]
    pub port: u16,

    /// Listen on this address (IP:PORT) instead of loopback; every request then needs the random
    /// token in the address printed at start.
    #[arg(long, value_name = "ADDR", conflicts_with = "port")]
    pub listen: Option<std::net::SocketAddr>,

    /// Show on the overview what changed against this git revision, as `diff --base` computes
    /// it (the revision is read once, at start).
    #[arg(long, value_name = "REV")]
    pub base: Option<String>,

    /// Open the dashboard in the default browser once the server listens.
    #[arg(long)]
    pub open: bool,

    #[command(flatten)]
    pub inputs: ModelInputs,
}

/// Scanner and test reports to read with the model (docs/evidence.md).
#[derive(Debug, Default, clap::Args)]
pub(crate) struct EvidenceInputs {
    /// A SARIF, JUnit XML or ZAP JSON report (repeatable; `*` and `**` globs are expanded),
    /// beside those the model's `evidence:` names.
    #[arg(long = "evidence", value_name = "FILE")]
    pub files: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub(crate) struct EvidenceArgs {
    /// The model file. Default: the nearest `threatforge.yaml`.
    pub model: Option<PathBuf>,

    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = EvidenceFormat::Human)]
    pub format: EvidenceFormat,

    /// Write the output to this file instead of standard output (`-` for standard output).
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,

    #[command(flatten)]
    pub inputs: ModelInputs,

    #[command(flatten)]
    pub evidence: EvidenceInputs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum EvidenceFormat {
    Human,
    Json,
}

/// What every command that analyzes a model takes beside the model: where it may read, the
/// team's rules, and the day acceptances expire against.
#[derive(Debug, clap::Args)]
pub(crate) struct ModelInputs {
    /// Directory that the model, its includes and its rule files may not leave. Default: the
    /// directory the root model file is named in.
    #[arg(long)]
    pub root: Option<PathBuf>,

    /// A directory of the team's own rules, beside the built-ins (repeatable).
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,

    /// The date acceptances expire against (YYYY-MM-DD). Default: today.
    #[arg(long, env = "THREATFORGE_TODAY", value_name = "DATE")]
    pub today: Option<String>,

    #[command(flatten)]
    pub limits: RuleLimits,
}

/// Bounds on the work and memory of rule conditions and explanations (SECURITY.md); the defaults
/// are far above what the built-in rules need, so a team raises one only for a rule of its own.
/// The model's own limits ride along (`model`), so every command that takes these takes both.
#[derive(Debug, Default, clap::Args)]
#[command(next_help_heading = "Rule limits")]
pub(crate) struct RuleLimits {
    /// Steps one evaluation of an expression may take [default: 20000000].
    #[arg(long, value_name = "N")]
    pub max_cel_steps: Option<u64>,
    /// Comprehension iterations of all rules on all elements in one run [default: 200000000].
    #[arg(long, value_name = "N")]
    pub max_cel_iterations: Option<u64>,
    /// Comprehensions nested in each other [default: 6].
    #[arg(long, value_name = "N")]
    pub max_cel_nesting: Option<usize>,
    /// Bytes of one string an expression builds [default: 1048576].
    #[arg(long, value_name = "BYTES")]
    pub max_cel_string_bytes: Option<usize>,
    /// Items of one list an expression builds [default: 1000000].
    #[arg(long, value_name = "N")]
    pub max_cel_list_items: Option<usize>,
    /// Bytes of strings and lists one evaluation builds [default: 67108864].
    #[arg(long, value_name = "BYTES")]
    pub max_cel_alloc_bytes: Option<usize>,
    /// Bytes of one threat's explanation [default: 65536].
    #[arg(long, value_name = "BYTES")]
    pub max_explanation_bytes: Option<usize>,

    #[command(flatten)]
    pub model: ModelLimits,
}

/// Bounds on what one model may declare (SECURITY.md): the defaults leave room for models of
/// 50,000 components and more.
#[derive(Debug, Default, clap::Args)]
#[command(next_help_heading = "Model limits")]
pub(crate) struct ModelLimits {
    /// Components in one model [default: 200000].
    #[arg(long, value_name = "N")]
    pub max_components: Option<usize>,
    /// Flows in one model [default: 1000000].
    #[arg(long, value_name = "N")]
    pub max_flows: Option<usize>,
    /// Boundaries in one model [default: 50000].
    #[arg(long, value_name = "N")]
    pub max_boundaries: Option<usize>,
    /// Boundaries nested in each other [default: 4096].
    #[arg(long, value_name = "N")]
    pub max_boundary_depth: Option<usize>,
    /// Data assets in one model [default: 100000].
    #[arg(long, value_name = "N")]
    pub max_data: Option<usize>,
    /// Runtimes in one model [default: 100000].
    #[arg(long, value_name = "N")]
    pub max_runtimes: Option<usize>,
    /// Manual threats in one model [default: 100000].
    #[arg(long, value_name = "N")]
    pub max_threats: Option<usize>,
    /// Team controls in one model [default: 10000].
    #[arg(long, value_name = "N")]
    pub max_controls: Option<usize>,
    /// Decisions in one model [default: 200000].
    #[arg(long, value_name = "N")]
    pub max_decisions: Option<usize>,
    /// Files in one model, the root and its includes [default: 512].
    #[arg(long, value_name = "N")]
    pub max_files: Option<usize>,
    /// Bytes the YAML aliases of one file may add once expanded [default: 16777216].
    #[arg(long, value_name = "BYTES")]
    pub max_alias_bytes: Option<usize>,
}

impl ModelLimits {
    pub(crate) fn limits(&self) -> threatforge_model::Limits {
        let d = threatforge_model::Limits::default();
        threatforge_model::Limits {
            max_components: self.max_components.unwrap_or(d.max_components),
            max_flows: self.max_flows.unwrap_or(d.max_flows),
            max_boundaries: self.max_boundaries.unwrap_or(d.max_boundaries),
            max_boundary_depth: self.max_boundary_depth.unwrap_or(d.max_boundary_depth),
            max_data: self.max_data.unwrap_or(d.max_data),
            max_runtimes: self.max_runtimes.unwrap_or(d.max_runtimes),
            max_threats: self.max_threats.unwrap_or(d.max_threats),
            max_controls: self.max_controls.unwrap_or(d.max_controls),
            max_decisions: self.max_decisions.unwrap_or(d.max_decisions),
            max_files: self.max_files.unwrap_or(d.max_files),
            max_alias_bytes: self.max_alias_bytes.unwrap_or(d.max_alias_bytes),
            ..d
        }
    }
}

impl RuleLimits {
    pub(crate) fn cel(&self) -> threatforge_analysis::CelLimits {
        let d = threatforge_analysis::CelLimits::default();
        threatforge_analysis::CelLimits {
            max_steps: self.max_cel_steps.unwrap_or(d.max_steps),
            max_iterations: self.max_cel_iterations.unwrap_or(d.max_iterations),
            max_nesting: self.max_cel_nesting.unwrap_or(d.max_nesting),
            max_string_bytes: self.max_cel_string_bytes.unwrap_or(d.max_string_bytes),
            max_list_items: self.max_cel_list_items.unwrap_or(d.max_list_items),
            max_alloc_bytes: self.max_cel_alloc_bytes.unwrap_or(d.max_alloc_bytes),
            max_explanation_bytes: self
                .max_explanation_bytes
                .unwrap_or(d.max_explanation_bytes),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum SeverityArg {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl SeverityArg {
    pub(crate) fn severity(self) -> threatforge_model::ThreatSeverity {
        use threatforge_model::ThreatSeverity;
        match self {
            SeverityArg::Info => ThreatSeverity::Info,
            SeverityArg::Low => ThreatSeverity::Low,
            SeverityArg::Medium => ThreatSeverity::Medium,
            SeverityArg::High => ThreatSeverity::High,
            SeverityArg::Critical => ThreatSeverity::Critical,
        }
    }
}

#[derive(Debug, clap::Args)]
pub(crate) struct ReportArgs {
    /// The model file; `-` reads standard input. Default: the nearest `threatforge.yaml`.
    pub model: Option<PathBuf>,

    /// The gate, in every format: exit 1, after writing the report, when an open threat is at or
    /// above this severity (the JSON report's summary carries the verdict). For JUnit also where
    /// test cases start failing (default: medium).
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<SeverityArg>,

    /// Output format.
    #[arg(long, short = 'f', value_parser = report_formats(), default_value = "json")]
    pub format: threatforge_report::Format,

    /// Write the report to this file instead of standard output (`-` for standard output).
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,

    #[command(flatten)]
    pub inputs: ModelInputs,

    #[command(flatten)]
    pub evidence: EvidenceInputs,
}

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  threatforge plan --target high\n  threatforge plan --budget 10 --format md"
)]
pub(crate) struct PlanArgs {
    /// The model file; `-` reads standard input. Default: the nearest `threatforge.yaml`.
    pub model: Option<PathBuf>,

    /// The smallest plan (greedily) that leaves no open threat at or above this severity; only
    /// such threats count. Exit 1 when no plan reaches it.
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub target: Option<SeverityArg>,

    /// At most this many effort points (low 1, medium 2, high 4).
    #[arg(long, value_name = "POINTS")]
    pub budget: Option<u32>,

    /// Output format.
    #[arg(long, short = 'f', value_parser = plan_formats(), default_value = "human")]
    pub format: threatforge_report::PlanFormat,

    /// Write the plan to this file instead of standard output (`-` for standard output).
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,

    #[command(flatten)]
    pub inputs: ModelInputs,
}

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Frameworks: asvs-5.0, asvs-4.0.3 (levels 1-3), nist-800-53-r5 (low, moderate, high),\n\
                  owasp-top10-2021, owasp-top10-2025, cwe-top25-2024, gdpr.\n\
                  Example:\n  threatforge compliance --framework asvs-5.0 --level 2 --format md"
)]
pub(crate) struct ComplianceArgs {
    /// The model file; `-` reads standard input. Default: the nearest `threatforge.yaml`.
    pub model: Option<PathBuf>,

    /// The framework, e.g. `asvs-5.0`, or with its level, `asvs-5.0-l2`.
    #[arg(long, value_name = "FRAMEWORK")]
    pub framework: String,

    /// The level: 1-3 for ASVS, low, moderate or high for NIST. Default: every requirement.
    #[arg(long, value_name = "LEVEL")]
    pub level: Option<String>,

    /// Exit 1, after writing the output, when a requirement has a gap.
    #[arg(long)]
    pub fail_on_gap: bool,

    /// Output format.
    #[arg(long, short = 'f', value_parser = compliance_formats(), default_value = "human")]
    pub format: threatforge_report::ComplianceFormat,

    /// Write the output to this file instead of standard output (`-` for standard output).
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,

    #[command(flatten)]
    pub inputs: ModelInputs,

    /// Test reports verify the controls that meet requirements; scanner findings confirm threats.
    #[command(flatten)]
    pub evidence: EvidenceInputs,
}

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  threatforge baseline --until 2027-03-31 --owner platform-team --write"
)]
pub(crate) struct BaselineArgs {
    /// The model file. Default: the nearest `threatforge.yaml`.
    pub model: Option<PathBuf>,

    /// When the acceptances expire (YYYY-MM-DD); the threats are open again after it.
    #[arg(long, value_name = "DATE")]
    pub until: String,

    /// Who answers for the acceptances.
    #[arg(long, value_name = "NAME")]
    pub owner: String,

    /// Write the decisions into the model file (otherwise they are printed).
    #[arg(long)]
    pub write: bool,

    #[command(flatten)]
    pub inputs: ModelInputs,
}

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  threatforge diff old/threatforge.yaml threatforge.yaml\n  threatforge diff --base origin/main --format md --fail-on-new high"
)]
pub(crate) struct DiffArgs {
    /// With --base: the model (default: the nearest `threatforge.yaml`). Without: the old model.
    pub first: Option<PathBuf>,

    /// The new model (without --base).
    pub second: Option<PathBuf>,

    /// Compare the working tree's model with the model at this git revision.
    #[arg(long, value_name = "REV")]
    pub base: Option<String>,

    /// Open the dashboard in the default browser once the server listens.
    #[arg(long)]
    pub open: bool,

    #[arg(long, short = 'f', value_enum, default_value_t = DiffFormat::Human)]
    pub format: DiffFormat,

    /// Write the output to this file instead of standard output (`-` for standard output).
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,

    /// Exit 1 when the change introduces an open threat at or above this severity.
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on_new: Option<SeverityArg>,

    /// A directory of the team's own rules, beside the built-ins (repeatable).
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,

    /// The date acceptances expire against (YYYY-MM-DD). Default: today.
    #[arg(long, env = "THREATFORGE_TODAY", value_name = "DATE")]
    pub today: Option<String>,

    #[command(flatten)]
    pub limits: RuleLimits,

    /// Applied to both versions, so that the difference is the model's.
    #[command(flatten)]
    pub evidence: EvidenceInputs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum DiffFormat {
    /// For a terminal (colored on a terminal).
    Human,
    /// A pull-request comment with tables and a Mermaid diagram.
    Md,
    Json,
}

#[derive(Debug, Subcommand)]
pub(crate) enum RulesCommand {
    /// List the rules in force.
    List {
        /// A directory of the team's own rules, beside the built-ins (repeatable).
        #[arg(long = "rules", value_name = "DIR")]
        rules: Vec<PathBuf>,
        #[arg(long, short = 'f', value_enum, default_value_t = ListFormat::Human)]
        format: ListFormat,
    },
    /// Show one rule: what it finds, its references, mitigations and condition.
    Show {
        id: String,
        #[arg(long = "rules", value_name = "DIR")]
        rules: Vec<PathBuf>,
    },
    /// Run the examples of rules: each `fires` model must produce the rule's threat, each
    /// `passes` model must not. With directories, tests only the rules in them.
    Test { dirs: Vec<PathBuf> },
    /// Print the rule reference (docs/rules.md) generated from the rule files.
    Doc {
        #[arg(long, short = 'o')]
        output: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ListFormat {
    Human,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum CheckFormat {
    /// rustc-style diagnostics with source snippets.
    Human,
    /// One line per diagnostic: `file:line:column: severity[code]: message`.
    Short,
    /// Machine-readable JSON.
    Json,
}

#[derive(Debug, clap::Args)]
pub(crate) struct InitArgs {
    /// Where to write the model; `-` writes to standard output.
    #[arg(default_value = "threatforge.yaml")]
    pub path: PathBuf,

    /// Overwrite the file if it exists.
    #[arg(long)]
    pub force: bool,

    /// Draft the model from infrastructure code: Docker Compose files, Kubernetes manifests,
    /// Terraform source (`.tf`) or `terraform show -json` output, or directories holding them
    /// (repeatable).
    #[arg(long, value_name = "PATH", num_args = 1..)]
    pub from: Vec<PathBuf>,
}

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit codes: 0 read (with or without drift), 1 drift found with --fail-on-drift, 2 invalid input.\n\
                  Example:\n  threatforge drift --iac deploy/k8s --iac plan.json --format md"
)]
pub(crate) struct DriftArgs {
    /// The model file. Default: the nearest `threatforge.yaml`.
    pub model: Option<PathBuf>,

    /// Infrastructure code: files or directories, as for `init --from` (repeatable).
    #[arg(long, value_name = "PATH", num_args = 1.., required = true)]
    pub iac: Vec<PathBuf>,

    /// Output format.
    #[arg(long, short = 'f', value_parser = drift_formats(), default_value = "human")]
    pub format: threatforge_iac::DriftFormat,

    /// Write the output to this file instead of standard output (`-` for standard output).
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,

    /// Exit 1 when the model and the infrastructure disagree.
    #[arg(long)]
    pub fail_on_drift: bool,

    /// Directory that the model and its includes may not leave. Default: the model's directory.
    #[arg(long)]
    pub root: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub(crate) struct DiagramArgs {
    /// The model file; `-` reads standard input. Default: the nearest `threatforge.yaml`.
    pub model: Option<PathBuf>,

    #[arg(long, short = 'f', value_parser = diagram_formats(), default_value = "svg")]
    pub format: threatforge_report::DiagramFormat,

    /// Write the diagram to this file instead of standard output (`-` for standard output).
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,

    /// Draw only this boundary and what it contains.
    #[arg(long, value_name = "ID")]
    pub boundary: Option<String>,

    /// A directory of the team's own rules, beside the built-ins (repeatable).
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,

    #[command(flatten)]
    pub limits: RuleLimits,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum SchemaKind {
    /// The model language.
    Model,
    /// The JSON report (`report --format json`).
    Report,
}

#[derive(Debug, clap::Args)]
pub(crate) struct SchemaArgs {
    /// Which schema.
    #[arg(long, value_enum, default_value_t = SchemaKind::Model)]
    pub output_format: SchemaKind,

    /// Write the schema to this file instead of standard output.
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  threatforge import threagile.yaml -o threatforge.yaml\n  threatforge import model.json --from threat-dragon\n  threatforge import threagile.yaml -o threatforge.yaml --compare risks.json"
)]
pub(crate) struct ImportArgs {
    /// The file to import; `-` reads standard input.
    pub file: PathBuf,

    /// The file's format. Default: detected from its content.
    #[arg(long, value_parser = import_formats(), value_name = "FORMAT")]
    pub from: Option<threatforge_import::Format>,

    /// Write the model to this file instead of standard output (`-` for standard output).
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,

    /// Threagile only: the `risks.json` Threagile wrote for this model. Prints, on standard
    /// error, which of its risks a threatforge finding keeps, one line per rule and element.
    #[arg(long, value_name = "RISKS_JSON")]
    pub compare: Option<PathBuf>,
}

/// `report --format`'s values, from the report crate's list of formats.
fn report_formats() -> impl TypedValueParser<Value = threatforge_report::Format> {
    use threatforge_report::Format;
    listed(
        Format::ALL,
        Format::name,
        Format::help,
        "not a report format",
    )
}

/// `plan --format`'s values, from the report crate's list.
fn plan_formats() -> impl TypedValueParser<Value = threatforge_report::PlanFormat> {
    use threatforge_report::PlanFormat;
    listed(
        PlanFormat::ALL,
        PlanFormat::name,
        PlanFormat::help,
        "not a plan format",
    )
}

/// `compliance --format`'s values, from the report crate's list.
fn compliance_formats() -> impl TypedValueParser<Value = threatforge_report::ComplianceFormat> {
    use threatforge_report::ComplianceFormat;
    listed(
        ComplianceFormat::ALL,
        ComplianceFormat::name,
        ComplianceFormat::help,
        "not a compliance format",
    )
}

/// `diagram --format`'s values, from the report crate's list of diagram formats.
fn diagram_formats() -> impl TypedValueParser<Value = threatforge_report::DiagramFormat> {
    use threatforge_report::DiagramFormat;
    listed(
        DiagramFormat::ALL,
        DiagramFormat::name,
        DiagramFormat::help,
        "not a diagram format",
    )
}

/// `drift --format`'s values, from the IaC crate's list of formats.
fn drift_formats() -> impl TypedValueParser<Value = threatforge_iac::DriftFormat> {
    use threatforge_iac::DriftFormat;
    listed(
        DriftFormat::ALL,
        DriftFormat::name,
        DriftFormat::help,
        "not a drift format",
    )
}

/// `import --from`'s values, from the import crate's list of formats.
fn import_formats() -> impl TypedValueParser<Value = threatforge_import::Format> {
    use threatforge_import::Format;
    listed(
        Format::ALL,
        Format::as_str,
        Format::help,
        "not an import format",
    )
}

/// An option's values from a crate's list: each with its name and help line in `--help`.
fn listed<T: Copy + Send + Sync + 'static>(
    all: &'static [T],
    name: fn(T) -> &'static str,
    help: fn(T) -> &'static str,
    refusal: &'static str,
) -> impl TypedValueParser<Value = T> {
    PossibleValuesParser::new(
        all.iter()
            .map(move |&f| PossibleValue::new(name(f)).help(help(f))),
    )
    .try_map(move |given| {
        all.iter()
            .copied()
            .find(|&f| name(f) == given)
            .ok_or(refusal)
    })
}

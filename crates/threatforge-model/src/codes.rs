//! Every diagnostic code, defined once: its name, severity and one-line meaning.
//!
//! Every crate that reports a problem names its code here ([`Diagnostic::new`] takes a [`Code`],
//! and takes the severity from it), and docs/diagnostics.md is rendered from this table (a test
//! holds the file to it). Before, the codes were string literals in six files and the document was
//! kept by hand, and it had fallen behind (`duplicate-key` was missing).
//!
//! [`Diagnostic::new`]: crate::Diagnostic::new

use serde::Serialize;

/// Where a problem is found, which is how docs/diagnostics.md groups the codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Reading and checking the model.
    Model,
    /// Analyzing it.
    Analysis,
    /// Reading rule files.
    Rules,
}

macro_rules! codes {
    ($($variant:ident = $name:literal, $severity:ident, $stage:ident, $meaning:literal;)*) => {
        /// A kind of problem; its name is stable (users filter and suppress by it).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Code { $($variant),* }

        impl Code {
            /// Every code, in the order docs/diagnostics.md lists them.
            pub const ALL: &[Code] = &[$(Code::$variant),*];

            /// The stable kebab-case name.
            pub fn name(self) -> &'static str {
                match self { $(Code::$variant => $name),* }
            }

            pub fn severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$severity),* }
            }

            pub fn stage(self) -> Stage {
                match self { $(Code::$variant => Stage::$stage),* }
            }

            /// One line for docs/diagnostics.md.
            pub fn meaning(self) -> &'static str {
                match self { $(Code::$variant => $meaning),* }
            }
        }
    };
}

codes! {
    IoError = "io-error", Error, Model,
        "a model file cannot be read, or is not UTF-8";
    FileEscape = "file-escape", Error, Model,
        "the root model file or a team's rule file resolves outside its root (the model's root; for `--rules DIR`, that directory), most often as a symbolic link; it is not read";
    NotRegularFile = "not-regular-file", Error, Model,
        "a model file, include or rule file is a FIFO, device, socket or directory (or a link to one); it is not opened";
    LimitExceeded = "limit-exceeded", Error, Model,
        "a file, the model, the depth of includes, the YAML nesting, the node count or alias expansion is over its limit; in rule files, a condition or an explanation's expression over 16 KiB, 1,000 operators or 64 levels of nesting, more than 32 definitions (`let`), or an expression that with its definitions written in has more than 65,536 nodes or 128 levels (see docs/writing-rules.md)";
    YamlSyntax = "yaml-syntax", Error, Model,
        "the text is not valid YAML (also any tag: `!foo`, `!!str`, `!!binary`, ...); the rest of that file is not read";
    DuplicateKey = "duplicate-key", Error, Model,
        "a key given twice in one mapping (a component, a section, a flow's attribute), or a field under two of its names; both definitions are shown, the first is used and the later one skipped, and the rest of the file and its includes are still read";
    InvalidType = "invalid-type", Error, Model,
        "a value of the wrong type (a string where a list is expected, `yes` where a boolean is: YAML 1.2 reads it as text); the entry is skipped and the rest of the entity still checked, so all of its errors show in one run";
    UnknownKey = "unknown-key", Error, Model,
        "a key the language does not have; the nearest valid key is suggested";
    InvalidValue = "invalid-value", Error, Model,
        "a value outside its allowed set (`classification: top-secret`)";
    MissingKey = "missing-key", Error, Model,
        "a required key is missing (a component needs a `technology` or a `kind`)";
    MissingSystem = "missing-system", Error, Model,
        "the root file has no `system` section";
    SystemInInclude = "system-in-include", Error, Model,
        "an included file has a `system` section";
    InvalidId = "invalid-id", Error, Model,
        "an id that is not lowercase letters, digits, `-` and `_`, starting with a letter";
    ReservedId = "reserved-id", Error, Model,
        "`internet` is used as an id (in rule files: `manual` as a rule id)";
    DuplicateId = "duplicate-id", Error, Model,
        "two elements share an id (ids are one namespace), or two flows join the same components without ids";
    InvalidFlow = "invalid-flow", Error, Model,
        "a flow entry is not `source -> target`";
    UnknownReference = "unknown-reference", Error, Model,
        "a reference to a component, data asset or boundary that does not exist (for a manual threat's `element`, to any element)";
    EmptyTitle = "empty-title", Error, Model,
        "a manual threat or a team control whose `title` is empty";
    ControlRedefined = "control-redefined", Error, Model,
        "a team control (`controls:`) that takes the id of a catalogue control";
    UnknownTechnology = "unknown-technology", Error, Model,
        "a name that is not in the catalogue";
    UnknownProtocol = "unknown-protocol", Error, Model,
        "a name that is not in the catalogue";
    UnknownControl = "unknown-control", Error, Model,
        "a name that is not in the catalogue";
    UnknownTrait = "unknown-trait", Error, Model,
        "a name that is not in the catalogue";
    MisplacedControl = "misplaced-control", Error, Model,
        "a flow control on a component, or a component control on a flow";
    InvalidGlob = "invalid-glob", Error, Model,
        "a `code` path that is not a valid glob or leaves the repository";
    CodePathUnmatched = "code-path-unmatched", Warning, Model,
        "a `code` glob that matches no file of the repository (`check --code-root`, `drift`)";
    BoundaryOverlap = "boundary-overlap", Error, Model,
        "an element listed directly in two boundaries";
    BoundaryCycle = "boundary-cycle", Error, Model,
        "boundaries nested inside each other";
    IncludeEscape = "include-escape", Error, Model,
        "an include that is absolute or resolves outside the model's root";
    IncludeNotFound = "include-not-found", Error, Model,
        "an included file that does not exist";
    IncludeCycle = "include-cycle", Error, Model,
        "files that include each other";
    IncludeRepeated = "include-repeated", Warning, Model,
        "a file included twice; the second include is skipped";
    UnusedData = "unused-data", Warning, Model,
        "a data asset no component or flow handles";
    IsolatedComponent = "isolated-component", Warning, Model,
        "an in-scope component with no flows";
    EmptyBoundary = "empty-boundary", Warning, Model,
        "a boundary that contains nothing";
    OnBehalfOfWithoutForwarder = "on-behalf-of-without-forwarder", Warning, Model,
        "`on_behalf_of` on a flow whose source forwards no traffic (it sorts a proxy's, balancer's, CDN's or gateway's requests by caller; elsewhere it would only cut the flow off)";
    EmptyRuntime = "empty-runtime", Warning, Model,
        "a runtime that runs nothing";
    SelfFlow = "self-flow", Warning, Model,
        "a flow from a component to itself";
    RulesInInclude = "rules-in-include", Error, Model,
        "an included file has a `rules` section";
    MissingJustification = "missing-justification", Error, Model,
        "an acceptance, false positive, not-applicable or rating override without a justification";
    InvalidSelector = "invalid-selector", Error, Model,
        "a decision's `threat` that is neither `rule:element` nor a `*` pattern";
    InvalidDate = "invalid-date", Error, Model,
        "a date that is not `YYYY-MM-DD`";
    InvalidCvss = "invalid-cvss", Error, Model,
        "a `cvss` override that is not a CVSS v4.0 vector";
    ConflictingOverride = "conflicting-override", Error, Model,
        "a decision with both `severity` and `cvss`";
    AcceptanceWithoutExpiry = "acceptance-without-expiry", Warning, Model,
        "an acceptance that never expires";
    ExpiryWithoutAcceptance = "expiry-without-acceptance", Warning, Model,
        "`expires` on a decision that is not an acceptance";
    RulesDirNotFound = "rules-dir-not-found", Error, Model,
        "a rule directory of the model that does not exist or leaves the model's root";
    RulesDirEscape = "rules-dir-escape", Error, Model,
        "a rule directory of the model that does not exist or leaves the model's root";
    UnknownRule = "unknown-rule", Error, Analysis,
        "`rules.disable`, a team control's `mitigates`, or a rule's `supersedes`, names a rule that does not exist (or a rule supersedes itself)";
    OrphanedNotApplicable = "orphaned-not-applicable", Warning, Analysis,
        "`rules.not_applicable` names a threat that was not found";
    OrphanedDecision = "orphaned-decision", Warning, Analysis,
        "a decision that matches no threat (on an unmodeled weakness, checked only when a scanner report is read)";
    ExpiredAcceptance = "expired-acceptance", Warning, Analysis,
        "an acceptance past its `expires`: the threat is open again; one warning per decision, a wildcard's naming the threats it covered";
    UnknownFramework = "unknown-framework", Error, Analysis,
        "an entry of `system.compliance` names a framework, or a level of one, that threatforge does not ship";
    UnmatchedTestPattern = "unmatched-test-pattern", Warning, Analysis,
        "a `verified_by` pattern that no test of the test reports read matches (only when a test report is given), with the nearest test class or id";
    RuleEvaluation = "rule-evaluation", Error, Analysis,
        "a rule's condition failed on an element (a defect in the rule)";
    RuleEmptyValue = "rule-empty-value", Warning, Analysis,
        "a value in a rule's explanation rendered empty on an element, leaving a broken sentence (a defect in the rule: guard it with `{{#if}}`)";
    RuleSyntax = "rule-syntax", Error, Rules,
        "a condition or explanation is not valid CEL, or an explanation's `{{#if}}`/`{{else}}`/`{{/if}}` clauses do not balance";
    RuleType = "rule-type", Error, Rules,
        "an unknown attribute, a type mismatch, or an unsupported function";
    InvalidRule = "invalid-rule", Error, Rules,
        "component filters on a rule that is not about components";
    RuleReplaced = "rule-replaced", Note, Rules,
        "a team rule replaces the built-in rule of the same id";
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// docs/diagnostics.md, rendered from the table. Neighbouring codes of one meaning share a row.
#[cfg(test)]
fn markdown() -> String {
    let mut out = String::from(
        "# Diagnostics\n\n\
         <!-- generated from crates/threatforge-model/src/codes.rs: \
         `UPDATE_DOCS=1 cargo test -p threatforge-model codes` -->\n\n\
         Every problem `threatforge check` reports has a stable code. Errors make `check` exit with 2;\n\
         warnings do not.\n",
    );
    let stages = [
        (Stage::Model, ""),
        (Stage::Analysis, "Found while analyzing:\n\n"),
        (Stage::Rules, "In rule files (built-in or a team's):\n\n"),
    ];
    for (stage, intro) in stages {
        out.push('\n');
        out.push_str(intro);
        out.push_str("| code | severity | meaning |\n|---|---|---|\n");
        let codes: Vec<Code> = Code::ALL
            .iter()
            .copied()
            .filter(|c| c.stage() == stage)
            .collect();
        for group in
            codes.chunk_by(|a, b| a.meaning() == b.meaning() && a.severity() == b.severity())
        {
            let names: Vec<String> = group.iter().map(|c| format!("`{c}`")).collect();
            let Some(first) = group.first() else { continue };
            let severity = match first.severity() {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Note => "note",
            };
            out.push_str(&format!(
                "| {} | {severity} | {} |\n",
                names.join(", "),
                first.meaning()
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// docs/diagnostics.md is the table rendered. `UPDATE_DOCS=1` rewrites it.
    #[test]
    fn the_documentation_lists_every_code() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/diagnostics.md");
        let expected = markdown();
        if std::env::var_os("UPDATE_DOCS").is_some() {
            std::fs::write(&path, &expected).expect("docs/diagnostics.md is writable");
            return;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(
            committed, expected,
            "docs/diagnostics.md is stale: run `UPDATE_DOCS=1 cargo test -p threatforge-model codes`"
        );
    }

    #[test]
    fn names_are_unique_and_kebab_case() {
        for (i, code) in Code::ALL.iter().enumerate() {
            let name = code.name();
            assert!(
                Code::ALL[..i].iter().all(|c| c.name() != name),
                "{name} twice"
            );
            assert!(
                !name.is_empty()
                    && name
                        .split('-')
                        .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase())),
                "{name}"
            );
            assert!(!code.meaning().is_empty(), "{name}");
        }
        assert!(markdown().contains("| `duplicate-key` | error |"));
        assert!(markdown().contains(
            "| `unknown-technology`, `unknown-protocol`, `unknown-control`, `unknown-trait` | error |"
        ));
    }
}

/// How bad a diagnostic is; each code has one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    /// Something the user should know that is neither wrong nor suspicious (a rule replaced, say).
    Note,
}

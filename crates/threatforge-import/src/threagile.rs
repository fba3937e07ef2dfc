//! Threagile YAML (the 0.9 and the 1.0 spellings) into a draft.
//!
//! Threagile keys everything by title and gives each element an `id`; we mint readable
//! threatforge ids from the Threagile ids (already kebab-case, so they usually survive as they
//! are) and keep titles as `name`. Enum values are normalized before matching (`enduser` and
//! `end-user` wherever they stand, `_` and `-`, case), so both spellings read the same.
//!
//! `risk_tracking` refers to Threagile's synthetic risk ids (`rule@part@part`, `*` for any part).
//! Where a threatforge rule covers the Threagile rule (the table below mirrors
//! `rules/coverage-threagile.yaml` and each rule's `applies_to`; a test holds them together), the
//! tracking entry becomes a decision on that rule's threat at the matching element. Otherwise it
//! becomes a manual threat, so that the team's assessment is not lost.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};
use threatforge_model::catalog;

use crate::draft::*;
use crate::{ImportError, Options};

/// Where a threatforge rule's threats are found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Elem {
    Model,
    Flow,
    Boundary,
    Runtime,
    Data,
    /// A component, of these kinds (empty: any kind).
    Component(&'static [ComponentKind]),
}

const PROC: &[ComponentKind] = &[ComponentKind::Process];
const STORE: &[ComponentKind] = &[ComponentKind::Store];
const PROC_STORE: &[ComponentKind] = &[ComponentKind::Process, ComponentKind::Store];
const PROC_STORE_ACTOR: &[ComponentKind] = &[
    ComponentKind::Process,
    ComponentKind::Store,
    ComponentKind::Actor,
];
const ANY: &[ComponentKind] = &[];

/// A Threagile risk rule: its title and STRIDE category (for manual threats), its CWE, and the
/// threatforge rules that find the same concern, with the element each applies to.
pub struct RuleMapping {
    pub id: &'static str,
    pub title: &'static str,
    pub stride: Stride,
    pub cwe: u32,
    pub covered_by: &'static [(&'static str, Elem)],
}

macro_rules! rules {
    ($( $id:literal, $title:literal, $stride:ident, $cwe:literal => [ $( $tf:literal : $elem:expr ),* ] ; )*) => {
        /// Threagile's risk rules and their threatforge counterparts.
        pub const RULES: &[RuleMapping] = &[ $( RuleMapping {
            id: $id, title: $title, stride: Stride::$stride, cwe: $cwe,
            covered_by: &[ $( ($tf, $elem) ),* ],
        } ),* ];
    };
}

use Elem::{Boundary as B, Component as C, Data as D, Flow as F, Model as M, Runtime as R};

rules! {
    "accidental-secret-leak", "Accidental Secret Leak", InformationDisclosure, 200 => ["secret-leak-in-repository": C(ANY)];
    "code-backdooring", "Code Backdooring", Tampering, 912 => ["exposed-development-infrastructure": C(ANY), "source-repository-without-review": C(ANY), "artifact-registry-tampering": C(ANY), "hosted-development-service-settings": C(PROC_STORE)];
    "container-baseimage-backdooring", "Container Base Image Backdooring", Tampering, 912 => ["backdoored-container-base-image": R];
    "container-platform-escape", "Container Platform Escape", ElevationOfPrivilege, 1008 => ["container-platform-escape": C(PROC)];
    "cross-site-request-forgery", "Cross-Site Request Forgery (CSRF)", Spoofing, 352 => ["cross-site-request-forgery": C(PROC), "login-csrf": C(PROC), "possible-cross-site-request-forgery": C(PROC)];
    "cross-site-scripting", "Cross-Site Scripting (XSS)", Tampering, 79 => ["cross-site-scripting": C(PROC)];
    "dos-risky-access-across-trust-boundary", "DoS-risky Access Across Trust-Boundary", DenialOfService, 400 => ["dos-across-trust-boundary": F, "dos-of-internet-facing-service": C(PROC), "unbounded-resource-consumption": C(PROC), "single-point-of-failure": C(STORE)];
    "incomplete-model", "Incomplete Model", InformationDisclosure, 1008 => ["flow-without-protocol": F, "component-without-technology": C(ANY)];
    "ldap-injection", "LDAP-Injection", Tampering, 90 => ["ldap-injection": C(PROC)];
    "missing-authentication", "Missing Authentication", ElevationOfPrivilege, 306 => ["unauthenticated-internet-access-to-sensitive-data": C(PROC_STORE), "caller-spoofing-on-unauthenticated-flow": F];
    "missing-authentication-second-factor", "Missing Two-Factor Authentication (2FA)", ElevationOfPrivilege, 308 => ["missing-second-factor": C(PROC_STORE), "possible-missing-second-factor": C(PROC)];
    "missing-build-infrastructure", "Missing Build Infrastructure", Tampering, 1127 => ["missing-build-infrastructure": M];
    "missing-cloud-hardening", "Missing Cloud Hardening", Tampering, 1008 => ["cloud-account-misconfiguration": B, "container-workload-hardening": R];
    "missing-file-validation", "Missing File Validation", Spoofing, 434 => ["malicious-file-upload": C(PROC)];
    "missing-hardening", "Missing Hardening", Tampering, 16 => ["missing-hardening": C(PROC_STORE), "container-workload-hardening": R, "hosted-development-service-settings": C(PROC_STORE)];
    "missing-identity-propagation", "Missing Identity Propagation", ElevationOfPrivilege, 284 => ["missing-identity-propagation": F];
    "missing-identity-provider-isolation", "Missing Identity Provider Isolation", ElevationOfPrivilege, 1008 => ["identity-provider-not-isolated": C(ANY)];
    "missing-identity-store", "Missing Identity Store", Spoofing, 287 => ["missing-identity-store": M, "identity-store-on-shared-database": C(STORE)];
    "missing-network-segmentation", "Missing Network Segmentation", ElevationOfPrivilege, 1008 => ["sensitive-store-without-network-segmentation": C(STORE), "delivery-system-not-isolated": C(PROC), "identity-provider-not-isolated": C(ANY), "secrets-vault-not-isolated": C(PROC_STORE)];
    "missing-vault", "Missing Vault (Secret Storage)", InformationDisclosure, 522 => ["static-secrets-without-vault": C(PROC), "missing-secrets-vault": M];
    "missing-vault-isolation", "Missing Vault Isolation", ElevationOfPrivilege, 1008 => ["secrets-vault-not-isolated": C(PROC_STORE)];
    "missing-waf", "Missing Web Application Firewall (WAF)", Tampering, 1008 => ["missing-web-application-firewall": C(PROC)];
    "mixed-targets-on-shared-runtime", "Mixed Targets on Shared Runtime", ElevationOfPrivilege, 1008 => ["mixed-targets-on-shared-runtime": R];
    "path-traversal", "Path-Traversal", InformationDisclosure, 22 => ["path-traversal": C(PROC), "upload-names-object-keys": C(PROC)];
    "push-instead-of-pull-deployment", "Push instead of Pull Deployment", Tampering, 1127 => ["push-based-deployment": C(PROC)];
    "search-query-injection", "Search-Query Injection", Tampering, 74 => ["search-query-injection": C(PROC)];
    "server-side-request-forgery", "Server-Side Request Forgery (SSRF)", InformationDisclosure, 918 => ["server-side-request-forgery": C(PROC), "possible-server-side-request-forgery": C(PROC)];
    "service-registry-poisoning", "Service Registry Poisoning", Spoofing, 693 => ["service-registry-poisoning": C(ANY)];
    "sql-nosql-injection", "SQL/NoSQL-Injection", Tampering, 89 => ["sql-injection": C(PROC), "nosql-injection": C(PROC)];
    "unchecked-deployment", "Unchecked Deployment", Tampering, 1127 => ["unchecked-deployment": C(PROC)];
    "unencrypted-asset", "Unencrypted Technical Assets", InformationDisclosure, 311 => ["unencrypted-sensitive-data-at-rest": C(PROC_STORE_ACTOR), "encryption-key-management": C(STORE)];
    "unencrypted-communication", "Unencrypted Communication", InformationDisclosure, 319 => ["cleartext-sensitive-data-in-transit": F, "credentials-over-unencrypted-flow": F];
    "unguarded-access-from-internet", "Unguarded Access From Internet", ElevationOfPrivilege, 501 => ["unguarded-access-from-internet": C(PROC), "missing-web-application-firewall": C(PROC), "exposed-development-infrastructure": C(ANY), "exposed-admin-interface": C(PROC), "hosted-development-service-settings": C(PROC_STORE)];
    "unguarded-direct-datastore-access", "Unguarded Direct Datastore Access", ElevationOfPrivilege, 501 => ["direct-data-store-access-from-outside": C(STORE)];
    "unnecessary-communication-link", "Unnecessary Communication Link", ElevationOfPrivilege, 1008 => ["flow-without-data": F];
    "unnecessary-data-asset", "Unnecessary Data Asset", ElevationOfPrivilege, 1008 => ["unused-data-asset": D];
    "unnecessary-data-transfer", "Unnecessary Data Transfer", ElevationOfPrivilege, 1008 => ["unnecessary-data-transfer": C(PROC)];
    "unnecessary-technical-asset", "Unnecessary Technical Asset", ElevationOfPrivilege, 1008 => ["component-without-data": C(ANY)];
    "untrusted-deserialization", "Untrusted Deserialization", Tampering, 502 => ["untrusted-deserialization": C(PROC), "possible-untrusted-deserialization": C(PROC)];
    "wrong-communication-link-content", "Wrong Communication Link Content", InformationDisclosure, 1008 => ["inconsistent-flow-content": F, "flow-without-data": F];
    "wrong-trust-boundary-content", "Wrong Trust Boundary Content", ElevationOfPrivilege, 1008 => ["misplaced-actor-in-boundary": B];
    "xml-external-entity", "XML External Entity (XXE)", InformationDisclosure, 611 => ["xml-external-entity": C(PROC), "possible-xml-external-entity": C(PROC)];
}

/// The mapping of one Threagile rule.
pub fn rule(id: &str) -> Option<&'static RuleMapping> {
    RULES.iter().find(|r| r.id == id)
}

/// Lowercase, `-` for `_` and spaces, and the 1.0 spelling of values renamed since 0.9: Threagile
/// writes `enduser` both at the start of a value (`enduser-identity-propagation`) and inside one
/// (`data-with-enduser-individual-key`).
fn norm(text: &str) -> String {
    let t = text.trim().to_ascii_lowercase().replace(['_', ' '], "-");
    t.split('-')
        .map(|word| if word == "enduser" { "end-user" } else { word })
        .collect::<Vec<_>>()
        .join("-")
}

/// A scalar as text: Threagile readers accept numbers and booleans where text is meant.
fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn get_text(m: &Map<String, Value>, key: &str) -> Option<String> {
    m.get(key)
        .and_then(text_of)
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

fn get_bool(m: &Map<String, Value>, key: &str) -> bool {
    match m.get(key) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => matches!(norm(s).as_str(), "true" | "yes"),
        _ => false,
    }
}

fn get_list(m: &Map<String, Value>, key: &str) -> Vec<String> {
    match m.get(key) {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(text_of)
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect(),
        Some(v) => text_of(v).into_iter().collect(),
        None => Vec::new(),
    }
}

/// A section keyed by title; entries that are not mappings are reported and skipped.
fn section<'a>(
    root: &'a Map<String, Value>,
    key: &str,
    warnings: &mut Vec<String>,
) -> Vec<(&'a str, &'a Map<String, Value>)> {
    match root.get(key) {
        Some(Value::Object(m)) => m
            .iter()
            .filter_map(|(title, v)| match v {
                Value::Object(entry) => Some((title.as_str(), entry)),
                Value::Null => {
                    warnings.push(format!("{key}: `{title}` is empty; skipped"));
                    None
                }
                _ => {
                    warnings.push(format!("{key}: `{title}` is not a mapping; skipped"));
                    None
                }
            })
            .collect(),
        Some(Value::Null) | None => Vec::new(),
        Some(_) => {
            warnings.push(format!("`{key}` is not a mapping; skipped"));
            Vec::new()
        }
    }
}

fn classification(v: &str) -> Option<(Classification, bool)> {
    Some(match norm(v).as_str() {
        "public" => (Classification::Public, true),
        "internal" => (Classification::Internal, true),
        "restricted" => (Classification::Confidential, false),
        "confidential" => (Classification::Confidential, true),
        "strictly-confidential" => (Classification::Secret, true),
        _ => return None,
    })
}

/// Threagile's five-step criticality scale on threatforge's four steps. Threagile's rules start
/// caring at `critical`, threatforge's at `high`, so `critical` maps to `high`.
fn rating(v: &str) -> Option<Rating> {
    Some(match norm(v).as_str() {
        "archive" | "operational" => Rating::Low,
        "important" => Rating::Medium,
        "critical" => Rating::High,
        "mission-critical" => Rating::Critical,
        _ => return None,
    })
}

/// The other names Threagile 1.0 accepts for its technologies (the `aliases` of its
/// technologies.yaml), each with the name it stands for.
const TECHNOLOGY_ALIASES: &[(&str, &str)] = &[
    ("artificial-intelligence", "ai"),
    ("machine-learning", "ai"),
    ("deep-learning", "ai"),
    ("neural-network", "ai"),
    ("ml", "ai"),
    ("dl", "ai"),
    ("app-server", "application-server"),
    ("big-data", "big-data-platform"),
    ("san", "block-storage"),
    ("web-browser", "browser"),
    ("ci", "build-pipeline"),
    ("continuous-integration", "build-pipeline"),
    ("client", "client-system"),
    ("command-line", "cli"),
    ("command-line-tool", "cli"),
    ("command-line-interface", "cli"),
    ("content-management-system", "cms"),
    ("code-inspection", "code-inspection-platform"),
    ("code-analysis", "code-inspection-platform"),
    ("container", "container-platform"),
    ("docker", "container-platform"),
    ("kubernetes", "container-platform"),
    ("db", "database"),
    ("desktop-system", "desktop"),
    ("enterprise-java-beans", "ejb"),
    ("enterprise-resource-planning", "erp"),
    ("file-storage", "file-server"),
    ("jump-host", "gateway"),
    ("jump-server", "gateway"),
    ("jump-box", "gateway"),
    ("human-machine-interface", "hmi"),
    ("hardware-security-module", "hsm"),
    ("idp", "identity-provider"),
    ("identity-store", "identity-store-database"),
    ("intrusion-detection-system", "ids"),
    ("iot", "iot-device"),
    ("intrusion-prevention-system", "ips"),
    ("ldap", "ldap-server"),
    ("lb", "load-balancer"),
    ("local-storage", "local-file-system"),
    ("email-server", "mail-server"),
    ("mq", "message-queue"),
    ("siem", "monitoring"),
    ("historian", "operational-historian"),
    ("programmable-logic-controller", "plc"),
    ("reporting", "report-engine"),
    ("service-discovery", "service-registry"),
    ("git", "sourcecode-repository"),
    ("job", "task"),
    ("utility", "tool"),
    ("unknown", "unknown-technology"),
    ("hashicorp-vault", "vault"),
    ("web-application-firewall", "waf"),
    ("web-app", "web-application"),
    ("rest-api", "web-service-rest"),
    ("soap-api", "web-service-soap"),
];

/// A technology's name as Threagile's rules see it: normalized, an alias read as the name it
/// stands for.
fn technology_name(v: &str) -> String {
    let name = norm(v);
    TECHNOLOGY_ALIASES
        .iter()
        .find(|(alias, _)| *alias == name)
        .map_or(name, |(_, canonical)| (*canonical).to_owned())
}

/// A Threagile technology: the catalogue technology, traits it adds, and whether the match is
/// loose enough to say so in a comment.
fn technology(v: &str) -> Option<(Option<&'static str>, &'static [&'static str], bool)> {
    Some(match technology_name(v).as_str() {
        "unknown-technology" => (None, &[], false),
        "client-system" => (Some("external-service"), &[], true),
        "browser" => (Some("browser"), &[], false),
        "desktop" => (Some("desktop-app"), &[], false),
        "mobile-app" => (Some("mobile-app"), &[], false),
        "devops-client" => (Some("cli-client"), &[], true),
        // Threagile counts a web server as a web application (its `IsWebApplication`): teams
        // pick it for a Node.js or Rails service as often as for nginx. Only an asset that
        // declares no custom-developed parts is a static server (`technology_by_meaning`).
        "web-server" => (Some("web-application"), &[], false),
        "web-application" => (Some("web-application"), &[], false),
        "application-server" => (Some("web-application"), &[], true),
        "database" => (Some("database"), &[], false),
        "file-server" => (Some("file-storage"), &[], false),
        "local-file-system" => (Some("file-storage"), &[], true),
        "erp" => (Some("backend-service"), &["web-ui", "api"], true),
        "cms" => (Some("cms"), &[], false),
        "web-service-rest" => (Some("api-service"), &[], false),
        "web-service-soap" => (Some("api-service"), &["parses-xml"], false),
        "ejb" => (Some("backend-service"), &["deserializes-objects"], true),
        "search-index" | "search-engine" => (Some("search-engine"), &[], false),
        "service-registry" => (Some("service-registry"), &[], false),
        "reverse-proxy" => (Some("reverse-proxy"), &[], false),
        "load-balancer" => (Some("load-balancer"), &[], false),
        "build-pipeline" => (Some("ci-pipeline"), &[], false),
        "sourcecode-repository" | "source-code-repository" => {
            (Some("source-repository"), &[], false)
        }
        "artifact-registry" => (Some("artifact-registry"), &[], false),
        "code-inspection-platform" => (Some("backend-service"), &["build-system"], true),
        "monitoring" => (Some("monitoring"), &[], false),
        "ldap-server" | "identity-store-ldap" => (Some("ldap-directory"), &[], false),
        "container-platform" => (Some("container-platform"), &[], false),
        "batch-processing" | "task" => (Some("batch-job"), &[], false),
        "event-listener" | "stream-processing" => (Some("worker"), &[], true),
        "identity-provider" => (Some("identity-provider"), &[], false),
        "identity-store-database" => (Some("database"), &["identity-store"], false),
        "tool" | "library" => (None, &[], true),
        "cli" => (Some("cli-client"), &[], false),
        "function" => (Some("serverless-function"), &[], false),
        "gateway" => (Some("api-gateway"), &[], false),
        "iot-device" => (Some("iot-device"), &[], false),
        "message-queue" => (Some("message-queue"), &[], false),
        "service-mesh" => (Some("service-mesh"), &[], false),
        "data-lake" => (Some("data-warehouse"), &[], true),
        "report-engine" => (Some("report-generator"), &[], false),
        "ai" => (Some("llm-service"), &[], true),
        "mail-server" => (Some("mail-server"), &[], false),
        "vault" => (Some("secrets-vault"), &[], false),
        "hsm" => (Some("kms"), &[], false),
        "waf" => (Some("waf"), &[], false),
        "ids" => (None, &[], true),
        "ips" => (Some("firewall"), &[], true),
        "scheduler" => (Some("scheduler"), &[], false),
        "mainframe" => (Some("backend-service"), &[], true),
        "block-storage" => (Some("file-storage"), &[], true),
        // Threagile 1.0's storage for big data (a Hadoop or Splunk cluster), read as the data
        // lake is.
        "big-data-platform" => (Some("data-warehouse"), &[], true),
        // Threagile 1.0's industrial control systems: a PLC or an actuator drives equipment
        // (threatforge's `plc`); a sensor is an embedded device in the field; a SCADA server is
        // the console that commands them; an HMI is the operator's screen; a historian is the
        // database of process data.
        "plc" => (Some("plc"), &[], false),
        "industrial-control-actor" => (Some("plc"), &[], true),
        "industrial-control-sensor" => (Some("iot-device"), &[], true),
        "scada" => (Some("backend-service"), &["admin-interface"], true),
        "hmi" => (Some("desktop-app"), &[], true),
        "operational-historian" => (Some("database"), &[], true),
        _ => return None,
    })
}

/// What the asset's attributes say beyond its technology's name: a web server with no
/// custom-developed parts serves files (threatforge's static `web-server`); any other web server
/// runs the team's code and is a web application.
/// Returns what it read, for the component's comment.
fn technology_by_meaning(
    c: &mut DraftComponent,
    title: &str,
    techs: &[String],
    m: &Map<String, Value>,
) -> Option<&'static str> {
    let first = techs.first().map(|t| technology_name(t));
    // Threagile has no firewall, and no web technology that serves only an API: authors pick a
    // web application for both and say what it is in the name, which is read as the data
    // assets' names are (whole words of the id and title). A description is prose that
    // mentions what the asset talks to, so it is read only where it is a label: where the
    // title is a code ("FW1") and the description a few words ("Internet Firewall").
    let id = get_text(m, "id").unwrap_or_default();
    let description = get_text(m, "description").unwrap_or_default();
    let coded_title = title.split_whitespace().count() == 1
        && title.chars().any(|c| c.is_ascii_digit())
        && title.len() <= 8;
    let label = if coded_title && (1..=4).contains(&description.split_whitespace().count()) {
        description.as_str()
    } else {
        ""
    };
    // A number that tells instances apart is no part of the word ("firewall1").
    let words: Vec<String> = words(&format!("{id} {title} {label}"))
        .into_iter()
        .map(|w| w.trim_end_matches(|c: char| c.is_ascii_digit()).to_owned())
        .filter(|w| !w.is_empty())
        .collect();
    let named = |word: &str| words.iter().any(|w| w == word);
    let named_pair = |a: &str, b: &str| words.windows(2).any(|w| w[0] == a && w[1] == b);
    let web = matches!(
        first.as_deref(),
        Some("web-server" | "application-server" | "web-application")
    );
    // Nor has it a network device: authors draw firewalls, VPN gateways, jump hosts, routers
    // and switches as web applications or gateways (Threagile's gateway connects "two systems
    // or trust boundaries", whatever the protocol).
    let network_shape = web || first.as_deref() == Some("gateway");
    let (technology, why) = match first.as_deref() {
        // Threagile has no directory server but LDAP's: a Windows domain controller is drawn
        // as whatever keeps its files.
        Some(t)
            if !t.starts_with("identity")
                && t != "ldap-server"
                && (named_pair("domain", "controller") || named_pair("active", "directory")) =>
        {
            ("ldap-directory", "named a domain controller")
        }
        _ if network_shape && named("firewall") => ("firewall", "named a firewall"),
        _ if network_shape && named("vpn") => ("vpn-gateway", "named a VPN gateway"),
        _ if network_shape
            && (named("bastion")
                || named("jump")
                || techs.first().is_some_and(|t| norm(t).starts_with("jump-"))) =>
        {
            ("bastion-host", "a jump host")
        }
        // A router or switch passes packets on without answering web requests: no catalogue
        // technology is one, so it keeps none and takes the traits of what it does.
        _ if network_shape && (named("router") || named("switch")) => {
            c.technology = None;
            c.kind = Some(ComponentKind::Process);
            for t in ["forwards-traffic", "passes-connections"] {
                if !c.traits.iter().any(|x| x == t) {
                    c.traits.push(t.to_owned());
                }
            }
            return Some("named a router or switch: a network device that passes connections on");
        }
        // Threagile 0.9 has no controller of equipment: authors draw a PLC, an autopilot or a
        // plant's controller as an IoT device and say what it is in the name.
        Some("iot-device")
            if ["plc", "controller", "autopilot", "actuator", "rtu"]
                .iter()
                .any(|w| named(w)) =>
        {
            ("plc", "named a controller of equipment")
        }
        Some("web-server")
            if m.contains_key("custom_developed_parts")
                && !get_bool(m, "custom_developed_parts") =>
        {
            c.technology = Some("web-server".to_owned());
            return None;
        }
        // A container platform that is itself a container is a workload the author labelled
        // with its platform: it runs no one's containers and administers nothing.
        Some("container-platform")
            if get_text(m, "machine").is_some_and(|k| norm(&k) == "container") =>
        {
            (
                "api-service",
                "a container platform that is itself a container: the service in it",
            )
        }
        // A person's browser runs in no container: a browser process in one is the front end
        // the team serves to browsers (a React bundle behind nginx), the browser code the team
        // ships. (A virtual machine says less: Threagile's template writes it everywhere.)
        Some("browser")
            if !get_bool(m, "used_as_client_by_human")
                && get_text(m, "type").is_some_and(|t| norm(&t) == "process")
                && get_text(m, "machine")
                    .is_some_and(|k| matches!(norm(&k).as_str(), "container" | "serverless")) =>
        {
            (
                "single-page-app",
                "a browser process in a container: the front end the team serves",
            )
        }
        // A client system a person uses is that person's client, not a partner's system.
        Some("client-system") if get_bool(m, "used_as_client_by_human") => {
            ("user", "a client system used by a person: that person")
        }
        Some("web-server" | "application-server") if named("api") => {
            ("api-service", "named an API")
        }
        _ => return None,
    };
    c.technology = Some(technology.to_owned());
    Some(why)
}

/// Vendors' hosted development services and secrets managers, as the words of a name or tag
/// (each entry its words in a row). A self-hosted edition says so in the name ("Enterprise",
/// "Server", "self-hosted", "on-prem"), which `names_hosted_service` refuses.
const HOSTED_SERVICES: &[&[&str]] = &[
    &["github"],
    &["bitbucket"],
    &["codecommit"],
    &["circleci"],
    &["travis"],
    &["codebuild"],
    &["codepipeline"],
    &["docker", "hub"],
    &["dockerhub"],
    &["quay"],
    &["codeql"],
    &["sonarcloud"],
    &["snyk"],
    &["ecr"],
    &["gcr"],
    &["acr"],
    &["ghcr"],
    &["secrets", "manager"],
    &["secret", "manager"],
    &["key", "vault"],
    &["keyvault"],
    &["parameter", "store"],
    &["kms"],
];

/// Whether an asset's id, title or tags name a vendor's hosted service (`HOSTED_SERVICES`), and
/// none of them a self-hosted edition.
fn names_hosted_service(title: &str, m: &Map<String, Value>) -> bool {
    let id = get_text(m, "id").unwrap_or_default();
    let names: Vec<Vec<String>> = std::iter::once(format!("{id} {title}"))
        .chain(get_list(m, "tags"))
        .map(|t| words(&t))
        .collect();
    let self_hosted = names
        .iter()
        .flatten()
        .any(|w| ["enterprise", "server", "self", "prem", "onprem"].contains(&w.as_str()));
    !self_hosted
        && names.iter().any(|words| {
            HOSTED_SERVICES.iter().any(|service| {
                words
                    .windows(service.len())
                    .any(|run| run.iter().zip(*service).all(|(w, s)| w == s))
            })
        })
}

/// The words of a name, lowercased: its runs of letters and digits.
fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Whether an individual risk is the one Threagile's model template ships as an example:
/// its title names no real asset ("Example Individual Risk at Some Technical Asset"), or its
/// category still has the template's description. Authors who start from the template keep
/// these by mistake; imported, they rank first in the register with made-up ratings.
fn is_template_placeholder(risk_title: &str, category_description: Option<&str>) -> bool {
    let title = strip_html(risk_title);
    title.trim() == "Example Individual Risk at Some Technical Asset"
        || category_description
            .is_some_and(|d| d.trim() == "Some text describing the risk category...")
}

/// Every technology name Threagile 0.9 and 1.0 know: the table in docs/import.md and the test
/// that each maps to the catalogue.
#[cfg(test)]
const TECHNOLOGIES: &[&str] = &[
    "client-system",
    "browser",
    "desktop",
    "mobile-app",
    "devops-client",
    "web-server",
    "web-application",
    "application-server",
    "database",
    "file-server",
    "local-file-system",
    "erp",
    "cms",
    "web-service-rest",
    "web-service-soap",
    "ejb",
    "search-index",
    "search-engine",
    "service-registry",
    "reverse-proxy",
    "load-balancer",
    "build-pipeline",
    "sourcecode-repository",
    "artifact-registry",
    "code-inspection-platform",
    "monitoring",
    "ldap-server",
    "container-platform",
    "batch-processing",
    "event-listener",
    "identity-provider",
    "identity-store-ldap",
    "identity-store-database",
    "tool",
    "cli",
    "task",
    "function",
    "gateway",
    "iot-device",
    "message-queue",
    "stream-processing",
    "service-mesh",
    "data-lake",
    "report-engine",
    "ai",
    "mail-server",
    "vault",
    "hsm",
    "waf",
    "ids",
    "ips",
    "scheduler",
    "mainframe",
    "block-storage",
    "library",
    "unknown-technology",
    "big-data-platform",
    "plc",
    "industrial-control-actor",
    "industrial-control-sensor",
    "scada",
    "hmi",
    "operational-historian",
];

/// Every protocol name Threagile 0.9 and 1.0 know.
#[cfg(test)]
const PROTOCOLS: &[&str] = &[
    "unknown-protocol",
    "http",
    "https",
    "ws",
    "wss",
    "reverse-proxy-web-protocol",
    "reverse-proxy-web-protocol-encrypted",
    "mqtt",
    "jdbc",
    "jdbc-encrypted",
    "odbc",
    "odbc-encrypted",
    "sql-access-protocol",
    "sql-access-protocol-encrypted",
    "nosql-access-protocol",
    "nosql-access-protocol-encrypted",
    "binary",
    "binary-encrypted",
    "text",
    "text-encrypted",
    "ssh",
    "ssh-tunnel",
    "smtp",
    "smtp-encrypted",
    "pop3",
    "pop3-encrypted",
    "imap",
    "imap-encrypted",
    "ftp",
    "ftps",
    "sftp",
    "scp",
    "ldap",
    "ldaps",
    "jms",
    "nfs",
    "smb",
    "smb-encrypted",
    "local-file-access",
    "nrpe",
    "xmpp",
    "iiop",
    "iiop-encrypted",
    "jrmp",
    "jrmp-encrypted",
    "in-process-library-call",
    "inter-process-communication",
    "container-spawning",
];

/// What each attribute of a technical asset or link becomes: (attribute, what it becomes, the
/// line a test adds to a small model, where (`asset:`, `client:`, `link:`, `root:`), and the text
/// the import must then contain, and does not without it). docs/import.md shows
/// the first two; a test imports each model and looks for the text.
#[cfg(test)]
const ATTRIBUTES: &[(&str, &str, &str, &str)] = &[
    (
        "`internet: true`",
        "`exposure: internet`",
        "asset: internet: true",
        "exposure: internet",
    ),
    (
        "`used_as_client_by_human: true`",
        "trait `human-client`",
        "asset: used_as_client_by_human: true",
        "human-client",
    ),
    (
        "`data_formats_accepted: [xml]` on a process (not a store's technology or a person's client)",
        "trait `parses-xml`",
        "asset: data_formats_accepted: [xml]",
        "parses-xml",
    ),
    (
        "`data_formats_accepted: [serialization]` on a process (not a store's technology or a person's client)",
        "trait `deserializes-objects`",
        "asset: data_formats_accepted: [serialization]",
        "deserializes-objects",
    ),
    (
        "`data_formats_accepted: [file]` on a process that serves requests (a store keeps files, a client opens them, a repository, pipeline, registry or container platform takes them as artifacts)",
        "trait `accepts-files`",
        "asset: data_formats_accepted: [file]",
        "accepts-files",
    ),
    (
        "`multi_tenant: true`",
        "trait `multi-tenant`",
        "asset: multi_tenant: true",
        "multi-tenant",
    ),
    (
        "`multi_tenant: true` with `internet: true` on a source repository, build pipeline or artifact registry with no custom-developed parts",
        "trait `managed`: a vendor's hosted service (GitHub, Docker Hub, Quay)",
        "asset: multi_tenant: true\n    internet: true\n    technologies: [artifact-registry]",
        "managed",
    ),
    (
        "`machine: serverless`",
        "trait `serverless`",
        "asset: machine: serverless",
        "serverless",
    ),
    (
        "`machine: container`",
        "runs on a cluster runtime (its shared runtime, else `containers`)",
        "asset: machine: container",
        "containers",
    ),
    (
        "`machine: physical`",
        "a comment",
        "asset: machine: physical",
        "machine physical",
    ),
    (
        "`encryption` (any but `none`) on what keeps data: a store, or an asset with `data_assets_stored` (elsewhere a comment)",
        "control `encryption-at-rest`",
        "asset: encryption: transparent\n    data_assets_stored: [orders]",
        "encryption-at-rest",
    ),
    (
        "`encryption: data-with-enduser-individual-key` on what keeps data",
        "controls `encryption-at-rest`, `key-management`",
        "asset: encryption: data-with-enduser-individual-key\n    data_assets_stored: [orders]",
        "key-management",
    ),
    (
        "`redundant: true` on anything but an external entity or a person's client",
        "control `high-availability`",
        "asset: redundant: true",
        "high-availability",
    ),
    (
        "`custom_developed_parts: false`",
        "a comment; on a `web-server`, the static `web-server`",
        "asset: custom_developed_parts: false",
        "off-the-shelf",
    ),
    (
        "`owner` naming another organisation (external, vendor, partner, supplier, contractor), on an external entity",
        "trait `third-party`",
        "client: owner: External Developers",
        "third-party",
    ),
    (
        "`out_of_scope: true`",
        "`out_of_scope` with `justification_out_of_scope`",
        "asset: out_of_scope: true",
        "out_of_scope:",
    ),
    (
        "`availability`, and on a store `integrity` too",
        "`criticality` (the higher), with a comment giving all three ratings",
        "asset: availability: mission-critical",
        "criticality: critical",
    ),
    (
        "link `authentication: two-factor`",
        "`authentication: credentials` and control `mfa` on the target",
        "link: authentication: two-factor",
        "mfa",
    ),
    (
        "link `vpn: true`",
        "control `vpn` on the flow",
        "link: vpn: true",
        "vpn",
    ),
    (
        "link `ip_filtered: true`",
        "control `ip-allowlist` on the flow",
        "link: ip_filtered: true",
        "ip-allowlist",
    ),
    (
        "link `readonly: true`",
        "`readonly: true`",
        "link: readonly: true",
        "readonly: true",
    ),
    (
        "link `usage: devops`",
        "`usage: devops`",
        "link: usage: devops",
        "usage: devops",
    ),
    (
        "link protocol `iiop`, `jrmp` (and encrypted)",
        "trait `deserializes-objects` on the target",
        "link: protocol: jrmp",
        "deserializes-objects",
    ),
    (
        "`abuse_cases`, `security_requirements` naming SSRF, XXE or deserialization and an asset's title",
        "trait `fetches-urls`, `parses-xml` or `deserializes-objects` on that asset (else a hint in the header)",
        "root: abuse_cases: { SSRF: An attacker makes the Shop App fetch internal addresses }",
        "fetches-urls",
    ),
];

/// Words in an abuse case or security requirement that name an attack, and the trait that
/// attack needs on the component it concerns.
const HINTS: &[(&[&str], &str)] = &[
    (
        &[
            "ssrf",
            "server-side request forgery",
            "server side request forgery",
        ],
        "fetches-urls",
    ),
    (&["xxe", "xml external entit"], "parses-xml"),
    (
        &["deserialization", "deserialisation"],
        "deserializes-objects",
    ),
];

/// Gives the component a trait unless its technology or its own list has it already; whether it
/// was added.
fn add_trait(c: &mut DraftComponent, trait_: &str) -> bool {
    let implied = c
        .technology
        .as_deref()
        .and_then(|t| catalog().technology(t))
        .is_some_and(|t| t.traits.iter().any(|x| x == trait_));
    let added = !implied && !c.traits.iter().any(|t| t == trait_);
    if added {
        c.traits.push(trait_.into());
    }
    added
}

/// Whether an asset's `owner` names another organisation.
fn third_party_owner(owner: &str) -> bool {
    let o = owner.to_lowercase();
    // "External users" and "end-user customers" are the public, who own no system the team
    // relies on: the people rules read them already.
    let public = ["user", "customer", "citizen", "public", "consumer"]
        .iter()
        .any(|w| o.contains(w));
    !public
        && [
            "external",
            "third-party",
            "third party",
            "vendor",
            "supplier",
            "partner",
            "contractor",
        ]
        .iter()
        .any(|w| o.contains(w))
}

/// A Threagile protocol: the catalogue protocol and whether the match is loose.
fn protocol(v: &str) -> Option<(Option<&'static str>, bool)> {
    Some(match norm(v).as_str() {
        "unknown-protocol" => (None, false),
        "http" => (Some("http"), false),
        "https" => (Some("https"), false),
        "ws" => (Some("websocket"), false),
        "wss" => (Some("websocket-tls"), false),
        "reverse-proxy-web-protocol" => (Some("http"), true),
        "reverse-proxy-web-protocol-encrypted" => (Some("https"), true),
        "mqtt" => (Some("mqtt"), false),
        "jdbc" => (Some("jdbc"), false),
        "jdbc-encrypted" => (Some("jdbc-tls"), false),
        "odbc" | "sql-access-protocol" => (Some("jdbc"), true),
        "odbc-encrypted" | "sql-access-protocol-encrypted" => (Some("jdbc-tls"), true),
        "nosql-access-protocol" => (Some("mongodb"), true),
        "nosql-access-protocol-encrypted" => (Some("mongodb-tls"), true),
        "binary" | "text" | "nrpe" | "xmpp" | "iiop" | "jrmp" => (Some("tcp"), true),
        "binary-encrypted" | "text-encrypted" | "iiop-encrypted" | "jrmp-encrypted" => {
            (Some("tls"), true)
        }
        "ssh" | "ssh-tunnel" | "scp" => (Some("ssh"), norm(v) != "ssh"),
        "smtp" => (Some("smtp"), false),
        "smtp-encrypted" => (Some("smtps"), false),
        "pop3" => (Some("imap"), true),
        "pop3-encrypted" => (Some("imaps"), true),
        "imap" => (Some("imap"), false),
        "imap-encrypted" => (Some("imaps"), false),
        "ftp" => (Some("ftp"), false),
        "ftps" => (Some("ftps"), false),
        "sftp" => (Some("sftp"), false),
        "ldap" => (Some("ldap"), false),
        "ldaps" => (Some("ldaps"), false),
        "jms" => (Some("amqp"), true),
        "nfs" => (Some("nfs"), false),
        "smb" => (Some("smb"), false),
        "smb-encrypted" => (Some("smb-encrypted"), false),
        "local-file-access" => (Some("local-file"), false),
        "in-process-library-call" => (Some("in-process"), false),
        "inter-process-communication" | "container-spawning" => {
            (Some("ipc"), norm(v) != "inter-process-communication")
        }
        _ => return None,
    })
}

fn boundary_kind(v: &str) -> Option<BoundaryKind> {
    Some(match norm(v).as_str() {
        "network-on-prem" | "network-dedicated-hoster" | "network-virtual-lan" => {
            BoundaryKind::Network
        }
        "network-cloud-provider" => BoundaryKind::CloudAccount,
        "network-cloud-security-group" => BoundaryKind::Network,
        "network-policy-namespace-isolation" => BoundaryKind::Namespace,
        "execution-environment" => BoundaryKind::ExecutionEnvironment,
        _ => return None,
    })
}

fn status(v: &str) -> Option<DecisionStatus> {
    Some(match norm(v).as_str() {
        "unchecked" | "in-discussion" => DecisionStatus::Open,
        "accepted" => DecisionStatus::Accepted,
        "in-progress" => DecisionStatus::InProgress,
        "mitigated" => DecisionStatus::Mitigated,
        "false-positive" => DecisionStatus::FalsePositive,
        _ => return None,
    })
}

/// A tracking field as its author filled it: the template's prompts ("Enter justification
/// here.", "Enter name of owner/ reviewer here.") are no one's words.
fn filled(m: &Map<String, Value>, key: &str) -> Option<String> {
    get_text(m, key).filter(|t| !t.trim_start().to_lowercase().starts_with("enter "))
}

/// The decision's reason, ticket, date and owner, from a tracking entry.
fn tracked_by(d: &mut DraftDecision, m: &Map<String, Value>) {
    d.justification = filled(m, "justification").map(|t| strip_html(&t));
    d.ticket = filled(m, "ticket");
    d.date = get_text(m, "date");
    d.owner = filled(m, "checked_by");
}

/// How open a decision leaves its threat: open, then in progress, then accepted (the risk is
/// there and stays), then mitigated (it was there), then a false positive or not applicable (it
/// never was). One of Threagile's risks accepted on one link says the threat applies, whatever
/// another link's false positive says.
fn openness(status: DecisionStatus) -> u8 {
    match status {
        DecisionStatus::Open => 4,
        DecisionStatus::InProgress => 3,
        DecisionStatus::Accepted => 2,
        DecisionStatus::Mitigated => 1,
        DecisionStatus::FalsePositive | DecisionStatus::NotApplicable => 0,
    }
}

/// Threagile's id of a communication link: the source's id, `>`, the title lower-cased with
/// every run of other characters as `-` (as Threagile's own `makeID`).
fn link_id(source: &str, title: &str) -> String {
    let mut out = String::new();
    let mut dash = false;
    for c in title.trim().chars() {
        if c.is_alphanumeric() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.extend(c.to_lowercase());
        } else {
            dash = true;
        }
    }
    format!("{source}>{out}")
}

/// Strips the HTML Threagile allows in titles and descriptions (`<b>`, `<i>`, `<br>`).
fn strip_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        match after.find('>') {
            Some(end)
                if end < 40
                    && after[1..]
                        .trim_start_matches('/')
                        .starts_with(|c: char| c.is_ascii_alphabetic())
                    && after[1..end].chars().all(|c| {
                        c.is_ascii_alphanumeric() || matches!(c, '/' | ' ' | '"' | '=' | '-')
                    }) =>
            {
                let tag = after[1..end].trim_start_matches('/').to_ascii_lowercase();
                if tag.starts_with("br") || tag.starts_with('p') {
                    out.push('\n');
                }
                rest = &after[end + 1..];
            }
            _ => {
                out.push('<');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
    out.trim().to_owned()
}

/// What one Threagile id names in the draft.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Target {
    Component(String),
    Flow(String),
    Boundary(String),
    Runtime(String),
    Data(String),
}

struct Importer<'a> {
    draft: Draft,
    warnings: &'a mut Vec<String>,
    /// Threagile ids of technical assets, data, boundaries, runtimes, links -> draft element.
    by_id: HashMap<String, Target>,
    /// Technical asset id -> component id.
    assets: HashMap<String, String>,
    data: HashMap<String, String>,
    /// (source component, target component) -> first flow id between them.
    flow_between: HashMap<(String, String), String>,
    /// Individual risk synthetic ids -> manual threat ids.
    individual: Vec<(String, String)>,
    /// Synthetic ids of individual risks left out as the template's placeholders.
    placeholders: Vec<String>,
    /// Manual threats whose likelihood and impact score to another band than the severity the
    /// Threagile model states for them: the threat id, the stated severity and its word, the band.
    stated_severity: Vec<(String, ThreatSeverity, String, ThreatSeverity)>,
    /// Component id -> position in `draft.components`, flow id -> position in `draft.flows`:
    /// risk tracking looks elements up once per entry, which must not be a scan.
    component_at: HashMap<String, usize>,
    flow_at: HashMap<String, usize>,
    /// `Options::unmatched`, looked up once per selector of every tracked risk.
    unmatched: HashSet<&'a str>,
    /// How many tracked risks got decisions on more than one rule (`Imported::tracked_alternatives`).
    tracked_alternatives: usize,
    /// Owners of the assets the model draws as processes and data stores in scope, and whether
    /// it draws any: an external entity with a server's technology that one of them owns (or,
    /// where the model draws nothing else, any) is the team's own component in the outside shape.
    team_owners: HashSet<String>,
    draws_own_shapes: bool,
}

pub(crate) fn import(
    text: &str,
    options: &Options,
    warnings: &mut Vec<String>,
) -> Result<Draft, ImportError> {
    let value = crate::parse_yaml(text)?;
    let Value::Object(root) = value else {
        return Err(ImportError::new(
            "a Threagile model is a YAML mapping with `title`, `technical_assets`, ...",
        ));
    };
    if !root.contains_key("technical_assets")
        && !root.contains_key("threagile_version")
        && !root.contains_key("data_assets")
    {
        return Err(ImportError::new(
            "this is not a Threagile model: it has no `threagile_version`, `technical_assets` or `data_assets`",
        ));
    }
    let mut importer = Importer {
        draft: Draft::new(get_text(&root, "title").unwrap_or_else(|| "Imported model".into())),
        warnings,
        by_id: HashMap::new(),
        assets: HashMap::new(),
        data: HashMap::new(),
        flow_between: HashMap::new(),
        individual: Vec::new(),
        placeholders: Vec::new(),
        stated_severity: Vec::new(),
        component_at: HashMap::new(),
        flow_at: HashMap::new(),
        unmatched: options.unmatched.iter().map(String::as_str).collect(),
        tracked_alternatives: 0,
        team_owners: HashSet::new(),
        draws_own_shapes: false,
    };
    importer.header(&root, options);
    importer.data_assets(&root);
    importer.technical_assets(&root);
    importer.links(&root);
    importer.hints(&root);
    importer.trust_boundaries(&root);
    importer.shared_runtimes(&root);
    importer.individual_risks(&root);
    importer.risk_tracking(&root);
    importer.keep_stated_severities();
    // Threagile keeps technical assets apart from the other elements (an asset and a boundary
    // may share an id), so each id says which it names.
    let mut ids: Vec<(String, String)> = importer
        .assets
        .iter()
        .map(|(source, id)| (format!("asset:{source}"), id.clone()))
        .chain(importer.by_id.iter().filter_map(|(source, target)| {
            let (namespace, id) = match target {
                Target::Component(_) => return None,
                Target::Flow(id) => ("link", id),
                Target::Boundary(id) => ("boundary", id),
                Target::Runtime(id) => ("runtime", id),
                Target::Data(id) => ("data", id),
            };
            Some((format!("{namespace}:{source}"), id.clone()))
        }))
        // An individual risk is the model's own finding, carried as a manual threat: a
        // comparison with Threagile's risk list keeps it where that threat is.
        .chain(
            importer
                .individual
                .iter()
                .map(|(synthetic, threat)| (format!("risk:{synthetic}"), threat.clone())),
        )
        // A placeholder is listed with no threat: no risk of the model's, so a comparison
        // leaves it out of the count.
        .chain(
            importer
                .placeholders
                .iter()
                .map(|synthetic| (format!("risk:{synthetic}"), String::new())),
        )
        .collect();
    ids.sort_unstable();
    importer.draft.source_ids = ids;
    importer.draft.tracked_alternatives = importer.tracked_alternatives;
    Ok(importer.draft)
}

/// Data categories a Threagile data asset's id and title name outright. Threagile has no
/// categories, yet the privacy, credential and payment rules decide by them, so an imported
/// `user-credentials` that stays uncategorised would never reach them. Only the id and title are
/// read, word by word: a description mentions everything the data is not ("card tokens" in a
/// payment record), while a name is what the team chose to call it.
fn categories_named(id: &str, title: &str) -> Vec<DataCategory> {
    const WORDS: &[(&[&str], DataCategory)] = &[
        (
            &[
                "credential",
                "credentials",
                "password",
                "passwords",
                "secrets",
                "token",
                "tokens",
                "login",
                "logins",
                "apikey",
                "apikeys",
                "keys",
            ],
            DataCategory::Credential,
        ),
        (
            &["payment", "payments", "card", "cards", "cardholder", "pci"],
            DataCategory::Payment,
        ),
        (
            &[
                "invoice",
                "invoices",
                "billing",
                "ledger",
                "transaction",
                "transactions",
                "accounting",
            ],
            DataCategory::Financial,
        ),
        (
            &[
                "pii",
                "personal",
                "profile",
                "profiles",
                "address",
                "addresses",
            ],
            DataCategory::Personal,
        ),
        (
            &["location", "locations", "gps", "geolocation"],
            DataCategory::Location,
        ),
        (
            &["health", "medical", "patient", "patients", "phi"],
            DataCategory::Health,
        ),
        (&["log", "logs", "logging"], DataCategory::Logs),
        (&["audit"], DataCategory::Audit),
        (&["metrics", "telemetry", "traces"], DataCategory::Telemetry),
        (
            &["config", "configuration", "configurations"],
            DataCategory::Configuration,
        ),
        (&["sourcecode"], DataCategory::IntellectualProperty),
    ];
    let words = words(&format!("{id} {title}"));
    let source_code = words.windows(2).any(|w| w == ["source", "code"]);
    // Trade secrets are intellectual property, not something to log in with. ("secret" alone is
    // not read at all: it says how confidential the data is, not what it is.)
    let trade_secret = words
        .windows(2)
        .any(|w| w[0] == "trade" && w[1].starts_with("secret"));
    let mut found: Vec<DataCategory> = WORDS
        .iter()
        .filter(|(names, category)| match category {
            DataCategory::Credential if trade_secret => false,
            DataCategory::IntellectualProperty => {
                source_code || trade_secret || words.iter().any(|w| names.contains(&w.as_str()))
            }
            _ => words.iter().any(|w| names.contains(&w.as_str())),
        })
        .map(|(_, category)| *category)
        .collect();
    found.sort();
    found
}

impl Importer<'_> {
    fn warn(&mut self, text: String) {
        self.warnings.push(text);
    }

    /// Abuse cases and security requirements are prose, but one that names an attack with a trait
    /// of its own and a technical asset by its title states a fact about that asset: it gets the
    /// trait. One that names the attack but no asset is a hint in the header, for a person to place.
    fn hints(&mut self, root: &Map<String, Value>) {
        for key in ["abuse_cases", "security_requirements"] {
            let Some(Value::Object(m)) = root.get(key) else {
                continue;
            };
            for (title, body) in m {
                let text = format!("{title} {}", text_of(body).unwrap_or_default()).to_lowercase();
                for &(words, trait_) in HINTS {
                    if !words.iter().any(|w| text.contains(w)) {
                        continue;
                    }
                    let named: Vec<usize> = self
                        .draft
                        .components
                        .iter()
                        .enumerate()
                        .filter(|(_, c)| {
                            c.kind
                                .or_else(|| {
                                    c.technology
                                        .as_deref()
                                        .and_then(|t| catalog().technology(t))
                                        .map(|t| t.kind)
                                })
                                .is_some_and(|k| k != ComponentKind::Actor)
                                && c.name.as_deref().is_some_and(|n| {
                                    n.len() >= 3 && text.contains(&n.to_lowercase())
                                })
                        })
                        .map(|(i, _)| i)
                        .collect();
                    if named.is_empty() {
                        self.draft.header.push(format!(
                            "Hint from {key} `{title}`: it names an attack that needs `traits: [{trait_}]` on the component it concerns"
                        ));
                    }
                    for i in named {
                        let Some(c) = self.draft.components.get_mut(i) else {
                            continue;
                        };
                        if add_trait(c, trait_) {
                            c.comments
                                .push(format!("Threagile: {trait_} from {key} `{title}`"));
                        }
                    }
                }
            }
        }
    }

    /// A threatforge id for a Threagile element: its Threagile id when that is already a
    /// valid one, else one minted from the id or the title.
    fn mint(ns: &mut Namespace, threagile_id: Option<&str>, title: &str) -> String {
        ns.mint(threagile_id.unwrap_or(title))
    }

    fn header(&mut self, root: &Map<String, Value>, options: &Options) {
        let version = get_text(root, "threagile_version");
        let mut line = "Imported from a Threagile model".to_owned();
        if let Some(name) = &options.source_name {
            line.push_str(&format!(" ({name})"));
        }
        if let Some(v) = &version {
            line.push_str(&format!(", threagile_version {v}"));
        }
        line.push_str(" by `threatforge import`.");
        let h = &mut self.draft.header;
        h.push(line);
        h.push(
            "Comments starting with `Threagile:` say what had no direct equivalent in threatforge."
                .to_owned(),
        );
        let s = &mut self.draft.system;
        if let Some(Value::Object(author)) = root.get("author")
            && let Some(name) = get_text(author, "name")
        {
            s.owners.push(name);
        }
        if let Some(Value::Array(people)) = root.get("contributors") {
            for p in people {
                if let Value::Object(m) = p
                    && let Some(name) = get_text(m, "name")
                {
                    s.comments.push(format!("Threagile: contributor {name}"));
                }
            }
        }
        if let Some(c) = get_text(root, "business_criticality") {
            match rating(&c) {
                Some(r) => s.criticality = Some(r).filter(|r| *r != Rating::Medium),
                None => self.warnings.push(format!(
                    "business_criticality `{c}` is not a Threagile value; left out"
                )),
            }
        }
        let overview = |key: &str| match root.get(key) {
            Some(Value::Object(m)) => get_text(m, "description").map(|d| strip_html(&d)),
            _ => None,
        };
        let business = overview("business_overview");
        let technical = overview("technical_overview");
        let application = get_text(root, "application_description").map(|d| strip_html(&d));
        let summary = get_text(root, "management_summary_comment").map(|d| strip_html(&d));
        let mut description = Vec::new();
        description.extend(business);
        description.extend(application);
        s.description = (!description.is_empty()).then(|| description.join("\n\n"));
        if let Some(t) = technical {
            s.comments
                .push(format!("Threagile technical overview: {t}"));
        }
        if let Some(t) = summary {
            s.comments
                .push(format!("Threagile management summary: {t}"));
        }
        if let Some(date) = get_text(root, "date") {
            s.comments.push(format!("Threagile: model date {date}"));
        }
        for (key, label) in [
            ("questions", "Open question"),
            ("abuse_cases", "Abuse case"),
            ("security_requirements", "Security requirement"),
        ] {
            if let Some(Value::Object(m)) = root.get(key) {
                for (q, a) in m {
                    let answer = text_of(a).map(|a| strip_html(&a)).unwrap_or_default();
                    let text = if answer.is_empty() {
                        format!("{label}: {q}")
                    } else {
                        format!("{label}: {q}: {answer}")
                    };
                    self.draft.header.push(text);
                }
            }
        }
        if root.get("includes").is_some_and(|v| !v.is_null()) {
            let text = "Threagile `includes` were not followed: import each included file separately and merge".to_owned();
            self.draft.header.push(text.clone());
            self.warnings.push(text);
        }
    }

    fn data_assets(&mut self, root: &Map<String, Value>) {
        for (title, m) in section(root, "data_assets", self.warnings) {
            let tid = get_text(m, "id");
            let id = Self::mint(&mut self.draft.data_ids, tid.as_deref(), title);
            let mut d = DraftData::new(id.clone());
            d.name = Some(title.to_owned());
            d.description = get_text(m, "description").map(|t| strip_html(&t));
            d.owner = get_text(m, "owner");
            d.tags = get_list(m, "tags");
            let mut notes = Vec::new();
            if let Some(c) = get_text(m, "confidentiality") {
                match classification(&c) {
                    Some((cls, exact)) => {
                        d.classification = Some(cls).filter(|c| *c != Classification::Internal);
                        if !exact {
                            notes.push(format!("confidentiality {c}"));
                        }
                    }
                    None => self.warn(format!(
                        "data asset `{title}`: unknown confidentiality `{c}`"
                    )),
                }
            }
            for (key, slot) in [
                ("integrity", &mut d.integrity),
                ("availability", &mut d.availability),
            ] {
                if let Some(v) = get_text(m, key) {
                    match rating(&v) {
                        Some(r) => *slot = Some(r).filter(|r| *r != Rating::Medium),
                        None => self
                            .warnings
                            .push(format!("data asset `{title}`: unknown {key} `{v}`")),
                    }
                }
            }
            if let Some(q) = get_text(m, "quantity") {
                d.quantity = match norm(&q).as_str() {
                    "very-few" => {
                        notes.push("quantity very-few".into());
                        Some(Quantity::Few)
                    }
                    "few" => Some(Quantity::Few),
                    "many" => Some(Quantity::Many),
                    "very-many" => Some(Quantity::VeryMany),
                    _ => None,
                };
            }
            if get_text(m, "usage").is_some_and(|u| norm(&u) == "devops") {
                notes.push("usage devops".into());
            }
            // Tags are names the team chose too (`pii`, `pci`), unlike the description.
            let named = format!("{title} {}", get_list(m, "tags").join(" "));
            d.categories = categories_named(tid.as_deref().unwrap_or(""), &named);
            if !d.categories.is_empty() {
                let names: Vec<&str> = d.categories.iter().map(|c| c.as_str()).collect();
                notes.push(format!(
                    "categories {} inferred from the name and tags (Threagile has none; correct them if wrong)",
                    names.join(", ")
                ));
            }
            if let Some(o) = get_text(m, "origin") {
                notes.push(format!("origin {o}"));
            }
            if !notes.is_empty() {
                d.comments.push(format!("Threagile: {}", notes.join(", ")));
            }
            if let Some(j) = get_text(m, "justification_cia_rating") {
                d.comments
                    .push(format!("Threagile CIA justification: {}", strip_html(&j)));
            }
            if let Some(t) = tid {
                self.by_id.insert(t.clone(), Target::Data(id.clone()));
                self.data.insert(t, id);
            }
            self.draft.data.push(d);
        }
    }

    fn data_refs(&mut self, owner: &str, ids: Vec<String>) -> Vec<String> {
        let mut out = Vec::new();
        for i in ids {
            match self.data.get(&i) {
                Some(d) if !out.contains(d) => out.push(d.clone()),
                Some(_) => {}
                None => self.warn(format!("{owner}: unknown data asset `{i}` left out")),
            }
        }
        out
    }

    fn technical_assets(&mut self, root: &Map<String, Value>) {
        // Ids first, so that links can name assets declared after them.
        let assets = section(root, "technical_assets", self.warnings);
        for m in assets.iter().map(|(_, m)| m) {
            let own_shape = get_text(m, "type").is_some_and(|t| {
                matches!(norm(&t).as_str(), "process" | "datastore" | "data-store")
            });
            if own_shape && !get_bool(m, "out_of_scope") {
                self.draws_own_shapes = true;
                self.team_owners.extend(get_text(m, "owner"));
            }
        }
        for (title, m) in &assets {
            let tid = get_text(m, "id");
            let id = Self::mint(&mut self.draft.ids, tid.as_deref(), title);
            if let Some(t) = tid {
                if self.assets.contains_key(&t) {
                    self.warn(format!(
                        "technical asset id `{t}` is declared twice; the second is `{id}`"
                    ));
                } else {
                    self.assets.insert(t.clone(), id.clone());
                    self.by_id.insert(t, Target::Component(id.clone()));
                }
            }
            let mut c = DraftComponent::new(id);
            c.name = Some((*title).to_owned());
            self.component(&mut c, title, m);
            self.component_at
                .insert(c.id.clone(), self.draft.components.len());
            self.draft.components.push(c);
        }
    }

    fn component(&mut self, c: &mut DraftComponent, title: &str, m: &Map<String, Value>) {
        let cat = catalog();
        let mut notes: Vec<String> = Vec::new();
        c.description = get_text(m, "description").map(|t| strip_html(&t));
        c.owner = get_text(m, "owner");
        c.tags = get_list(m, "tags");

        let declared_kind = get_text(m, "type").and_then(|t| match norm(&t).as_str() {
            "external-entity" => Some(ComponentKind::Actor),
            "process" => Some(ComponentKind::Process),
            "datastore" | "data-store" => Some(ComponentKind::Store),
            _ => None,
        });
        let mut techs = get_list(m, "technologies");
        if let Some(t) = get_text(m, "technology") {
            techs.insert(0, t);
        }
        let mut chosen = false;
        for t in &techs {
            match technology(t) {
                Some((tech, traits, loose)) if !chosen => {
                    chosen = tech.is_some();
                    c.technology = tech.map(str::to_owned);
                    c.traits.extend(traits.iter().map(|s| (*s).to_owned()));
                    if loose || tech.is_none() {
                        notes.push(format!("technology {t}"));
                    }
                }
                Some((_, traits, _)) => {
                    c.traits.extend(traits.iter().map(|s| (*s).to_owned()));
                    notes.push(format!("technology {t}"));
                }
                None => {
                    notes.push(format!("technology {t}"));
                    self.warn(format!(
                        "technical asset `{title}`: unknown technology `{t}`"
                    ));
                }
            }
        }
        if let Some(why) = technology_by_meaning(c, title, &techs, m) {
            notes.push(format!("technology read as {why}"));
        }
        let implied = c
            .technology
            .as_deref()
            .and_then(|t| cat.technology(t))
            .map(|t| t.kind);
        // Teams draw their own function app or database as an external entity when it runs on a
        // cloud provider's service; it stores and processes their data as any component does,
        // and Threagile's rules assess it. Only a server's technology is read so: a client or a
        // person stays an actor, and so does what another organisation runs.
        let own_in_outside_shape = declared_kind == Some(ComponentKind::Actor)
            && matches!(implied, Some(ComponentKind::Process | ComponentKind::Store))
            && !get_bool(m, "out_of_scope")
            && !get_bool(m, "used_as_client_by_human")
            && (get_bool(m, "custom_developed_parts")
                || !self.draws_own_shapes
                || c.owner
                    .as_ref()
                    .is_some_and(|o| self.team_owners.contains(o)));
        if own_in_outside_shape {
            notes.push("drawn as an external entity".into());
        }
        // A person's client (a browser, a mobile app) that a person uses is that person's, in
        // whatever shape the author drew it: a process there would make the team answer for
        // the person's device and read the person's requests as its own.
        let person_in_process_shape = declared_kind == Some(ComponentKind::Process)
            && implied == Some(ComponentKind::Actor)
            && get_bool(m, "used_as_client_by_human");
        if person_in_process_shape {
            notes.push("a person's client drawn as a process".into());
        }
        match (declared_kind, implied) {
            _ if own_in_outside_shape || person_in_process_shape => {}
            (Some(k), Some(i)) if k != i => c.kind = Some(k),
            (Some(k), None) => c.kind = Some(k),
            (None, None) => c.kind = Some(ComponentKind::Process),
            _ => {}
        }
        let effective_kind = c.kind.or(implied).unwrap_or(ComponentKind::Process);
        let tech_traits: Vec<String> = c
            .technology
            .as_deref()
            .and_then(|t| cat.technology(t))
            .map(|t| t.traits.clone())
            .unwrap_or_default();
        if get_bool(m, "used_as_client_by_human")
            && !tech_traits.iter().any(|t| t == "human-client")
        {
            c.traits.push("human-client".into());
        }
        if get_bool(m, "internet") {
            c.exposure = Some(Exposure::Internet);
        }
        if get_bool(m, "out_of_scope") {
            c.out_of_scope = Some(
                get_text(m, "justification_out_of_scope")
                    .map(|t| strip_html(&t))
                    .unwrap_or_else(|| "out of scope in the Threagile model".into()),
            );
        }
        // Encryption at rest is a control of what keeps data (a store's technology drawn as a
        // process included, a device that stores data): on a process or client that stores
        // nothing, Threagile's attribute is kept as a comment, since a control there would close
        // threats it has no part in.
        let keeps_data = effective_kind == ComponentKind::Store
            || implied == Some(ComponentKind::Store)
            || !get_list(m, "data_assets_stored").is_empty();
        if let Some(e) = get_text(m, "encryption") {
            let controls: &[&str] = match norm(&e).as_str() {
                "none" => &[],
                "transparent"
                | "data-with-symmetric-shared-key"
                | "data-with-asymmetric-shared-key" => &["encryption-at-rest"],
                "data-with-end-user-individual-key" => &["encryption-at-rest", "key-management"],
                _ => {
                    self.warn(format!(
                        "technical asset `{title}`: unknown encryption `{e}`"
                    ));
                    &[]
                }
            };
            if !controls.is_empty() && keeps_data {
                c.controls.extend(controls.iter().map(|x| (*x).to_owned()));
                if norm(&e) != "transparent" {
                    notes.push(format!("encryption {e}"));
                }
            } else if !controls.is_empty() {
                notes.push(format!("encryption {e}, though it keeps no data"));
            }
        }
        // Redundancy is the team's to provide for its servers, not for a person's device.
        if get_bool(m, "redundant") && effective_kind != ComponentKind::Actor {
            c.controls.push("high-availability".into());
        }
        if get_bool(m, "multi_tenant") && !tech_traits.iter().any(|t| t == "multi-tenant") {
            c.traits.push("multi-tenant".into());
        }
        // A development tool the team did not build (no custom-developed parts) that serves many
        // tenants on the internet is a vendor's hosted service (GitHub, Docker Hub, Quay): its
        // servers are the vendor's to defend, the team's account on it the identity rules'.
        let dev_tool = |t: &String| {
            matches!(
                t.as_str(),
                "source-repository" | "build-system" | "artifact-store"
            )
        };
        let is_dev_tool = techs
            .iter()
            .filter_map(|t| technology(t).and_then(|(tech, _, _)| tech))
            .filter_map(|tech| cat.technology(tech))
            .any(|t| t.traits.iter().any(dev_tool))
            || c.traits.iter().any(dev_tool);
        let is_vault = tech_traits.iter().any(|t| t == "holds-secrets")
            && matches!(c.technology.as_deref(), Some("secrets-vault" | "kms"));
        let already_managed = tech_traits.iter().chain(&c.traits).any(|t| t == "managed");
        let multi_tenant_on_internet = get_bool(m, "multi_tenant") && get_bool(m, "internet");
        // Authors also say whose service it is in its name or tags ("github", "amazon ecr", "aws
        // secret manager"), which is read for development tools and vaults only: a cluster
        // named for its cloud ("EKS") stands for its nodes too, which run the team's workloads.
        let named_hosted = (is_dev_tool || is_vault) && names_hosted_service(title, m);
        if !get_bool(m, "custom_developed_parts")
            && !already_managed
            && ((multi_tenant_on_internet && is_dev_tool) || named_hosted)
        {
            c.traits.push("managed".into());
            if named_hosted && !multi_tenant_on_internet {
                notes.push("a vendor's hosted service by its name".into());
            }
        }
        // An external entity that another organisation owns is a third party: what it sends is
        // untrusted input even when it logs in (docs/scoring.md).
        if effective_kind == ComponentKind::Actor
            && c.owner.as_deref().is_some_and(third_party_owner)
            && !tech_traits.iter().any(|t| t == "third-party")
        {
            c.traits.push("third-party".into());
        }
        if m.contains_key("custom_developed_parts") && !get_bool(m, "custom_developed_parts") {
            notes.push("no custom-developed parts (off-the-shelf software)".into());
        }
        if get_text(m, "usage").is_some_and(|u| norm(&u) == "devops") {
            notes.push("usage devops".into());
        }
        if let Some(machine) = get_text(m, "machine")
            && norm(&machine) != "virtual"
        {
            if norm(&machine) == "serverless" && !tech_traits.iter().any(|t| t == "serverless") {
                c.traits.push("serverless".into());
            } else {
                notes.push(format!("machine {machine}"));
            }
        }
        let mut cia = Vec::new();
        if let Some(v) = get_text(m, "confidentiality") {
            cia.push(format!("confidentiality {v}"));
        }
        // A component's criticality is how much the business depends on it (docs/scoring.md):
        // its availability, and for a store the integrity of what it keeps, which everything
        // reading it relies on. A process's or client's integrity rating is about its code,
        // which the supply-chain rules weigh, and authors rate it highest on every development
        // tool: read as criticality, it made nearly every asset critical.
        let mut crit: Option<Rating> = None;
        for key in ["integrity", "availability"] {
            if let Some(v) = get_text(m, key) {
                cia.push(format!("{key} {v}"));
                if key == "availability" || effective_kind == ComponentKind::Store {
                    crit = crit.max(rating(&v));
                }
            }
        }
        if let Some(r) = crit {
            let system = self.draft.system.criticality.unwrap_or(Rating::Medium);
            if r != system {
                c.criticality = Some(r);
            }
        }
        if !cia.is_empty() {
            notes.push(format!("asset rated {}", cia.join(", ")));
        }
        // Authors list the formats of everything an asset passes on. A person's client is the
        // person's; a store's technology (a database drawn as a process included) keeps XML,
        // serialized values and files without parsing them; a development tool or container
        // platform takes files as its artifacts (commits, packages, images), which the
        // supply-chain rules assess: none of them is an upload endpoint or a deserializer.
        let parses_input =
            effective_kind == ComponentKind::Process && implied != Some(ComponentKind::Store);
        let server_of_requests = parses_input
            && !tech_traits.iter().any(|t| {
                matches!(
                    t.as_str(),
                    "source-repository"
                        | "build-system"
                        | "artifact-store"
                        | "deploys"
                        | "runs-containers"
                )
            });
        for f in get_list(m, "data_formats_accepted") {
            let trait_ = match norm(&f).as_str() {
                "xml" if parses_input => "parses-xml",
                "serialization" if parses_input => "deserializes-objects",
                // Files a store keeps or a person's client opens are no uploads a server
                // parses either.
                "file" if server_of_requests => "accepts-files",
                _ => continue,
            };
            if !tech_traits.iter().any(|t| t == trait_) {
                c.traits.push(trait_.into());
            }
        }
        let processed = get_list(m, "data_assets_processed");
        c.processes = self.data_refs(title, processed);
        let stored = get_list(m, "data_assets_stored");
        c.stores = self.data_refs(title, stored);
        if effective_kind == ComponentKind::Actor && !c.stores.is_empty() {
            notes.push("an external entity that stores data".into());
        }
        dedup(&mut c.traits);
        dedup(&mut c.controls);
        c.traits.retain(|t| !tech_traits.contains(t));
        if !notes.is_empty() {
            c.comments.push(format!("Threagile: {}", notes.join(", ")));
        }
        if let Some(j) = get_text(m, "justification_cia_rating") {
            c.comments
                .push(format!("Threagile CIA justification: {}", strip_html(&j)));
        }
    }

    fn links(&mut self, root: &Map<String, Value>) {
        let mut targets_needing: Vec<(String, &'static str)> = Vec::new();
        let mut target_controls: Vec<(String, &'static str)> = Vec::new();
        for (title, m) in section(root, "technical_assets", &mut Vec::new()) {
            let Some(source_tid) = get_text(m, "id") else {
                continue;
            };
            let Some(source) = self.assets.get(&source_tid).cloned() else {
                continue;
            };
            let links = match m.get("communication_links") {
                Some(Value::Object(l)) => l,
                Some(Value::Null) | None => continue,
                Some(_) => {
                    self.warn(format!(
                        "technical asset `{title}`: communication_links is not a mapping; skipped"
                    ));
                    continue;
                }
            };
            for (link_title, lv) in links {
                let empty = Map::new();
                let l = match lv {
                    Value::Object(l) => l,
                    Value::Null => &empty,
                    _ => continue,
                };
                let Some(target_tid) = get_text(l, "target") else {
                    self.warn(format!(
                        "link `{link_title}` of `{title}` has no target; skipped"
                    ));
                    continue;
                };
                let Some(target) = self.assets.get(&target_tid).cloned() else {
                    self.warn(format!(
                        "link `{link_title}` of `{title}`: target `{target_tid}` is not a technical asset; skipped"
                    ));
                    continue;
                };
                let mut f = DraftFlow::new(source.clone(), target.clone());
                f.name = Some(link_title.clone());
                f.description = get_text(l, "description").map(|t| strip_html(&t));
                f.tags = get_list(l, "tags");
                let mut notes = Vec::new();
                if let Some(p) = get_text(l, "protocol") {
                    match protocol(&p) {
                        Some((proto, loose)) => {
                            f.protocol = proto.map(str::to_owned);
                            if loose || proto.is_none() {
                                notes.push(format!("protocol {p}"));
                            }
                            if matches!(
                                norm(&p).as_str(),
                                "iiop" | "iiop-encrypted" | "jrmp" | "jrmp-encrypted"
                            ) {
                                targets_needing.push((target.clone(), "deserializes-objects"));
                            }
                        }
                        None => {
                            notes.push(format!("protocol {p}"));
                            self.warn(format!("link `{link_title}`: unknown protocol `{p}`"));
                        }
                    }
                }
                if let Some(a) = get_text(l, "authentication") {
                    f.authentication = match norm(&a).as_str() {
                        "none" => None,
                        "credentials" => Some(Authentication::Credentials),
                        "session-id" => Some(Authentication::Session),
                        "token" => Some(Authentication::Token),
                        "client-certificate" => Some(Authentication::ClientCertificate),
                        "two-factor" => {
                            target_controls.push((target.clone(), "mfa"));
                            notes.push("authentication two-factor (mfa on the target)".into());
                            Some(Authentication::Credentials)
                        }
                        "externalized" => {
                            notes.push("authentication externalized".into());
                            Some(Authentication::Token)
                        }
                        _ => {
                            self.warn(format!("link `{link_title}`: unknown authentication `{a}`"));
                            None
                        }
                    };
                }
                if let Some(a) = get_text(l, "authorization") {
                    f.authorization = match norm(&a).as_str() {
                        "none" => None,
                        "technical-user" => Some(Authorization::Service),
                        "end-user-identity-propagation" => Some(Authorization::User),
                        _ => {
                            self.warn(format!("link `{link_title}`: unknown authorization `{a}`"));
                            None
                        }
                    };
                }
                if get_bool(l, "vpn") {
                    f.controls.push("vpn".into());
                }
                if get_bool(l, "ip_filtered") {
                    f.controls.push("ip-allowlist".into());
                }
                f.readonly = get_bool(l, "readonly");
                if get_text(l, "usage").is_some_and(|u| norm(&u) == "devops") {
                    f.usage = Some(Usage::Devops);
                }
                let owner = format!("link `{link_title}`");
                f.data = self.data_refs(&owner, get_list(l, "data_assets_sent"));
                f.returns = self.data_refs(&owner, get_list(l, "data_assets_received"));
                if !notes.is_empty() {
                    f.comments.push(format!("Threagile: {}", notes.join(", ")));
                }
                let hint = format!("{source}-{link_title}");
                let flow_id = self.draft.push_flow(f, Some(&hint));
                self.flow_at
                    .insert(flow_id.clone(), self.draft.flows.len() - 1);
                self.flow_between
                    .entry((source.clone(), target.clone()))
                    .or_insert_with(|| flow_id.clone());
                self.by_id
                    .insert(link_id(&source_tid, link_title), Target::Flow(flow_id));
            }
        }
        for (component, trait_) in targets_needing {
            if let Some(c) = self
                .component_at
                .get(&component)
                .and_then(|&i| self.draft.components.get_mut(i))
            {
                add_trait(c, trait_);
            }
        }
        for (component, control) in target_controls {
            if let Some(c) = self
                .component_at
                .get(&component)
                .and_then(|&i| self.draft.components.get_mut(i))
                && !c.controls.iter().any(|x| x == control)
            {
                c.controls.push(control.into());
            }
        }
    }

    fn trust_boundaries(&mut self, root: &Map<String, Value>) {
        // Threagile lists a boundary's assets on the boundary; some authors list each asset's
        // boundaries on the asset instead (`trust_boundaries: [public-internet]`), which
        // Threagile ignores but which says plainly where the asset is.
        let mut listed_on_assets: HashMap<String, Vec<String>> = HashMap::new();
        for (_, m) in section(root, "technical_assets", &mut Vec::new()) {
            if let Some(asset) = get_text(m, "id") {
                for b in get_list(m, "trust_boundaries") {
                    listed_on_assets.entry(b).or_default().push(asset.clone());
                }
            }
        }
        let entries = section(root, "trust_boundaries", self.warnings);
        let mut ids = Vec::new();
        for (title, m) in &entries {
            let tid = get_text(m, "id");
            let id = Self::mint(&mut self.draft.ids, tid.as_deref(), title);
            if let Some(t) = tid {
                self.by_id.insert(t, Target::Boundary(id.clone()));
            }
            ids.push(id);
        }
        for ((title, m), id) in entries.iter().zip(ids) {
            let mut b = DraftBoundary::new(id);
            b.name = Some((*title).to_owned());
            b.description = get_text(m, "description").map(|t| strip_html(&t));
            b.tags = get_list(m, "tags");
            if let Some(t) = get_text(m, "type") {
                match boundary_kind(&t) {
                    Some(k) => {
                        b.kind = Some(k).filter(|k| *k != BoundaryKind::Network);
                        if matches!(
                            norm(&t).as_str(),
                            "network-cloud-security-group"
                                | "network-dedicated-hoster"
                                | "network-virtual-lan"
                        ) {
                            b.comments.push(format!("Threagile: type {t}"));
                        }
                    }
                    None => self.warn(format!("trust boundary `{title}`: unknown type `{t}`")),
                }
            }
            for a in get_list(m, "technical_assets_inside") {
                match self.assets.get(&a) {
                    Some(c) => b.contains.push(c.clone()),
                    None => self.warn(format!(
                        "trust boundary `{title}`: unknown technical asset `{a}` left out"
                    )),
                }
            }
            let on_assets = get_text(m, "id")
                .and_then(|tid| listed_on_assets.remove(&tid))
                .unwrap_or_default();
            let mut taken = Vec::new();
            for a in on_assets {
                if let Some(c) = self.assets.get(&a)
                    && !b.contains.contains(c)
                {
                    b.contains.push(c.clone());
                    taken.push(a);
                }
            }
            if !taken.is_empty() {
                b.comments.push(format!(
                    "Threagile: {} named on the assets' own `trust_boundaries`",
                    taken.join(", ")
                ));
            }
            for n in get_list(m, "trust_boundaries_nested") {
                match self.by_id.get(&n) {
                    Some(Target::Boundary(x)) => b.contains.push(x.clone()),
                    _ => self.warn(format!(
                        "trust boundary `{title}`: unknown nested boundary `{n}` left out"
                    )),
                }
            }
            // Authors draw the internet, or their customers' side of it, as a cloud provider's
            // network around the people and outside systems that call in: no account of the
            // team's holds them, so it is read as the network they are on.
            let callers_only = !b.contains.is_empty()
                && b.contains
                    .iter()
                    .all(|id| self.component_kind(id) == Some(ComponentKind::Actor));
            if b.kind == Some(BoundaryKind::CloudAccount) && callers_only {
                b.kind = None;
                b.comments.push(format!(
                    "Threagile: type {}, read as a network: it holds only external entities and people's clients",
                    get_text(m, "type").unwrap_or_default()
                ));
            }
            // Threagile has no trust levels; a zone of callers named the internet says its own.
            let named_internet = words(&format!(
                "{} {title}",
                get_text(m, "id").unwrap_or_default()
            ))
            .iter()
            .any(|w| w == "internet");
            if callers_only && named_internet {
                b.trust = Some(Trust::Untrusted);
                b.comments
                    .push("Threagile: named the internet: `trust: untrusted`".to_owned());
            }
            self.draft.boundaries.push(b);
        }
    }

    fn shared_runtimes(&mut self, root: &Map<String, Value>) {
        let machines: HashMap<String, String> = section(root, "technical_assets", &mut Vec::new())
            .into_iter()
            .filter_map(|(_, m)| Some((get_text(m, "id")?, norm(&get_text(m, "machine")?))))
            .collect();
        for (title, m) in section(root, "shared_runtimes", self.warnings) {
            let tid = get_text(m, "id");
            let id = Self::mint(&mut self.draft.ids, tid.as_deref(), title);
            let running = get_list(m, "technical_assets_running");
            // Threagile has no kind of runtime; the machines of what runs there are the best hint.
            let kinds: Vec<&str> = running
                .iter()
                .filter_map(|a| machines.get(a).map(String::as_str))
                .collect();
            let kind = if kinds.contains(&"container") {
                RuntimeKind::Cluster
            } else if !kinds.is_empty() && kinds.iter().all(|k| *k == "serverless") {
                RuntimeKind::Serverless
            } else if kinds.contains(&"physical") {
                RuntimeKind::Host
            } else {
                RuntimeKind::VirtualMachine
            };
            let mut r = DraftRuntime::new(id.clone(), kind);
            r.name = Some(title.to_owned());
            r.description = get_text(m, "description").map(|t| strip_html(&t));
            r.tags = get_list(m, "tags");
            r.comments.push(format!(
                "Threagile has no kind of runtime: `{}` guessed from the machines of its assets",
                kind.as_str()
            ));
            for a in running {
                match self.assets.get(&a) {
                    Some(c) if !r.runs.contains(c) => r.runs.push(c.clone()),
                    Some(_) => {}
                    None => self.warn(format!(
                        "shared runtime `{title}`: unknown technical asset `{a}` left out"
                    )),
                }
            }
            if let Some(t) = tid {
                self.by_id.insert(t, Target::Runtime(id));
            }
            self.draft.runtimes.push(r);
        }
        self.implied_container_runtime(&machines);
    }

    /// Threagile's `machine: container` says an asset runs as a container image, which is what
    /// its base-image and platform rules look at; threatforge says it with a cluster runtime.
    /// The team's containers that no shared runtime holds go onto one runtime standing for the
    /// platform the model does not name. Another party's (an external entity, or an asset out
    /// of scope) run on that party's platform, not beside the team's workloads.
    fn implied_container_runtime(&mut self, machines: &HashMap<String, String>) {
        let held: Vec<&String> = self.draft.runtimes.iter().flat_map(|r| &r.runs).collect();
        let teams = |id: &String| {
            self.component_kind(id)
                .is_some_and(|k| k != ComponentKind::Actor)
                && self
                    .component_at
                    .get(id)
                    .and_then(|&i| self.draft.components.get(i))
                    .is_some_and(|c| c.out_of_scope.is_none())
        };
        let mut loose: Vec<(String, String)> = machines
            .iter()
            .filter(|(_, machine)| machine.as_str() == "container")
            .filter_map(|(tid, _)| Some((tid.clone(), self.assets.get(tid)?.clone())))
            .filter(|(_, id)| !held.contains(&id) && teams(id))
            .collect();
        if loose.is_empty() {
            return;
        }
        // Declaration order, so the output does not depend on the map's.
        loose.sort_by_key(|(_, id)| self.component_at.get(id).copied());
        let id = self.draft.ids.mint("containers");
        let mut r = DraftRuntime::new(id, RuntimeKind::Cluster);
        r.name = Some("Containers".into());
        r.comments.push(format!(
            "Threagile: {} declare machine container and run on no shared runtime; this \
             cluster stands for the platform they run on",
            loose
                .iter()
                .map(|(t, _)| t.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
        r.runs = loose.into_iter().map(|(_, id)| id).collect();
        self.draft.runtimes.push(r);
    }

    fn element_of(&self, tid: &str) -> Option<String> {
        self.by_id.get(tid).map(|t| match t {
            Target::Component(x)
            | Target::Flow(x)
            | Target::Boundary(x)
            | Target::Runtime(x)
            | Target::Data(x) => x.clone(),
        })
    }

    fn individual_risks(&mut self, root: &Map<String, Value>) {
        for (title, m) in section(root, "individual_risk_categories", self.warnings) {
            let cat_id = get_text(m, "id").unwrap_or_else(|| slug(title));
            let stride = get_text(m, "stride")
                .and_then(|s| crate::draft::stride_loose(&s))
                .unwrap_or_else(|| {
                    self.warnings.push(format!(
                        "individual risk category `{title}` has no STRIDE category; taken as tampering"
                    ));
                    Stride::Tampering
                });
            let mut base = DraftThreat::new(String::new(), strip_html(title), stride);
            base.description = get_text(m, "description").map(|t| strip_html(&t));
            base.cwe = get_list(m, "cwe")
                .iter()
                .filter_map(|c| c.trim().trim_start_matches("CWE-").parse().ok())
                .collect();
            base.references = get_list(m, "cheat_sheet");
            for (key, label) in [
                ("impact", "impact"),
                ("action", "action"),
                ("mitigation", "mitigation"),
                ("check", "check"),
                ("asvs", "ASVS"),
                ("function", "function"),
                ("detection_logic", "detection logic"),
                ("risk_assessment", "risk assessment"),
                ("false_positives", "false positives"),
            ] {
                if let Some(v) = get_text(m, key) {
                    base.comments
                        .push(format!("Threagile {label}: {}", strip_html(&v)));
                }
            }
            let risks: Vec<(String, Map<String, Value>)> = match m.get("risks_identified") {
                Some(Value::Object(r)) => r
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_object().cloned().unwrap_or_default()))
                    .collect(),
                _ => Vec::new(),
            };
            if risks.is_empty() {
                if is_template_placeholder(title, base.description.as_deref()) {
                    self.warn(format!(
                        "individual risk category `{title}` is Threagile's template example, not a finding; left out"
                    ));
                    self.placeholders.push(cat_id.clone());
                    continue;
                }
                let mut t = base.clone();
                t.id = self.draft.threat_ids.mint(&cat_id);
                self.individual.push((cat_id.clone(), t.threat_id()));
                self.draft.threats.push(t);
                continue;
            }
            for (risk_title, r) in risks {
                let mut t = base.clone();
                let mut parts = Vec::new();
                // Threagile's synthetic id of an individual risk: the category, then the most
                // relevant elements that are set, in this order (its `createSyntheticId`).
                for key in [
                    "most_relevant_technical_asset",
                    "most_relevant_communication_link",
                    "most_relevant_trust_boundary",
                    "most_relevant_shared_runtime",
                    "most_relevant_data_asset",
                ] {
                    if let Some(v) = get_text(&r, key) {
                        parts.push(v);
                    }
                }
                let synthetic = std::iter::once(cat_id.clone())
                    .chain(parts.iter().cloned())
                    .collect::<Vec<_>>()
                    .join("@");
                if is_template_placeholder(&risk_title, base.description.as_deref()) {
                    self.warn(format!(
                        "individual risk `{}` of `{title}` is Threagile's template example, not a finding; left out",
                        strip_html(&risk_title)
                    ));
                    self.placeholders.push(synthetic);
                    continue;
                }
                // The element: the most specific of the relevant elements that the model has.
                let element = [
                    "most_relevant_communication_link",
                    "most_relevant_technical_asset",
                    "most_relevant_data_asset",
                    "most_relevant_trust_boundary",
                    "most_relevant_shared_runtime",
                ]
                .iter()
                .filter_map(|k| get_text(&r, k))
                .find_map(|tid| self.element_of(&tid));
                let hint = match &element {
                    Some(e) => format!("{cat_id}-{}", e.replace("->", "-to-")),
                    None => cat_id.clone(),
                };
                t.id = self.draft.threat_ids.mint(&hint);
                t.element = element;
                t.title = strip_html(&risk_title);
                if t.title.is_empty() {
                    t.title = strip_html(title);
                }
                t.likelihood = get_text(&r, "exploitation_likelihood").and_then(|l| {
                    Some(match norm(&l).as_str() {
                        "unlikely" => Level::Low,
                        "likely" => Level::Medium,
                        "very-likely" => Level::High,
                        "frequent" => Level::VeryHigh,
                        _ => return None,
                    })
                });
                t.impact = get_text(&r, "exploitation_impact").and_then(|l| {
                    Some(match norm(&l).as_str() {
                        "low" => Level::Low,
                        "medium" => Level::Medium,
                        "high" => Level::High,
                        "very-high" => Level::VeryHigh,
                        _ => return None,
                    })
                });
                let mut notes = Vec::new();
                if let Some(s) = get_text(&r, "severity") {
                    let scored = ThreatSeverity::of_score(
                        t.likelihood.unwrap_or(Level::Medium).step()
                            * t.impact.unwrap_or(Level::Medium).step(),
                    );
                    if let Some(stated) = threagile_severity(&s)
                        && stated != scored
                    {
                        self.stated_severity
                            .push((t.threat_id(), stated, s.clone(), scored));
                    }
                    notes.push(format!("severity {s}"));
                }
                if let Some(p) = get_text(&r, "data_breach_probability") {
                    notes.push(format!("data breach probability {p}"));
                }
                let breach = get_list(&r, "data_breach_technical_assets");
                if !breach.is_empty() {
                    notes.push(format!("data breach at {}", breach.join(", ")));
                }
                notes.push(format!("risk id {synthetic}"));
                t.comments
                    .insert(0, format!("Threagile: {}", notes.join(", ")));
                self.individual.push((synthetic, t.threat_id()));
                self.draft.threats.push(t);
            }
        }
    }

    /// The severity a Threagile model states for an individual risk is its author's verdict,
    /// and Threagile reports it as stated, whatever the risk's likelihood and impact say (its
    /// own example model rates a risk of likely exploitation and medium impact critical). Where
    /// the two disagree, the threat keeps the stated severity as an override of its decision, the
    /// one its risk tracking made or a new open one, with the reason as its justification.
    fn keep_stated_severities(&mut self) {
        for (threat, stated, word, scored) in std::mem::take(&mut self.stated_severity) {
            let justification = format!(
                "Threagile's model rates this risk {word}, though its likelihood and impact \
                 alone score {}",
                scored.as_str()
            );
            match self.draft.decisions.iter_mut().find(|d| d.threat == threat) {
                Some(decision) if decision.severity.is_none() => {
                    decision.severity = Some(stated);
                    decision.justification.get_or_insert(justification);
                }
                Some(_) => {}
                None => {
                    let mut decision = DraftDecision::new(threat, DecisionStatus::Open);
                    decision.severity = Some(stated);
                    decision.justification = Some(justification);
                    self.draft.decisions.push(decision);
                }
            }
        }
    }

    fn risk_tracking(&mut self, root: &Map<String, Value>) {
        let entries: Vec<(String, Map<String, Value>)> = match root.get("risk_tracking") {
            Some(Value::Object(m)) => m
                .iter()
                .map(|(k, v)| (k.clone(), v.as_object().cloned().unwrap_or_default()))
                .collect(),
            _ => return,
        };
        let mut index: HashMap<String, usize> = HashMap::new();
        for (risk_id, m) in entries {
            let st = match get_text(&m, "status") {
                Some(s) => match status(&s) {
                    Some(st) => st,
                    None => {
                        self.warn(format!(
                            "risk_tracking `{risk_id}`: unknown status `{s}`; taken as open"
                        ));
                        DecisionStatus::Open
                    }
                },
                None => DecisionStatus::Open,
            };
            let mut notes = Vec::new();
            if let Some(s) = get_text(&m, "status")
                && norm(&s) == "in-discussion"
            {
                notes.push("status in-discussion".to_owned());
            }
            if self
                .placeholders
                .iter()
                .any(|synthetic| wildcard_match(&risk_id, synthetic))
            {
                self.warn(format!(
                    "risk_tracking `{risk_id}`: tracks a template example left out; dropped"
                ));
                continue;
            }
            let selectors = self.resolve(&risk_id);
            let mut selectors = match selectors {
                Some(s) if !s.is_empty() => s,
                _ => vec![self.tracked_as_manual(&risk_id)],
            };
            if selectors.len() > 1 {
                self.tracked_alternatives += 1;
            }
            if selectors
                .iter()
                .any(|s| !self.unmatched.contains(s.as_str()))
            {
                selectors.retain(|s| !self.unmatched.contains(s.as_str()));
            }
            for (i, selector) in selectors.iter().enumerate() {
                if let Some(&at) = index.get(selector) {
                    let d = &mut self.draft.decisions[at];
                    // A threat stays open while any of Threagile's risks it stands for is: a
                    // false positive on one link does not close what another risk found.
                    if openness(st) > openness(d.status) {
                        d.comments.push(format!(
                            "Threagile risk {risk_id} maps here too (status {}), which is more open than the {} above: the decision takes its status",
                            st.as_str(),
                            d.status.as_str()
                        ));
                        if let Some(j) = d.justification.take() {
                            d.comments
                                .push(format!("the {} was: {j}", d.status.as_str()));
                        }
                        d.status = st;
                        tracked_by(d, &m);
                    } else {
                        d.comments.push(format!(
                            "Threagile risk {risk_id} maps here too (status {})",
                            st.as_str()
                        ));
                    }
                    continue;
                }
                let mut d = DraftDecision::new(selector.clone(), st);
                tracked_by(&mut d, &m);
                if i == 0 {
                    let mut c = format!("Threagile risk {risk_id}");
                    if !notes.is_empty() {
                        c.push_str(&format!(" ({})", notes.join(", ")));
                    }
                    if selectors.len() > 1 {
                        c.push_str(&format!(
                            "; covered by {} threatforge rules, one decision each",
                            selectors.len()
                        ));
                    }
                    d.comments.push(c);
                }
                index.insert(selector.clone(), self.draft.decisions.len());
                self.draft.decisions.push(d);
            }
        }
    }

    /// The threatforge threat ids (or `*` selectors) a Threagile risk id corresponds to.
    fn resolve(&self, risk_id: &str) -> Option<Vec<String>> {
        let mut parts = risk_id.split('@').map(str::trim);
        let rule_id = parts.next()?;
        let parts: Vec<&str> = parts.collect();
        // Individual risks first: their categories can reuse any id.
        let matches: Vec<String> = self
            .individual
            .iter()
            .filter(|(synthetic, _)| wildcard_match(risk_id, synthetic))
            .map(|(_, threat)| threat.clone())
            .collect();
        if !matches.is_empty() {
            return Some(matches);
        }
        let mapping = rule(rule_id)?;
        let mut out = Vec::new();
        for (tf_rule, elem) in mapping.covered_by {
            if let Some(element) = self.element_for(*elem, &parts) {
                let selector = format!("{tf_rule}:{element}");
                if !out.contains(&selector) {
                    out.push(selector);
                }
            }
        }
        // SQL and NoSQL injection are one rule in Threagile and two in threatforge: keep the
        // one that matches the store the caller talks to.
        if rule_id == "sql-nosql-injection" && out.len() == 2 {
            let nosql = parts.iter().any(|p| self.component_has_trait(p, "nosql"));
            out.retain(|s| {
                s.starts_with(if nosql {
                    "nosql-injection:"
                } else {
                    "sql-injection:"
                })
            });
        }
        Some(out)
    }

    fn component_has_trait(&self, tid: &str, trait_: &str) -> bool {
        let Some(Target::Component(id)) = self.by_id.get(tid) else {
            return false;
        };
        let Some(c) = self
            .component_at
            .get(id)
            .and_then(|&i| self.draft.components.get(i))
        else {
            return false;
        };
        c.traits.iter().any(|t| t == trait_)
            || c.technology
                .as_deref()
                .and_then(|t| catalog().technology(t))
                .is_some_and(|t| t.traits.iter().any(|x| x == trait_))
    }

    fn component_kind(&self, id: &str) -> Option<ComponentKind> {
        let c = self
            .component_at
            .get(id)
            .and_then(|&i| self.draft.components.get(i))?;
        Some(
            c.kind
                .or_else(|| {
                    c.technology
                        .as_deref()
                        .and_then(|t| catalog().technology(t))
                        .map(|t| t.kind)
                })
                .unwrap_or(ComponentKind::Process),
        )
    }

    /// The element of `elem`'s sort among the risk id's parts, or one derived from them (the
    /// runtime or boundary of a component, the ends of a flow, the flow between two
    /// components); `*` when the part it would come from is a wildcard.
    fn element_for(&self, elem: Elem, parts: &[&str]) -> Option<String> {
        if elem == Elem::Model {
            return Some("model".into());
        }
        let targets: Vec<Option<&Target>> = parts.iter().map(|p| self.by_id.get(*p)).collect();
        let kind_ok = |id: &str, kinds: &[ComponentKind]| {
            kinds.is_empty() || self.component_kind(id).is_some_and(|k| kinds.contains(&k))
        };
        let direct = targets.iter().flatten().find_map(|t| match (elem, t) {
            (Elem::Flow, Target::Flow(x))
            | (Elem::Boundary, Target::Boundary(x))
            | (Elem::Runtime, Target::Runtime(x))
            | (Elem::Data, Target::Data(x)) => Some(x.clone()),
            (Elem::Component(kinds), Target::Component(x)) if kind_ok(x, kinds) => Some(x.clone()),
            _ => None,
        });
        if direct.is_some() {
            return direct;
        }
        let components: Vec<&String> = targets
            .iter()
            .flatten()
            .filter_map(|t| match t {
                Target::Component(x) => Some(x),
                _ => None,
            })
            .collect();
        let derived = match elem {
            Elem::Component(kinds) => targets.iter().flatten().find_map(|t| match t {
                Target::Flow(f) => {
                    let flow = self.flow_at.get(f).and_then(|&i| self.draft.flows.get(i))?;
                    [&flow.source, &flow.target]
                        .into_iter()
                        .find(|c| kind_ok(c, kinds))
                        .cloned()
                }
                _ => None,
            }),
            Elem::Flow => {
                let mut found = None;
                'outer: for a in &components {
                    for b in &components {
                        if let Some(f) = self.flow_between.get(&((*a).clone(), (*b).clone())) {
                            found = Some(f.clone());
                            break 'outer;
                        }
                    }
                }
                found
            }
            Elem::Runtime => components.iter().find_map(|c| {
                self.draft
                    .runtimes
                    .iter()
                    .find(|r| r.runs.contains(c))
                    .map(|r| r.id.clone())
            }),
            Elem::Boundary => components.iter().find_map(|c| {
                self.draft
                    .boundaries
                    .iter()
                    .find(|b| b.contains.contains(c))
                    .map(|b| b.id.clone())
            }),
            Elem::Model | Elem::Data => None,
        };
        if derived.is_some() {
            return derived;
        }
        parts.contains(&"*").then(|| "*".to_owned())
    }

    /// Keeps a tracked risk that no threatforge rule covers as a manual threat, and returns the
    /// selector of its decision.
    fn tracked_as_manual(&mut self, risk_id: &str) -> String {
        let mut parts = risk_id.split('@');
        let rule_id = parts.next().unwrap_or(risk_id).trim().to_owned();
        let parts: Vec<&str> = parts.map(str::trim).collect();
        let mapping = rule(&rule_id);
        let stride = mapping.map_or(Stride::Tampering, |m| m.stride);
        let title = mapping.map_or_else(|| rule_id.clone(), |m| m.title.to_owned());
        let element = parts.iter().find_map(|p| self.element_of(p));
        let hint = match &element {
            Some(e) => format!("{rule_id}-{}", e.replace("->", "-to-")),
            None => rule_id.clone(),
        };
        let id = self.draft.threat_ids.mint(&hint);
        let mut t = DraftThreat::new(id, format!("{title} (from Threagile)"), stride);
        t.element = element;
        if let Some(m) = mapping {
            t.cwe.push(m.cwe);
        }
        let why = if mapping.is_some_and(|m| m.covered_by.is_empty()) {
            "threatforge has no rule for it (rules/coverage-threagile.yaml says why)"
        } else if mapping.is_some() {
            "no threatforge rule covers it at this element"
        } else {
            "not a Threagile rule threatforge knows"
        };
        t.comments.push(format!(
            "Threagile risk {risk_id}, tracked in the Threagile model; {why}"
        ));
        self.warnings.push(format!(
            "risk_tracking `{risk_id}`: {why}; kept as manual threat `{}`",
            t.threat_id()
        ));
        let selector = t.threat_id();
        self.draft.threats.push(t);
        selector
    }
}

/// Threagile's wildcard match: `*` stands for one whole `@`-separated part.
fn wildcard_match(pattern: &str, id: &str) -> bool {
    let p: Vec<&str> = pattern.split('@').collect();
    let i: Vec<&str> = id.split('@').collect();
    p.len() == i.len()
        && p.iter()
            .zip(&i)
            .all(|(a, b)| *a == "*" || a.trim() == b.trim())
}

fn dedup(items: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    items.retain(|i| seen.insert(i.clone()));
}

/// docs/import.md's tables for Threagile, rendered from the code.
#[cfg(test)]
pub(crate) fn doc_table(name: &str) -> Option<String> {
    let mut out = String::new();
    match name {
        "threagile-technologies" => {
            out.push_str(
                "| Threagile technology | threatforge technology | traits added |\n|---|---|---|\n",
            );
            for t in TECHNOLOGIES {
                let (tech, traits, loose) = technology(t)?;
                let tech = tech.map_or("(none: kind from `type`, a comment)".to_owned(), |x| {
                    format!("`{x}`{}", if loose { " (a comment says so)" } else { "" })
                });
                let traits: Vec<String> = traits.iter().map(|x| format!("`{x}`")).collect();
                out.push_str(&format!("| `{t}` | {tech} | {} |\n", traits.join(", ")));
            }
        }
        "threagile-protocols" => {
            out.push_str("| Threagile protocol | threatforge protocol |\n|---|---|\n");
            for p in PROTOCOLS {
                let (proto, loose) = protocol(p)?;
                let proto = proto.map_or("(none, a comment)".to_owned(), |x| {
                    format!("`{x}`{}", if loose { " (a comment says so)" } else { "" })
                });
                out.push_str(&format!("| `{p}` | {proto} |\n"));
            }
        }
        "threagile-attributes" => {
            out.push_str("| Threagile attribute | threatforge |\n|---|---|\n");
            for (attr, becomes, _, _) in ATTRIBUTES {
                out.push_str(&format!("| {attr} | {becomes} |\n"));
            }
        }
        _ => return None,
    }
    Some(out)
}

/// A severity a Threagile model states, by name. Threagile has five (`low`, `medium`, `elevated`,
/// `high`, `critical`) where threatforge has four above `info`: `elevated` (Threagile's scores
/// of 4 to 8) mostly falls in threatforge's `medium` (4 to 7).
fn threagile_severity(word: &str) -> Option<ThreatSeverity> {
    Some(match norm(word).as_str() {
        "low" => ThreatSeverity::Low,
        "medium" | "elevated" => ThreatSeverity::Medium,
        "high" => ThreatSeverity::High,
        "critical" => ThreatSeverity::Critical,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn categories_come_from_the_words_of_the_name() {
        use super::categories_named;
        use threatforge_model::DataCategory::*;
        for (id, title, expected) in [
            (
                "user-credentials",
                "User Credentials and Tokens",
                vec![Credential],
            ),
            (
                "payment-data",
                "Payment Transactions",
                vec![Payment, Financial],
            ),
            ("customer-pii", "Customer Profiles", vec![Personal]),
            (
                "courier-locations",
                "Courier Live Locations",
                vec![Location],
            ),
            ("source-code", "Source Code", vec![IntellectualProperty]),
            ("recipes", "Trade Secrets", vec![IntellectualProperty]),
            ("service-secrets", "Service Secrets", vec![Credential]),
            // Alone, "secret" says how confidential, not what it is.
            ("secret", "Secret Recipes", vec![]),
            ("build-logs", "Build Logs", vec![Logs]),
            // Words inside other words do not count: "catalog" holds "log", "keystone" "key".
            ("catalog", "Product Catalogue", vec![]),
            ("keystone", "Keystone Orders", vec![]),
            ("orders", "Orders", vec![]),
        ] {
            assert_eq!(categories_named(id, title), expected, "{title}");
        }
    }

    use super::*;

    /// An element's entry in an imported model: its line and, written as a block, the lines
    /// indented under it.
    fn entry(yaml: &str, id: &str) -> String {
        let mut lines = yaml
            .lines()
            .skip_while(|l| !l.starts_with(&format!("  {id}:")));
        let first = lines.next().unwrap_or_default();
        std::iter::once(first)
            .chain(lines.take_while(|l| l.starts_with("    ")))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// A small model with one line added where a row of `ATTRIBUTES` says.
    fn attribute_model(line: &str) -> String {
        let (place, text) = line.split_once(": ").unwrap_or(("", ""));
        let at = |p: &str| if place == p { text } else { "" };
        format!(
            "threagile_version: 1.0.0\ntitle: t\n{root}\n\
             data_assets:\n  Orders: {{ id: orders, confidentiality: confidential }}\n\
             technical_assets:\n  Client:\n    id: client\n    type: external-entity\n    technology: browser\n    {client}\n\
             \x20   communication_links:\n      Calls:\n        target: app\n        {link}\n\
             \x20 Shop App:\n    id: app\n    type: process\n    technology: web-server\n    {asset}\n\
             \x20   data_assets_processed: [orders]\n",
            root = at("root"),
            client = at("client"),
            link = at("link"),
            asset = at("asset"),
        )
    }

    #[test]
    fn each_attribute_in_the_guide_does_what_it_says() {
        let import = |text: &str| crate::yaml_of(text, crate::Format::Threagile);
        let without = import(&attribute_model(""));
        for (attr, _, line, token) in ATTRIBUTES {
            assert!(
                !without.contains(token),
                "{attr}: `{token}` without it:\n{without}"
            );
            let with = import(&attribute_model(line));
            assert!(with.contains(token), "{attr}: no `{token}` in\n{with}");
        }
    }

    /// The kind each component of an imported model got, by id.
    /// Whether each component of an imported model is an actor, by id: its `kind`, else its
    /// technology's.
    fn kinds_of(yaml: &str) -> Vec<(String, bool)> {
        let field = |line: &str, name: &str| {
            let start = line.find(&format!(" {name}: "))? + name.len() + 3;
            let rest = &line[start..];
            Some(rest[..rest.find([',', ' ']).unwrap_or(rest.len())].to_owned())
        };
        let mut entries: Vec<String> = Vec::new();
        for line in yaml
            .lines()
            .skip_while(|l| *l != "components:")
            .skip(1)
            .take_while(|l| l.starts_with(' '))
            .filter(|l| !l.trim_start().starts_with('#'))
        {
            match entries.last_mut() {
                // A component written as a block: its fields on the lines below its id.
                Some(entry) if line.starts_with("   ") => {
                    entry.push(' ');
                    entry.push_str(line.trim());
                }
                _ => entries.push(line.to_owned()),
            }
        }
        entries
            .iter()
            .map(|l| {
                let id = l.trim().split(':').next().unwrap_or_default().to_owned();
                let actor = match field(l, "kind") {
                    Some(kind) => kind == "actor",
                    None => {
                        field(l, "technology")
                            .and_then(|t| catalog().technology(&t).map(|t| t.kind))
                            == Some(ComponentKind::Actor)
                    }
                };
                (id, actor)
            })
            .collect()
    }

    /// A team that runs its function app on a cloud service draws it as an external entity; it
    /// is still the team's component. People, clients and other organisations' systems stay
    /// actors.
    #[test]
    fn the_teams_own_server_in_the_outside_shape_is_not_an_actor() {
        let model = |extra: &str| {
            format!(
                "threagile_version: 1.0.0\ntitle: t\n\
                 data_assets:\n  Keys: {{ id: keys, confidentiality: strictly-confidential }}\n\
                 technical_assets:\n\
                 \x20 Function:\n    id: fn\n    type: external-entity\n    technology: function\n    owner: dfe\n    data_assets_stored: [keys]\n\
                 \x20 Officer:\n    id: officer\n    type: external-entity\n    technology: client-system\n    owner: dfe\n    used_as_client_by_human: true\n\
                 \x20 Issuer:\n    id: issuer\n    type: external-entity\n    technology: web-service-rest\n    owner: Government\n\
                 \x20 Dropped:\n    id: dropped\n    type: external-entity\n    technology: function\n    owner: dfe\n    out_of_scope: true\n\
                 {extra}"
            )
        };
        let import = |text: &str| kinds_of(&crate::yaml_of(text, crate::Format::Threagile));
        let with_vault =
            "  Vault:\n    id: vault\n    type: datastore\n    technology: vault\n    owner: dfe\n";
        let actors = |kinds: &[(String, bool)]| {
            kinds
                .iter()
                .filter(|(_, actor)| *actor)
                .map(|(id, _)| id.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        };
        // The vault's owner owns the function too.
        assert_eq!(
            actors(&import(&model(with_vault))),
            "officer issuer dropped"
        );
        // A model that draws nothing but external entities says nothing with the shape.
        assert_eq!(actors(&import(&model(""))), "officer dropped");
        // Another owner's server stays an actor unless the team develops parts of it.
        let other = with_vault.replace("owner: dfe", "owner: platform");
        assert_eq!(actors(&import(&model(&other))), "fn officer issuer dropped");
        let custom = model(&other).replace(
            "owner: Government\n",
            "owner: Government\n    custom_developed_parts: true\n",
        );
        assert_eq!(actors(&import(&custom)), "fn officer dropped");
    }

    /// Authors list `file` among the formats of every asset a file passes: only a process that
    /// takes them is an upload endpoint. A person's client system is that person; a platform
    /// label on a container is the service in it.
    #[test]
    fn formats_and_labels_are_read_by_what_the_asset_is() {
        let text = "threagile_version: 1.0.0\ntitle: t\n\
             technical_assets:\n\
             \x20 Officer: { id: officer, type: external-entity, technology: client-system, used_as_client_by_human: true, data_formats_accepted: [file] }\n\
             \x20 Partner: { id: partner, type: external-entity, technology: client-system }\n\
             \x20 Store: { id: store, type: datastore, technology: file-server, data_formats_accepted: [file] }\n\
             \x20 Intake: { id: intake, type: process, technology: web-service-rest, data_formats_accepted: [file] }\n\
             \x20 Orders: { id: orders, type: process, technology: container-platform, machine: container }\n\
             \x20 Cluster: { id: cluster, type: process, technology: container-platform, machine: virtual }\n\
             \x20 Results API: { id: results-api, type: process, technology: application-server }\n\
             \x20 Rapid Portal: { id: portal, type: process, technology: application-server }\n\
             \x20 Bridge Firewall: { id: bridge-fw, type: process, technology: web-application }\n\
             \x20 Registry: { id: registry, type: process, technology: artifact-registry, data_formats_accepted: [file, serialization] }\n\
             \x20 Pipeline: { id: pipeline, type: process, technology: build-pipeline, data_formats_accepted: [file] }\n\
             \x20 Platform: { id: platform, type: process, technology: container-platform, data_formats_accepted: [file] }\n\
             \x20 Db: { id: db, type: process, technology: database, data_formats_accepted: [file, serialization] }\n\
             \x20 Jobs: { id: jobs, type: process, technology: ejb, data_formats_accepted: [serialization] }\n\
             \x20 Frontend: { id: frontend, type: process, technology: browser, machine: container }\n\
             \x20 Reader: { id: reader, type: external-entity, technology: browser, machine: container }\n\
             \x20 Phone: { id: phone, type: process, technology: mobile-app, used_as_client_by_human: true, data_formats_accepted: [xml], encryption: transparent, redundant: true }\n\
             \x20 firewall2: { id: firewall2, type: process, technology: gateway }\n\
             \x20 Core Router: { id: core-router, type: process, technology: web-application }\n\
             \x20 Jump: { id: admin-access, type: process, technology: jump-server }\n\
             \x20 Cache: { id: cache, type: process, technology: web-service-rest, encryption: transparent, data_assets_stored: [] }\n\
             \x20 DC1: { id: DC1, type: process, technology: local-file-system, description: Domain Controller }\n\
             \x20 FW1: { id: FW1, type: process, technology: gateway, description: Internet Firewall }\n\
             \x20 R2: { id: R2, type: process, technology: gateway, description: OT Network Router }\n\
             \x20 G9: { id: G9, type: process, technology: gateway, description: Joins the office network to the firewall }\n\
             \x20 TI1: { id: TI1, type: external-entity, technology: iot-device, description: Controller with I/O }\n\
             \x20 Steering Gear PLC: { id: steering-plc, type: process, technology: iot-device }\n\
             \x20 Gyrocompass: { id: gyro, type: process, technology: iot-device }\n\
             \x20 Valve: { id: valve, type: process, technology: industrial-control-actor }\n\
             \x20 Flow Meter: { id: meter, type: process, technology: industrial-control-sensor }\n";
        let yaml = crate::yaml_of(text, crate::Format::Threagile);
        let line = |id: &str| entry(&yaml, id);
        let all = [
            "officer", "partner", "store", "intake", "registry", "pipeline", "platform", "db",
            "jobs",
        ];
        let with = |trait_: &str| -> Vec<&str> {
            all.into_iter()
                .filter(|id| line(id).contains(trait_))
                .collect()
        };
        assert_eq!(with("accepts-files"), ["intake"], "{yaml}");
        assert_eq!(with("deserializes-objects"), ["jobs"], "{yaml}");
        assert!(
            line("frontend").contains("technology: single-page-app"),
            "{yaml}"
        );
        assert!(line("reader").contains("technology: browser"), "{yaml}");
        // A person's phone drawn as a process is the person's: no parser, no control of ours.
        let phone = line("phone");
        assert!(
            phone.contains("technology: mobile-app") && !phone.contains("kind: process"),
            "{yaml}"
        );
        for absent in ["parses-xml", "encryption-at-rest", "high-availability"] {
            assert!(!phone.contains(absent), "{absent}: {yaml}");
        }
        assert!(!line("cache").contains("encryption-at-rest"), "{yaml}");
        assert!(
            line("admin-access").contains("technology: bastion-host"),
            "{yaml}"
        );
        assert!(line("firewall2").contains("technology: firewall"), "{yaml}");
        // A code for a title and a label for a description: the label names it; prose does not.
        assert!(line("dc1").contains("technology: ldap-directory"), "{yaml}");
        assert!(line("fw1").contains("technology: firewall"), "{yaml}");
        assert!(line("r2").contains("passes-connections"), "{yaml}");
        assert!(line("g9").contains("technology: api-gateway"), "{yaml}");
        // Controllers of equipment, by name or by Threagile 1.0's technology; sensors stay
        // devices in the field.
        for id in ["ti1", "steering-plc", "valve"] {
            assert!(line(id).contains("technology: plc"), "{id}: {yaml}");
        }
        for id in ["gyro", "meter"] {
            assert!(line(id).contains("technology: iot-device"), "{id}: {yaml}");
        }
        let router = line("core-router");
        assert!(
            !router.contains("technology:") && router.contains("passes-connections"),
            "{yaml}"
        );
        assert!(line("officer").contains("technology: user"), "{yaml}");
        assert!(
            line("partner").contains("technology: external-service"),
            "{yaml}"
        );
        assert!(line("orders").contains("technology: api-service"), "{yaml}");
        assert!(
            line("cluster").contains("technology: container-platform"),
            "{yaml}"
        );
        assert!(
            line("results-api").contains("technology: api-service"),
            "{yaml}"
        );
        // "Rapid" holds "api" but is not the word.
        assert!(
            line("portal").contains("technology: web-application"),
            "{yaml}"
        );
        assert!(line("bridge-fw").contains("technology: firewall"), "{yaml}");
    }

    #[test]
    fn the_public_is_no_third_party() {
        for (owner, third) in [
            ("External Developers", true),
            ("Payment Vendor", true),
            ("External Users", false),
            ("End-user customers", false),
            ("Platform team", false),
        ] {
            assert_eq!(third_party_owner(owner), third, "{owner}");
        }
    }

    /// The template's prompts in a tracking entry are nobody's justification or name; a data
    /// asset's tags name its category as its title does.
    #[test]
    fn template_prompts_are_dropped_and_tags_name_categories() {
        let text = "threagile_version: 1.0.0\ntitle: t\n\
             data_assets:\n  Records: { id: records, confidentiality: confidential, tags: [pii] }\n\
             technical_assets:\n  App: { id: app, type: process, technology: web-service-rest, data_assets_processed: [records] }\n\
             risk_tracking:\n  missing-hardening@app:\n    status: accepted\n    justification: Enter justification here.\n    checked_by: Enter name of owner/ reviewer here.\n    ticket: XYZ-1\n";
        let yaml = crate::yaml_of(text, crate::Format::Threagile);
        assert!(yaml.contains("categories: [personal]"), "{yaml}");
        assert!(!yaml.contains("Enter "), "{yaml}");
        assert!(yaml.contains("XYZ-1"), "{yaml}");
    }

    /// An abuse case that names the attack but no asset places nothing: it leaves a hint.
    #[test]
    fn an_abuse_case_naming_no_asset_is_a_hint() {
        let text =
            attribute_model("root: abuse_cases: { SSRF: An attacker fetches internal addresses }");
        let yaml = crate::yaml_of(&text, crate::Format::Threagile);
        assert!(yaml.contains("Hint from abuse_cases `SSRF`"), "{yaml}");
        assert!(
            !yaml
                .lines()
                .any(|l| l.starts_with("  app:") && l.contains("fetches-urls")),
            "{yaml}"
        );
    }

    #[test]
    fn link_ids_follow_threagile() {
        assert_eq!(link_id("web", "Database Traffic"), "web>database-traffic");
        assert_eq!(link_id("a", "  HTTPS (v2)! "), "a>https-v2");
    }

    #[test]
    fn both_spellings_normalize() {
        assert_eq!(
            norm("enduser-identity-propagation"),
            "end-user-identity-propagation"
        );
        assert_eq!(
            norm("End_User Identity_Propagation"),
            "end-user-identity-propagation"
        );
        // Threagile's own spelling of the fifth encryption, the one its example models use.
        assert_eq!(
            norm("data-with-enduser-individual-key"),
            "data-with-end-user-individual-key"
        );
        assert_eq!(norm("endusers"), "endusers");
    }

    #[test]
    fn html_is_stripped() {
        assert_eq!(strip_html("<b>Risk</b> at <b>X</b>"), "Risk at X");
        assert_eq!(strip_html("a < b and c > d"), "a < b and c > d");
    }

    /// A cloud provider's network around nothing but outside callers is where they are, not an
    /// account of the team's; one around the team's servers stays an account.
    #[test]
    fn a_cloud_network_of_callers_only_is_their_network() {
        let text = "threagile_version: 1.0.0\ntitle: t\n\
             technical_assets:\n\
             \x20 Browser: { id: browser, type: external-entity, technology: browser, used_as_client_by_human: true }\n\
             \x20 Phone: { id: phone, type: process, technology: mobile-app, used_as_client_by_human: true }\n\
             \x20 App: { id: app, type: process, technology: web-service-rest }\n\
             trust_boundaries:\n\
             \x20 Internet: { id: internet-zone, type: network-cloud-provider, technical_assets_inside: [browser, phone] }\n\
             \x20 Cloud: { id: cloud, type: network-cloud-provider, technical_assets_inside: [app] }\n";
        let yaml = crate::yaml_of(text, crate::Format::Threagile);
        let line = |id: &str| entry(&yaml, id);
        assert!(!line("internet-zone").contains("cloud-account"), "{yaml}");
        assert!(line("internet-zone").contains("trust: untrusted"), "{yaml}");
        assert!(line("cloud").contains("kind: cloud-account"), "{yaml}");
        assert!(yaml.contains("read as a network"), "{yaml}");
    }

    /// A development service or secrets manager named for its vendor's hosted offering is the
    /// vendor's to run; a self-hosted edition is not, nor is a cluster named for its cloud,
    /// which stands for the nodes that run the team's workloads too.
    #[test]
    fn hosted_services_are_read_from_names_and_tags() {
        let text = "threagile_version: 1.0.0\ntitle: t\n\
             technical_assets:\n\
             \x20 GitHub Repo: { id: repo, type: process, technology: sourcecode-repository }\n\
             \x20 CodeQL: { id: codeql, type: process, technology: code-inspection-platform }\n\
             \x20 SonarQube: { id: sonarqube, type: process, technology: code-inspection-platform }\n\
             \x20 Registry: { id: registry, type: process, technology: artifact-registry, tags: [amazon ecr] }\n\
             \x20 Secrets: { id: secrets, type: process, technology: vault, tags: [aws secret manager] }\n\
             \x20 GitHub Enterprise Server: { id: ghes, type: process, technology: sourcecode-repository }\n\
             \x20 Nexus: { id: nexus, type: process, technology: artifact-registry }\n\
             \x20 EKS: { id: eks, type: process, technology: container-platform, tags: [amazon eks] }\n\
             \x20 Own Repo: { id: own, type: process, technology: sourcecode-repository, tags: [github], custom_developed_parts: true }\n\
             \x20 GHE: { id: ghe, type: process, technology: sourcecode-repository, tags: [github, enterprise server] }\n\
             \x20 Vault key store: { id: keys, type: datastore, technology: vault }\n";
        let yaml = crate::yaml_of(text, crate::Format::Threagile);
        let all = [
            "repo",
            "codeql",
            "sonarqube",
            "registry",
            "secrets",
            "ghes",
            "nexus",
            "eks",
            "own",
            "ghe",
            "keys",
        ];
        let managed: Vec<&str> = all
            .into_iter()
            .filter(|id| entry(&yaml, id).contains("managed"))
            .collect();
        assert_eq!(managed, ["repo", "codeql", "registry", "secrets"], "{yaml}");
    }

    /// An asset is as critical as its availability, a store as the integrity of what it keeps
    /// too; a process's integrity, rated highest on every development tool, is its code's.
    #[test]
    fn an_asset_is_as_critical_as_its_availability() {
        let text = "threagile_version: 1.0.0\ntitle: t\n\
             technical_assets:\n\
             \x20 Pipeline: { id: pipeline, type: process, technology: build-pipeline, integrity: mission-critical, availability: important }\n\
             \x20 Gateway: { id: gateway, type: process, technology: web-service-rest, integrity: important, availability: mission-critical }\n\
             \x20 Ledger: { id: ledger, type: datastore, technology: database, integrity: mission-critical, availability: important }\n";
        let yaml = crate::yaml_of(text, crate::Format::Threagile);
        assert!(!entry(&yaml, "pipeline").contains("criticality:"), "{yaml}");
        assert!(
            entry(&yaml, "ledger").contains("criticality: critical"),
            "{yaml}"
        );
        assert!(
            entry(&yaml, "gateway").contains("criticality: critical"),
            "{yaml}"
        );
    }

    /// Assets that name their boundary themselves are inside it.
    #[test]
    fn boundaries_named_on_the_assets_hold_them() {
        let text = "threagile_version: 1.0.0\ntitle: t\n\
             technical_assets:\n\
             \x20 Browser: { id: browser, type: external-entity, technology: browser, trust_boundaries: [outside] }\n\
             \x20 App: { id: app, type: process, technology: web-service-rest, trust_boundaries: [inside] }\n\
             trust_boundaries:\n\
             \x20 Outside: { id: outside, type: network-on-prem }\n\
             \x20 Inside: { id: inside, type: network-on-prem, technical_assets_inside: [app] }\n";
        let yaml = crate::yaml_of(text, crate::Format::Threagile);
        assert!(
            entry(&yaml, "outside").contains("contains: [browser]"),
            "{yaml}"
        );
        assert!(entry(&yaml, "inside").contains("contains: [app]"), "{yaml}");
    }

    #[test]
    fn wildcards_match_one_part() {
        assert!(wildcard_match("x@*@c", "x@b@c"));
        assert!(!wildcard_match("x@*", "x@b@c"));
    }

    #[test]
    fn every_mapped_technology_and_protocol_is_in_the_catalogue() {
        let cat = catalog();
        for t in TECHNOLOGIES {
            let (tech, traits, _) = technology(t).unwrap_or_else(|| panic!("{t} unmapped"));
            if let Some(tech) = tech {
                assert!(cat.technology(tech).is_some(), "{t} -> {tech}");
            }
            for tr in traits {
                assert!(cat.traits.contains_key(*tr), "{tr}");
            }
        }
        for p in PROTOCOLS {
            let (proto, _) = protocol(p).unwrap_or_else(|| panic!("{p} unmapped"));
            if let Some(proto) = proto {
                assert!(cat.protocol(proto).is_some(), "{p} -> {proto}");
            }
        }
    }
}

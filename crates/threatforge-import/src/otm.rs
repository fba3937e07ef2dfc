//! Open Threat Model 0.2 (JSON or YAML) into a draft.
//!
//! Two kinds of OTM file come in. Files from other tools (IriusRisk, StartLeft, hand-written)
//! name components by tool-specific `type`s, rate risk on 0-100 scales and often use UUIDs as
//! ids; we map types to the closest catalogue technology, scales to our levels, and mint readable
//! ids from names where the id is not one. Files from `threatforge report --format otm` also
//! carry `attributes.threatforge` on each element with what OTM has no field for; where present,
//! those attributes win, so that our own export comes back without loss.
//!
//! Threats: a threatforge threat in our export (its attributes name a rule) is found again by the
//! analysis after import, so it becomes a decision only where the team decided on it (or the
//! other tool changed its state). A manual threat in our export becomes the same manual threat.
//! A foreign threat becomes a manual threat on each element that references it, with the state
//! it has there as a decision.

use std::collections::{HashMap, HashSet};

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use threatforge_model::{ControlTarget, catalog};
use threatforge_model::{Linddun, is_valid_id};

use crate::draft::*;
use crate::{ImportError, Options};

/// The id our export gives the zone of components outside every boundary.
const UNZONED: &str = "threatforge:unzoned";
/// A well-known IriusRisk id of the internet zone, used in the OTM examples.
const IRIUS_INTERNET: &str = "f0ba7722-39b6-4c81-8290-a30a248bb8d9";

pub(crate) fn import(
    bytes: &[u8],
    options: &Options,
    warnings: &mut Vec<String>,
) -> Result<Draft, ImportError> {
    let root = parse(bytes)?;
    let Value::Object(root) = root else {
        return Err(ImportError::new(
            "an Open Threat Model file is a mapping with `otmVersion` and `project`",
        ));
    };
    let mut importer = Importer {
        draft: Draft::new(
            root.get("project")
                .and_then(|p| text(p, "name"))
                .unwrap_or_else(|| "Imported model".to_owned()),
        ),
        warnings,
        zones: HashMap::new(),
        components: HashMap::new(),
        component_zone: HashMap::new(),
        data: HashMap::new(),
        flows: HashMap::new(),
        runtimes: HashMap::new(),
        mitigations: HashMap::new(),
        used_mitigations: HashSet::new(),
        decided: HashSet::new(),
        boundary_at: HashMap::new(),
        component_at: HashMap::new(),
    };
    importer.header(&root, options);
    importer.assets(&root);
    importer.trust_zones(&root);
    importer.components(&root);
    importer.runtimes(&root);
    importer.dataflows(&root);
    importer.mitigations(&root);
    importer.threats(&root);
    importer.unused_mitigations(&root);
    Ok(importer.draft)
}

/// JSON when it looks like JSON (better messages, and serde_json's own recursion limit), else
/// YAML with the crate's budgets.
fn parse(bytes: &[u8]) -> Result<Value, ImportError> {
    let text = crate::text(bytes)?;
    if text.trim_start().starts_with('{') {
        serde_json::from_str(text).map_err(|e| {
            ImportError::at(
                format!("invalid JSON: {}", strip_position(&e.to_string())),
                e.line(),
                e.column(),
            )
        })
    } else {
        crate::parse_yaml(text)
    }
}

fn strip_position(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// A scalar as text, trimmed; `None` when absent, empty or not a scalar.
fn text(v: &Value, key: &str) -> Option<String> {
    scalar(v.get(key)?)
}

fn scalar(v: &Value) -> Option<String> {
    let s = match v {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => return None,
    };
    (!s.is_empty()).then_some(s)
}

fn number(v: &Value, key: &str) -> Option<f64> {
    match v.get(key)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(items)) => items.iter().filter_map(scalar).collect(),
        Some(other) => scalar(other).into_iter().collect(),
        None => Vec::new(),
    }
}

fn array<'a>(v: &'a Map<String, Value>, key: &str) -> &'a [Value] {
    match v.get(key) {
        Some(Value::Array(items)) => items,
        _ => &[],
    }
}

/// `attributes.threatforge`: what our own export wrote.
fn tf(v: &Value) -> Option<&Map<String, Value>> {
    v.get("attributes")?.get("threatforge")?.as_object()
}

fn tf_text(tf: Option<&Map<String, Value>>, key: &str) -> Option<String> {
    tf.and_then(|m| m.get(key)).and_then(scalar)
}

fn tf_list(tf: Option<&Map<String, Value>>, key: &str) -> Vec<String> {
    strings(tf.and_then(|m| m.get(key)))
}

/// A threatforge enum from its kebab-case name.
fn parse_enum<T: DeserializeOwned>(text: &str) -> Option<T> {
    serde_json::from_value(Value::String(text.to_owned())).ok()
}

/// Ids that people would not want to read (UUIDs, hashes) are replaced by ids from names.
fn readable(id: &str) -> bool {
    let hexish = id
        .chars()
        .filter(|c| c.is_ascii_hexdigit() || *c == '-')
        .count();
    let digits = id.chars().filter(char::is_ascii_digit).count();
    is_valid_id(id) && !(id.len() >= 16 && hexish == id.len() && digits >= 4)
}

fn norm(text: &str) -> String {
    slug(text)
}

/// The value of the first band whose upper bound `value` does not exceed, else `top` (NaN too).
fn band<T: Copy>(value: f64, bounds: [(f64, T); 3], top: T) -> T {
    bounds
        .iter()
        .find(|(bound, _)| value <= *bound)
        .map_or(top, |&(_, band)| band)
}

/// 0-100 to a level: our export writes 25, 50, 75 and 100.
fn level(value: f64) -> Level {
    let bounds = [
        (25.0, Level::Low),
        (50.0, Level::Medium),
        (75.0, Level::High),
    ];
    band(value, bounds, Level::VeryHigh)
}

fn classification(value: f64) -> Classification {
    let bounds = [
        (15.0, Classification::Public),
        (50.0, Classification::Internal),
        (80.0, Classification::Confidential),
    ];
    band(value, bounds, Classification::Secret)
}

fn rating(value: f64) -> Rating {
    let bounds = [
        (30.0, Rating::Low),
        (60.0, Rating::Medium),
        (85.0, Rating::High),
    ];
    band(value, bounds, Rating::Critical)
}

/// OTM trust rating (0-100, higher is more trusted; IriusRisk gives the internet 1).
fn trust(value: f64) -> Trust {
    let bounds = [
        (20.0, Trust::Untrusted),
        (50.0, Trust::Low),
        (80.0, Trust::Medium),
    ];
    band(value, bounds, Trust::High)
}

/// A threat's state in OTM (the examples' words, IriusRisk's, and ours) as a decision status.
fn state_status(state: &str) -> Option<DecisionStatus> {
    Some(match norm(state).as_str() {
        "exposed"
        | "expose"
        | "open"
        | "required"
        | "recommended"
        | "partly-mitigated"
        | "partially-mitigated"
        | "new"
        | "identified" => DecisionStatus::Open,
        "in-progress" | "investigating" | "needs-investigation" => DecisionStatus::InProgress,
        "mitigated" | "implemented" | "fixed" | "resolved" | "closed" => DecisionStatus::Mitigated,
        "accepted" | "accept" | "risk-accepted" => DecisionStatus::Accepted,
        "false-positive" => DecisionStatus::FalsePositive,
        "not-applicable" | "na" | "n-a" | "hidden" | "ignored" => DecisionStatus::NotApplicable,
        _ => return None,
    })
}

/// The catalogue technology for a tool's component type (IriusRisk's `web-application-server-side`,
/// `generic-client`, `postgresql`...). Specific words come before generic ones.
/// Words in an OTM component type (or a TMT stencil's name) and the technology they pick, first
/// match wins: docs/import.md shows it (`doc_table`).
const TYPE_WORDS: &[(&[&str], &str)] = &[
    (&["browser", "web-client", "webclient"], "browser"),
    (&["android", "ios", "mobile", "iphone"], "mobile-app"),
    (&["desktop", "thick-client"], "desktop-app"),
    (&["iot", "sensor", "embedded"], "iot-device"),
    (
        &["payment", "stripe", "paypal", "adyen"],
        "payment-provider",
    ),
    (&["partner"], "partner-system"),
    (&["saas", "salesforce", "office365"], "saas"),
    (&["postgres"], "postgresql"),
    (&["mysql", "mariadb", "aurora"], "mysql"),
    (
        &["sql-server", "mssql", "sqlserver", "azure-sql"],
        "sql-server",
    ),
    (&["oracle"], "oracle-database"),
    (&["mongo", "documentdb", "cosmos"], "mongodb"),
    (&["dynamo"], "dynamodb"),
    (&["cassandra", "keyspaces", "scylla"], "cassandra"),
    (&["redis", "elasticache"], "redis"),
    (&["memcache", "cache"], "cache"),
    (
        &["elastic", "opensearch", "solr", "search"],
        "search-engine",
    ),
    (
        &["redshift", "snowflake", "bigquery", "warehouse", "synapse"],
        "data-warehouse",
    ),
    (
        &["s3", "blob", "bucket", "object-storage", "gcs"],
        "object-storage",
    ),
    (
        &[
            "efs",
            "file-share",
            "nfs",
            "file-server",
            "file-storage",
            "ftp",
        ],
        "file-storage",
    ),
    (
        &[
            "kafka",
            "rabbit",
            "sqs",
            "sns",
            "queue",
            "event-hub",
            "pubsub",
            "kinesis",
            "broker",
            "message",
            "eventbridge",
            "mq",
        ],
        "message-queue",
    ),
    (&["ldap", "active-directory"], "ldap-directory"),
    (&["key-vault", "kms", "hsm"], "kms"),
    (&["vault", "secrets-manager", "secret"], "secrets-vault"),
    (
        &["ecr", "container-registry", "docker-registry", "acr"],
        "container-registry",
    ),
    (
        &["artifact", "nexus", "artifactory", "package-registry"],
        "artifact-registry",
    ),
    // Hosted services before self-run pipelines: `azure-pipelines` is the former.
    (
        &[
            "github-actions",
            "circleci",
            "azure-pipelines",
            "azure-devops",
            "codebuild",
            "codepipeline",
            "bitbucket-pipelines",
        ],
        "hosted-ci",
    ),
    (
        &["jenkins", "pipeline", "cicd", "ci-cd", "gitlab-ci"],
        "ci-pipeline",
    ),
    (
        &["git", "source-code", "repository", "scm", "bitbucket"],
        "source-repository",
    ),
    (&["backup"], "backup-storage"),
    (
        &[
            "siem",
            "splunk",
            "cloudwatch",
            "log-collector",
            "logstash",
            "fluent",
        ],
        "log-collector",
    ),
    (&["log-storage", "logs"], "log-storage"),
    (&["storage"], "object-storage"),
    (&["nosql"], "nosql-database"),
    (
        &["database", "db", "rds", "sql", "datastore", "data-store"],
        "database",
    ),
    (&["waf"], "waf"),
    (&["jupyter", "notebook", "zeppelin"], "notebook-server"),
    // A network load balancer forwards connections, not requests (before the general word).
    (
        &["nlb", "network-load-balancer", "tcp-proxy"],
        "network-load-balancer",
    ),
    (
        &["load-balancer", "elb", "alb", "balancer"],
        "load-balancer",
    ),
    (
        &["api-gateway", "apigateway", "api-gw", "apim"],
        "api-gateway",
    ),
    (&["cdn", "cloudfront", "akamai", "fastly"], "cdn"),
    (&["firewall"], "firewall"),
    (
        &["proxy", "nginx", "envoy", "haproxy", "traefik"],
        "reverse-proxy",
    ),
    (&["vpn"], "vpn-gateway"),
    (&["bastion", "jump-host", "jumpbox"], "bastion-host"),
    // Identity products the team runs serve their own admin console.
    (&["keycloak", "adfs", "authentik"], "identity-server"),
    (
        &[
            "cognito", "identity", "idp", "okta", "auth0", "oauth", "oidc", "sso", "saml", "entra",
        ],
        "identity-provider",
    ),
    (&["lambda", "function", "serverless"], "serverless-function"),
    (
        &[
            "kubernetes",
            "k8s",
            "eks",
            "aks",
            "gke",
            "ecs",
            "openshift",
            "fargate",
        ],
        "container-platform",
    ),
    (&["graphql"], "graphql-api"),
    (&["cms", "wordpress", "drupal", "joomla"], "cms"),
    (&["smtp", "mail", "ses"], "mail-server"),
    (
        &["monitor", "prometheus", "grafana", "datadog"],
        "monitoring",
    ),
    (&["llm", "openai", "bedrock", "genai"], "llm-service"),
    (&["etl", "glue", "airflow", "dataflow"], "etl-job"),
    (&["batch", "cron", "job"], "batch-job"),
    (&["worker"], "worker"),
    (&["webhook"], "webhook-handler"),
    (&["admin", "console", "back-office"], "admin-console"),
    (
        &["ec2", "virtual-machine", "vm", "compute-engine"],
        "virtual-machine",
    ),
    (&["web-server", "apache", "iis", "static"], "web-server"),
    (
        &["external", "third-party", "3rd-party"],
        "external-service",
    ),
    (
        &[
            "user",
            "generic-client",
            "client",
            "actor",
            "person",
            "human",
        ],
        "user",
    ),
    (
        &["web-service", "rest", "api", "microservice", "service"],
        "api-service",
    ),
    (
        &[
            "web-application",
            "webapp",
            "web-app",
            "web",
            "application",
            "app",
            "portal",
            "frontend",
            "tomcat",
        ],
        "web-application",
    ),
    (&["backend", "server", "process"], "backend-service"),
];

pub(crate) fn technology_for(kind: &str) -> Option<&'static str> {
    let key = norm(kind);
    if let Some((id, _)) = catalog().technologies.get_key_value(key.as_str()) {
        return Some(id.as_str());
    }
    let tokens: Vec<&str> = key.split('-').collect();
    let has = |word: &str| {
        if word.contains('-') {
            key == word
                || key.starts_with(&format!("{word}-"))
                || key.ends_with(&format!("-{word}"))
                || key.contains(&format!("-{word}-"))
        } else {
            tokens.iter().any(|t| t.starts_with(word))
        }
    };
    TYPE_WORDS
        .iter()
        .find(|(words, _)| words.iter().any(|w| has(w)))
        .map(|(_, id)| *id)
}

/// A boundary kind for a trust zone's type or name.
fn boundary_kind(kind: &str) -> Option<BoundaryKind> {
    let key = norm(kind);
    let tokens: Vec<&str> = key.split('-').collect();
    let has = |words: &[&str]| tokens.iter().any(|t| words.contains(t));
    Some(if has(&["namespace"]) {
        BoundaryKind::Namespace
    } else if has(&["cluster", "kubernetes", "k8s", "eks", "aks", "gke"]) {
        BoundaryKind::Cluster
    } else if has(&["vpc", "vnet", "subnet"]) || key.contains("virtual-network") {
        BoundaryKind::Vpc
    } else if has(&[
        "account",
        "subscription",
        "aws",
        "azure",
        "gcp",
        "cloud",
        "tenant",
    ]) {
        BoundaryKind::CloudAccount
    } else if has(&["host", "vm", "machine", "server"]) {
        BoundaryKind::Host
    } else if has(&[
        "sandbox",
        "process",
        "browser",
        "device",
        "container",
        "runtime",
    ]) {
        BoundaryKind::ExecutionEnvironment
    } else if has(&[
        "physical",
        "datacenter",
        "office",
        "building",
        "premises",
        "site",
    ]) {
        BoundaryKind::Physical
    } else {
        return None;
    })
}

/// The catalogue control a mitigation names: by id, by our export's attribute, or by title.
fn control_for(mitigation: &Value) -> Option<&'static str> {
    let cat = catalog();
    let candidates = [
        tf_text(tf(mitigation), "control"),
        text(mitigation, "id"),
        text(mitigation, "name"),
    ];
    for candidate in candidates.into_iter().flatten() {
        let key = norm(&candidate);
        if let Some((id, _)) = cat.controls.get_key_value(key.as_str()) {
            return Some(id.as_str());
        }
        if let Some((id, _)) = cat.controls.iter().find(|(_, c)| norm(&c.title) == key) {
            return Some(id.as_str());
        }
    }
    None
}

fn control_allowed(control: &str, on: ControlTarget) -> bool {
    catalog()
        .control(control)
        .is_some_and(|c| c.on == on || c.on == ControlTarget::Both)
}

/// Where an OTM element sits: a boundary, the internet, or nowhere.
#[derive(Clone, Debug, PartialEq)]
enum Zone {
    Boundary(String),
    Internet,
    Outside,
}

struct Importer<'w> {
    draft: Draft,
    warnings: &'w mut Vec<String>,
    /// OTM trust zone id -> where its members go.
    zones: HashMap<String, Zone>,
    /// OTM component id -> threatforge id.
    components: HashMap<String, String>,
    /// threatforge component id -> its zone, for components nested in components.
    component_zone: HashMap<String, Zone>,
    /// OTM asset id -> threatforge data id.
    data: HashMap<String, String>,
    /// OTM dataflow id -> the flow's threatforge id.
    flows: HashMap<String, String>,
    /// Runtime ids from our export's project attributes.
    runtimes: HashMap<String, String>,
    /// OTM mitigation id -> the mitigation.
    mitigations: HashMap<String, Value>,
    used_mitigations: HashSet<String>,
    /// Decision selectors already written (a pattern decision in our export covers many threats).
    decided: HashSet<String>,
    /// threatforge boundary and component id -> position in the draft: found by id for every
    /// member, nesting and mitigation, where a search of the list made large files quadratic.
    boundary_at: HashMap<String, usize>,
    component_at: HashMap<String, usize>,
}

impl Importer<'_> {
    fn warn(&mut self, text: String) {
        self.warnings.push(text);
    }

    fn mint(ns: &mut Namespace, id: Option<&str>, name: Option<&str>) -> String {
        match (id, name) {
            (Some(id), _) if readable(id) => ns.mint(id),
            (_, Some(name)) => ns.mint(name),
            (Some(id), None) => ns.mint(id),
            (None, None) => ns.mint("item"),
        }
    }

    fn header(&mut self, root: &Map<String, Value>, options: &Options) {
        let mut line = "Imported from an Open Threat Model file".to_owned();
        if let Some(name) = &options.source_name {
            line.push_str(&format!(" ({name})"));
        }
        if let Some(v) = root.get("otmVersion").and_then(scalar) {
            line.push_str(&format!(", otmVersion {v}"));
            if !v.starts_with("0.") {
                self.warn(format!(
                    "otmVersion {v}: threatforge reads OTM 0.2; fields of other versions may be missed"
                ));
            }
        } else {
            self.warn("the file has no `otmVersion`; read as OTM 0.2".to_owned());
        }
        line.push_str(", by `threatforge import`.");
        self.draft.header.push(line);
        self.draft.header.push(
            "Comments starting with `OTM:` say what had no direct equivalent in threatforge."
                .to_owned(),
        );
        let Some(project) = root.get("project") else {
            self.warn("the file has no `project`; the system is named `Imported model`".into());
            return;
        };
        let attrs = tf(project);
        let s = &mut self.draft.system;
        s.description = text(project, "description");
        s.version = tf_text(attrs, "version");
        s.criticality = tf_text(attrs, "criticality")
            .and_then(|c| parse_enum::<Rating>(&c))
            .filter(|r| *r != Rating::Medium);
        s.owners = tf_list(attrs, "owners");
        if s.owners.is_empty()
            && let Some(owner) = text(project, "owner")
        {
            s.owners.push(owner);
        }
        s.tags = strings(project.get("tags"));
        if let Some(Value::Array(contacts)) = attrs.and_then(|a| a.get("contacts")) {
            for c in contacts {
                let fields: Vec<String> = ["name", "email", "role"]
                    .iter()
                    .filter_map(|k| text(c, k))
                    .collect();
                if !fields.is_empty() {
                    s.comments
                        .push(format!("OTM: contact {}", fields.join(", ")));
                }
            }
        } else if let Some(contact) = text(project, "ownerContact") {
            s.comments.push(format!("OTM: owner contact {contact}"));
        }
        if let Some(id) = text(project, "id") {
            s.comments.push(format!("OTM: project id {id}"));
        }
        if !array(root, "representations").is_empty() {
            self.draft.header.push(
                "OTM: representations (diagram positions, code locations) were not imported."
                    .to_owned(),
            );
        }
    }

    fn assets(&mut self, root: &Map<String, Value>) {
        for (i, a) in array(root, "assets").iter().enumerate() {
            if !a.is_object() {
                self.warn(format!("assets[{i}] is not a mapping; skipped"));
                continue;
            }
            let otm_id = text(a, "id");
            let name = text(a, "name");
            let attrs = tf(a);
            let id = Self::mint(&mut self.draft.data_ids, otm_id.as_deref(), name.as_deref());
            if let Some(o) = &otm_id {
                self.data.insert(o.clone(), id.clone());
            }
            let mut d = DraftData::new(id.clone());
            d.name = tf_text(attrs, "name").or_else(|| name.filter(|n| *n != id));
            d.description = text(a, "description");
            let risk = a.get("risk").unwrap_or(&Value::Null);
            d.classification = tf_text(attrs, "classification")
                .and_then(|c| parse_enum(&c))
                .or_else(|| number(risk, "confidentiality").map(classification))
                .filter(|c| *c != Classification::Internal);
            d.integrity = tf_text(attrs, "integrity")
                .and_then(|c| parse_enum(&c))
                .or_else(|| number(risk, "integrity").map(rating))
                .filter(|r| *r != Rating::Medium);
            d.availability = tf_text(attrs, "availability")
                .and_then(|c| parse_enum(&c))
                .or_else(|| number(risk, "availability").map(rating))
                .filter(|r| *r != Rating::Medium);
            d.categories = tf_list(attrs, "categories")
                .iter()
                .filter_map(|c| parse_enum(c))
                .collect();
            d.quantity = tf_text(attrs, "quantity").and_then(|q| parse_enum(&q));
            d.owner = tf_text(attrs, "owner");
            d.tags = tf_list(attrs, "tags");
            if attrs.is_none()
                && let Some(comment) = text(risk, "comment")
            {
                d.comments.push(format!("OTM risk: {comment}"));
            }
            self.draft.data.push(d);
        }
    }

    fn trust_zones(&mut self, root: &Map<String, Value>) {
        let zones = array(root, "trustZones");
        let parent_of = |z: &Value| z.get("parent").and_then(|p| text(p, "trustZone"));
        let has_children: HashSet<String> = zones.iter().filter_map(parent_of).collect();
        let mut parents: Vec<(String, String)> = Vec::new();
        for (i, z) in zones.iter().enumerate() {
            let Some(otm_id) = text(z, "id") else {
                self.warn(format!("trustZones[{i}] has no id; skipped"));
                continue;
            };
            if self.zones.contains_key(&otm_id) {
                self.warn(format!(
                    "trust zone `{otm_id}` is declared twice; the second is skipped"
                ));
                continue;
            }
            let attrs = tf(z);
            let name = text(z, "name");
            let kind_text = text(z, "type");
            let rating = z.get("risk").and_then(|r| number(r, "trustRating"));
            match tf_text(attrs, "implicit").as_deref() {
                Some("internet") => {
                    self.zones.insert(otm_id, Zone::Internet);
                    continue;
                }
                Some(_) => {
                    self.zones.insert(otm_id, Zone::Outside);
                    continue;
                }
                None if otm_id == UNZONED => {
                    self.zones.insert(otm_id, Zone::Outside);
                    continue;
                }
                None => {}
            }
            // Foreign files model the internet as a zone; threatforge has it built in, as the
            // place of components with `exposure: internet`.
            let looks_internet = [Some(&otm_id), name.as_ref(), kind_text.as_ref()]
                .into_iter()
                .flatten()
                .any(|t| norm(t) == "internet" || t == IRIUS_INTERNET);
            if attrs.is_none() && looks_internet && !has_children.contains(&otm_id) {
                self.zones.insert(otm_id, Zone::Internet);
                continue;
            }
            let id = Self::mint(&mut self.draft.ids, Some(&otm_id), name.as_deref());
            let mut b = DraftBoundary::new(id.clone());
            b.name = tf_text(attrs, "name").or_else(|| name.clone().filter(|n| *n != id));
            b.description = text(z, "description");
            b.kind = tf_text(attrs, "kind")
                .and_then(|k| parse_enum(&k))
                .or_else(|| kind_text.as_deref().and_then(boundary_kind))
                .or_else(|| name.as_deref().and_then(boundary_kind))
                .filter(|k| *k != BoundaryKind::Network);
            b.trust = tf_text(attrs, "trust")
                .and_then(|t| parse_enum(&t))
                .or_else(|| rating.map(trust))
                .or(if looks_internet {
                    Some(Trust::Untrusted)
                } else {
                    None
                })
                .filter(|t| *t != Trust::Medium);
            b.tags = tf_list(attrs, "tags");
            if attrs.is_none() {
                if let Some(k) = &kind_text {
                    b.comments.push(format!("OTM: type {k}"));
                }
                if let Some(r) = rating {
                    b.comments.push(format!("OTM: trust rating {r}"));
                }
            }
            if let Some(p) = parent_of(z) {
                parents.push((id.clone(), p));
            }
            self.boundary_at
                .insert(id.clone(), self.draft.boundaries.len());
            self.zones.insert(otm_id, Zone::Boundary(id));
            self.draft.boundaries.push(b);
        }
        // A zone has one parent, so it is the top of its tree until nested: `Forest` applies.
        let mut trees = Forest::default();
        for (child, parent) in parents {
            match self.zones.get(&parent).cloned() {
                Some(Zone::Boundary(p)) if trees.join(&child, &p) => {
                    if let Some(b) = self.boundary_mut(&p) {
                        b.contains.push(child);
                    }
                }
                Some(Zone::Boundary(_)) => {
                    self.warn(format!("trust zone `{child}`: nesting in `{parent}` would make a cycle; left at the top"));
                }
                Some(_) => {}
                None => self.warn(format!(
                    "trust zone `{child}`: parent `{parent}` is not a trust zone; left at the top"
                )),
            }
        }
    }

    fn boundary_mut(&mut self, id: &str) -> Option<&mut DraftBoundary> {
        let at = *self.boundary_at.get(id)?;
        self.draft.boundaries.get_mut(at)
    }

    fn component_mut(&mut self, id: &str) -> Option<&mut DraftComponent> {
        let at = *self.component_at.get(id)?;
        self.draft.components.get_mut(at)
    }

    fn components(&mut self, root: &Map<String, Value>) {
        let list = array(root, "components");
        // Ids first: a component may name a parent component declared after it.
        let mut ids = Vec::new();
        for (i, c) in list.iter().enumerate() {
            let otm_id = text(c, "id");
            if !c.is_object() {
                self.warn(format!("components[{i}] is not a mapping; skipped"));
                ids.push(None);
                continue;
            }
            if otm_id
                .as_ref()
                .is_some_and(|o| self.components.contains_key(o))
            {
                self.warn(format!(
                    "component `{}` is declared twice; the second is skipped",
                    otm_id.unwrap_or_default()
                ));
                ids.push(None);
                continue;
            }
            let id = Self::mint(
                &mut self.draft.ids,
                otm_id.as_deref(),
                text(c, "name").as_deref(),
            );
            if let Some(o) = otm_id {
                self.components.insert(o, id.clone());
            }
            ids.push(Some(id));
        }
        let mut nested: Vec<(String, String)> = Vec::new();
        for (c, id) in list.iter().zip(ids) {
            let Some(id) = id else { continue };
            let attrs = tf(c);
            let name = text(c, "name");
            let otm_type = text(c, "type");
            let mut d = DraftComponent::new(id.clone());
            d.name = tf_text(attrs, "name").or_else(|| name.clone().filter(|n| *n != id));
            d.description = text(c, "description");
            let kind: Option<ComponentKind> = tf_text(attrs, "kind").and_then(|k| parse_enum(&k));
            match attrs {
                Some(_) => d.technology = tf_text(attrs, "technology"),
                None => {
                    // The name is a weaker hint than the type (`DB driver` is code, not a
                    // database), so it is read only when the type says nothing.
                    let generic = otm_type.as_deref().is_none_or(|t| {
                        matches!(
                            norm(t).as_str(),
                            "empty-component" | "generic" | "other" | "custom" | "component"
                        )
                    });
                    d.technology = otm_type
                        .as_deref()
                        .and_then(technology_for)
                        .or_else(|| {
                            generic
                                .then(|| name.as_deref().and_then(technology_for))
                                .flatten()
                        })
                        .map(str::to_owned);
                    if let Some(t) = &otm_type
                        && d.technology.as_deref() != Some(norm(t).as_str())
                    {
                        d.comments.push(format!("OTM: type {t}"));
                    }
                }
            }
            let implied = d
                .technology
                .as_deref()
                .and_then(|t| catalog().technology(t))
                .map(|t| t.kind);
            d.kind = match (kind, implied) {
                (Some(k), Some(i)) if k == i => None,
                (Some(k), _) => Some(k),
                (None, None) => Some(ComponentKind::Process),
                (None, Some(_)) => None,
            };
            d.exposure = tf_text(attrs, "exposure").and_then(|e| parse_enum(&e));
            let parent = c.get("parent");
            match parent.and_then(|p| text(p, "trustZone")) {
                Some(z) => match self.zones.get(&z).cloned() {
                    Some(Zone::Boundary(b)) => self.join(&b, &id),
                    Some(Zone::Internet) => {
                        if attrs.is_none() {
                            d.exposure = Some(Exposure::Internet);
                        }
                        self.component_zone.insert(id.clone(), Zone::Internet);
                    }
                    Some(Zone::Outside) => {}
                    None => self.warn(format!(
                        "component `{id}`: trust zone `{z}` is not declared; left outside every boundary"
                    )),
                },
                None => {
                    if let Some(p) = parent.and_then(|p| text(p, "component")) {
                        nested.push((id.clone(), p));
                    }
                }
            }
            let assets = c.get("assets").unwrap_or(&Value::Null);
            let data = |list: Vec<String>, this: &mut Self| -> Vec<String> {
                list.iter()
                    .filter_map(|a| match this.data.get(a) {
                        Some(d) => Some(d.clone()),
                        None => {
                            this.warn(format!("component `{id}`: asset `{a}` is not declared"));
                            None
                        }
                    })
                    .collect()
            };
            if attrs.is_some() {
                d.processes = tf_list(attrs, "processes");
                d.stores = tf_list(attrs, "stores");
                d.controls = tf_list(attrs, "controls");
                d.traits = tf_list(attrs, "traits");
                d.tags = tf_list(attrs, "tags");
            } else {
                d.processes = data(strings(assets.get("processed")), self);
                d.stores = data(strings(assets.get("stored")), self);
                d.tags = strings(c.get("tags"));
            }
            d.criticality = tf_text(attrs, "criticality").and_then(|r| parse_enum(&r));
            d.owner = tf_text(attrs, "owner");
            d.out_of_scope = tf_text(attrs, "out_of_scope");
            let (code, odd): (Vec<String>, Vec<String>) = tf_list(attrs, "code")
                .into_iter()
                .partition(|g| plain_glob(g));
            d.code = code;
            if !odd.is_empty() {
                d.comments.push(format!("OTM: code {}", odd.join(", ")));
            }
            self.component_at
                .insert(d.id.clone(), self.draft.components.len());
            self.draft.components.push(d);
        }
        // A component inside a component: threatforge has no such nesting, so it joins the zone
        // of its nearest ancestor that has one.
        let mut parent_of: HashMap<String, String> = HashMap::new();
        for (child, parent) in &nested {
            match self.components.get(parent) {
                Some(p) => {
                    parent_of.insert(child.clone(), p.clone());
                }
                None => self.warn(format!(
                    "component `{child}`: parent component `{parent}` is not declared"
                )),
            }
        }
        for (child, _) in nested {
            let Some(p) = parent_of.get(&child).cloned() else {
                continue;
            };
            let mut current = p.clone();
            let mut zone = None;
            for _ in 0..=parent_of.len() {
                if let Some(z) = self.component_zone.get(&current) {
                    zone = Some(z.clone());
                    break;
                }
                match parent_of.get(&current) {
                    Some(next) => current = next.clone(),
                    None => break,
                }
            }
            match zone {
                Some(Zone::Boundary(b)) => self.join(&b, &child),
                Some(Zone::Internet) => {
                    if let Some(c) = self.component_mut(&child) {
                        c.exposure.get_or_insert(Exposure::Internet);
                    }
                }
                _ => {}
            }
            if let Some(c) = self.component_mut(&child) {
                c.comments.push(format!("OTM: inside component {p}"));
            }
        }
    }

    fn join(&mut self, boundary: &str, component: &str) {
        if let Some(b) = self.boundary_mut(boundary) {
            b.contains.push(component.to_owned());
        }
        self.component_zone
            .insert(component.to_owned(), Zone::Boundary(boundary.to_owned()));
    }

    fn runtimes(&mut self, root: &Map<String, Value>) {
        let project = root.get("project").unwrap_or(&Value::Null);
        let Some(Value::Array(list)) = tf(project).and_then(|a| a.get("runtimes")) else {
            return;
        };
        for r in list {
            let Some(kind) = text(r, "kind").and_then(|k| parse_enum::<RuntimeKind>(&k)) else {
                self.warn(
                    "a runtime in the project's attributes has no valid kind; skipped".into(),
                );
                continue;
            };
            let old = text(r, "id");
            let id = Self::mint(
                &mut self.draft.ids,
                old.as_deref(),
                text(r, "name").as_deref(),
            );
            if let Some(o) = old {
                self.runtimes.insert(o, id.clone());
            }
            let mut d = DraftRuntime::new(id, kind);
            d.name = text(r, "name");
            d.description = text(r, "description");
            d.runs = strings(r.get("runs"))
                .iter()
                .filter_map(|c| self.components.get(c).cloned())
                .collect();
            d.tags = strings(r.get("tags"));
            self.draft.runtimes.push(d);
        }
    }

    fn dataflows(&mut self, root: &Map<String, Value>) {
        for (i, f) in array(root, "dataflows").iter().enumerate() {
            let otm_id = text(f, "id");
            let label = otm_id.clone().unwrap_or_else(|| format!("dataflows[{i}]"));
            let end = |key: &str, this: &mut Self| -> Option<String> {
                let Some(end) = text(f, key) else {
                    this.warn(format!("dataflow `{label}` has no {key}; skipped"));
                    return None;
                };
                match this.components.get(&end) {
                    Some(id) => Some(id.clone()),
                    None => {
                        this.warn(format!(
                            "dataflow `{label}`: {key} `{end}` is not a component; skipped"
                        ));
                        None
                    }
                }
            };
            let (Some(source), Some(target)) = (end("source", self), end("destination", self))
            else {
                continue;
            };
            let attrs = tf(f);
            let name = text(f, "name");
            let mut d = DraftFlow::new(source, target);
            d.name = match attrs {
                Some(_) => tf_text(attrs, "name"),
                None => name.clone(),
            };
            d.description = text(f, "description");
            if let Some(explicit) = tf_text(attrs, "id") {
                d.id = Some(self.draft.ids.mint(&explicit));
            }
            if attrs.is_some() {
                d.protocol = tf_text(attrs, "protocol");
                d.encrypted = tf_text(attrs, "encrypted").and_then(|e| e.parse().ok());
                d.authentication = tf_text(attrs, "authentication").and_then(|a| parse_enum(&a));
                d.authorization = tf_text(attrs, "authorization").and_then(|a| parse_enum(&a));
                d.data = tf_list(attrs, "data");
                d.returns = tf_list(attrs, "returns");
                d.controls = tf_list(attrs, "controls");
                d.usage = tf_text(attrs, "usage").and_then(|u| parse_enum(&u));
                d.readonly = tf_text(attrs, "readonly").as_deref() == Some("true");
                d.tags = tf_list(attrs, "tags");
                d.out_of_scope = tf_text(attrs, "out_of_scope");
            } else {
                let mut data = Vec::new();
                for a in strings(f.get("assets")) {
                    match self.data.get(&a) {
                        Some(id) => data.push(id.clone()),
                        None => {
                            self.warn(format!("dataflow `{label}`: asset `{a}` is not declared"))
                        }
                    }
                }
                let tags = strings(f.get("tags"));
                // A protocol given as a tag or a flat attribute, as some generators write it.
                let flat = f.get("attributes").and_then(|a| text(a, "protocol"));
                d.protocol = flat
                    .iter()
                    .chain(&tags)
                    .map(|t| norm(t))
                    .find(|t| catalog().protocol(t).is_some());
                d.tags = tags
                    .into_iter()
                    .filter(|t| Some(norm(t)) != d.protocol)
                    .collect();
                if f.get("bidirectional") == Some(&Value::Bool(true)) {
                    d.returns = data.clone();
                    d.comments.push("OTM: bidirectional".to_owned());
                }
                d.data = data;
            }
            let id = self.draft.push_flow(d, name.as_deref());
            if let Some(o) = otm_id {
                self.flows.insert(o, id);
            }
        }
    }

    fn mitigations(&mut self, root: &Map<String, Value>) {
        for m in array(root, "mitigations") {
            if let Some(id) = text(m, "id") {
                self.mitigations.entry(id).or_insert_with(|| m.clone());
            }
        }
    }

    /// The threatforge id of an element named in our export's threat attributes.
    fn element(&self, kind: Option<&str>, id: &str) -> Option<String> {
        let lookups: [(&str, &HashMap<String, String>); 3] = [
            ("component", &self.components),
            ("flow", &self.flows),
            ("runtime", &self.runtimes),
        ];
        for (k, map) in lookups {
            if (kind.is_none() || kind == Some(k))
                && let Some(found) = map.get(id)
            {
                return Some(found.clone());
            }
        }
        if matches!(kind, None | Some("data"))
            && let Some(found) = self.data.get(id)
        {
            return Some(found.clone());
        }
        if matches!(kind, None | Some("boundary"))
            && let Some(Zone::Boundary(b)) = self.zones.get(id)
        {
            return Some(b.clone());
        }
        None
    }

    fn threats(&mut self, root: &Map<String, Value>) {
        // Each element's references to threats, in the order of the file.
        let mut refs: HashMap<String, Vec<(String, Value)>> = HashMap::new();
        for (key, map) in [("components", &self.components), ("dataflows", &self.flows)] {
            for e in array(root, key) {
                let Some(element) = text(e, "id").and_then(|o| map.get(&o).cloned()) else {
                    continue;
                };
                for r in e
                    .get("threats")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    if let Some(t) = text(r, "threat") {
                        refs.entry(t)
                            .or_default()
                            .push((element.clone(), r.clone()));
                    }
                }
            }
        }
        for (i, t) in array(root, "threats").iter().enumerate() {
            let Some(otm_id) = text(t, "id") else {
                self.warn(format!("threats[{i}] has no id; skipped"));
                continue;
            };
            let attrs = tf(t);
            let here = refs.remove(&otm_id).unwrap_or_default();
            match tf_text(attrs, "rule").as_deref() {
                Some("manual") => self.manual_threat(&otm_id, t, attrs, &here),
                Some(_) => self.rule_threat(&otm_id, attrs, &here),
                None => self.foreign_threat(&otm_id, t, &here),
            }
        }
        let mut dangling: Vec<String> = refs.into_keys().collect();
        dangling.sort();
        for t in dangling {
            self.warn(format!(
                "threat `{t}` is referenced but not declared; skipped"
            ));
        }
    }

    /// The state the OTM file gives the threat on its element, as a status.
    fn state_of(&mut self, threat: &str, reference: &Value) -> Option<DecisionStatus> {
        let state = text(reference, "state")?;
        let status = state_status(&state);
        if status.is_none() {
            self.warn(format!(
                "threat `{threat}`: state `{state}` is not one threatforge knows; left open"
            ));
        }
        status
    }

    /// Our decision as exported: written once per selector, with the selector's new ids.
    fn restore_decision(&mut self, selector: String, d: &Map<String, Value>) {
        let Some(status) = d
            .get("status")
            .and_then(scalar)
            .and_then(|s| parse_enum(&s))
        else {
            return;
        };
        if !self.decided.insert(selector.clone()) {
            return;
        }
        let mut decision = DraftDecision::new(selector, status);
        decision.owner = d.get("owner").and_then(scalar);
        decision.justification = d.get("justification").and_then(scalar);
        decision.ticket = d.get("ticket").and_then(scalar);
        decision.date = d.get("date").and_then(scalar);
        decision.expires = d.get("expires").and_then(scalar);
        decision.severity = d
            .get("severity")
            .and_then(scalar)
            .and_then(|s| parse_enum(&s));
        if let Some(cvss) = d.get("cvss").and_then(scalar) {
            decision.comments.push(format!("OTM: CVSS override {cvss}"));
        }
        self.draft.decisions.push(decision);
    }

    fn changed_state(&mut self, threat_id: &str, exported: Option<&str>, status: DecisionStatus) {
        if exported == Some(status.as_str()) || self.decided.contains(threat_id) {
            return;
        }
        let mut d = DraftDecision::new(threat_id, status);
        d.justification = Some("state set in the OTM file".to_owned());
        self.decided.insert(threat_id.to_owned());
        self.draft.decisions.push(d);
    }

    /// A threat a threatforge rule found: the analysis finds it again, so only the team's
    /// decision on it (or a state another tool set) comes back.
    fn rule_threat(
        &mut self,
        otm_id: &str,
        attrs: Option<&Map<String, Value>>,
        refs: &[(String, Value)],
    ) {
        let rule = tf_text(attrs, "rule").unwrap_or_default();
        let element = attrs.and_then(|a| a.get("element")).and_then(|e| {
            let id = text(e, "id")?;
            let kind = text(e, "kind");
            if kind.as_deref() == Some("model") {
                return Some(id);
            }
            self.element(kind.as_deref(), &id)
        });
        let threat_id = match element {
            Some(e) => format!("{rule}:{e}"),
            None => otm_id.to_owned(),
        };
        let status = tf_text(attrs, "status");
        if let Some(d) = attrs
            .and_then(|a| a.get("decision"))
            .and_then(Value::as_object)
        {
            let selector = d
                .get("selector")
                .and_then(scalar)
                .filter(|s| s.contains('*'))
                .unwrap_or_else(|| threat_id.clone());
            self.restore_decision(selector, d);
        } else if status.as_deref() == Some("not-applicable")
            && let Some(reason) = tf_text(attrs, "reason")
        {
            let mut d = DraftDecision::new(threat_id.clone(), DecisionStatus::NotApplicable);
            d.justification = Some(reason);
            d.comments
                .push("OTM: was under `rules.not_applicable` in the exported model".to_owned());
            self.decided.insert(threat_id.clone());
            self.draft.decisions.push(d);
        }
        for (_, r) in refs {
            if let Some(s) = self.state_of(&threat_id, r) {
                // Open and mitigated-by-controls are the analysis' own verdicts: only a state
                // that moved away from what we exported is a decision.
                let exported = status.as_deref();
                let same = exported == Some(s.as_str())
                    || (s == DecisionStatus::Open && exported == Some("in-progress"));
                if !same {
                    self.changed_state(&threat_id, exported, s);
                }
            }
        }
    }

    fn manual_threat(
        &mut self,
        otm_id: &str,
        t: &Value,
        attrs: Option<&Map<String, Value>>,
        refs: &[(String, Value)],
    ) {
        let Some(def) = attrs
            .and_then(|a| a.get("manual"))
            .filter(|d| d.is_object())
        else {
            return self.foreign_threat(otm_id, t, refs);
        };
        let old = otm_id.strip_prefix("manual:").unwrap_or(otm_id);
        let id = self.draft.threat_ids.mint(old);
        let stride = text(def, "stride")
            .and_then(|s| crate::draft::stride_loose(&s))
            .unwrap_or(Stride::Tampering);
        let title = text(def, "title")
            .or_else(|| text(t, "name"))
            .unwrap_or_else(|| id.clone());
        let mut d = DraftThreat::new(id.clone(), title, stride);
        d.description = text(def, "description");
        d.element = text(def, "element").and_then(|e| self.element(None, &e));
        d.linddun = text(def, "linddun").filter(|l| parse_enum::<Linddun>(l).is_some());
        d.likelihood = text(def, "likelihood").and_then(|l| level_named(&l));
        d.impact = text(def, "impact").and_then(|l| level_named(&l));
        d.mitigations = strings(def.get("mitigations"));
        d.capec = numbers(def.get("capec"));
        d.cwe = numbers(def.get("cwe"));
        d.references = strings(def.get("references"));
        self.draft.threats.push(d);
        let threat_id = format!("manual:{id}");
        let status = tf_text(attrs, "status");
        if let Some(dec) = attrs
            .and_then(|a| a.get("decision"))
            .and_then(Value::as_object)
        {
            let selector = dec
                .get("selector")
                .and_then(scalar)
                .filter(|s| s.contains('*'))
                .unwrap_or_else(|| threat_id.clone());
            self.restore_decision(selector, dec);
        }
        for (_, r) in refs {
            if let Some(s) = self.state_of(&threat_id, r) {
                let exported = status.as_deref();
                let same = exported == Some(s.as_str())
                    || (s == DecisionStatus::Open && exported == Some("in-progress"));
                if !same {
                    self.changed_state(&threat_id, exported, s);
                }
            }
        }
    }

    /// A threat from another tool: a manual threat on each element that references it.
    fn foreign_threat(&mut self, otm_id: &str, t: &Value, refs: &[(String, Value)]) {
        let name = text(t, "name").unwrap_or_else(|| otm_id.to_owned());
        let categories = strings(t.get("categories"));
        let stride = categories
            .iter()
            .find_map(|c| crate::draft::stride_loose(c));
        let mut comments = Vec::new();
        let extra: Vec<&String> = categories
            .iter()
            .filter(|c| crate::draft::stride_loose(c) != stride)
            .collect();
        if !extra.is_empty() {
            comments.push(format!(
                "OTM: categories {}",
                extra
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let stride = stride.unwrap_or_else(|| {
            comments.push("OTM: no STRIDE category; `stride` is a guess to review".to_owned());
            self.warn(format!(
                "threat `{name}` has no STRIDE category; imported as tampering"
            ));
            Stride::Tampering
        });
        let risk = t.get("risk").unwrap_or(&Value::Null);
        for key in ["likelihoodComment", "impactComment"] {
            if let Some(c) = text(risk, key) {
                comments.push(format!("OTM {key}: {c}"));
            }
        }
        let tags = strings(t.get("tags"));
        if !tags.is_empty() {
            comments.push(format!("OTM: tags {}", tags.join(", ")));
        }
        let cwe: Vec<u32> = strings(t.get("cwes"))
            .iter()
            .filter_map(|c| {
                c.trim()
                    .trim_start_matches(|ch: char| !ch.is_ascii_digit())
                    .parse()
                    .ok()
            })
            .collect();
        let targets: Vec<Option<&(String, Value)>> = if refs.is_empty() {
            vec![None]
        } else {
            refs.iter().map(Some).collect()
        };
        let several = targets.len() > 1;
        for target in targets {
            let id = match target {
                Some((element, _)) if several => {
                    self.draft.threat_ids.mint(&format!("{name} {element}"))
                }
                _ => Self::mint(&mut self.draft.threat_ids, Some(otm_id), Some(&name)),
            };
            let mut d = DraftThreat::new(id.clone(), name.clone(), stride);
            d.description = text(t, "description");
            d.element = target.map(|(e, _)| e.clone());
            d.likelihood = number(risk, "likelihood").map(level);
            d.impact = number(risk, "impact").map(level);
            d.cwe = cwe.clone();
            d.comments = comments.clone();
            let mut status = None;
            if let Some((element, r)) = target {
                for m in r
                    .get("mitigations")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    self.threat_mitigation(&mut d, element, m);
                }
                status = self.state_of(&id, r);
            }
            self.draft.threats.push(d);
            if let Some(s) = status.filter(|s| *s != DecisionStatus::Open) {
                let state = target
                    .and_then(|(_, r)| text(r, "state"))
                    .unwrap_or_default();
                let mut decision = DraftDecision::new(format!("manual:{id}"), s);
                decision.justification = Some(format!("state `{state}` in the OTM file"));
                self.draft.decisions.push(decision);
            }
        }
    }

    /// One mitigation reference of a foreign threat on an element: a catalogue control becomes
    /// one of the threat's mitigations (and, when implemented, a control on the element); any
    /// other mitigation is kept as a comment.
    fn threat_mitigation(&mut self, threat: &mut DraftThreat, element: &str, m: &Value) {
        let Some(mid) = text(m, "mitigation") else {
            return;
        };
        let state = text(m, "state").unwrap_or_default();
        self.used_mitigations.insert(mid.clone());
        let Some(def) = self.mitigations.get(&mid).cloned() else {
            threat
                .comments
                .push(format!("OTM: mitigation {mid} ({state}), not declared"));
            return;
        };
        let name = text(&def, "name").unwrap_or_else(|| mid.clone());
        let Some(control) = control_for(&def) else {
            let reduction = number(&def, "riskReduction")
                .map(|r| format!(", risk reduction {r}"))
                .unwrap_or_default();
            let description = text(&def, "description")
                .map(|d| format!(": {d}"))
                .unwrap_or_default();
            threat.comments.push(format!(
                "OTM: mitigation {name} ({state}{reduction}){description}"
            ));
            return;
        };
        if !threat.mitigations.iter().any(|c| c == control) {
            threat.mitigations.push(control.to_owned());
        }
        if state_status(&state) != Some(DecisionStatus::Mitigated) {
            return;
        }
        if let Some(c) = self.component_mut(element) {
            if control_allowed(control, ControlTarget::Component)
                && !c.controls.iter().any(|x| x == control)
            {
                c.controls.push(control.to_owned());
            }
        } else if let Some(f) = self
            .draft
            .flows
            .iter_mut()
            .find(|f| f.effective_id() == element)
        {
            if control_allowed(control, ControlTarget::Flow) {
                if !f.controls.iter().any(|x| x == control) {
                    f.controls.push(control.to_owned());
                }
            } else if let Some(target) = self
                .component_at
                .get(&f.target)
                .and_then(|&at| self.draft.components.get_mut(at))
                && control_allowed(control, ControlTarget::Component)
                && !target.controls.iter().any(|x| x == control)
            {
                // A flow's threat is mitigated by controls on the flow or on its target.
                target.controls.push(control.to_owned());
            }
        }
    }

    /// Mitigations no threat of another tool referenced: ours are controls already in place or
    /// named by rules; others are worth a line in the header.
    fn unused_mitigations(&mut self, root: &Map<String, Value>) {
        for m in array(root, "mitigations") {
            let Some(id) = text(m, "id") else { continue };
            if self.used_mitigations.contains(&id) || tf(m).is_some() {
                continue;
            }
            let name = text(m, "name").unwrap_or_else(|| id.clone());
            let matched = control_for(m)
                .map(|c| format!(" (threatforge control `{c}`)"))
                .unwrap_or_default();
            self.draft.header.push(format!(
                "OTM: mitigation {name}{matched} is not linked to any threat."
            ));
        }
    }
}

/// A code glob `check` accepts for sure: inside the repository, and without the brackets and
/// braces whose balance we would otherwise have to check here.
fn plain_glob(glob: &str) -> bool {
    !glob.is_empty()
        && !glob.starts_with('/')
        && !glob.split(['/', '\\']).any(|p| p == "..")
        && glob
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./*?@+~".contains(c))
}

fn level_named(text: &str) -> Option<Level> {
    Some(match text {
        "low" => Level::Low,
        "medium" => Level::Medium,
        "high" => Level::High,
        "very-high" => Level::VeryHigh,
        _ => return None,
    })
}

fn numbers(v: Option<&Value>) -> Vec<u32> {
    match v {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| match i {
                Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
                Value::String(s) => s.trim().parse().ok(),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// docs/import.md's table of OTM types, rendered from `TYPE_WORDS`.
#[cfg(test)]
pub(crate) fn doc_table(name: &str) -> Option<String> {
    if name != "otm-types" {
        return None;
    }
    let mut out = String::from("| words in the type | technology |\n|---|---|\n");
    for (words, tech) in TYPE_WORDS {
        let words: Vec<String> = words.iter().map(|w| format!("`{w}`")).collect();
        out.push_str(&format!("| {} | `{tech}` |\n", words.join(", ")));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_map_by_their_bands() {
        assert_eq!(level(0.0), Level::Low);
        assert_eq!(level(25.0), Level::Low);
        assert_eq!(level(25.5), Level::Medium);
        assert_eq!(level(75.0), Level::High);
        assert_eq!(level(100.0), Level::VeryHigh);
        assert_eq!(level(f64::NAN), Level::VeryHigh);
        assert_eq!(classification(15.0), Classification::Public);
        assert_eq!(classification(81.0), Classification::Secret);
        assert_eq!(rating(60.0), Rating::Medium);
        assert_eq!(rating(90.0), Rating::Critical);
        assert_eq!(trust(1.0), Trust::Untrusted);
        assert_eq!(trust(100.0), Trust::High);
    }

    #[test]
    fn tool_types_map_to_catalogue_technologies() {
        for (kind, tech) in [
            ("web-client", "browser"),
            ("generic-client", "user"),
            ("web-application-server-side", "web-application"),
            ("web-service", "api-service"),
            ("postgresql", "postgresql"),
            ("database", "database"),
            ("android-device-client", "mobile-app"),
            ("aws-s3", "object-storage"),
            ("aws-lambda", "serverless-function"),
            ("kafka", "message-queue"),
            ("CD-MSG-BROKER", "message-queue"),
            ("Load Balancer", "load-balancer"),
            ("keycloak-server", "identity-server"),
            ("aws-cognito", "identity-provider"),
        ] {
            assert_eq!(technology_for(kind), Some(tech), "{kind}");
            assert!(catalog().technology(tech).is_some(), "{tech}");
        }
        assert_eq!(technology_for("code-class"), None);
    }

    #[test]
    fn every_mapped_technology_is_in_the_catalogue() {
        for word in [
            "browser",
            "mobile",
            "desktop",
            "iot",
            "payment",
            "partner",
            "saas",
            "postgres",
            "mysql",
            "sql-server",
            "oracle",
            "mongo",
            "dynamo",
            "cassandra",
            "redis",
            "cache",
            "search",
            "warehouse",
            "s3",
            "nfs",
            "kafka",
            "ldap",
            "kms",
            "vault",
            "ecr",
            "nexus",
            "jenkins",
            "git",
            "backup",
            "siem",
            "logs",
            "nosql",
            "database",
            "waf",
            "elb",
            "api-gateway",
            "cdn",
            "firewall",
            "nginx",
            "vpn",
            "bastion",
            "okta",
            "lambda",
            "k8s",
            "graphql",
            "cms",
            "smtp",
            "grafana",
            "llm",
            "etl",
            "cron",
            "worker",
            "webhook",
            "admin",
            "vm",
            "apache",
            "external",
            "user",
            "api",
            "web",
            "backend",
        ] {
            let tech = technology_for(word).unwrap_or_else(|| panic!("{word}"));
            assert!(catalog().technology(tech).is_some(), "{word} -> {tech}");
        }
    }

    #[test]
    fn hosted_ci_reads_back_as_the_catalogue_names_it() {
        // What the OTM export writes for it, and every name the catalogue knows it by.
        let hosted = catalog().technology("hosted-ci").expect("hosted-ci");
        for name in std::iter::once("hosted-ci").chain(hosted.aliases.iter().map(String::as_str)) {
            assert_eq!(technology_for(name), Some("hosted-ci"), "{name}");
        }
        assert_eq!(technology_for("aws-codebuild"), Some("hosted-ci"));
        assert_eq!(technology_for("GitHub Actions"), Some("hosted-ci"));
        // A pipeline the team runs is still one.
        for name in ["jenkins", "gitlab-ci", "ci-pipeline", "build-pipeline"] {
            assert_eq!(technology_for(name), Some("ci-pipeline"), "{name}");
        }
    }

    #[test]
    fn uuids_are_not_readable_ids() {
        assert!(!readable("2ab4effa-40b7-4cd2-ba81-8247d29a6f2d"));
        assert!(!readable(IRIUS_INTERNET));
        assert!(readable("web-client"));
        assert!(readable("db2"));
        assert!(!readable("Web Client"));
    }
}

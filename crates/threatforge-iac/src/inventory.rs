//! What the infrastructure code shows, source-neutral: each source fills an [`Inventory`].

use std::collections::{HashMap, HashSet};

use threatforge_model::{BoundaryKind, Exposure};

/// Where in the infrastructure code something was read: a file as the user named it (or as
/// found under a directory they named), and a 1-based line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    pub file: String,
    pub line: usize,
}

/// A guessed value and what it was guessed from, in words a reviewer can check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evidence<T> {
    pub value: T,
    pub why: String,
}

impl<T> Evidence<T> {
    pub(crate) fn new(value: T, why: impl Into<String>) -> Self {
        Evidence {
            value,
            why: why.into(),
        }
    }
}

/// The kinds of infrastructure code read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    Compose,
    Kubernetes,
    Terraform,
}

impl Source {
    /// The source an `iac:` reference names: `compose:`, `k8s:`, else a Terraform address.
    pub fn of_reference(reference: &str) -> Source {
        if reference.starts_with("compose:") {
            Source::Compose
        } else if reference.starts_with("k8s:") {
            Source::Kubernetes
        } else {
            Source::Terraform
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Source::Compose => "Docker Compose",
            Source::Kubernetes => "Kubernetes",
            Source::Terraform => "Terraform",
        }
    }
}

/// A component the code deploys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    /// The `iac:` reference: `compose:db`, `k8s:shop/Deployment/checkout`, `aws_s3_bucket.media`.
    pub reference: String,
    /// A readable name (the service's, the object's, the resource's).
    pub name: String,
    /// A catalogue technology id.
    pub technology: Evidence<&'static str>,
    /// `internet` when the code publishes it; `internal` when it shows it is not.
    pub exposure: Option<Evidence<Exposure>>,
    /// The protocol the internet reaches it by, when the code says (TLS on an ingress or a
    /// listener, or none).
    pub public_protocol: Option<Evidence<&'static str>>,
    /// Component controls (catalogue ids) the code turns on.
    pub controls: Vec<Evidence<&'static str>>,
    /// Component controls the code shows are off, which a model claiming them contradicts.
    pub lacks: Vec<Evidence<&'static str>>,
    /// The key of the zone it sits in directly.
    pub zone: Option<String>,
    pub origin: Origin,
    /// What the code shows that the model has no key for (a resource's `count`, the Secrets a
    /// workload mounts): a comment in the draft, for the reviewer.
    pub notes: Vec<String>,
}

/// A zone: a network, namespace, VPC, subnet, cluster or account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Zone {
    /// Unique within the inventory (a network's, namespace's or resource's reference).
    pub key: String,
    pub name: String,
    pub kind: BoundaryKind,
    pub parent: Option<String>,
    pub why: String,
}

/// A flow the code shows, between two found components (by reference).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    pub source: String,
    pub target: String,
    /// A catalogue protocol id, when the evidence names one.
    pub protocol: Option<&'static str>,
    pub why: String,
    pub origin: Origin,
}

/// What the code lets reach a component (its security groups' ingress rules), or, `outbound`,
/// what it lets the component reach (their egress rules): a flow in the model from (or to)
/// anything else is not allowed by the code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gate {
    /// The gated component's reference.
    pub target: String,
    /// The references of the components let in (or, outbound, let reach).
    pub allowed: Vec<String>,
    /// Whether more than the components named is let in (or, outbound, may be reached): the
    /// whole internet, or addresses the code does not tie to a component (a CIDR). Such a gate
    /// judges no flow.
    pub anywhere: bool,
    /// Whether the gate is on what leaves the component rather than what reaches it.
    pub outbound: bool,
    /// Which components at the other end it judges.
    pub judges: Judges,
    /// What does the gating, in words.
    pub why: String,
    pub origin: Origin,
}

#[cfg(test)]
impl Gate {
    /// One line the readers' unit tests compare: target, direction, openness, who is allowed.
    pub(crate) fn summary(&self) -> String {
        format!(
            "{} outbound={} anywhere={} {:?}",
            self.target, self.outbound, self.anywhere, self.allowed
        )
    }
}

impl Gate {
    /// Whether it stands in the way of a flow with `other` at the far end (the source of an
    /// inbound gate's flow, the target of an outbound one's): it judges `other`, and lets
    /// neither anything unnamed nor `other` through.
    pub fn denies(&self, other: &str) -> bool {
        self.judges.covers(other) && !self.anywhere && !self.allowed.iter().any(|a| a == other)
    }
}

/// The components at the other end of a flow that a gate can judge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Judges {
    /// Every component of the code (a security group: all traffic crosses it).
    All,
    /// Only Kubernetes workloads: a NetworkPolicy speaks of pods, and the pods behind an Ingress
    /// or a Gateway (its controller) are not in the manifests.
    Workloads,
}

impl Judges {
    /// Whether a reference of the code is one the gate can judge.
    pub fn covers(self, reference: &str) -> bool {
        match self {
            Judges::All => true,
            Judges::Workloads => reference
                .strip_prefix("k8s:")
                .and_then(|r| r.split('/').nth(1))
                .is_some_and(|kind| WORKLOADS.contains(&kind)),
        }
    }
}

/// The Kubernetes kinds that run pods.
pub(crate) const WORKLOADS: &[&str] = &[
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "Job",
    "CronJob",
    "Pod",
];

/// Everything read from the inputs, in the order read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Inventory {
    pub components: Vec<Found>,
    pub zones: Vec<Zone>,
    pub links: Vec<Link>,
    /// What the code lets reach each gated component.
    pub gates: Vec<Gate>,
    /// Which sources were read: an `iac:` reference into a source not read is not dangling.
    pub sources: Vec<Source>,
    /// What was read but left out, one line each.
    pub notes: Vec<String>,
    /// The position of each link by its ends, and the zone keys: a hostile input (a policy that
    /// lets every pod of a large namespace reach every other) must not make adding quadratic.
    link_index: HashMap<(String, String), usize>,
    zone_keys: HashSet<String>,
    links_capped: bool,
}

/// The most flows one inventory holds; past it, links are counted in a note, not kept.
pub(crate) const MAX_LINKS: usize = 100_000;

impl Inventory {
    /// Whether more flows would be dropped.
    pub(crate) fn links_full(&self) -> bool {
        self.links.len() >= MAX_LINKS
    }

    pub(crate) fn saw(&mut self, source: Source) {
        if !self.sources.contains(&source) {
            self.sources.push(source);
            self.sources.sort();
        }
    }

    /// Adds a flow unless one between the same ends is there; a second piece of evidence for a
    /// known flow joins its `why` and fills a protocol it lacked.
    pub(crate) fn link(&mut self, link: Link) {
        if link.source == link.target {
            return;
        }
        let ends = (link.source.clone(), link.target.clone());
        if let Some(&i) = self.link_index.get(&ends) {
            let known = &mut self.links[i];
            if !known.why.contains(&link.why) && known.why.len() < 1_000 {
                known.why = format!("{}; {}", known.why, link.why);
            }
            if known.protocol.is_none() {
                known.protocol = link.protocol;
            }
            return;
        }
        if self.links.len() >= MAX_LINKS {
            if !self.links_capped {
                self.links_capped = true;
                self.notes.push(format!(
                    "more than {MAX_LINKS} flows; the rest are left out"
                ));
            }
            return;
        }
        self.link_index.insert(ends, self.links.len());
        self.links.push(link);
    }

    pub(crate) fn zone(&mut self, zone: Zone) {
        if self.zone_keys.insert(zone.key.clone()) {
            self.zones.push(zone);
        }
    }
}

/// The technology an image name suggests, from its last path segment without tag or digest
/// (`docker.io/bitnami/postgresql:16` is `postgresql`), with the words of the guess.
pub(crate) fn technology_of_image(image: &str) -> Option<(&'static str, String)> {
    let without_digest = image.split('@').next().unwrap_or(image);
    let last = without_digest.rsplit('/').next().unwrap_or(without_digest);
    let name = last.split(':').next().unwrap_or(last).to_ascii_lowercase();
    IMAGES
        .iter()
        .find(|(prefix, _)| name.starts_with(prefix))
        .map(|(_, technology)| {
            (
                *technology,
                format!("image `{}` is {technology}", image_for_comment(image)),
            )
        })
}

/// An image reference for a comment: at most its first 120 characters.
fn image_for_comment(image: &str) -> String {
    image.chars().take(120).collect()
}

/// Image names (a prefix of the last path segment) and the catalogue technology they are.
/// Longer prefixes first where one starts another.
const IMAGES: &[(&str, &str)] = &[
    ("postgis", "postgresql"),
    ("postgres", "postgresql"),
    ("timescaledb", "postgresql"),
    ("mariadb", "mysql"),
    ("mysql", "mysql"),
    ("percona", "mysql"),
    ("mssql", "sql-server"),
    ("mongo", "mongodb"),
    ("redis", "redis"),
    ("valkey", "redis"),
    ("keydb", "redis"),
    ("memcached", "cache"),
    ("elasticsearch", "search-engine"),
    ("opensearch", "search-engine"),
    ("solr", "search-engine"),
    ("meilisearch", "search-engine"),
    ("cassandra", "cassandra"),
    ("scylla", "cassandra"),
    ("rabbitmq", "message-queue"),
    ("kafka", "message-queue"),
    ("cp-kafka", "message-queue"),
    ("redpanda", "message-queue"),
    ("nats", "message-queue"),
    ("activemq", "message-queue"),
    ("minio", "object-storage"),
    ("vault", "secrets-vault"),
    ("keycloak", "identity-provider"),
    ("dex", "identity-provider"),
    ("traefik", "reverse-proxy"),
    ("haproxy", "reverse-proxy"),
    ("envoy", "reverse-proxy"),
    ("caddy", "reverse-proxy"),
    ("nginx", "web-server"),
    ("httpd", "web-server"),
    ("apache", "web-server"),
    ("prometheus", "monitoring"),
    ("grafana", "monitoring"),
    ("jaeger", "monitoring"),
    ("loki", "log-storage"),
    ("fluentd", "log-collector"),
    ("fluent-bit", "log-collector"),
    ("vector", "log-collector"),
    ("mailhog", "mail-server"),
    ("wordpress", "cms"),
    ("drupal", "cms"),
    ("ghost", "cms"),
    ("strapi", "cms"),
    ("postfix", "mail-server"),
];

/// The catalogue protocol a URL scheme names.
pub(crate) fn protocol_of_scheme(scheme: &str) -> Option<&'static str> {
    Some(match scheme.to_ascii_lowercase().as_str() {
        "postgres" | "postgresql" => "postgres",
        "mysql" | "mariadb" => "mysql",
        "mongodb" | "mongodb+srv" => "mongodb",
        "redis" => "redis",
        "rediss" => "redis-tls",
        "amqp" => "amqp",
        "amqps" => "amqps",
        "http" => "http",
        "https" => "https",
        "nats" => "nats",
        "kafka" => "kafka",
        "grpc" => "grpc",
        "ldap" => "ldap",
        "ldaps" => "ldaps",
        "smtp" => "smtp",
        "smtps" => "smtps",
        _ => return None,
    })
}

/// The protocol a client most likely speaks to a technology, for a flow named only by a host.
pub(crate) fn protocol_of_technology(technology: &str) -> Option<&'static str> {
    Some(match technology {
        "postgresql" => "postgres",
        "mysql" => "mysql",
        "mongodb" => "mongodb",
        "redis" => "redis",
        "cassandra" => "cassandra",
        "sql-server" => "sqlserver",
        "mail-server" => "smtp",
        _ => return None,
    })
}

/// The hosts a text names as `scheme://[user[:password]@]host[:port]...`, with the scheme. A
/// password in it is never kept: only the host and scheme leave this function.
pub(crate) fn url_hosts(value: &str) -> Vec<(String, Option<&'static str>)> {
    let mut hosts = Vec::new();
    let mut rest = value;
    while let Some(at) = rest.find("://") {
        let scheme_start = rest[..at]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '+' || c == '-' || c == '.'))
            .map_or(0, |i| i + 1);
        let scheme = &rest[scheme_start..at];
        let after = &rest[at + 3..];
        let authority_end = after
            .find(['/', '?', '#', ',', ' ', '"', '\''])
            .unwrap_or(after.len());
        let authority = &after[..authority_end];
        let host_port = authority.rsplit('@').next().unwrap_or(authority);
        let host = host_port.split(':').next().unwrap_or(host_port);
        if !host.is_empty() {
            hosts.push((host.to_ascii_lowercase(), protocol_of_scheme(scheme)));
        }
        rest = &after[authority_end..];
    }
    hosts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_read_by_their_last_segment_without_tag_or_digest() {
        let tech = |image: &str| technology_of_image(image).map(|(t, _)| t);
        assert_eq!(tech("postgres:16-alpine"), Some("postgresql"));
        assert_eq!(tech("docker.io/bitnami/postgresql:16"), Some("postgresql"));
        assert_eq!(tech("redis@sha256:abc"), Some("redis"));
        assert_eq!(tech("ghcr.io/acme/checkout:1.4.2"), None);
        assert_eq!(tech("confluentinc/cp-kafka:7.6.0"), Some("message-queue"));
    }

    #[test]
    fn url_hosts_keep_the_host_and_scheme_and_drop_credentials() {
        assert_eq!(
            url_hosts("postgres://app:s3cret@db:5432/orders?sslmode=disable"),
            [("db".to_owned(), Some("postgres"))]
        );
        assert_eq!(
            url_hosts("amqp://guest:guest@queue, rediss://cache:6380"),
            [
                ("queue".to_owned(), Some("amqp")),
                ("cache".to_owned(), Some("redis-tls"))
            ]
        );
        assert!(url_hosts("plain text, no url").is_empty());
        assert_eq!(url_hosts("x://"), []);
    }

    #[test]
    fn every_guessed_name_is_in_the_catalogue() {
        let catalog = threatforge_model::catalog();
        for (_, technology) in IMAGES {
            assert!(
                catalog.technologies.contains_key(*technology),
                "{technology}"
            );
        }
        for scheme in [
            "postgres", "mysql", "mongodb", "redis", "rediss", "amqp", "amqps", "http", "https",
            "nats", "kafka", "grpc", "ldap", "ldaps", "smtp", "smtps",
        ] {
            let protocol = protocol_of_scheme(scheme).expect("a protocol");
            assert!(catalog.protocols.contains_key(protocol), "{protocol}");
        }
    }
}

//! Kubernetes manifests, as written or as `helm template` and `kustomize build` print them
//! (multi-document YAML, and `kind: List`): workloads, Services, Ingresses, Gateway API routes,
//! NetworkPolicies, namespaces, images and security contexts.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use threatforge_model::{BoundaryKind, Exposure};

use crate::error::IacError;
use crate::inventory::{
    Evidence, Found, Gate, Inventory, Judges, Link, Origin, WORKLOADS, Zone,
    protocol_of_technology, technology_of_image, url_hosts,
};
use crate::text::{Lines, at, items, scalar, short, str_at, truthy, yaml_documents};

const CLUSTER: &str = "k8s-cluster";

/// One object of the manifests.
struct Object<'v> {
    file: &'v str,
    kind: &'v str,
    name: &'v str,
    namespace: String,
    value: &'v Value,
    line: usize,
}

impl Object<'_> {
    fn id(&self) -> String {
        format!("{}/{}/{}", self.namespace, self.kind, self.name)
    }
}

/// Reads every manifest file together: a Service in one file is named by a workload in another.
pub(crate) fn read(files: &[(String, String)], inventory: &mut Inventory) -> Result<(), IacError> {
    let mut parsed = Vec::new();
    for (file, text) in files {
        parsed.push((file.as_str(), Lines::new(text), yaml_documents(file, text)?));
    }
    let mut objects = Vec::new();
    for (file, lines, documents) in &parsed {
        let mut cursor = 1;
        let mut flat: Vec<&Value> = Vec::new();
        for document in documents {
            // `kubectl get -o yaml` writes a `List` of items.
            if str_at(document, &["kind"]) == Some("List") {
                flat.extend(items(document, &["items"]));
            } else {
                flat.push(document);
            }
        }
        for value in flat {
            let (Some(kind), Some(name)) = (
                str_at(value, &["kind"]),
                str_at(value, &["metadata", "name"]),
            ) else {
                continue;
            };
            let namespace = if kind == "Namespace" {
                name.to_owned()
            } else {
                str_at(value, &["metadata", "namespace"])
                    .unwrap_or("default")
                    .to_owned()
            };
            let line = lines.find(&format!("kind: {kind}"), cursor);
            cursor = line + 1;
            objects.push(Object {
                file,
                kind,
                name,
                namespace,
                value,
                line,
            });
        }
    }
    let mut skipped: BTreeMap<String, usize> = BTreeMap::new();
    let origin = |o: &Object| Origin {
        file: o.file.to_owned(),
        line: o.line,
    };

    inventory.zone(Zone {
        key: CLUSTER.to_owned(),
        name: "Kubernetes cluster".to_owned(),
        kind: BoundaryKind::Cluster,
        parent: None,
        why: "the cluster the manifests are applied to".to_owned(),
    });

    // Workloads first: Services, routes and policies point at them.
    let first = inventory.components.len();
    let mut workloads: Vec<(&Object, Map<String, Value>)> = Vec::new();
    for o in &objects {
        if !WORKLOADS.contains(&o.kind) {
            continue;
        }
        let pod = pod_template(o);
        let labels = pod
            .and_then(|p| at(p, &["metadata", "labels"]))
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let spec = pod.and_then(|p| p.get("spec"));
        let containers = spec.map_or(&[][..], |s| items(s, &["containers"]));
        let image = containers.iter().find_map(|c| str_at(c, &["image"]));
        let technology = match image.and_then(technology_of_image) {
            Some((technology, why)) => Evidence::new(technology, why),
            None if matches!(o.kind, "Job" | "CronJob") => {
                Evidence::new("batch-job", format!("a {}", o.kind))
            }
            None => Evidence::new(
                "backend-service",
                match image {
                    Some(image) => format!(
                        "image `{}` is not one threatforge knows; say what it is",
                        short(image)
                    ),
                    None => "no container image".to_owned(),
                },
            ),
        };
        let (controls, lacks) = hardening(spec, containers);
        let zone = namespace(inventory, &o.namespace);
        inventory.components.push(Found {
            reference: format!("k8s:{}", o.id()),
            name: o.name.to_owned(),
            technology,
            exposure: None,
            public_protocol: None,
            controls,
            lacks,
            zone: Some(zone),
            origin: origin(o),
            notes: Vec::new(),
        });
        workloads.push((o, labels));
    }

    // Services: which workloads they reach, by selector within the namespace.
    let mut hosts: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut services: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    for o in objects.iter().filter(|o| o.kind == "Service") {
        let Some(selector) = at(o.value, &["spec", "selector"]).and_then(Value::as_object) else {
            continue;
        };
        let targets: Vec<usize> = workloads
            .iter()
            .enumerate()
            .filter(|(_, (w, labels))| w.namespace == o.namespace && selects(selector, labels))
            .map(|(i, _)| first + i)
            .collect();
        let kind = str_at(o.value, &["spec", "type"]).unwrap_or("ClusterIP");
        for &t in &targets {
            let found = &mut inventory.components[t];
            if matches!(kind, "LoadBalancer" | "NodePort") {
                found.exposure = Some(Evidence::new(
                    Exposure::Internet,
                    format!("Service {}/{} is of type {kind}", o.namespace, o.name),
                ));
            } else if found.exposure.is_none() {
                found.exposure = Some(Evidence::new(
                    Exposure::Internal,
                    format!("reached through {kind} Service {}/{}", o.namespace, o.name),
                ));
            }
        }
        for host in [
            o.name.to_owned(),
            format!("{}.{}", o.name, o.namespace),
            format!("{}.{}.svc", o.name, o.namespace),
            format!("{}.{}.svc.cluster.local", o.name, o.namespace),
        ] {
            hosts.entry(host).or_default().extend(&targets);
        }
        services.insert((o.namespace.clone(), o.name.to_owned()), targets);
    }

    // Ingresses and Gateways: components of their own, reached from the internet.
    for o in &objects {
        let is_ingress = o.kind == "Ingress";
        if !is_ingress && o.kind != "Gateway" {
            continue;
        }
        let tls = if is_ingress {
            !items(o.value, &["spec", "tls"]).is_empty()
        } else {
            items(o.value, &["spec", "listeners"])
                .iter()
                .any(|l| str_at(l, &["protocol"]) == Some("HTTPS"))
        };
        let public_protocol = Some(if tls {
            Evidence::new(
                "https",
                format!("{} {}/{} terminates TLS", o.kind, o.namespace, o.name),
            )
        } else {
            Evidence::new(
                "http",
                format!("{} {}/{} has no TLS", o.kind, o.namespace, o.name),
            )
        });
        let zone = namespace(inventory, &o.namespace);
        inventory.components.push(Found {
            reference: format!("k8s:{}", o.id()),
            name: format!("{} {}", o.name, o.kind.to_ascii_lowercase()),
            technology: Evidence::new(
                "reverse-proxy",
                format!(
                    "an {}: the cluster's proxy routes to Services by it",
                    o.kind
                ),
            ),
            exposure: Some(Evidence::new(
                Exposure::Internet,
                format!(
                    "{} {}/{} takes traffic from outside the cluster",
                    o.kind, o.namespace, o.name
                ),
            )),
            public_protocol,
            controls: Vec::new(),
            lacks: Vec::new(),
            zone: Some(zone),
            origin: origin(o),
            notes: Vec::new(),
        });
        if is_ingress {
            let mut backends = Vec::new();
            if let Some(b) = ingress_backend(at(o.value, &["spec", "defaultBackend"])) {
                backends.push(b);
            }
            for rule in items(o.value, &["spec", "rules"]) {
                for path in items(rule, &["http", "paths"]) {
                    backends.extend(ingress_backend(path.get("backend")));
                }
            }
            for service in backends {
                route(inventory, &services, o, &o.namespace, &service);
            }
        }
    }
    for o in objects
        .iter()
        .filter(|o| matches!(o.kind, "HTTPRoute" | "GRPCRoute"))
    {
        for parent in items(o.value, &["spec", "parentRefs"]) {
            let Some(gateway) = str_at(parent, &["name"]) else {
                continue;
            };
            let gateway_ns = str_at(parent, &["namespace"]).unwrap_or(&o.namespace);
            let gateway = Object {
                file: o.file,
                kind: "Gateway",
                name: gateway,
                namespace: gateway_ns.to_owned(),
                value: o.value,
                line: o.line,
            };
            for rule in items(o.value, &["spec", "rules"]) {
                for backend in items(rule, &["backendRefs"]) {
                    if let Some(service) = str_at(backend, &["name"]) {
                        let ns = str_at(backend, &["namespace"]).unwrap_or(&o.namespace);
                        route(inventory, &services, &gateway, ns, service);
                    }
                }
            }
        }
    }

    // NetworkPolicies: which workloads they isolate, and the flows they allow.
    let policies: Vec<&Object> = objects
        .iter()
        .filter(|o| o.kind == "NetworkPolicy")
        .collect();
    for (i, (w, labels)) in workloads.iter().enumerate() {
        let selecting = policies.iter().find(|p| {
            p.namespace == w.namespace
                && governs(p.value, false)
                && at(p.value, &["spec", "podSelector"])
                    .is_some_and(|s| selector_matches(s, labels))
        });
        let found = &mut inventory.components[first + i];
        match selecting {
            Some(p) => found.controls.push(Evidence::new(
                "network-policy",
                format!("NetworkPolicy {}/{} selects its pods", p.namespace, p.name),
            )),
            None => found.lacks.push(Evidence::new(
                "network-policy",
                format!(
                    "no NetworkPolicy of namespace `{}` selects its pods",
                    short(&w.namespace)
                ),
            )),
        }
    }
    for p in &policies {
        let Some(selector) = at(p.value, &["spec", "podSelector"]) else {
            continue;
        };
        let targets: Vec<usize> = workloads
            .iter()
            .enumerate()
            .filter(|(_, (w, labels))| {
                w.namespace == p.namespace && selector_matches(selector, labels)
            })
            .map(|(i, _)| i)
            .collect();
        for rule in items(p.value, &["spec", "ingress"]) {
            for from in items(rule, &["from"]) {
                // Only peers in the policy's own namespace are resolved; a namespaceSelector
                // names namespaces by labels the manifests may not show.
                if from.get("namespaceSelector").is_some() {
                    continue;
                }
                let Some(peer) = from.get("podSelector") else {
                    continue;
                };
                for (s, (w, labels)) in workloads.iter().enumerate() {
                    if inventory.links_full() {
                        break;
                    }
                    if w.namespace != p.namespace || !selector_matches(peer, labels) {
                        continue;
                    }
                    for &t in &targets {
                        let source = inventory.components[first + s].reference.clone();
                        let target = inventory.components[first + t].reference.clone();
                        inventory.link(Link {
                            source,
                            target,
                            protocol: None,
                            why: format!("NetworkPolicy {}/{} allows it", p.namespace, p.name),
                            origin: origin(p),
                        });
                    }
                }
            }
        }
    }

    gates(&objects, &policies, &workloads, first, inventory);

    // Environment variables that name a Service's host.
    for (i, (w, _)) in workloads.iter().enumerate() {
        let spec = pod_template(w).and_then(|p| p.get("spec"));
        let containers = spec.map_or(&[][..], |s| items(s, &["containers"]));
        for container in containers {
            for variable in items(container, &["env"]) {
                let (Some(key), Some(value)) = (
                    str_at(variable, &["name"]),
                    variable.get("value").and_then(scalar),
                ) else {
                    continue;
                };
                let mut named: Vec<(String, Option<&'static str>)> = url_hosts(&value);
                let plain = value.trim().to_ascii_lowercase();
                if hosts.contains_key(&plain) {
                    named.push((plain, None));
                }
                for (host, protocol) in named {
                    // A short name resolves in the workload's own namespace.
                    let qualified = format!("{host}.{}", w.namespace);
                    let targets = hosts.get(&qualified).or_else(|| hosts.get(&host));
                    for &t in targets.map_or(&[][..], Vec::as_slice) {
                        let why = format!(
                            "environment variable {} of {} names `{}`",
                            short(key),
                            w.id(),
                            short(&host)
                        );
                        link_named(inventory, first + i, t, protocol, why, origin(w));
                    }
                }
            }
        }
    }

    config_and_secrets(&objects, &workloads, &hosts, first, inventory);
    rbac(&objects, &workloads, first, inventory);

    for o in &objects {
        let read = WORKLOADS.contains(&o.kind)
            || matches!(
                o.kind,
                "Service"
                    | "Ingress"
                    | "Gateway"
                    | "HTTPRoute"
                    | "GRPCRoute"
                    | "NetworkPolicy"
                    | "Namespace"
                    | "ServiceAccount"
                    | "Role"
                    | "ClusterRole"
                    | "RoleBinding"
                    | "ClusterRoleBinding"
                    | "ConfigMap"
                    | "Secret"
            );
        if !read {
            *skipped.entry(o.kind.to_owned()).or_default() += 1;
        }
    }
    if !skipped.is_empty() {
        let kinds: Vec<String> = skipped
            .iter()
            .map(|(kind, n)| format!("{n} {}", short(kind)))
            .collect();
        inventory.notes.push(format!(
            "Kubernetes objects not modeled: {}",
            kinds.join(", ")
        ));
    }
    Ok(())
}

/// The most Service hosts one ConfigMap is read for: a ConfigMap is read once, however many
/// workloads use it, and what each adds is bounded by this.
const MAX_CONFIG_HOSTS: usize = 256;
/// The most Secrets named in one workload's note.
const MAX_SECRETS_NAMED: usize = 5;

/// A reference of a container or pod to a ConfigMap or a Secret: its name, the key (`None`:
/// all of them), and how, in words (`env DB_URL`, `envFrom`, `volume certs`).
struct Reference<'v> {
    secret: bool,
    name: &'v str,
    key: Option<&'v str>,
    how: String,
}

/// The ConfigMaps and Secrets a pod spec uses: `env[].valueFrom`, `envFrom`, and volumes (also
/// projected), of its containers and init containers.
fn references(spec: &Value) -> Vec<Reference<'_>> {
    let mut found = Vec::new();
    for container in ["containers", "initContainers"]
        .iter()
        .flat_map(|k| items(spec, &[k]))
    {
        for variable in items(container, &["env"]) {
            let key = str_at(variable, &["name"]).unwrap_or("?");
            for (field, secret) in [("secretKeyRef", true), ("configMapKeyRef", false)] {
                if let Some(name) = str_at(variable, &["valueFrom", field, "name"]) {
                    found.push(Reference {
                        secret,
                        name,
                        key: str_at(variable, &["valueFrom", field, "key"]),
                        how: format!("env {}", short(key)),
                    });
                }
            }
        }
        for source in items(container, &["envFrom"]) {
            for (field, secret) in [("secretRef", true), ("configMapRef", false)] {
                if let Some(name) = str_at(source, &[field, "name"]) {
                    found.push(Reference {
                        secret,
                        name,
                        key: None,
                        how: "envFrom".to_owned(),
                    });
                }
            }
        }
    }
    for volume in items(spec, &["volumes"]) {
        let how = format!("volume {}", short(str_at(volume, &["name"]).unwrap_or("?")));
        let projected = items(volume, &["projected", "sources"]);
        let named = [
            (str_at(volume, &["secret", "secretName"]), true),
            (str_at(volume, &["configMap", "name"]), false),
        ]
        .into_iter()
        .chain(projected.iter().flat_map(|p| {
            [
                (str_at(p, &["secret", "name"]), true),
                (str_at(p, &["configMap", "name"]), false),
            ]
        }));
        for (name, secret) in named {
            if let Some(name) = name {
                found.push(Reference {
                    secret,
                    name,
                    key: None,
                    how: how.clone(),
                });
            }
        }
    }
    found
}

/// What ConfigMaps and Secrets say: a ConfigMap value that names a Service's host (as an
/// environment variable would) is a flow from each workload that uses it; a workload that uses
/// Secrets gets a note naming them, for the reviewer to say what data they hold. A Secret's data
/// is never read.
fn config_and_secrets(
    objects: &[Object],
    workloads: &[(&Object, Map<String, Value>)],
    hosts: &BTreeMap<String, Vec<usize>>,
    first: usize,
    inventory: &mut Inventory,
) {
    // Each ConfigMap's values that name a Service, by key, read once: (key, host, targets,
    // protocol).
    type Named = Vec<(String, String, Vec<usize>, Option<&'static str>)>;
    let mut config: BTreeMap<(&str, &str), (Named, Origin)> = BTreeMap::new();
    for o in objects.iter().filter(|o| o.kind == "ConfigMap") {
        let mut named: Named = Vec::new();
        for (key, value) in o
            .value
            .get("data")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let Some(value) = scalar(value) else {
                continue;
            };
            let mut found = url_hosts(&value);
            let plain = value.trim().to_ascii_lowercase();
            if hosts.contains_key(&plain) {
                found.push((plain, None));
            }
            for (host, protocol) in found {
                if named.len() >= MAX_CONFIG_HOSTS {
                    break;
                }
                // A short name resolves in the ConfigMap's namespace, where its users run.
                let qualified = format!("{host}.{}", o.namespace);
                let Some(targets) = hosts.get(&qualified).or_else(|| hosts.get(&host)) else {
                    continue;
                };
                if !named.iter().any(|(k, h, _, _)| k == key && *h == host) {
                    named.push((key.clone(), host, targets.clone(), protocol));
                }
            }
        }
        let origin = Origin {
            file: o.file.to_owned(),
            line: o.line,
        };
        config.insert((o.namespace.as_str(), o.name), (named, origin));
    }

    for (i, (w, _)) in workloads.iter().enumerate() {
        let Some(spec) = pod_template(w).and_then(|p| p.get("spec")) else {
            continue;
        };
        let mut secrets: Vec<String> = Vec::new();
        for reference in references(spec) {
            if reference.secret {
                let said = format!("`{}` ({})", short(reference.name), reference.how);
                if !secrets.contains(&said) {
                    secrets.push(said);
                }
                continue;
            }
            let Some((named, origin)) = config.get(&(w.namespace.as_str(), reference.name)) else {
                continue;
            };
            for (key, host, targets, protocol) in named {
                if reference.key.is_some_and(|k| k != key) {
                    continue;
                }
                for &t in targets {
                    let why = format!(
                        "ConfigMap {}/{} key {} ({} of {}) names `{}`",
                        w.namespace,
                        short(reference.name),
                        short(key),
                        reference.how,
                        w.id(),
                        short(host)
                    );
                    link_named(inventory, first + i, t, *protocol, why, origin.clone());
                }
            }
        }
        if !secrets.is_empty() {
            let more = secrets.len().saturating_sub(MAX_SECRETS_NAMED);
            secrets.truncate(MAX_SECRETS_NAMED);
            let more = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            inventory.components[first + i].notes.push(format!(
                "secrets: uses Secret {}{more}; say what data they hold (credentials, keys) and \
                 where they come from",
                secrets.join(", ")
            ));
        }
    }
}

/// The most workloads a gate lists over one read: past it, gates judge nothing (a policy
/// letting every pod of a large namespace reach every other must not make the inventory
/// quadratic).
const MAX_GATE_ENTRIES: usize = 100_000;

/// What the NetworkPolicies let reach each workload they select for ingress, and let each they
/// select for egress reach: `drift` holds the model's flows against them. A peer the manifests
/// cannot resolve (an `ipBlock`, a namespace selected by labels the manifests do not show) lets
/// in what the code does not name, so that direction is not judged.
fn gates(
    objects: &[Object],
    policies: &[&Object],
    workloads: &[(&Object, Map<String, Value>)],
    first: usize,
    inventory: &mut Inventory,
) {
    // Namespace labels as the manifests show them; every namespace has its name as a label.
    let namespace_labels: BTreeMap<&str, &Map<String, Value>> = objects
        .iter()
        .filter(|o| o.kind == "Namespace")
        .filter_map(|o| Some((o.name, at(o.value, &["metadata", "labels"])?.as_object()?)))
        .collect();
    let namespace_matches = |selector: &Value, namespace: &str| -> Option<bool> {
        let mut labels = namespace_labels.get(namespace).map(|l| (*l).clone());
        let only_name = selector
            .get("matchLabels")
            .and_then(Value::as_object)
            .is_none_or(|m| m.keys().all(|k| k == NAMESPACE_NAME))
            && items(selector, &["matchExpressions"])
                .iter()
                .all(|e| str_at(e, &["key"]) == Some(NAMESPACE_NAME));
        if labels.is_none() && !only_name {
            return None;
        }
        let labels = labels.get_or_insert_with(Map::new);
        labels.insert(NAMESPACE_NAME.to_owned(), Value::from(namespace));
        Some(selector_matches(selector, labels))
    };
    // The workloads a rule's peers name, or `None` when one of them cannot be resolved.
    let peers = |rule: &Value, key: &str, namespace: &str| -> Option<Vec<usize>> {
        let list = items(rule, &[key]);
        if list.is_empty() {
            return None;
        }
        let mut found = Vec::new();
        for peer in list {
            if peer.get("ipBlock").is_some() {
                return None;
            }
            let pods = peer.get("podSelector");
            let spaces = peer.get("namespaceSelector");
            if pods.is_none() && spaces.is_none() {
                return None;
            }
            for (j, (w, labels)) in workloads.iter().enumerate() {
                let in_namespace = match spaces {
                    None => w.namespace == namespace,
                    Some(selector) => namespace_matches(selector, &w.namespace)?,
                };
                if in_namespace && pods.is_none_or(|s| selector_matches(s, labels)) {
                    found.push(j);
                }
            }
        }
        Some(found)
    };
    // What each policy lets through in each direction, resolved once however many pods it
    // selects: (unresolvable, workloads named).
    let directions = [(false, "ingress", "from"), (true, "egress", "to")];
    let resolved: Vec<[(bool, Vec<usize>); 2]> = policies
        .iter()
        .map(|p| {
            directions.map(|(outbound, rules_key, peer_key)| {
                let mut anywhere = false;
                let mut allowed = Vec::new();
                if governs(p.value, outbound) {
                    for rule in items(p.value, &["spec", rules_key]) {
                        match peers(rule, peer_key, &p.namespace) {
                            Some(found) => allowed.extend(found),
                            None => anywhere = true,
                        }
                    }
                }
                (anywhere, allowed)
            })
        })
        .collect();
    let mut budget = MAX_GATE_ENTRIES;
    let mut capped = false;
    for (i, (w, labels)) in workloads.iter().enumerate() {
        for (d, &(outbound, _, _)) in directions.iter().enumerate() {
            let selecting: Vec<usize> = (0..policies.len())
                .filter(|&k| {
                    let p = policies[k];
                    p.namespace == w.namespace
                        && governs(p.value, outbound)
                        && at(p.value, &["spec", "podSelector"])
                            .is_some_and(|s| selector_matches(s, labels))
                })
                .collect();
            let Some(&first_policy) = selecting.first() else {
                continue;
            };
            let mut anywhere = false;
            let mut allowed: Vec<usize> = Vec::new();
            for &k in &selecting {
                let (unresolved, named) = &resolved[k][d];
                anywhere |= *unresolved;
                if allowed.len() + named.len() > budget {
                    capped = true;
                    anywhere = true;
                    break;
                }
                allowed.extend(named);
            }
            if anywhere {
                allowed.clear();
            }
            allowed.sort_unstable();
            allowed.dedup();
            budget -= allowed.len();
            let names: Vec<String> = selecting
                .iter()
                .map(|&k| format!("{}/{}", policies[k].namespace, policies[k].name))
                .collect();
            inventory.gates.push(Gate {
                target: inventory.components[first + i].reference.clone(),
                allowed: allowed
                    .iter()
                    .map(|&j| inventory.components[first + j].reference.clone())
                    .collect(),
                anywhere,
                outbound,
                judges: Judges::Workloads,
                why: short(&format!("NetworkPolicy {}", names.join(", "))),
                origin: Origin {
                    file: policies[first_policy].file.to_owned(),
                    line: policies[first_policy].line,
                },
            });
        }
    }
    if capped {
        inventory.notes.push(format!(
            "NetworkPolicies name more than {MAX_GATE_ENTRIES} pods in all; past that, what they \
             let through is not held against the model's flows"
        ));
    }
}

/// The label every namespace carries with its name.
const NAMESPACE_NAME: &str = "kubernetes.io/metadata.name";

/// Whether a policy restricts ingress (or egress): `policyTypes` names it, or, absent, ingress
/// always and egress when it has egress rules.
fn governs(policy: &Value, egress: bool) -> bool {
    let types = items(policy, &["spec", "policyTypes"]);
    let (name, key) = if egress {
        ("Egress", "egress")
    } else {
        ("Ingress", "ingress")
    };
    if types.is_empty() {
        !egress || at(policy, &["spec", key]).is_some()
    } else {
        types.iter().any(|t| t.as_str() == Some(name))
    }
}

/// RBAC: a workload whose ServiceAccount is bound to a role that may do anything (cluster-admin,
/// or `*` verbs on `*` resources), or to a cluster-wide role that reads Secrets, runs without
/// least privilege: taking it over takes what the role grants.
fn rbac(
    objects: &[Object],
    workloads: &[(&Object, Map<String, Value>)],
    first: usize,
    inventory: &mut Inventory,
) {
    let rules_of = |kind: &str, namespace: &str, name: &str| -> Option<&[Value]> {
        objects
            .iter()
            .find(|o| {
                o.kind == kind
                    && o.name == name
                    && (kind == "ClusterRole" || o.namespace == namespace)
            })
            .map(|o| items(o.value, &["rules"]))
    };
    let list = |rule: &Value, key: &str| -> Vec<String> {
        items(rule, &[key])
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect()
    };
    for binding in objects
        .iter()
        .filter(|o| matches!(o.kind, "RoleBinding" | "ClusterRoleBinding"))
    {
        let cluster_wide = binding.kind == "ClusterRoleBinding";
        let (Some(role_kind), Some(role)) = (
            str_at(binding.value, &["roleRef", "kind"]),
            str_at(binding.value, &["roleRef", "name"]),
        ) else {
            continue;
        };
        let rules = rules_of(role_kind, &binding.namespace, role).unwrap_or(&[]);
        let everything = role == "cluster-admin"
            || rules.iter().any(|r| {
                list(r, "verbs").iter().any(|v| v == "*")
                    && list(r, "resources").iter().any(|v| v == "*")
            });
        let secrets = rules.iter().any(|r| {
            list(r, "resources")
                .iter()
                .any(|v| v == "secrets" || v == "*")
                && list(r, "verbs")
                    .iter()
                    .any(|v| matches!(v.as_str(), "get" | "list" | "watch" | "*"))
        });
        let grant = if everything {
            "may do anything"
        } else if secrets && cluster_wide {
            "may read every Secret"
        } else {
            continue;
        };
        let scope = if cluster_wide {
            "in the whole cluster".to_owned()
        } else {
            format!("in namespace {}", binding.namespace)
        };
        for subject in items(binding.value, &["subjects"]) {
            if str_at(subject, &["kind"]) != Some("ServiceAccount") {
                continue;
            }
            let Some(account) = str_at(subject, &["name"]) else {
                continue;
            };
            let account_namespace =
                str_at(subject, &["namespace"]).unwrap_or(binding.namespace.as_str());
            for (i, (workload, _)) in workloads.iter().enumerate() {
                let spec = pod_template(workload).and_then(|p| p.get("spec"));
                let uses = spec
                    .and_then(|s| {
                        str_at(s, &["serviceAccountName"])
                            .or_else(|| str_at(s, &["serviceAccount"]))
                    })
                    .unwrap_or("default");
                if workload.namespace != account_namespace || uses != account {
                    continue;
                }
                let lack = Evidence::new(
                    "least-privilege",
                    format!(
                        "its ServiceAccount {account_namespace}/{account} {grant} {scope}: {} {} binds {role_kind} {}",
                        binding.kind,
                        short(binding.name),
                        short(role)
                    ),
                );
                let found = &mut inventory.components[first + i];
                if !found.lacks.contains(&lack) {
                    found.lacks.push(lack);
                }
            }
        }
    }
}

/// The zone of a namespace, added to the inventory the first time: its key.
fn namespace(inventory: &mut Inventory, name: &str) -> String {
    let key = format!("k8s:{name}");
    inventory.zone(Zone {
        key: key.clone(),
        name: format!("{name} namespace"),
        kind: BoundaryKind::Namespace,
        parent: Some(CLUSTER.to_owned()),
        why: format!("Kubernetes namespace `{}`", short(name)),
    });
    key
}

/// A flow from a proxy (Ingress, Gateway) to the workloads of a Service it routes to.
fn route(
    inventory: &mut Inventory,
    services: &BTreeMap<(String, String), Vec<usize>>,
    proxy: &Object,
    namespace: &str,
    service: &str,
) {
    let source = format!("k8s:{}", proxy.id());
    let Some(targets) = services.get(&(namespace.to_owned(), service.to_owned())) else {
        return;
    };
    for &t in targets {
        let found = &mut inventory.components[t];
        if found.technology.value == "backend-service" {
            found.technology = Evidence::new(
                "api-service",
                format!(
                    "{} {}/{} routes HTTP to it; its image says no more",
                    proxy.kind, proxy.namespace, proxy.name
                ),
            );
        }
        let target = found.reference.clone();
        inventory.link(Link {
            source: source.clone(),
            target,
            protocol: Some("http"),
            why: format!(
                "{} {}/{} routes to Service {}",
                proxy.kind,
                proxy.namespace,
                proxy.name,
                short(service)
            ),
            origin: Origin {
                file: proxy.file.to_owned(),
                line: proxy.line,
            },
        });
    }
}

/// The Service an Ingress backend names (`networking.k8s.io/v1` and `v1beta1`).
fn ingress_backend(backend: Option<&Value>) -> Option<String> {
    let backend = backend?;
    str_at(backend, &["service", "name"])
        .or_else(|| str_at(backend, &["serviceName"]))
        .map(str::to_owned)
}

/// The pod template of a workload.
fn pod_template<'v>(o: &Object<'v>) -> Option<&'v Value> {
    match o.kind {
        "Pod" => Some(o.value),
        "CronJob" => at(o.value, &["spec", "jobTemplate", "spec", "template"]),
        _ => at(o.value, &["spec", "template"]),
    }
}

/// Container hardening the security contexts show: every container non-root, read-only and
/// without privilege escalation; or one privileged or running as root.
type Controls = Vec<Evidence<&'static str>>;

fn hardening(spec: Option<&Value>, containers: &[Value]) -> (Controls, Controls) {
    let pod = spec.and_then(|s| s.get("securityContext"));
    let pod_non_root = pod.is_some_and(non_root);
    let mut all_hardened = !containers.is_empty();
    for c in containers {
        let context = c.get("securityContext");
        if context.is_some_and(|c| truthy(c.get("privileged")) == Some(true)) {
            return (
                Vec::new(),
                vec![Evidence::new(
                    "container-hardening",
                    "a container runs privileged",
                )],
            );
        }
        let user = context
            .and_then(|c| c.get("runAsUser"))
            .or_else(|| pod.and_then(|p| p.get("runAsUser")));
        if user.and_then(Value::as_u64) == Some(0) {
            return (
                Vec::new(),
                vec![Evidence::new(
                    "container-hardening",
                    "a container runs as user 0 (root)",
                )],
            );
        }
        let hardened = (pod_non_root || context.is_some_and(non_root))
            && context.is_some_and(|c| truthy(c.get("readOnlyRootFilesystem")) == Some(true))
            && context.is_some_and(|c| truthy(c.get("allowPrivilegeEscalation")) == Some(false));
        all_hardened &= hardened;
    }
    if all_hardened {
        (
            vec![Evidence::new(
                "container-hardening",
                "every container runs as non-root, read-only, without privilege escalation",
            )],
            Vec::new(),
        )
    } else {
        (Vec::new(), Vec::new())
    }
}

fn non_root(context: &Value) -> bool {
    truthy(context.get("runAsNonRoot")) == Some(true)
        || context
            .get("runAsUser")
            .and_then(Value::as_u64)
            .is_some_and(|u| u > 0)
}

/// A Service's selector: every key and value among the pod's labels.
fn selects(selector: &Map<String, Value>, labels: &Map<String, Value>) -> bool {
    !selector.is_empty() && selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

/// A label selector (`matchLabels`; `matchExpressions` with `In` and `Exists`): empty selects all.
fn selector_matches(selector: &Value, labels: &Map<String, Value>) -> bool {
    let match_labels = selector.get("matchLabels").and_then(Value::as_object);
    let labels_ok = match_labels.is_none_or(|m| m.iter().all(|(k, v)| labels.get(k) == Some(v)));
    let expressions_ok = items(selector, &["matchExpressions"]).iter().all(|e| {
        let key = str_at(e, &["key"]).unwrap_or("");
        let values: Vec<&str> = items(e, &["values"])
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let label = labels.get(key).and_then(Value::as_str);
        match str_at(e, &["operator"]) {
            Some("In") => label.is_some_and(|l| values.contains(&l)),
            Some("NotIn") => label.is_none_or(|l| !values.contains(&l)),
            Some("Exists") => label.is_some(),
            Some("DoesNotExist") => label.is_none(),
            _ => false,
        }
    });
    labels_ok && expressions_ok
}

/// A flow from a workload to a component its configuration names (an environment variable or a
/// ConfigMap value), over the protocol the text names, else the target's usual one.
fn link_named(
    inventory: &mut Inventory,
    source: usize,
    target: usize,
    protocol: Option<&'static str>,
    why: String,
    origin: Origin,
) {
    let protocol =
        protocol.or_else(|| protocol_of_technology(inventory.components[target].technology.value));
    let source = inventory.components[source].reference.clone();
    let target = inventory.components[target].reference.clone();
    inventory.link(Link {
        source,
        target,
        protocol,
        why,
        origin,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inventory(text: &str) -> Inventory {
        let mut inventory = Inventory::default();
        read(&[("k.yaml".to_owned(), text.to_owned())], &mut inventory).expect("reads");
        inventory
    }

    const APP: &str = "apiVersion: apps/v1
kind: Deployment
metadata: { name: api, namespace: shop }
spec:
  template:
    metadata: { labels: { app: api } }
    spec:
      securityContext: { runAsNonRoot: true }
      containers:
        - name: api
          image: ghcr.io/acme/api:1
          securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false }
          env:
            - { name: DB_HOST, value: db }
---
apiVersion: apps/v1
kind: StatefulSet
metadata: { name: db, namespace: shop }
spec:
  template:
    metadata: { labels: { app: db } }
    spec:
      containers: [{ name: pg, image: postgres:16, securityContext: { privileged: true } }]
---
apiVersion: v1
kind: Service
metadata: { name: db, namespace: shop }
spec: { selector: { app: db } }
---
apiVersion: v1
kind: Service
metadata: { name: api, namespace: shop }
spec: { type: LoadBalancer, selector: { app: api } }
";

    #[test]
    fn a_service_account_bound_to_cluster_admin_has_no_least_privilege() {
        let inventory = inventory(
            r#"apiVersion: apps/v1
kind: Deployment
metadata: { name: deployer, namespace: ops }
spec:
  template:
    metadata: { labels: { app: deployer } }
    spec:
      serviceAccountName: deployer
      containers: [{ name: d, image: ghcr.io/acme/deployer:1 }]
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: reporter, namespace: ops }
spec:
  template:
    metadata: { labels: { app: reporter } }
    spec:
      containers: [{ name: r, image: ghcr.io/acme/reporter:1 }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: deployer-admin }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin }
subjects: [{ kind: ServiceAccount, name: deployer, namespace: ops }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: secret-reader }
rules: [{ apiGroups: [""], resources: [secrets], verbs: [get, list] }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: reads, namespace: ops }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: secret-reader }
subjects: [{ kind: ServiceAccount, name: default }]
"#,
        );
        let privilege = |i: usize| -> Vec<&str> {
            inventory.components[i]
                .lacks
                .iter()
                .filter(|l| l.value == "least-privilege")
                .map(|l| l.why.as_str())
                .collect()
        };
        assert_eq!(
            privilege(0),
            [
                "its ServiceAccount ops/deployer may do anything in the whole cluster: ClusterRoleBinding deployer-admin binds ClusterRole cluster-admin"
            ]
        );
        // Reading the Secrets of its own namespace only is not flagged.
        assert_eq!(privilege(1), [""; 0]);
        assert!(inventory.notes.is_empty(), "{:?}", inventory.notes);
    }

    #[test]
    fn services_give_exposure_and_env_hosts_give_flows() {
        let inv = inventory(APP);
        let api = &inv.components[0];
        assert_eq!(api.reference, "k8s:shop/Deployment/api");
        assert_eq!(
            api.exposure.as_ref().map(|e| e.value),
            Some(Exposure::Internet)
        );
        assert_eq!(api.controls[0].value, "container-hardening");
        let db = &inv.components[1];
        assert_eq!(db.technology.value, "postgresql");
        assert_eq!(
            db.exposure.as_ref().map(|e| e.value),
            Some(Exposure::Internal)
        );
        assert_eq!(db.lacks[0].value, "container-hardening");
        assert_eq!(inv.links.len(), 1);
        assert_eq!(inv.links[0].target, "k8s:shop/StatefulSet/db");
        assert_eq!(inv.links[0].protocol, Some("postgres"));
        assert_eq!(inv.components[1].origin.line, 17);
    }

    #[test]
    fn a_gateway_is_reached_from_the_internet_and_its_routes_are_flows() {
        let text = format!(
            "{APP}---\nkind: Gateway\nmetadata: {{ name: edge, namespace: infra }}\nspec:\n  listeners: [{{ name: web, protocol: HTTPS, port: 443 }}]\n---\nkind: HTTPRoute\nmetadata: {{ name: api, namespace: shop }}\nspec:\n  parentRefs: [{{ name: edge, namespace: infra }}]\n  rules: [{{ backendRefs: [{{ name: api, port: 80 }}] }}]\n"
        );
        let inv = inventory(&text);
        let gateway = inv
            .components
            .iter()
            .find(|c| c.reference == "k8s:infra/Gateway/edge")
            .expect("the gateway");
        assert_eq!(
            gateway.exposure.as_ref().map(|e| e.value),
            Some(Exposure::Internet)
        );
        assert_eq!(
            gateway.public_protocol.as_ref().map(|p| p.value),
            Some("https")
        );
        assert!(
            inv.links
                .iter()
                .any(|l| l.source == "k8s:infra/Gateway/edge"
                    && l.target == "k8s:shop/Deployment/api"
                    && l.protocol == Some("http"))
        );
        assert_eq!(inv.components[0].technology.value, "api-service");
    }

    #[test]
    fn a_policy_letting_every_pod_reach_every_other_is_capped() {
        let mut text = String::new();
        for i in 0..400 {
            text.push_str(&format!(
                "kind: Pod\nmetadata: {{ name: p{i}, namespace: n, labels: {{ app: a }} }}\nspec: {{ containers: [{{ name: c, image: x }}] }}\n---\n"
            ));
        }
        text.push_str("kind: NetworkPolicy\nmetadata: { name: all, namespace: n }\nspec: { podSelector: {}, ingress: [{ from: [{ podSelector: {} }] }] }\n");
        let started = std::time::Instant::now();
        let inv = inventory(&text);
        assert_eq!(inv.links.len(), crate::inventory::MAX_LINKS);
        assert_eq!(
            inv.notes,
            [
                "more than 100000 flows; the rest are left out",
                "NetworkPolicies name more than 100000 pods in all; past that, what they let \
                 through is not held against the model's flows"
            ]
        );
        // The gates hold no more than their bound; the pods past it are not judged.
        let named: usize = inv.gates.iter().map(|g| g.allowed.len()).sum();
        assert!(named <= 100_000, "{named}");
        assert!(inv.gates.iter().any(|g| g.anywhere && g.allowed.is_empty()));
        assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
    }

    #[test]
    fn policies_gate_what_reaches_and_leaves_the_pods_they_select() {
        let gates = |policies: &str| -> Vec<String> {
            inventory(&format!("{APP}{policies}"))
                .gates
                .iter()
                .map(Gate::summary)
                .collect()
        };
        let policy = |name: &str, spec: &str| {
            format!(
                "---\nkind: NetworkPolicy\nmetadata: {{ name: {name}, namespace: shop }}\nspec: {spec}\n"
            )
        };
        // Ingress from the api only; egress of the api to the db in the namespace named `shop`.
        assert_eq!(
            gates(&format!(
                "{}{}",
                policy(
                    "db-in",
                    "{ podSelector: { matchLabels: { app: db } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: api } } }] }] }"
                ),
                policy(
                    "api-out",
                    "{ podSelector: { matchLabels: { app: api } }, policyTypes: [Egress], egress: [{ to: [{ namespaceSelector: { matchLabels: { kubernetes.io/metadata.name: shop } }, podSelector: { matchLabels: { app: db } } }] }] }"
                )
            )),
            [
                "k8s:shop/Deployment/api outbound=true anywhere=false [\"k8s:shop/StatefulSet/db\"]",
                "k8s:shop/StatefulSet/db outbound=false anywhere=false [\"k8s:shop/Deployment/api\"]",
            ]
        );
        // Deny-all ingress lets nothing in; a policy without policyTypes or egress rules does
        // not gate egress.
        assert_eq!(
            gates(&policy("deny", "{ podSelector: {} }")),
            [
                "k8s:shop/Deployment/api outbound=false anywhere=false []",
                "k8s:shop/StatefulSet/db outbound=false anywhere=false []",
            ]
        );
        // What the manifests cannot resolve is not judged: an ipBlock, a namespace selected by a
        // label no Namespace object shows, a rule without peers.
        for spec in [
            "{ podSelector: { matchLabels: { app: db } }, ingress: [{ from: [{ ipBlock: { cidr: 10.0.0.0/8 } }] }] }",
            "{ podSelector: { matchLabels: { app: db } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: x } } }] }] }",
            "{ podSelector: { matchLabels: { app: db } }, ingress: [{ ports: [{ port: 5432 }] }] }",
        ] {
            assert_eq!(
                gates(&policy("p", spec)),
                ["k8s:shop/StatefulSet/db outbound=false anywhere=true []"],
                "{spec}"
            );
        }
    }

    #[test]
    fn config_maps_naming_a_service_are_flows_and_secrets_are_noted_unread() {
        let text = format!(
            "{APP}---
kind: ConfigMap
metadata: {{ name: api-config, namespace: shop }}
data:
  DB: postgres://user:pw@db:5432/app
  CACHE: db
---
kind: Deployment
metadata: {{ name: worker, namespace: shop }}
spec:
  template:
    metadata: {{ labels: {{ app: worker }} }}
    spec:
      containers:
        - name: worker
          image: ghcr.io/acme/worker:1
          env:
            - name: ONLY_CACHE
              valueFrom: {{ configMapKeyRef: {{ name: api-config, key: CACHE }} }}
            - name: TOKEN
              valueFrom: {{ secretKeyRef: {{ name: worker-token, key: token }} }}
          envFrom:
            - secretRef: {{ name: shared-env }}
      volumes:
        - name: all
          projected:
            sources:
              - secret: {{ name: tls }}
              - configMap: {{ name: missing }}
---
kind: Deployment
metadata: {{ name: mounter, namespace: shop }}
spec:
  template:
    metadata: {{ labels: {{ app: mounter }} }}
    spec:
      containers: [{{ name: m, image: ghcr.io/acme/m:1 }}]
      volumes:
        - {{ name: config, configMap: {{ name: api-config }} }}
"
        );
        let inv = inventory(&text);
        let links: Vec<(String, String, Option<&str>)> = inv
            .links
            .iter()
            .filter(|l| l.why.contains("ConfigMap"))
            .map(|l| (l.source.clone(), l.why.clone(), l.protocol))
            .collect();
        assert_eq!(
            links,
            [
                (
                    "k8s:shop/Deployment/worker".to_owned(),
                    "ConfigMap shop/api-config key CACHE (env ONLY_CACHE of shop/Deployment/worker) names `db`".to_owned(),
                    // The store's own protocol, when the value has no scheme.
                    Some("postgres")
                ),
                (
                    "k8s:shop/Deployment/mounter".to_owned(),
                    "ConfigMap shop/api-config key DB (volume config of shop/Deployment/mounter) names `db`; ConfigMap shop/api-config key CACHE (volume config of shop/Deployment/mounter) names `db`".to_owned(),
                    Some("postgres")
                ),
            ]
        );
        let worker = inv
            .components
            .iter()
            .find(|c| c.name == "worker")
            .expect("worker");
        assert_eq!(
            worker.notes,
            [
                "secrets: uses Secret `worker-token` (env TOKEN), `shared-env` (envFrom), `tls` (volume all); say what data they hold (credentials, keys) and where they come from"
            ]
        );
        // A connection string's credentials are never copied.
        assert!(inv.links.iter().all(|l| !l.why.contains("pw")));
    }

    #[test]
    fn a_flow_the_code_shows_and_its_policy_denies_is_drafted_with_a_comment() {
        let text = format!(
            "{APP}---\nkind: NetworkPolicy\nmetadata: {{ name: db-in, namespace: shop }}\nspec:\n  podSelector: {{ matchLabels: {{ app: db }} }}\n  ingress: [{{ from: [{{ podSelector: {{ matchLabels: {{ app: admin }} }} }}] }}]\n"
        );
        let draft = crate::draft_model(&inventory(&text), &["k.yaml".to_owned()]);
        assert!(
            draft.contains(
                "  # but NetworkPolicy shop/db-in does not let it through: the code contradicts itself here; correct the one that is wrong (drift reports it until then)\n  - api -> db"
            ),
            "{draft}"
        );
    }

    #[test]
    fn a_policy_selecting_pods_is_a_control_and_its_peers_are_flows() {
        let text = format!(
            "{APP}---\nkind: NetworkPolicy\nmetadata: {{ name: db-in, namespace: shop }}\nspec:\n  podSelector: {{ matchLabels: {{ app: db }} }}\n  ingress: [{{ from: [{{ podSelector: {{ matchExpressions: [{{ key: app, operator: In, values: [api] }}] }} }}] }}]\n"
        );
        let inv = inventory(&text);
        let db = &inv.components[1];
        assert!(db.controls.iter().any(|c| c.value == "network-policy"));
        assert!(
            inv.components[0]
                .lacks
                .iter()
                .any(|c| c.value == "network-policy")
        );
        assert!(inv.links[0].why.contains("environment variable DB_HOST"));
        assert!(
            inv.links[0]
                .why
                .contains("NetworkPolicy shop/db-in allows it")
        );
    }
}

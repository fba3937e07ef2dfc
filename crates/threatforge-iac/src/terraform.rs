//! Terraform, from `terraform show -json`: a plan's `planned_values` or a state's `values`, with
//! the plan's `configuration` for the references between resources (a plan does not know the ids
//! yet, so `subnet_id = aws_subnet.app.id` is only in the configuration). Nothing is evaluated.
//!
//! Core resources of AWS, and the most common of Azure and Google Cloud, become components and
//! zones; a few more (listeners, target groups, bucket settings, integrations) add evidence to
//! them. What is not read is counted in a note.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;
use threatforge_model::{BoundaryKind, ComponentKind, Exposure, catalog};

use crate::error::IacError;
use crate::inventory::{
    Evidence, Found, Inventory, Link, Origin, Source, Zone, protocol_of_technology,
};
use crate::resource::Resource;
use crate::text::{Lines, at, items, json, short, str_at, truthy};

pub(crate) fn read(file: &str, text: &str, inventory: &mut Inventory) -> Result<(), IacError> {
    let document = json(file, text)?;
    let root = at(&document, &["planned_values", "root_module"])
        .or_else(|| at(&document, &["values", "root_module"]))
        .ok_or_else(|| {
            IacError::at(file, 1, 1, "has neither `planned_values` nor `values`")
                .with_help("give the output of `terraform show -json PLANFILE` (or of a state)")
        })?;
    let mut resources = Vec::new();
    collect(file, root, &mut resources);

    // References: from the configuration (plans), and from concrete ids and ARNs (states).
    let mut config_refs: HashMap<String, Vec<(String, String)>> = HashMap::new();
    if let Some(config) = at(&document, &["configuration", "root_module"]) {
        configuration(config, "", &mut config_refs);
    }
    let by_base: HashMap<String, usize> = resources
        .iter()
        .enumerate()
        .map(|(i, r)| (base(&r.address).to_owned(), i))
        .collect();
    let mut by_id: HashMap<&str, usize> = HashMap::new();
    for (i, r) in resources.iter().enumerate() {
        for key in ["id", "arn"] {
            if let Some(id) = str_at(r.values, &[key]).filter(|s| s.len() > 3) {
                by_id.insert(id, i);
            }
        }
    }
    for i in 0..resources.len() {
        let mut refs = Vec::new();
        for (attr, reference) in config_refs
            .get(base(&resources[i].address))
            .into_iter()
            .flatten()
        {
            if let Some(target) = resolve(reference, &by_base) {
                refs.push((attr.clone(), resources[target].address.clone()));
            }
        }
        if let Some(values) = resources[i].values.as_object() {
            for (attr, value) in values {
                if attr == "id" || attr == "arn" {
                    continue;
                }
                strings(value, &mut |s| {
                    if let Some(&target) = by_id.get(s)
                        && target != i
                    {
                        refs.push((attr.clone(), resources[target].address.clone()));
                    }
                });
            }
        }
        refs.dedup();
        resources[i].refs = refs;
    }
    let lines = Lines::new(text);
    let address_lines = address_lines(text, &lines);
    for r in &mut resources {
        r.origin.line = address_lines.get(&r.address).copied().unwrap_or(1);
    }
    inventory.saw(Source::Terraform);
    map(file, resources, inventory);
    Ok(())
}

/// Components, zones and flows from the resources of one plan, state or source directory
/// (`place` names it in the note on what was not modeled).
pub(crate) fn map(place: &str, mut resources: Vec<Resource>, inventory: &mut Inventory) {
    // An ECS service runs its task definition, an auto scaling group its launch template: what
    // those reference (images, roles, security groups, stores), the component does.
    let position: HashMap<String, usize> = resources
        .iter()
        .enumerate()
        .map(|(i, r)| (r.address.clone(), i))
        .collect();
    for i in 0..resources.len() {
        let via = match resources[i].kind {
            "aws_ecs_service" => "task_definition",
            "aws_autoscaling_group" => "launch_template",
            _ => continue,
        };
        let hop: Vec<(String, String)> = resources[i]
            .refs
            .iter()
            .filter(|(attr, _)| attr == via)
            .filter_map(|(_, t)| position.get(t))
            .flat_map(|&j| {
                resources[j]
                    .refs
                    .iter()
                    .map(|(attr, t)| (format!("{via}.{attr}"), t.clone()))
            })
            .collect();
        resources[i].refs.extend(hop);
    }

    let index: HashMap<&str, usize> = resources
        .iter()
        .enumerate()
        .map(|(i, r)| (r.address.as_str(), i))
        .collect();
    let origin = |address: &str| {
        index.get(address).map_or_else(
            || Origin {
                file: place.to_owned(),
                line: 1,
            },
            |&i| resources[i].origin.clone(),
        )
    };

    // Zones: accounts, networks, subnets.
    let mut accounts: Vec<&'static str> = Vec::new();
    let mut zone_of_resource: HashMap<&str, String> = HashMap::new();
    for r in &resources {
        let Some((kind, parent_attr)) = zone_kind(r.kind) else {
            continue;
        };
        let account = account_of(r.kind);
        let parent = parent_attr
            .and_then(|attr| {
                r.refs.iter().find(|(a, t)| {
                    a == attr
                        && index
                            .get(t.as_str())
                            .is_some_and(|&i| zone_kind(resources[i].kind).is_some())
                })
            })
            .map(|(_, t)| t.clone())
            .or_else(|| account.map(|(key, _)| key.to_owned()));
        if let Some((key, _)) = account
            && !accounts.contains(&key)
        {
            accounts.push(key);
        }
        zone_of_resource.insert(&r.address, r.address.clone());
        inventory.zone(Zone {
            key: r.address.clone(),
            name: format!("{} {}", name_of(r), zone_word(kind)),
            kind,
            parent,
            why: format!("`{}`", r.address),
        });
    }

    // Components.
    let mut component_of: HashMap<String, usize> = HashMap::new();
    let mut skipped: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &resources {
        if zone_kind(r.kind).is_some() {
            continue;
        }
        let Some(found) = component(r, &resources, &index) else {
            if !AUXILIARY.contains(&r.kind) {
                *skipped.entry(r.kind).or_default() += 1;
            }
            continue;
        };
        let zone = placement(r, &resources, &index, &zone_of_resource).or_else(|| {
            account_of(r.kind).map(|(key, _)| {
                if !accounts.contains(&key) {
                    accounts.push(key);
                }
                key.to_owned()
            })
        });
        component_of.insert(r.address.clone(), inventory.components.len());
        let notes = r
            .instances
            .iter()
            .map(|how| format!("instances: {how}; this one component stands for them all"))
            .collect();
        inventory.components.push(Found {
            zone,
            origin: origin(&r.address),
            notes,
            ..found
        });
    }
    for key in accounts {
        let (_, name) = ACCOUNTS
            .iter()
            .find(|(k, _)| *k == key)
            .copied()
            .unwrap_or((key, key));
        inventory.zone(Zone {
            key: key.to_owned(),
            name: name.to_owned(),
            kind: BoundaryKind::CloudAccount,
            parent: None,
            why: format!("the provider's resources ({name})"),
        });
    }

    // Evidence from auxiliary resources, and flows.
    let mut links = Vec::new();
    let target_of = |r: &Resource, attr: &str| -> Vec<usize> {
        r.refs
            .iter()
            .filter(|(a, _)| a == attr)
            .filter_map(|(_, t)| component_of.get(t).copied())
            .collect()
    };
    let mut target_groups: HashMap<String, Vec<usize>> = HashMap::new();
    for r in &resources {
        match r.kind {
            "aws_lb_target_group_attachment" => {
                for (_, tg) in r.refs.iter().filter(|(a, _)| a == "target_group_arn") {
                    target_groups
                        .entry(tg.clone())
                        .or_default()
                        .extend(target_of(r, "target_id"));
                }
            }
            "aws_ecs_service" | "aws_autoscaling_group" => {
                for (_, tg) in r
                    .refs
                    .iter()
                    .filter(|(a, _)| a == "load_balancer" || a == "target_group_arns")
                {
                    if let Some(&me) = component_of.get(&r.address) {
                        target_groups.entry(tg.clone()).or_default().push(me);
                    }
                }
            }
            _ => {}
        }
    }
    for r in &resources {
        let components = &mut inventory.components;
        match r.kind {
            "aws_s3_bucket_server_side_encryption_configuration" => {
                for b in target_of(r, "bucket") {
                    components[b].controls.push(Evidence::new(
                        "encryption-at-rest",
                        format!("`{}` sets server-side encryption", r.address),
                    ));
                }
            }
            "aws_s3_bucket_public_access_block" => {
                let all = [
                    "block_public_acls",
                    "block_public_policy",
                    "ignore_public_acls",
                    "restrict_public_buckets",
                ]
                .iter()
                .all(|k| truthy(r.values.get(*k)) == Some(true));
                for b in target_of(r, "bucket") {
                    if all && components[b].exposure.is_none() {
                        components[b].exposure = Some(Evidence::new(
                            Exposure::Internal,
                            format!("`{}` blocks every kind of public access", r.address),
                        ));
                    }
                }
            }
            "aws_s3_bucket_policy" => {
                let public = str_at(r.values, &["policy"])
                    .and_then(|t| serde_json::from_str::<Value>(t).ok())
                    .is_some_and(|p| crate::aws::grants_everyone(&p));
                if public {
                    for b in target_of(r, "bucket") {
                        components[b].exposure = Some(Evidence::new(
                            Exposure::Internet,
                            format!("`{}` allows everyone (`Principal: *`)", r.address),
                        ));
                    }
                }
            }
            "azurerm_storage_container" => {
                let access = str_at(r.values, &["container_access_type"]).unwrap_or("private");
                if access == "blob" || access == "container" {
                    for b in target_of(r, "storage_account_id")
                        .into_iter()
                        .chain(target_of(r, "storage_account_name"))
                    {
                        components[b].exposure = Some(Evidence::new(
                            Exposure::Internet,
                            format!("`{}` has `container_access_type = {access}`", r.address),
                        ));
                    }
                }
            }
            "google_storage_bucket_iam_member" | "google_storage_bucket_iam_binding" => {
                let members: Vec<&str> = str_at(r.values, &["member"])
                    .into_iter()
                    .chain(
                        items(r.values, &["members"])
                            .iter()
                            .filter_map(Value::as_str),
                    )
                    .collect();
                if let Some(everyone) = members
                    .iter()
                    .find(|m| matches!(**m, "allUsers" | "allAuthenticatedUsers"))
                {
                    // Enforced public access prevention (the bucket's `internal`) refuses it.
                    for b in target_of(r, "bucket") {
                        if components[b]
                            .exposure
                            .as_ref()
                            .is_some_and(|e| e.value == Exposure::Internal)
                        {
                            continue;
                        }
                        components[b].exposure = Some(Evidence::new(
                            Exposure::Internet,
                            format!("`{}` grants `{everyone}`", r.address),
                        ));
                    }
                }
            }
            "aws_s3_bucket_acl" => {
                let acl = str_at(r.values, &["acl"]).unwrap_or("");
                if acl.starts_with("public-read") {
                    for b in target_of(r, "bucket") {
                        components[b].exposure = Some(Evidence::new(
                            Exposure::Internet,
                            format!("`{}` grants `{acl}`", r.address),
                        ));
                    }
                }
            }
            "aws_lb_listener" | "aws_lb_listener_rule" => {
                let protocol = str_at(r.values, &["protocol"]).unwrap_or("");
                let lbs = target_of(r, "load_balancer_arn");
                for &lb in &lbs {
                    let secure = matches!(protocol, "HTTPS" | "TLS");
                    let known_secure = components[lb]
                        .public_protocol
                        .as_ref()
                        .is_some_and(|p| p.value == "https");
                    if !known_secure && !protocol.is_empty() {
                        components[lb].public_protocol = Some(Evidence::new(
                            if secure { "https" } else { "http" },
                            format!("`{}` listens with {protocol}", r.address),
                        ));
                    }
                }
                for (_, tg) in r
                    .refs
                    .iter()
                    .filter(|(a, _)| a == "default_action" || a == "action")
                {
                    for &target in target_groups.get(tg).into_iter().flatten() {
                        for &lb in &lbs {
                            links.push((
                                lb,
                                target,
                                Some("http"),
                                format!("`{}` forwards to `{tg}`", r.address),
                                r.address.clone(),
                            ));
                        }
                    }
                }
            }
            "aws_apigatewayv2_integration" | "aws_api_gateway_integration" => {
                let apis: Vec<usize> = target_of(r, "api_id")
                    .into_iter()
                    .chain(target_of(r, "rest_api_id"))
                    .collect();
                let backends: Vec<usize> = target_of(r, "integration_uri")
                    .into_iter()
                    .chain(target_of(r, "uri"))
                    .collect();
                for &api in &apis {
                    for &backend in &backends {
                        links.push((
                            api,
                            backend,
                            Some("https"),
                            format!("`{}` integrates it", r.address),
                            r.address.clone(),
                        ));
                    }
                }
            }
            "aws_lambda_event_source_mapping" => {
                for function in target_of(r, "function_name") {
                    for source in target_of(r, "event_source_arn") {
                        links.push((
                            function,
                            source,
                            Some("https"),
                            format!("`{}` reads it", r.address),
                            r.address.clone(),
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    let rs = crate::resource::Resources {
        all: &resources,
        index: &index,
        component_of: &component_of,
    };
    crate::aws::security_groups(
        &rs,
        &mut inventory.components,
        &mut links,
        &mut inventory.gates,
    );
    crate::aws::iam(&rs, &mut inventory.components, &mut links);
    crate::azure::network_security_groups(&rs, &mut inventory.components);

    // Flows a component's own attributes show: a process that references a store (in its
    // environment, its task definition, its origins), a CDN or gateway its origins.
    let kinds = catalog();
    for r in &resources {
        let Some(&me) = component_of.get(&r.address) else {
            continue;
        };
        let technology = inventory.components[me].technology.value;
        let forwards = matches!(technology, "cdn" | "api-gateway" | "load-balancer");
        let is_process = kinds
            .technology(technology)
            .is_some_and(|t| t.kind == ComponentKind::Process);
        for (attr, target) in &r.refs {
            let Some(&other) = component_of.get(target) else {
                continue;
            };
            let other_technology = inventory.components[other].technology.value;
            let other_kind = kinds.technology(other_technology).map(|t| t.kind);
            // A store that names a key encrypts with it: its service calls the key's.
            let uses_key = other_technology == "kms";
            if uses_key || (is_process && (forwards || other_kind == Some(ComponentKind::Store))) {
                let protocol = protocol_of_technology(other_technology).or(Some("https"));
                links.push((
                    me,
                    other,
                    protocol,
                    format!("`{}` references it in `{attr}`", r.address),
                    r.address.clone(),
                ));
            }
        }
    }
    for (source, target, protocol, why, address) in links {
        let link = Link {
            source: inventory.components[source].reference.clone(),
            target: inventory.components[target].reference.clone(),
            protocol,
            why,
            origin: origin(&address),
        };
        inventory.link(link);
    }
    if !skipped.is_empty() {
        let kinds: Vec<String> = skipped
            .iter()
            .map(|(k, n)| format!("{n} {}", short(k)))
            .collect();
        inventory.notes.push(format!(
            "{}: not modeled: {}",
            short(place),
            kinds.join(", ")
        ));
    }
}

/// The line of each resource's first `"address": "..."` (its planned or state values, which
/// come before the configuration), in one pass: searching the text once per resource was
/// quadratic, 4.6 s for 2,000 resources.
fn address_lines(text: &str, lines: &Lines) -> HashMap<String, usize> {
    let mut found = HashMap::new();
    for (at, key) in text.match_indices("\"address\"") {
        let rest = text[at + key.len()..].trim_start();
        let Some(rest) = rest.strip_prefix(':').map(str::trim_start) else {
            continue;
        };
        let Some(rest) = rest.strip_prefix('"') else {
            continue;
        };
        if let Some(end) = rest.find('"') {
            found
                .entry(rest[..end].to_owned())
                .or_insert_with(|| lines.line_of(at));
        }
    }
    found
}

/// Resources of a module and its child modules, in order.
fn collect<'v>(file: &str, module: &'v Value, out: &mut Vec<Resource<'v>>) {
    for r in items(module, &["resources"]) {
        if str_at(r, &["mode"]) == Some("data") {
            continue;
        }
        let (Some(address), Some(kind)) = (str_at(r, &["address"]), str_at(r, &["type"])) else {
            continue;
        };
        out.push(Resource {
            address: address.to_owned(),
            kind,
            values: r.get("values").unwrap_or(&Value::Null),
            refs: Vec::new(),
            origin: Origin {
                file: file.to_owned(),
                line: 1,
            },
            instances: None,
        });
    }
    for child in items(module, &["child_modules"]) {
        collect(file, child, out);
    }
}

/// The configuration's references, by resource address (module-prefixed) and attribute.
fn configuration(module: &Value, prefix: &str, out: &mut HashMap<String, Vec<(String, String)>>) {
    for r in items(module, &["resources"]) {
        let Some(address) = str_at(r, &["address"]) else {
            continue;
        };
        let mut refs = Vec::new();
        if let Some(expressions) = r.get("expressions").and_then(Value::as_object) {
            for (attr, expression) in expressions {
                references(expression, &mut |reference| {
                    refs.push((attr.clone(), format!("{prefix}{reference}")));
                });
            }
        }
        out.insert(format!("{prefix}{address}"), refs);
    }
    if let Some(calls) = module.get("module_calls").and_then(Value::as_object) {
        for (name, call) in calls {
            if let Some(child) = call.get("module") {
                configuration(child, &format!("{prefix}module.{name}."), out);
            }
        }
    }
}

/// Every string of a `references` list anywhere in an expression.
fn references(expression: &Value, found: &mut dyn FnMut(&str)) {
    match expression {
        Value::Object(map) => {
            for (key, value) in map {
                if key == "references" {
                    for r in value
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                    {
                        found(r);
                    }
                } else {
                    references(value, found);
                }
            }
        }
        Value::Array(list) => list.iter().for_each(|v| references(v, found)),
        _ => {}
    }
}

fn strings(value: &Value, found: &mut dyn FnMut(&str)) {
    match value {
        Value::String(s) => found(s),
        Value::Array(list) => list.iter().for_each(|v| strings(v, found)),
        Value::Object(map) => map.values().for_each(|v| strings(v, found)),
        _ => {}
    }
}

/// An address without its instance keys: `aws_instance.web[0]` is `aws_instance.web`.
fn base(address: &str) -> &str {
    address.split('[').next().unwrap_or(address)
}

/// The resource a reference (`aws_db_instance.orders.address`) is to: its longest prefix that is
/// a resource's address.
fn resolve(reference: &str, by_base: &HashMap<String, usize>) -> Option<usize> {
    let reference = base(reference);
    let mut end = reference.len();
    loop {
        if let Some(&i) = by_base.get(&reference[..end]) {
            return Some(i);
        }
        end = reference[..end].rfind('.')?;
    }
}

/// Its `Name` tag, `name` or another naming attribute, else its type and local name (`aws_kms_key.main`: `kms key main`).
fn name_of(r: &Resource) -> String {
    let named = [
        &["tags", "Name"][..],
        &["name"],
        &["identifier"],
        &["function_name"],
        &["bucket"],
        &["replication_group_id"],
    ]
    .iter()
    .find_map(|path| str_at(r.values, path))
    // A name with a part not read (`orders-${each.key}`) names no instance in particular.
    .filter(|name| !name.contains("${"));
    if let Some(name) = named {
        return short(name);
    }
    let local = r.address.rsplit('.').next().unwrap_or(&r.address);
    let kind = r.kind.split_once('_').map_or(r.kind, |(_, rest)| rest);
    short(&format!("{} {local}", kind.replace('_', " ")))
}

const ACCOUNTS: &[(&str, &str)] = &[
    ("aws-account", "AWS account"),
    ("azure-subscription", "Azure subscription"),
    ("gcp-project", "Google Cloud project"),
];

fn account_of(kind: &str) -> Option<(&'static str, &'static str)> {
    let key = if kind.starts_with("aws_") {
        "aws-account"
    } else if kind.starts_with("azurerm_") {
        "azure-subscription"
    } else if kind.starts_with("google_") {
        "gcp-project"
    } else {
        return None;
    };
    ACCOUNTS.iter().find(|(k, _)| *k == key).copied()
}

/// Resource types that are zones, with the attribute naming their parent zone.
fn zone_kind(kind: &str) -> Option<(BoundaryKind, Option<&'static str>)> {
    Some(match kind {
        "aws_vpc" | "azurerm_virtual_network" | "google_compute_network" => {
            (BoundaryKind::Vpc, None)
        }
        "aws_subnet" => (BoundaryKind::Network, Some("vpc_id")),
        "azurerm_subnet" => (BoundaryKind::Network, Some("virtual_network_name")),
        "google_compute_subnetwork" => (BoundaryKind::Network, Some("network")),
        _ => return None,
    })
}

fn zone_word(kind: BoundaryKind) -> &'static str {
    match kind {
        BoundaryKind::Vpc => "network",
        _ => "subnet",
    }
}

/// The zone a resource sits in: the first subnet it references (directly, or through a subnet
/// group or a network interface), else the first network.
fn placement(
    r: &Resource,
    resources: &[Resource],
    index: &HashMap<&str, usize>,
    zones: &HashMap<&str, String>,
) -> Option<String> {
    let mut candidates: Vec<&str> = r.refs.iter().map(|(_, t)| t.as_str()).collect();
    for (_, t) in &r.refs {
        if let Some(&i) = index.get(t.as_str())
            && (resources[i].kind.ends_with("subnet_group")
                || resources[i].kind == "azurerm_network_interface")
        {
            candidates.extend(resources[i].refs.iter().map(|(_, t)| t.as_str()));
        }
    }
    let zone = |want: BoundaryKind| {
        candidates.iter().find(|t| {
            zones.contains_key(*t)
                && index
                    .get(*t)
                    .and_then(|&i| zone_kind(resources[i].kind))
                    .is_some_and(|(k, _)| k == want)
        })
    };
    zone(BoundaryKind::Network)
        .or_else(|| zone(BoundaryKind::Vpc))
        .map(|t| (*t).to_owned())
}

/// Data sources read as resources (a plan lists them with `mode: data`): what a role may do is
/// often written in a policy document.
pub(crate) const READ_DATA: &[&str] = &["aws_iam_policy_document"];

/// Resources read for evidence about others, never components themselves.
const AUXILIARY: &[&str] = &[
    "aws_s3_bucket_server_side_encryption_configuration",
    "aws_s3_bucket_public_access_block",
    "aws_s3_bucket_acl",
    "aws_lb_listener",
    "aws_lb_listener_rule",
    "aws_lb_target_group",
    "aws_lb_target_group_attachment",
    "aws_apigatewayv2_integration",
    "aws_api_gateway_integration",
    "aws_lambda_event_source_mapping",
    "aws_db_subnet_group",
    "aws_elasticache_subnet_group",
    "aws_ecs_task_definition",
    "aws_ecs_cluster",
    "aws_security_group",
    "aws_security_group_rule",
    "aws_vpc_security_group_ingress_rule",
    "aws_vpc_security_group_egress_rule",
    "aws_iam_role",
    "aws_iam_role_policy",
    "aws_iam_role_policy_attachment",
    "aws_iam_policy",
    "aws_iam_policy_document",
    "aws_iam_instance_profile",
    "aws_launch_template",
    "aws_s3_bucket_policy",
    "azurerm_resource_group",
    "azurerm_service_plan",
    "azurerm_mssql_database",
    "azurerm_storage_container",
    "azurerm_network_security_group",
    "azurerm_network_security_rule",
    "azurerm_subnet_network_security_group_association",
    "azurerm_network_interface_security_group_association",
    "azurerm_network_interface",
    "google_storage_bucket_iam_member",
    "google_storage_bucket_iam_binding",
    "google_cloud_run_service_iam_member",
    "google_cloud_run_v2_service_iam_member",
];

/// A component for a resource of a known type, without its zone and origin.
fn component(r: &Resource, resources: &[Resource], index: &HashMap<&str, usize>) -> Option<Found> {
    let v = r.values;
    let mut exposure = None;
    let mut controls = Vec::new();
    let mut lacks = Vec::new();
    let mut public_protocol = None;
    let a = &r.address;
    let flag = |key: &str| truthy(v.get(key));
    let mut encrypted = |on: Option<bool>, what: &str| match on {
        Some(true) => controls.push(Evidence::new(
            "encryption-at-rest",
            format!("`{a}` has `{what}` on"),
        )),
        Some(false) => lacks.push(Evidence::new(
            "encryption-at-rest",
            format!("`{a}` has `{what}` off"),
        )),
        None => {}
    };
    // Azure's `public_network_access_enabled`: on or off as written; `default_on` when unset.
    let azure_public = |default_on: bool| {
        let on = flag("public_network_access_enabled").or(default_on.then_some(true))?;
        Some(if on {
            Evidence::new(
                Exposure::Internet,
                format!("`{a}` has public network access"),
            )
        } else {
            Evidence::new(
                Exposure::Internal,
                format!("`{a}` has `public_network_access_enabled = false`"),
            )
        })
    };
    let technology: (&'static str, String) = match r.kind {
        "aws_db_instance" | "aws_rds_cluster" => {
            // Off unless set; set to what source does not evaluate (`${?}`), unknown.
            let on = match v.get("storage_encrypted") {
                None | Some(Value::Null) => Some(false),
                value => truthy(value),
            };
            encrypted(on, "storage_encrypted");
            exposure = flag("publicly_accessible").map(|public| {
                let value = if public {
                    Exposure::Internet
                } else {
                    Exposure::Internal
                };
                Evidence::new(value, format!("`{a}` has `publicly_accessible = {public}`"))
            });
            let engine = str_at(v, &["engine"]).unwrap_or("");
            let technology = if engine.contains("postgres") {
                "postgresql"
            } else if engine.contains("mysql") || engine.contains("mariadb") {
                "mysql"
            } else if engine.starts_with("sqlserver") {
                "sql-server"
            } else if engine.starts_with("oracle") {
                "oracle-database"
            } else {
                "database"
            };
            (
                technology,
                format!("`{}` with engine `{}`", r.kind, short(engine)),
            )
        }
        "aws_dynamodb_table" => {
            controls.push(Evidence::new(
                "encryption-at-rest",
                "DynamoDB encrypts every table at rest",
            ));
            ("dynamodb", format!("`{}`", r.kind))
        }
        "aws_s3_bucket" => {
            if v.get("server_side_encryption_configuration")
                .and_then(Value::as_array)
                .is_some_and(|l| !l.is_empty())
            {
                controls.push(Evidence::new(
                    "encryption-at-rest",
                    format!("`{a}` sets server-side encryption"),
                ));
            }
            if let Some(acl) = str_at(v, &["acl"]).filter(|acl| acl.starts_with("public-read")) {
                exposure = Some(Evidence::new(
                    Exposure::Internet,
                    format!("`{a}` has `acl = {acl}`"),
                ));
            }
            ("object-storage", "`aws_s3_bucket`".to_owned())
        }
        "aws_elasticache_replication_group" | "aws_elasticache_cluster" => {
            encrypted(
                flag("at_rest_encryption_enabled"),
                "at_rest_encryption_enabled",
            );
            let engine = str_at(v, &["engine"]).unwrap_or("redis");
            let technology = if engine == "memcached" {
                "cache"
            } else {
                "redis"
            };
            (
                technology,
                format!("`{}` with engine `{}`", r.kind, short(engine)),
            )
        }
        "aws_sqs_queue" => {
            let kms = str_at(v, &["kms_master_key_id"]).is_some()
                || r.refs.iter().any(|(attr, _)| attr == "kms_master_key_id");
            encrypted(
                if kms {
                    Some(true)
                } else {
                    flag("sqs_managed_sse_enabled")
                },
                if kms {
                    "kms_master_key_id"
                } else {
                    "sqs_managed_sse_enabled"
                },
            );
            ("message-queue", "`aws_sqs_queue`".to_owned())
        }
        "aws_sns_topic" => {
            if str_at(v, &["kms_master_key_id"]).is_some()
                || r.refs.iter().any(|(attr, _)| attr == "kms_master_key_id")
            {
                controls.push(Evidence::new(
                    "encryption-at-rest",
                    format!("`{a}` has a `kms_master_key_id`"),
                ));
            }
            ("message-queue", "`aws_sns_topic`".to_owned())
        }
        "aws_kms_key" => ("kms", "`aws_kms_key`".to_owned()),
        "aws_secretsmanager_secret" => ("secrets-vault", "`aws_secretsmanager_secret`".to_owned()),
        "aws_lb" | "aws_alb" => {
            exposure = flag("internal").map(|internal| {
                let value = if internal {
                    Exposure::Internal
                } else {
                    Exposure::Internet
                };
                Evidence::new(value, format!("`{a}` has `internal = {internal}`"))
            });
            ("load-balancer", format!("`{}`", r.kind))
        }
        "aws_cloudfront_distribution" => {
            exposure = Some(Evidence::new(
                Exposure::Internet,
                "a CloudFront distribution is public",
            ));
            let policy = items(v, &["default_cache_behavior"])
                .first()
                .and_then(|b| str_at(b, &["viewer_protocol_policy"]))
                .unwrap_or("allow-all");
            public_protocol = Some(Evidence::new(
                if policy == "allow-all" {
                    "http"
                } else {
                    "https"
                },
                format!("`{a}` has `viewer_protocol_policy = {}`", short(policy)),
            ));
            if str_at(v, &["web_acl_id"]).is_some_and(|w| !w.is_empty())
                || r.refs.iter().any(|(attr, _)| attr == "web_acl_id")
            {
                controls.push(Evidence::new("waf", format!("`{a}` has a `web_acl_id`")));
            }
            ("cdn", "`aws_cloudfront_distribution`".to_owned())
        }
        "aws_api_gateway_rest_api" | "aws_apigatewayv2_api" => {
            let private = items(v, &["endpoint_configuration"])
                .first()
                .is_some_and(|e| {
                    items(e, &["types"])
                        .iter()
                        .any(|t| t.as_str() == Some("PRIVATE"))
                });
            exposure = Some(if private {
                Evidence::new(Exposure::Internal, format!("`{a}` has a PRIVATE endpoint"))
            } else {
                Evidence::new(Exposure::Internet, format!("`{a}` has a public endpoint"))
            });
            public_protocol = Some(Evidence::new("https", "API Gateway serves HTTPS only"));
            ("api-gateway", format!("`{}`", r.kind))
        }
        "aws_instance" => {
            if flag("associate_public_ip_address") == Some(true) {
                exposure = Some(Evidence::new(
                    Exposure::Internet,
                    format!("`{a}` has a public IP address"),
                ));
            }
            ("virtual-machine", "`aws_instance`".to_owned())
        }
        "aws_ecs_service" => {
            let public = items(v, &["network_configuration"])
                .first()
                .and_then(|n| truthy(n.get("assign_public_ip")));
            if public == Some(true) {
                exposure = Some(Evidence::new(
                    Exposure::Internet,
                    format!("`{a}` assigns public IP addresses"),
                ));
            }
            let image = r
                .refs
                .iter()
                .filter(|(attr, _)| attr == "task_definition")
                .filter_map(|(_, t)| index.get(t.as_str()))
                .find_map(|&i| task_image(resources[i].values));
            match image
                .as_deref()
                .and_then(crate::inventory::technology_of_image)
            {
                Some((technology, why)) => (technology, why),
                None => (
                    "backend-service",
                    "`aws_ecs_service`; its image says no more".to_owned(),
                ),
            }
        }
        "aws_autoscaling_group" => (
            "virtual-machine",
            "`aws_autoscaling_group`: instances of its launch template".to_owned(),
        ),
        "aws_eks_cluster" => {
            let public = items(v, &["vpc_config"])
                .first()
                .and_then(|c| truthy(c.get("endpoint_public_access")));
            if public != Some(false) {
                exposure = Some(Evidence::new(
                    Exposure::Internet,
                    format!("`{a}`'s API endpoint is public"),
                ));
            }
            ("container-platform", "`aws_eks_cluster`".to_owned())
        }
        "aws_lambda_function" => {
            if r.refs.iter().any(|(attr, _)| attr == "vpc_config")
                || !items(v, &["vpc_config"]).is_empty()
            {
                exposure = Some(Evidence::new(
                    Exposure::Internal,
                    format!("`{a}` runs in a VPC"),
                ));
            }
            ("serverless-function", "`aws_lambda_function`".to_owned())
        }
        "azurerm_postgresql_flexible_server"
        | "azurerm_postgresql_server"
        | "azurerm_mssql_server"
        | "azurerm_mysql_flexible_server" => {
            exposure = azure_public(false);
            let technology = if r.kind.contains("postgres") {
                "postgresql"
            } else if r.kind.contains("mysql") {
                "mysql"
            } else {
                "sql-server"
            };
            (technology, format!("`{}`", r.kind))
        }
        "azurerm_storage_account" => {
            exposure = azure_public(false);
            if flag("allow_nested_items_to_be_public") == Some(true) {
                exposure = Some(Evidence::new(
                    Exposure::Internet,
                    format!("`{a}` allows public blobs"),
                ));
            }
            controls.push(Evidence::new(
                "encryption-at-rest",
                "Azure Storage encrypts every account at rest",
            ));
            ("object-storage", "`azurerm_storage_account`".to_owned())
        }
        "azurerm_kubernetes_cluster" => ("container-platform", format!("`{}`", r.kind)),
        "azurerm_linux_web_app"
        | "azurerm_windows_web_app"
        | "azurerm_app_service"
        | "azurerm_linux_function_app"
        | "azurerm_windows_function_app"
        | "azurerm_function_app" => {
            // App Service takes traffic from the internet unless told otherwise.
            exposure = azure_public(true);
            let https = flag("https_only") == Some(true);
            public_protocol = Some(Evidence::new(
                if https { "https" } else { "http" },
                if https {
                    format!("`{a}` has `https_only = true`")
                } else {
                    format!("`{a}` does not set `https_only`: it answers HTTP too")
                },
            ));
            if r.kind.contains("function") {
                ("serverless-function", format!("`{}`", r.kind))
            } else {
                ("web-application", format!("`{}`", r.kind))
            }
        }
        "azurerm_key_vault" => {
            exposure = azure_public(false);
            ("secrets-vault", "`azurerm_key_vault`".to_owned())
        }
        "azurerm_redis_cache" => ("redis", "`azurerm_redis_cache`".to_owned()),
        "azurerm_servicebus_namespace" => {
            ("message-queue", "`azurerm_servicebus_namespace`".to_owned())
        }
        "azurerm_cosmosdb_account" => {
            exposure = azure_public(false);
            controls.push(Evidence::new(
                "encryption-at-rest",
                "Cosmos DB encrypts every account at rest",
            ));
            ("nosql-database", "`azurerm_cosmosdb_account`".to_owned())
        }
        "azurerm_application_gateway" => {
            exposure = Some(Evidence::new(
                Exposure::Internet,
                format!("`{a}` is an internet-facing gateway"),
            ));
            ("load-balancer", "`azurerm_application_gateway`".to_owned())
        }
        "azurerm_linux_virtual_machine" | "azurerm_windows_virtual_machine" => {
            ("virtual-machine", format!("`{}`", r.kind))
        }
        "google_sql_database_instance" => {
            let version = str_at(v, &["database_version"]).unwrap_or("");
            let ipv4 = items(v, &["settings"])
                .first()
                .and_then(|s| items(s, &["ip_configuration"]).first())
                .and_then(|c| truthy(c.get("ipv4_enabled")));
            exposure = ipv4.map(|public| {
                if public {
                    Evidence::new(
                        Exposure::Internet,
                        format!("`{a}` has a public IPv4 address"),
                    )
                } else {
                    Evidence::new(
                        Exposure::Internal,
                        format!("`{a}` has `ipv4_enabled = false`"),
                    )
                }
            });
            controls.push(Evidence::new(
                "encryption-at-rest",
                "Cloud SQL encrypts every instance at rest",
            ));
            let technology = if version.starts_with("POSTGRES") {
                "postgresql"
            } else if version.starts_with("MYSQL") {
                "mysql"
            } else if version.starts_with("SQLSERVER") {
                "sql-server"
            } else {
                "database"
            };
            (
                technology,
                format!("`google_sql_database_instance` with `{}`", short(version)),
            )
        }
        "google_storage_bucket" => {
            if str_at(v, &["public_access_prevention"]) == Some("enforced") {
                exposure = Some(Evidence::new(
                    Exposure::Internal,
                    format!("`{a}` enforces public access prevention"),
                ));
            }
            controls.push(Evidence::new(
                "encryption-at-rest",
                "Cloud Storage encrypts every bucket at rest",
            ));
            ("object-storage", "`google_storage_bucket`".to_owned())
        }
        "google_container_cluster" => (
            "container-platform",
            "`google_container_cluster`".to_owned(),
        ),
        "google_cloud_run_service" | "google_cloud_run_v2_service" => {
            if str_at(v, &["ingress"]).is_none_or(|i| i.contains("ALL")) {
                exposure = Some(Evidence::new(
                    Exposure::Internet,
                    format!("`{a}` takes traffic from everywhere"),
                ));
            }
            public_protocol = Some(Evidence::new("https", "Cloud Run serves HTTPS only"));
            ("api-service", format!("`{}`", r.kind))
        }
        "google_cloudfunctions_function" | "google_cloudfunctions2_function" => {
            let ingress = str_at(v, &["ingress_settings"]).or_else(|| {
                items(v, &["service_config"])
                    .first()
                    .and_then(|c| str_at(c, &["ingress_settings"]))
            });
            exposure = ingress.map(|i| {
                if i == "ALLOW_ALL" {
                    Evidence::new(
                        Exposure::Internet,
                        format!("`{a}` has `ingress_settings = ALLOW_ALL`"),
                    )
                } else {
                    Evidence::new(
                        Exposure::Internal,
                        format!("`{a}` has `ingress_settings = {}`", short(i)),
                    )
                }
            });
            ("serverless-function", format!("`{}`", r.kind))
        }
        "google_compute_instance" => ("virtual-machine", "`google_compute_instance`".to_owned()),
        "google_pubsub_topic" => ("message-queue", "`google_pubsub_topic`".to_owned()),
        "google_redis_instance" => ("redis", "`google_redis_instance`".to_owned()),
        "google_kms_crypto_key" => ("kms", "`google_kms_crypto_key`".to_owned()),
        "google_secret_manager_secret" => {
            ("secrets-vault", "`google_secret_manager_secret`".to_owned())
        }
        _ => return None,
    };
    Some(Found {
        reference: r.address.clone(),
        name: name_of(r),
        technology: Evidence::new(technology.0, technology.1),
        exposure,
        public_protocol,
        controls,
        lacks,
        zone: None,
        origin: Origin {
            file: String::new(),
            line: 0,
        },
        notes: Vec::new(),
    })
}

/// The first image of an ECS task definition (its `container_definitions` is a JSON text).
fn task_image(values: &Value) -> Option<String> {
    let text = str_at(values, &["container_definitions"])?;
    let definitions: Value = serde_json::from_str(text).ok()?;
    items(&definitions, &[])
        .iter()
        .find_map(|d| str_at(d, &["image"]).map(str::to_owned))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_resolve_to_the_longest_address_prefix() {
        let by_base: HashMap<String, usize> = [
            ("aws_db_instance.orders".to_owned(), 0),
            ("module.net.aws_vpc.main".to_owned(), 1),
        ]
        .into_iter()
        .collect();
        assert_eq!(resolve("aws_db_instance.orders.address", &by_base), Some(0));
        assert_eq!(resolve("module.net.aws_vpc.main.id", &by_base), Some(1));
        assert_eq!(resolve("aws_instance.web[0].id", &by_base), None);
        assert_eq!(resolve("var.region", &by_base), None);
    }

    #[test]
    fn a_state_links_by_ids_and_a_plan_by_its_configuration() {
        let state = r#"{"format_version":"1.0","values":{"root_module":{"resources":[
            {"address":"aws_vpc.main","mode":"managed","type":"aws_vpc","name":"main","values":{"id":"vpc-0abc"}},
            {"address":"aws_subnet.db","mode":"managed","type":"aws_subnet","name":"db","values":{"id":"subnet-0def","vpc_id":"vpc-0abc"}},
            {"address":"aws_db_instance.orders","mode":"managed","type":"aws_db_instance","name":"orders","values":{"engine":"postgres","storage_encrypted":false,"subnet_ids":["subnet-0def"]}}
        ]}}}"#;
        let mut inventory = Inventory::default();
        read("state.json", state, &mut inventory).expect("reads");
        let db = &inventory.components[0];
        assert_eq!(db.technology.value, "postgresql");
        assert_eq!(db.zone.as_deref(), Some("aws_subnet.db"));
        assert_eq!(db.lacks[0].value, "encryption-at-rest");
        let subnet = inventory
            .zones
            .iter()
            .find(|z| z.key == "aws_subnet.db")
            .expect("subnet");
        assert_eq!(subnet.parent.as_deref(), Some("aws_vpc.main"));
    }
}

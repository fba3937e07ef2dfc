//! What AWS security groups and IAM say about components, from plans and source alike:
//! ingress from anywhere is exposure, a group let in by another (or let out to another) is a
//! flow between their members, and a role's policies are what its components may reach (a flow)
//! or everything (no least privilege).

use std::collections::BTreeMap;

use serde_json::Value;
use threatforge_model::Exposure;

use crate::inventory::{Evidence, Found, Gate, Judges, protocol_of_technology};
use crate::resource::{Pending, Resource, Resources, placeholders};
use crate::text::{items, scalar, str_at};

/// One rule of a group: ingress into it from a peer, or egress from it to a peer.
struct Rule {
    group: String,
    peer: Peer,
    ports: String,
    /// The resource that says so.
    by: String,
    egress: bool,
}

/// The other end of a rule. A CIDR that is not the whole internet (or a prefix list) is
/// `Elsewhere`: it names no component, so what the group lets through that way is not judged.
enum Peer {
    Anywhere,
    Group(String),
    Elsewhere,
}

/// The directions of a group's inline rule blocks.
const DIRECTIONS: [(&str, bool); 2] = [("ingress", false), ("egress", true)];

/// Security groups: exposure from ingress open to anywhere, flows from group to group, and
/// gates on each member of a group whose rules were read (what the code lets in, and what it
/// lets the member reach).
pub(crate) fn security_groups(
    rs: &Resources,
    components: &mut [Found],
    links: &mut Vec<Pending>,
    gates: &mut Vec<Gate>,
) {
    let mut members: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for r in rs.all {
        let Some(&me) = rs.component_of.get(&r.address) else {
            continue;
        };
        for group in rs.refs_of(r, None, "aws_security_group") {
            let list = members.entry(group).or_default();
            if !list.contains(&me) {
                list.push(me);
            }
        }
    }

    let mut rules: Vec<Rule> = Vec::new();
    for r in rs.all {
        match r.kind {
            "aws_security_group" => {
                for (direction, egress) in DIRECTIONS {
                    inline_rules(rs, r, direction, egress, &mut rules);
                }
            }
            "aws_security_group_rule"
            | "aws_vpc_security_group_ingress_rule"
            | "aws_vpc_security_group_egress_rule" => {
                let egress = match r.kind {
                    "aws_security_group_rule" => match str_at(r.values, &["type"]) {
                        Some("ingress") => false,
                        Some("egress") => true,
                        _ => continue,
                    },
                    kind => kind == "aws_vpc_security_group_egress_rule",
                };
                let Some(group) = rs
                    .refs_of(r, Some("security_group_id"), "aws_security_group")
                    .next()
                else {
                    continue;
                };
                let ports = ports(r.values);
                let rule = |peer| Rule {
                    group: group.to_owned(),
                    peer,
                    ports: ports.clone(),
                    by: r.address.clone(),
                    egress,
                };
                let before = rules.len();
                if open_to_anywhere(r.values) {
                    rules.push(rule(Peer::Anywhere));
                }
                // In an egress rule, the "source" group is where traffic goes.
                for attr in ["source_security_group_id", "referenced_security_group_id"] {
                    for peer in rs.refs_of(r, Some(attr), "aws_security_group") {
                        rules.push(rule(Peer::Group(peer.to_owned())));
                    }
                }
                if rules.len() == before {
                    rules.push(rule(Peer::Elsewhere));
                }
            }
            _ => {}
        }
    }

    // One gate per component and direction: what may reach it, and what it may reach.
    let mut gate_of: BTreeMap<(usize, bool), usize> = BTreeMap::new();
    let none: &[usize] = &[];
    for rule in &rules {
        let group = members.get(rule.group.as_str()).map_or(none, Vec::as_slice);
        let peers = match &rule.peer {
            Peer::Group(peer) => members.get(peer.as_str()).map_or(none, Vec::as_slice),
            _ => none,
        };
        for &me in group {
            let gate = *gate_of.entry((me, rule.egress)).or_insert_with(|| {
                gates.push(Gate {
                    target: components[me].reference.clone(),
                    allowed: Vec::new(),
                    anywhere: false,
                    outbound: rule.egress,
                    judges: Judges::All,
                    why: format!("its security group `{}`", rule.group),
                    origin: components[me].origin.clone(),
                });
                gates.len() - 1
            });
            match &rule.peer {
                Peer::Anywhere => {
                    gates[gate].anywhere = true;
                    let found = &mut components[me];
                    if !rule.egress && found.exposure.is_none() {
                        found.exposure = Some(Evidence::new(
                            Exposure::Internet,
                            format!("`{}` lets in 0.0.0.0/0{}", rule.by, rule.ports),
                        ));
                    }
                }
                Peer::Group(peer) => {
                    for &other in peers {
                        let allowed = &mut gates[gate].allowed;
                        let reference = components[other].reference.clone();
                        if !allowed.contains(&reference) {
                            allowed.push(reference);
                        }
                        let (source, target, why) = if rule.egress {
                            (
                                me,
                                other,
                                format!("`{}` lets `{}` out to `{peer}`", rule.by, rule.group),
                            )
                        } else {
                            (other, me, format!("`{}` lets `{peer}` in", rule.by))
                        };
                        let protocol = protocol_of_port(&rule.ports).or_else(|| {
                            protocol_of_technology(components[target].technology.value)
                        });
                        links.push((
                            source,
                            target,
                            protocol,
                            format!("{why}{}", rule.ports),
                            rule.by.clone(),
                        ));
                    }
                }
                // Addresses that name no component: what they let through is not known.
                Peer::Elsewhere => gates[gate].anywhere = true,
            }
        }
    }
}

/// The rules of a group's inline `ingress` or `egress` blocks. Source names the groups of each
/// block (`${address}`); a plan or a state only those of the attribute, so each block gets them
/// when none names its own.
fn inline_rules(
    rs: &Resources,
    r: &Resource,
    direction: &str,
    egress: bool,
    rules: &mut Vec<Rule>,
) {
    let blocks = items(r.values, &[direction]);
    let peers: Vec<&str> = rs
        .refs_of(r, Some(direction), "aws_security_group")
        .filter(|peer| *peer != r.address)
        .collect();
    let mut per_block: Vec<Vec<String>> = Vec::new();
    for block in blocks {
        let mut named = Vec::new();
        placeholders(block, &mut |a| {
            if peers.contains(&a) {
                named.push(a.to_owned());
            }
        });
        per_block.push(named);
    }
    let unnamed = per_block.iter().all(Vec::is_empty);
    let rule = |peer, ports| Rule {
        group: r.address.clone(),
        peer,
        ports,
        by: r.address.clone(),
        egress,
    };
    for (block, named) in blocks.iter().zip(per_block) {
        let ports = ports(block);
        let before = rules.len();
        if open_to_anywhere(block) {
            rules.push(rule(Peer::Anywhere, ports.clone()));
        }
        let groups = if unnamed && blocks.len() == 1 {
            peers.iter().map(|s| (*s).to_owned()).collect()
        } else {
            named
        };
        for group in groups {
            rules.push(rule(Peer::Group(group), ports.clone()));
        }
        if rules.len() == before {
            rules.push(rule(Peer::Elsewhere, ports));
        }
    }
    if unnamed && blocks.len() > 1 {
        for group in &peers {
            rules.push(rule(Peer::Group((*group).to_owned()), String::new()));
        }
    }
}

/// Whether a rule's CIDRs take in the whole internet.
fn open_to_anywhere(rule: &Value) -> bool {
    let anywhere = |v: &Value| matches!(v.as_str(), Some("0.0.0.0/0" | "::/0"));
    ["cidr_blocks", "ipv6_cidr_blocks"]
        .iter()
        .any(|k| items(rule, &[k]).iter().any(anywhere))
        || ["cidr_ipv4", "cidr_ipv6"]
            .iter()
            .any(|k| rule.get(*k).is_some_and(anywhere))
}

/// ` on port 443` or ` on ports 8000-8100`, or nothing when the rule says no port.
fn ports(rule: &Value) -> String {
    let from = rule.get("from_port").and_then(scalar);
    let to = rule.get("to_port").and_then(scalar);
    match (from, to) {
        (Some(from), Some(to)) if from == to && from != "0" && from != "-1" => {
            format!(" on port {from}")
        }
        (Some(from), Some(to)) if from != "0" && from != "-1" => format!(" on ports {from}-{to}"),
        _ => String::new(),
    }
}

fn protocol_of_port(ports: &str) -> Option<&'static str> {
    Some(match ports.strip_prefix(" on port ")? {
        "5432" => "postgres",
        "3306" => "mysql",
        "1433" => "sqlserver",
        "27017" => "mongodb",
        "6379" => "redis",
        "443" => "https",
        "80" | "8080" => "http",
        "22" => "ssh",
        _ => return None,
    })
}

/// One statement of a policy: its actions and the resources it names.
struct Statement {
    actions: Vec<String>,
    resources: Vec<String>,
}

impl Statement {
    /// What `AdministratorAccess` grants.
    fn everything() -> Statement {
        Statement {
            actions: vec!["*".to_owned()],
            resources: vec!["*".to_owned()],
        }
    }
}

/// IAM: the components each role's policies let reach a component become flows; a role that
/// may do anything leaves its components without least privilege.
pub(crate) fn iam(rs: &Resources, components: &mut [Found], links: &mut Vec<Pending>) {
    // Who acts as each role: a function's `role`, a task definition's task role (through its
    // service), an instance's profile.
    let mut holders: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for r in rs.all {
        let Some(&me) = rs.component_of.get(&r.address) else {
            continue;
        };
        let mut roles: Vec<String> = rs
            .refs_of(r, None, "aws_iam_role")
            .map(str::to_owned)
            .collect();
        for profile in rs.refs_of(r, Some("iam_instance_profile"), "aws_iam_instance_profile") {
            if let Some(&i) = rs.index.get(profile) {
                roles.extend(
                    rs.refs_of(&rs.all[i], Some("role"), "aws_iam_role")
                        .map(str::to_owned),
                );
            }
        }
        for role in roles {
            let list = holders.entry(role).or_default();
            if !list.contains(&me) {
                list.push(me);
            }
        }
    }

    for r in rs.all {
        let (roles, statements): (Vec<&str>, Vec<Statement>) = match r.kind {
            "aws_iam_role_policy" => (
                rs.refs_of(r, Some("role"), "aws_iam_role").collect(),
                policy(rs, r, "policy"),
            ),
            "aws_iam_role_policy_attachment" => {
                let roles = rs.refs_of(r, Some("role"), "aws_iam_role").collect();
                let managed = str_at(r.values, &["policy_arn"]).unwrap_or("");
                let statements = if managed.ends_with(":policy/AdministratorAccess") {
                    vec![Statement::everything()]
                } else {
                    rs.refs_of(r, Some("policy_arn"), "aws_iam_policy")
                        .filter_map(|p| rs.index.get(p))
                        .flat_map(|&i| policy(rs, &rs.all[i], "policy"))
                        .collect()
                };
                (roles, statements)
            }
            "aws_iam_role" => {
                let mut statements = Vec::new();
                for inline in items(r.values, &["inline_policy"]) {
                    if let Some(text) = str_at(inline, &["policy"]) {
                        statements.extend(statements_of_text(text));
                    }
                }
                if items(r.values, &["managed_policy_arns"])
                    .iter()
                    .filter_map(Value::as_str)
                    .any(|a| a.ends_with(":policy/AdministratorAccess"))
                {
                    statements.push(Statement::everything());
                }
                (vec![r.address.as_str()], statements)
            }
            _ => continue,
        };
        for role in roles {
            let Some(holders) = holders.get(role) else {
                continue;
            };
            for statement in &statements {
                let everything = statement.actions.iter().any(|a| a == "*" || a == "*:*")
                    && statement.resources.iter().any(|a| a == "*");
                for &holder in holders {
                    if everything {
                        let lack = Evidence::new(
                            "least-privilege",
                            format!(
                                "`{role}` may do anything on anything through `{}`",
                                r.address
                            ),
                        );
                        if !components[holder].lacks.contains(&lack) {
                            components[holder].lacks.push(lack);
                        }
                    }
                    let mut targets: Vec<String> = Vec::new();
                    for resource in &statement.resources {
                        placeholders(&Value::String(resource.clone()), &mut |a| {
                            targets.push(a.to_owned());
                        });
                    }
                    for target in targets {
                        let Some(&target) = rs.component_of.get(&target) else {
                            continue;
                        };
                        let verb = verbs(&statement.actions);
                        links.push((
                            holder,
                            target,
                            Some("https"),
                            format!(
                                "`{}` lets `{role}` {verb} it ({})",
                                r.address,
                                statement.actions.join(", ")
                            ),
                            r.address.clone(),
                        ));
                    }
                }
            }
        }
    }
}

/// What a statement's actions do, in words: `read`, `write`, `use` (`kms:Decrypt`, `*`), joined.
fn verbs(actions: &[String]) -> String {
    let mut words = Vec::new();
    for action in actions {
        let verb = action.rsplit(':').next().unwrap_or(action);
        let starts = |prefixes: &[&str]| prefixes.iter().any(|p| verb.starts_with(p));
        let word = if starts(&[
            "Get", "List", "Describe", "Head", "Query", "Scan", "BatchGet", "Receive",
        ]) {
            "read"
        } else if starts(&[
            "Put",
            "Delete",
            "Create",
            "Update",
            "Write",
            "Send",
            "Publish",
            "Upload",
            "Copy",
            "Restore",
            "BatchWrite",
        ]) {
            "write"
        } else {
            "use"
        };
        if !words.contains(&word) {
            words.push(word);
        }
    }
    words.sort_by_key(|w| ["read", "write", "use"].iter().position(|o| o == w));
    words.join(" and ")
}

/// Whether a policy document lets everyone in: an allowing statement for `Principal: "*"` (or
/// `{"AWS": "*"}`) without a condition, as a public bucket policy has.
pub(crate) fn grants_everyone(policy: &Value) -> bool {
    statement_list(policy).iter().any(|s| {
        str_at(s, &["Effect"]) == Some("Allow")
            && s.get("Condition").is_none()
            && match s.get("Principal") {
                Some(Value::String(p)) => p == "*",
                Some(p) => strings(p.get("AWS")).iter().any(|a| a == "*"),
                None => false,
            }
    })
}

/// The statements of a policy attribute: a JSON text (a plan's, or source's `jsonencode`), or a
/// policy document data source it references.
fn policy(rs: &Resources, r: &Resource, attr: &str) -> Vec<Statement> {
    let mut statements = str_at(r.values, &[attr])
        .map(statements_of_text)
        .unwrap_or_default();
    for document in rs.refs_of(r, Some(attr), "aws_iam_policy_document") {
        let Some(&i) = rs.index.get(document) else {
            continue;
        };
        for statement in items(rs.all[i].values, &["statement"]) {
            if str_at(statement, &["effect"]).is_some_and(|e| e != "Allow") {
                continue;
            }
            statements.push(Statement {
                actions: strings(statement.get("actions")),
                resources: strings(statement.get("resources")),
            });
        }
    }
    statements
}

/// The allowing statements of a policy's JSON text; nothing when it is not JSON (unknown).
fn statements_of_text(text: &str) -> Vec<Statement> {
    let Ok(document) = serde_json::from_str::<Value>(text) else {
        return Vec::new();
    };
    statement_list(&document)
        .into_iter()
        .filter(|s| str_at(s, &["Effect"]).is_none_or(|e| e == "Allow"))
        .map(|s| Statement {
            actions: strings(s.get("Action")),
            resources: strings(s.get("Resource")),
        })
        .collect()
}

/// A policy's `Statement`: a list, or one statement alone.
fn statement_list(policy: &Value) -> Vec<&Value> {
    match policy.get("Statement") {
        Some(Value::Array(list)) => list.iter().collect(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => Vec::new(),
    }
}

/// A string or a list of strings.
fn strings(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_statement_says_whether_it_reads_writes_or_uses() {
        let words =
            |actions: &[&str]| verbs(&actions.iter().map(|a| (*a).to_owned()).collect::<Vec<_>>());
        assert_eq!(words(&["s3:PutObject", "s3:GetObject"]), "read and write");
        assert_eq!(words(&["dynamodb:Query"]), "read");
        assert_eq!(words(&["kms:Decrypt", "kms:GenerateDataKey"]), "use");
        assert_eq!(words(&["*"]), "use");
    }

    #[test]
    fn a_policy_text_gives_its_allowing_statements() {
        let statements = statements_of_text(
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":["${aws_s3_bucket.media}/*"]},{"Effect":"Deny","Action":"*","Resource":"*"}]}"#,
        );
        assert_eq!(statements.len(), 1);
        assert_eq!(statements[0].actions, ["s3:GetObject"]);
        assert!(statements_of_text("${?}").is_empty());
    }

    #[test]
    fn a_policy_for_everyone_without_a_condition_is_public() {
        let public = serde_json::json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}]});
        let aws = serde_json::json!({"Statement": {"Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": "s3:GetObject"}});
        let conditioned = serde_json::json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1"}}}]});
        let role = serde_json::json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:role/x"}}]});
        assert!(grants_everyone(&public));
        assert!(grants_everyone(&aws));
        assert!(!grants_everyone(&conditioned));
        assert!(!grants_everyone(&role));
    }

    #[test]
    fn ports_and_cidrs_of_a_rule() {
        let rule = serde_json::json!({"from_port": 5432, "to_port": 5432, "cidr_blocks": ["10.0.0.0/8", "0.0.0.0/0"]});
        assert_eq!(ports(&rule), " on port 5432");
        assert!(open_to_anywhere(&rule));
        assert_eq!(protocol_of_port(&ports(&rule)), Some("postgres"));
        let all = serde_json::json!({"from_port": 0, "to_port": 0, "cidr_ipv4": "10.0.0.0/16"});
        assert_eq!(ports(&all), "");
        assert!(!open_to_anywhere(&all));
    }
}

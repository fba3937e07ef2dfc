//! What Azure network security groups say about components, from plans and source alike: an
//! inbound rule that allows the internet, on a group associated with a component's network
//! interface or with that interface's subnet, exposes the component, as a security group open to
//! 0.0.0.0/0 does on AWS.

use std::collections::BTreeMap;

use serde_json::Value;
use threatforge_model::Exposure;

use crate::inventory::{Evidence, Found};
use crate::resource::Resources;
use crate::text::{items, scalar, str_at};

const NSG: &str = "azurerm_network_security_group";
const NIC: &str = "azurerm_network_interface";
const SUBNET: &str = "azurerm_subnet";

/// One security rule of a group, as far as exposure needs it.
struct Rule {
    name: String,
    /// `None` when its priority is not a literal: it is then taken to come first.
    priority: Option<u64>,
    inbound: bool,
    allow: bool,
    from_internet: bool,
    /// Every port (`*`), the case where a deny closes what an allow of lower rank opens.
    all_ports: bool,
    ports: String,
    /// The resource that says so.
    by: String,
}

/// Exposure from the network security groups of each component's network interfaces (and their
/// subnets): the first rule, by priority, that lets the internet in decides.
pub(crate) fn network_security_groups(rs: &Resources, components: &mut [Found]) {
    let mut rules: BTreeMap<&str, Vec<Rule>> = BTreeMap::new();
    let mut groups_of: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for r in rs.all {
        match r.kind {
            NSG => {
                for block in items(r.values, &["security_rule"]) {
                    if let Some(rule) = rule_of(block, &r.address) {
                        rules.entry(&r.address).or_default().push(rule);
                    }
                }
            }
            "azurerm_network_security_rule" => {
                let group = rs
                    .refs_of(r, Some("network_security_group_name"), NSG)
                    .next();
                if let (Some(group), Some(rule)) = (group, rule_of(r.values, &r.address)) {
                    rules.entry(group).or_default().push(rule);
                }
            }
            "azurerm_subnet_network_security_group_association"
            | "azurerm_network_interface_security_group_association" => {
                let (attr, kind) = if r.kind.starts_with("azurerm_subnet") {
                    ("subnet_id", SUBNET)
                } else {
                    ("network_interface_id", NIC)
                };
                for place in rs.refs_of(r, Some(attr), kind) {
                    let list = groups_of.entry(place).or_default();
                    list.extend(rs.refs_of(r, Some("network_security_group_id"), NSG));
                }
            }
            _ => {}
        }
    }
    if rules.is_empty() {
        return;
    }
    for r in rs.all {
        let Some(&me) = rs.component_of.get(&r.address) else {
            continue;
        };
        if components[me].exposure.is_some() {
            continue;
        }
        let mut places: Vec<&str> = Vec::new();
        for nic in rs.refs_of(r, Some("network_interface_ids"), NIC) {
            places.push(nic);
            if let Some(&i) = rs.index.get(nic) {
                places.extend(rs.refs_of(&rs.all[i], None, SUBNET));
            }
        }
        let open = places
            .iter()
            .flat_map(|place| groups_of.get(place).into_iter().flatten())
            .find_map(|group| internet_allowed(rules.get(group).map_or(&[][..], Vec::as_slice)));
        if let Some(rule) = open {
            components[me].exposure = Some(Evidence::new(
                Exposure::Internet,
                format!(
                    "`{}` allows inbound from the internet{} (rule `{}`)",
                    rule.by, rule.ports, rule.name
                ),
            ));
        }
    }
}

/// A rule from an inline `security_rule` block or an `azurerm_network_security_rule`; `None` when
/// its direction or access is not written as a literal.
fn rule_of(rule: &Value, by: &str) -> Option<Rule> {
    let inbound = match str_at(rule, &["direction"])? {
        "Inbound" => true,
        "Outbound" => false,
        _ => return None,
    };
    let allow = match str_at(rule, &["access"])? {
        "Allow" => true,
        "Deny" => false,
        _ => return None,
    };
    let internet = |s: &str| matches!(s, "*" | "Internet" | "0.0.0.0/0" | "::/0" | "Any");
    let from_internet = str_at(rule, &["source_address_prefix"]).is_some_and(internet)
        || items(rule, &["source_address_prefixes"])
            .iter()
            .filter_map(Value::as_str)
            .any(internet);
    let mut ports: Vec<String> = rule
        .get("destination_port_range")
        .and_then(scalar)
        .into_iter()
        .chain(
            items(rule, &["destination_port_ranges"])
                .iter()
                .filter_map(scalar),
        )
        .collect();
    ports.sort();
    ports.dedup();
    let all_ports = ports.iter().any(|p| p == "*");
    let ports = match ports.as_slice() {
        [] => String::new(),
        _ if all_ports => String::new(),
        [one] if !one.contains('-') => format!(" on port {one}"),
        list => format!(" on ports {}", list.join(", ")),
    };
    Some(Rule {
        name: str_at(rule, &["name"]).unwrap_or("unnamed").to_owned(),
        priority: rule.get("priority").and_then(Value::as_u64),
        inbound,
        allow,
        from_internet,
        all_ports,
        ports,
        by: by.to_owned(),
    })
}

/// The rule that lets the internet in, unless a deny of every port from the internet comes
/// before it (a lower priority number is evaluated first).
fn internet_allowed(rules: &[Rule]) -> Option<&Rule> {
    let rank = |r: &Rule| r.priority.unwrap_or(0);
    let denied_before = rules
        .iter()
        .filter(|r| r.inbound && !r.allow && r.from_internet && r.all_ports)
        .map(rank)
        .min();
    rules
        .iter()
        .filter(|r| r.inbound && r.allow && r.from_internet)
        .filter(|r| denied_before.is_none_or(|deny| rank(r) < deny))
        .min_by_key(|r| (rank(r), r.name.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(json: serde_json::Value) -> Rule {
        rule_of(&json, "azurerm_network_security_group.web").expect("a rule")
    }

    #[test]
    fn an_allow_from_the_internet_counts_unless_a_deny_of_all_comes_first() {
        let ssh = serde_json::json!({"name": "ssh", "priority": 200, "direction": "Inbound",
            "access": "Allow", "source_address_prefix": "Internet", "destination_port_range": "22"});
        let deny_all = serde_json::json!({"name": "deny-all", "priority": 100,
            "direction": "Inbound", "access": "Deny", "source_address_prefix": "*",
            "destination_port_range": "*"});
        let from_office = serde_json::json!({"name": "office", "priority": 110,
            "direction": "Inbound", "access": "Allow", "source_address_prefixes": ["203.0.113.0/24"],
            "destination_port_ranges": ["443", "80"]});
        let open = [rule(ssh.clone()), rule(from_office.clone())];
        let found = internet_allowed(&open).expect("ssh is open");
        assert_eq!(
            (found.name.as_str(), found.ports.as_str()),
            ("ssh", " on port 22")
        );
        assert!(internet_allowed(&[rule(ssh), rule(deny_all)]).is_none());
        assert!(internet_allowed(&[rule(from_office)]).is_none());
        // Outbound rules, and rules whose access is not a literal, say nothing of exposure.
        let outbound = serde_json::json!({"name": "out", "direction": "Outbound",
            "access": "Allow", "source_address_prefix": "*"});
        assert!(internet_allowed(&[rule(outbound)]).is_none());
        assert!(
            rule_of(
                &serde_json::json!({"direction": "Inbound", "access": "${?}"}),
                "x"
            )
            .is_none()
        );
    }
}

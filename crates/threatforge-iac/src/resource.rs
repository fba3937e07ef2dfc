//! What the Terraform readers share: a resource as read (from a plan, a state or source), a flow
//! found before the components are final, the references a value carries, and what the passes
//! over mapped resources read. Its own module so that the readers (`terraform`, `hcl`) and the
//! policy mappings (`aws`, `azure`) depend on it, not on each other.

use std::collections::HashMap;

use serde_json::Value;

use crate::inventory::Origin;

/// One resource, read from a plan, a state or Terraform source: the mapping to components is
/// the same for all three.
pub(crate) struct Resource<'v> {
    pub(crate) address: String,
    pub(crate) kind: &'v str,
    /// Its attributes as a plan shows them: nested blocks are lists of objects.
    pub(crate) values: &'v Value,
    /// Addresses it references, with the top-level attribute each is under.
    pub(crate) refs: Vec<(String, String)>,
    pub(crate) origin: Origin,
    /// The `count` or `for_each` of a resource read from source, as written (`count =
    /// length(var.azs)`): one component stands for its instances, which are never expanded.
    pub(crate) instances: Option<String>,
}

/// What a pass over the mapped resources needs (security groups, IAM, network security groups):
/// them, where each is, and the component each became.
pub(crate) struct Resources<'a, 'v> {
    pub(crate) all: &'a [Resource<'v>],
    pub(crate) index: &'a HashMap<&'a str, usize>,
    pub(crate) component_of: &'a HashMap<String, usize>,
}

impl Resources<'_, '_> {
    pub(crate) fn kind_of(&self, address: &str) -> Option<&str> {
        self.index.get(address).map(|&i| self.all[i].kind)
    }

    /// The resources `r` references under `attr` (any attribute when `None`) of a kind.
    pub(crate) fn refs_of<'r>(
        &'r self,
        r: &'r Resource,
        attr: Option<&'r str>,
        kind: &'r str,
    ) -> impl Iterator<Item = &'r str> + 'r {
        r.refs
            .iter()
            .filter(move |(a, t)| {
                attr.is_none_or(|attr| a == attr) && self.kind_of(t) == Some(kind)
            })
            .map(|(_, t)| t.as_str())
    }
}

/// A flow found, before the components are final: source and target component positions, the
/// protocol, why, and the address of the resource that shows it.
pub(crate) type Pending = (usize, usize, Option<&'static str>, String, String);

/// The `${address}` a value carries for the resources it references.
pub(crate) fn placeholders(value: &Value, found: &mut dyn FnMut(&str)) {
    match value {
        Value::String(s) => {
            let mut rest = s.as_str();
            while let Some(start) = rest.find("${") {
                let after = &rest[start + 2..];
                let Some(end) = after.find('}') else {
                    break;
                };
                if &after[..end] != "?" {
                    found(&after[..end]);
                }
                rest = &after[end + 1..];
            }
        }
        Value::Array(list) => list.iter().for_each(|v| placeholders(v, found)),
        Value::Object(map) => map.values().for_each(|v| placeholders(v, found)),
        _ => {}
    }
}

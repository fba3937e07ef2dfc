//! The values rule expressions compute with. Objects are handles (a kind and an index) whose
//! fields are read from the model and its facts on access, and lists of objects are borrowed
//! slices of indexes: evaluating a condition allocates almost nothing.

use std::rc::Rc;
use std::sync::Arc;

/// A kind of object a rule can see.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ObjKind {
    Component,
    Flow,
    Data,
    Boundary,
    Runtime,
    Model,
    System,
}

#[derive(Clone, Debug)]
pub enum Value<'w> {
    Null,
    Bool(bool),
    Int(i64),
    Str(&'w str),
    /// A string made while evaluating (concatenation, `string()`).
    OwnedStr(Rc<str>),
    List(List<'w>),
    Obj(ObjKind, usize),
}

#[derive(Clone, Debug)]
pub enum List<'w> {
    /// Objects of one kind, by index.
    Objs(ObjKind, &'w [usize]),
    /// Objects of one kind, by index, but for the one at position `skip` (which is within the
    /// slice): a component's runtime peers are its runtime's members without itself, and a
    /// list per component would take memory quadratic in the runtime's size.
    ObjsWithout {
        kind: ObjKind,
        items: &'w [usize],
        skip: usize,
    },
    /// Objects of one kind, by index, that the world keeps for every evaluation to share (a
    /// filter of a zone's or a runtime's members, made once for the group: see
    /// `World::shared_filter`), without the one at position `skip`; `skip` is the length where
    /// none is left out (an `Option` would make every value a word larger).
    Shared {
        kind: ObjKind,
        items: Arc<[usize]>,
        skip: usize,
    },
    Strs(&'w [&'w str]),
    Strings(&'w [String]),
    /// A list made while evaluating (`map`, `filter`, a literal).
    Values(Rc<Vec<Value<'w>>>),
}

impl<'w> List<'w> {
    pub fn len(&self) -> usize {
        match self {
            List::Objs(_, items) => items.len(),
            List::ObjsWithout { items, .. } => items.len().saturating_sub(1),
            List::Shared { items, skip, .. } => items.len() - usize::from(*skip < items.len()),
            List::Strs(items) => items.len(),
            List::Strings(items) => items.len(),
            List::Values(items) => items.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, i: usize) -> Option<Value<'w>> {
        match self {
            List::Objs(kind, items) => items.get(i).map(|&x| Value::Obj(*kind, x)),
            List::ObjsWithout { kind, items, skip } => {
                let at = if i < *skip { i } else { i.checked_add(1)? };
                items.get(at).map(|&x| Value::Obj(*kind, x))
            }
            List::Shared { kind, items, skip } => {
                let at = if i < *skip { i } else { i.checked_add(1)? };
                items.get(at).map(|&x| Value::Obj(*kind, x))
            }
            List::Strs(items) => items.get(i).map(|s| Value::Str(s)),
            List::Strings(items) => items.get(i).map(|s| Value::Str(s.as_str())),
            List::Values(items) => items.get(i).cloned(),
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = Value<'w>> + '_ {
        (0..self.len()).filter_map(move |i| self.get(i))
    }
}

impl<'w> Value<'w> {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            Value::OwnedStr(s) => Some(s),
            _ => None,
        }
    }

    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Str(_) | Value::OwnedStr(_) => "string",
            Value::List(_) => "list",
            Value::Obj(..) => "object",
        }
    }

    /// CEL equality: same kind and same content.
    pub fn equals(&self, other: &Value<'w>) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::Obj(k, a), Value::Obj(l, b)) => k == l && a == b,
            (Value::List(a), Value::List(b)) => {
                a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| x.equals(&y))
            }
            (a, b) => match (a.as_str(), b.as_str()) {
                (Some(x), Some(y)) => x == y,
                _ => false,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values are copied and dropped on every step of every rule: a variant a word larger made
    /// `check` of 10,000 components spend 3% more instructions.
    #[test]
    fn a_value_is_four_words() {
        assert_eq!(
            std::mem::size_of::<Value>(),
            4 * std::mem::size_of::<usize>()
        );
    }

    #[test]
    fn a_list_without_one_object_leaves_out_only_that_one() {
        let members = [4, 7, 9];
        for (skip, expected) in [(0, vec![7, 9]), (1, vec![4, 9]), (2, vec![4, 7])] {
            let list = List::ObjsWithout {
                kind: ObjKind::Component,
                items: &members,
                skip,
            };
            assert_eq!(list.len(), 2);
            let got: Vec<usize> = list
                .iter()
                .map(|v| match v {
                    Value::Obj(ObjKind::Component, i) => i,
                    other => panic!("not a component: {other:?}"),
                })
                .collect();
            assert_eq!(got, expected, "skipping position {skip}");
            assert!(list.get(2).is_none());
        }
        let alone = List::ObjsWithout {
            kind: ObjKind::Component,
            items: &members[..1],
            skip: 0,
        };
        assert!(alone.is_empty());
        assert!(alone.get(0).is_none());
    }
}

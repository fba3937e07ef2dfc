//! A rule's named sub-expressions (`let:`): `name: expr` for a value of the element, and
//! `name(a, b): expr` for one of its parameters, so a filter the condition and the explanation
//! both need is written once.
//!
//! A definition is not a function the evaluator calls: the compiler writes its body in at each
//! use (`eval.rs`, `Node::Call`), its parameters bound to the arguments, evaluated once each. Its
//! body sees the rule's element and its own parameters, never the variables around the use, so
//! a comprehension variable at the use cannot change what the body means, and may use only the
//! definitions written above it: no definition reaches itself, and every expansion ends. What an
//! expansion may cost is bounded where the compiler writes it in (`MAX_EXPANDED_*`): a chain of
//! definitions each using the previous twice doubles at every step.

use cel::common::ast::IdedExpr;

use super::types::Ty;

/// Most definitions one rule may have.
pub(crate) const MAX_DEFINITIONS: usize = 32;

/// One definition, parsed and checked.
pub(crate) struct Definition {
    pub name: String,
    pub params: Vec<String>,
    pub body: IdedExpr,
    /// The body's type, checked with its parameters' types unknown (a definition is checked once,
    /// where it is written, whatever it is later applied to).
    pub ty: Ty,
}

/// The definitions an expression may use, in the order written.
pub(crate) type Definitions = [Definition];

/// The definition of `name`, with its index (the definitions before it are the ones its own
/// body may use).
pub(crate) fn find<'d>(
    definitions: &'d Definitions,
    name: &str,
) -> Option<(usize, &'d Definition)> {
    definitions.iter().enumerate().find(|(_, d)| d.name == name)
}

/// Reads a definition's key: `name` or `name(a, b)`, whose names may not be the variables the
/// rule's expressions see (`taken`: its element's, `members`). The error says what is wrong.
pub(crate) fn parse_head(key: &str, taken: &[&str]) -> Result<(String, Vec<String>), String> {
    let key = key.trim();
    let (name, params) = match key.split_once('(') {
        None => (key, Vec::new()),
        Some((name, rest)) => {
            let Some(inner) = rest.trim_end().strip_suffix(')') else {
                return Err(format!("`{key}` opens `(` without closing it"));
            };
            let params: Vec<&str> = if inner.trim().is_empty() {
                Vec::new()
            } else {
                inner.split(',').map(str::trim).collect()
            };
            if params.is_empty() {
                return Err(format!(
                    "`{key}` has no parameters: write `{}` for a value",
                    name.trim()
                ));
            }
            (name.trim(), params.into_iter().map(str::to_owned).collect())
        }
    };
    if !is_identifier(name) {
        return Err(format!(
            "`{name}` is not a name: letters, digits and `_`, not first a digit"
        ));
    }
    if is_reserved(name) {
        return Err(format!(
            "`{name}` is a word of the condition language: choose another name"
        ));
    }
    if let Some(variable) = taken
        .iter()
        .find(|&&v| name == v || params.iter().any(|p| p == v))
    {
        return Err(format!(
            "`{variable}` is a variable the rule's expressions see: choose another name"
        ));
    }
    for (at, param) in params.iter().enumerate() {
        if !is_identifier(param) {
            return Err(format!(
                "`{param}` is not a parameter name: letters, digits and `_`, not first a digit"
            ));
        }
        if params[..at].contains(param) {
            return Err(format!("the parameter `{param}` is named twice"));
        }
    }
    Ok((name.to_owned(), params))
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Names CEL gives a meaning of its own: its literals and keywords, its macros, and the
/// functions of the subset.
fn is_reserved(name: &str) -> bool {
    const WORDS: [&str; 11] = [
        "true",
        "false",
        "null",
        "in",
        "has",
        "all",
        "exists",
        "exists_one",
        "map",
        "filter",
        "dyn",
    ];
    WORDS.contains(&name) || super::functions::lookup(name).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_name_a_value_or_a_function_of_parameters() {
        let parse_head = |head| parse_head(head, &["component", "members"]);
        assert_eq!(parse_head("handlers"), Ok(("handlers".to_owned(), vec![])));
        assert_eq!(
            parse_head(" easier(b, a) "),
            Ok(("easier".to_owned(), vec!["b".to_owned(), "a".to_owned()]))
        );
        for (head, says) in [
            ("easier(b, a", "without closing"),
            ("easier()", "no parameters"),
            ("2nd", "not a name"),
            ("size", "word of the condition language"),
            ("exists(x)", "word of the condition language"),
            ("f(a, a)", "named twice"),
            ("f(a b)", "not a parameter name"),
            ("component", "a variable the rule's expressions see"),
            ("f(members)", "a variable the rule's expressions see"),
        ] {
            let error = parse_head(head).expect_err(head);
            assert!(error.contains(says), "{head}: {error}");
        }
    }
}

//! Bounds on a rule's expressions, so that a hostile team rule cannot overflow the stack.
//!
//! Everything that reads an expression recurses over it: the `cel` crate's parsers, the checker
//! (`check.rs`), the compiler and the evaluator (`eval.rs`), and the drop of its tree. A rule
//! arrives in a pull request, and a condition of 3,000 `+` aborted `check --rules` with a stack
//! overflow. So:
//!
//! - before parsing, the text is bounded ([`before_parsing`]): its length, and its operators.
//!   The reference (ANTLR) parser builds a left-associative chain (`1 + 1 + ...`) iteratively
//!   but turns it into a tree recursively, one level per operator: in a debug build on the 2 MiB
//!   stack of the CLI's worker thread it overflowed at about 4,480 operands of `+`, `==`, `*` or
//!   `.` (5,200 of `[0]`); the Pratt parser, at about 2,430 method calls (`.f()`, two operators
//!   each here). Brackets are bounded to [`MAX_NESTING`] levels here too, below the reference
//!   parser's own limit (96), whose error reads as a syntax error.
//! - after parsing, the tree's nesting is bounded ([`nesting`]), counted without recursion. A
//!   chain of one arithmetic or comparison operator counts as one level: the checker, the
//!   compiler and the evaluator read it as a list ([`chain`]), not one level per operand.

use cel::common::ast::{EntryExpr, Expr, IdedExpr};

/// Longest expression, in bytes.
pub(crate) const MAX_EXPRESSION_BYTES: usize = 16 * 1024;
/// Most operators in one expression, counted in its whole text (string literals included, so
/// that no way of lexing a malformed literal hides any from the count): a quarter of what
/// overflows the parser.
pub(crate) const MAX_OPERATORS: usize = 1000;
/// Deepest nesting of an expression's tree: the built-in rules need at most 17 levels.
pub(crate) const MAX_NESTING: usize = 64;

/// What went over a bound, and where: a character offset into the expression's text, or the id
/// of the node nested too deep.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Exceeded {
    Length,
    Operators {
        at: usize,
    },
    /// Brackets nested too deep, found before parsing.
    Brackets {
        at: usize,
    },
    Nesting {
        expr_id: u64,
    },
}

impl Exceeded {
    pub(crate) fn message(&self) -> String {
        match self {
            Exceeded::Length => {
                format!("the expression is longer than {MAX_EXPRESSION_BYTES} bytes")
            }
            Exceeded::Operators { .. } => {
                format!("the expression has more than {MAX_OPERATORS} operators")
            }
            Exceeded::Brackets { .. } | Exceeded::Nesting { .. } => {
                format!("the expression is nested more than {MAX_NESTING} levels deep")
            }
        }
    }

    pub(crate) fn help(&self) -> &'static str {
        match self {
            Exceeded::Length | Exceeded::Operators { .. } => {
                "a rule's condition or explanation needs a few dozen operators; write a simpler \
                 one, or split the rule"
            }
            Exceeded::Brackets { .. } | Exceeded::Nesting { .. } => {
                "a chain of one operator (`a + b + c`) is one level; every other operator, \
                 selection, call and macro is one more: write the expression flatter, or split \
                 the rule"
            }
        }
    }
}

/// Bounds the text before any parser reads it; returns the operators counted.
pub(crate) fn before_parsing(source: &str) -> Result<usize, Exceeded> {
    if source.len() > MAX_EXPRESSION_BYTES {
        return Err(Exceeded::Length);
    }
    let mut operators = 0;
    let mut brackets = 0usize;
    let mut chars = source.chars().enumerate().peekable();
    let mut previous = ' ';
    while let Some((at, c)) = chars.next() {
        let counts = match c {
            '+' | '-' | '*' | '/' | '%' | '?' | '.' | '[' | '(' | '{' => true,
            // `==`, `!=`, `<=`, `>=`, `&&`, `||` are one operator each.
            '=' | '!' | '<' | '>' | '&' | '|' => {
                chars.next_if(|(_, next)| *next == '=' || (*next == c && "&|".contains(c)));
                true
            }
            // `in`, as a word.
            'i' if !is_word(previous)
                && chars.next_if(|(_, next)| *next == 'n').is_some()
                && chars.peek().is_none_or(|(_, next)| !is_word(*next)) =>
            {
                true
            }
            _ => false,
        };
        match c {
            '(' | '[' | '{' => {
                brackets += 1;
                if brackets > MAX_NESTING {
                    return Err(Exceeded::Brackets { at });
                }
            }
            ')' | ']' | '}' => brackets = brackets.saturating_sub(1),
            _ => {}
        }
        if counts {
            operators += 1;
            if operators > MAX_OPERATORS {
                return Err(Exceeded::Operators { at });
            }
        }
        previous = c;
    }
    Ok(operators)
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Bounds the nesting of a parsed expression, counted without recursion; returns its depth.
pub(crate) fn nesting(expr: &IdedExpr) -> Result<usize, Exceeded> {
    let mut pending = vec![(expr, 1usize)];
    let mut deepest = 0;
    while let Some((expr, depth)) = pending.pop() {
        if depth > MAX_NESTING {
            return Err(Exceeded::Nesting { expr_id: expr.id });
        }
        deepest = deepest.max(depth);
        let below = depth + 1;
        if let Some(chain) = chain(expr) {
            pending.push((chain.first, below));
            pending.extend(chain.links.iter().map(|(_, right)| (*right, below)));
            continue;
        }
        match &expr.expr {
            Expr::Call(call) => {
                pending.extend(call.target.iter().map(|t| (&**t, below)));
                pending.extend(call.args.iter().map(|a| (a, below)));
            }
            Expr::Select(select) => pending.push((&select.operand, below)),
            Expr::List(list) => pending.extend(list.elements.iter().map(|e| (e, below))),
            Expr::Map(map) => pending.extend(entries(&map.entries).map(|e| (e, below))),
            Expr::Struct(s) => pending.extend(entries(&s.entries).map(|e| (e, below))),
            Expr::Comprehension(c) => pending.extend(
                [
                    &c.iter_range,
                    &c.accu_init,
                    &c.loop_cond,
                    &c.loop_step,
                    &c.result,
                ]
                .map(|e| (e, below)),
            ),
            Expr::Literal(_) | Expr::Ident(_) | Expr::Unspecified => {}
        }
    }
    Ok(deepest)
}

fn entries(entries: &[cel::common::ast::IdedEntryExpr]) -> impl Iterator<Item = &IdedExpr> {
    entries.iter().flat_map(|entry| match &entry.expr {
        EntryExpr::MapEntry(e) => vec![&e.key, &e.value],
        EntryExpr::StructField(f) => vec![&f.value],
    })
}

/// `a op b op c ...` of one operator `op`, which the parser nests as `((a op b) op c) ...`.
pub(crate) struct Chain<'e> {
    /// The operator's function name (`_+_`).
    pub op: &'e str,
    /// The leftmost operand.
    pub first: &'e IdedExpr,
    /// Each call of the operator with its right operand, the innermost (`a op b`) first.
    pub links: Vec<(&'e IdedExpr, &'e IdedExpr)>,
}

/// The chain `expr` is the outermost call of, when it is a call of an arithmetic or comparison
/// operator (a single `a + b` is a chain of one link). Walks the left operands in a loop.
pub(crate) fn chain(expr: &IdedExpr) -> Option<Chain<'_>> {
    let op = binary(expr, None)?.0;
    let mut links = Vec::new();
    let mut current = expr;
    while let Some((_, left, right)) = binary(current, Some(op)) {
        links.push((current, right));
        current = left;
    }
    links.reverse();
    Some(Chain {
        op,
        first: current,
        links,
    })
}

/// The operator and operands of a call of a chained operator (of `op`, when given).
fn binary<'e>(
    expr: &'e IdedExpr,
    op: Option<&str>,
) -> Option<(&'e str, &'e IdedExpr, &'e IdedExpr)> {
    let Expr::Call(call) = &expr.expr else {
        return None;
    };
    let name = call.func_name.as_str();
    // The rows that chain are the comparison and arithmetic operators: read as one operation
    // left to right, where nested calls would recurse once per operand.
    if call.target.is_some()
        || !crate::cel::functions::lookup(name).is_some_and(|f| f.chains())
        || op.is_some_and(|op| op != name)
    {
        return None;
    }
    match call.args.as_slice() {
        [left, right] => Some((name, left, right)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(source: &str) -> IdedExpr {
        cel::Program::compile(source)
            .expect("parses")
            .expression()
            .clone()
    }

    #[test]
    fn operators_are_counted_outside_and_inside_literals() {
        let at_limit = vec!["1"; MAX_OPERATORS + 1].join(" + ");
        assert_eq!(before_parsing(&at_limit), Ok(MAX_OPERATORS));
        let over = format!("{at_limit} + 1");
        assert_eq!(
            before_parsing(&over),
            Err(Exceeded::Operators {
                at: over.rfind('+').expect("a plus")
            })
        );
        // Two-character operators count once; `in` only as a word.
        let eq = vec!["true"; MAX_OPERATORS + 1].join(" == ");
        assert_eq!(before_parsing(&eq), Ok(MAX_OPERATORS));
        let words = "index in inner_list || input in [1] && !(a.b <= 2)";
        assert_eq!(before_parsing(words), Ok(9));
        let ins = vec!["x"; MAX_OPERATORS + 2].join(" in ");
        assert!(matches!(
            before_parsing(&ins),
            Err(Exceeded::Operators { .. })
        ));
        // A string does not hide operators (an unterminated one is lexed past by the parser).
        let hidden = format!("\"\"\" {over}");
        assert!(matches!(
            before_parsing(&hidden),
            Err(Exceeded::Operators { .. })
        ));
    }

    #[test]
    fn brackets_are_bounded_before_parsing() {
        let within = format!("{}1{}", "(".repeat(MAX_NESTING), ")".repeat(MAX_NESTING));
        assert_eq!(before_parsing(&within), Ok(MAX_NESTING));
        let over = format!("[{within}]");
        assert_eq!(
            before_parsing(&over),
            Err(Exceeded::Brackets { at: MAX_NESTING })
        );
        // Closed brackets do not add up.
        let flat = "(1) + [2] + {3: 4}".repeat(100);
        assert!(before_parsing(&flat).is_ok());
    }

    #[test]
    fn length_is_bounded() {
        let long = format!("'{}'", "x".repeat(MAX_EXPRESSION_BYTES));
        assert_eq!(before_parsing(&long), Err(Exceeded::Length));
    }

    #[test]
    fn a_chain_of_one_operator_is_one_level() {
        let sum = parse(&vec!["1"; 500].join(" + "));
        assert_eq!(nesting(&sum), Ok(2));
        let chain = chain(&sum).expect("a chain");
        assert_eq!(chain.op, "_+_");
        assert_eq!(chain.links.len(), 499);
        // Mixed operators nest: `a - b + c - ...` is one level per operator.
        let mixed = parse(
            &(0..100)
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(" - 1 + "),
        );
        assert!(matches!(nesting(&mixed), Err(Exceeded::Nesting { .. })));
    }

    #[test]
    fn nesting_is_bounded_at_the_limit() {
        // `a.b.c...`: one level per selection, below the root `a`.
        let within = format!("component{}", ".name".repeat(MAX_NESTING - 1));
        assert_eq!(nesting(&parse(&within)), Ok(MAX_NESTING));
        let over = format!("component{}", ".name".repeat(MAX_NESTING));
        let deepest = parse(&over);
        let Err(Exceeded::Nesting { expr_id }) = nesting(&deepest) else {
            panic!("not refused");
        };
        // The node reported is the innermost: the root variable.
        let mut node = &deepest;
        while let Expr::Select(select) = &node.expr {
            node = &select.operand;
        }
        assert_eq!(expr_id, node.id);
    }
}

//! Checks a compiled condition against the types of the variables it sees, so that an unknown
//! attribute or a type mismatch is reported when the rule loads, at the rule file's position,
//! not discovered (or missed) while evaluating.
//!
//! Written by hand because the `cel` crate evaluates dynamically and has no type checker. The
//! checker is deliberately partial: where a type is unknown it checks nothing further, so it never
//! rejects a valid condition; it catches the mistakes rule authors make (a misspelled attribute, a
//! string compared with an int, a field read from a list).

use cel::common::ast::{Expr, IdedExpr, LiteralValue};
use threatforge_model::suggest;

use super::definitions::{self, Definitions};
use super::types::{Object, Ty};
use crate::bounds::chain;
use crate::cel::functions::{self, Form, Typing};

/// A problem found in an expression: the node it is about (a CEL expression id) and a message.
#[derive(Debug, Clone)]
pub(crate) struct TypeError {
    pub expr_id: u64,
    pub message: String,
    pub help: Option<String>,
}

pub(crate) struct Checker<'d> {
    scopes: Vec<(String, Ty)>,
    /// The rule's definitions (`let:`) this expression may use.
    definitions: &'d Definitions,
    pub errors: Vec<TypeError>,
}

impl<'d> Checker<'d> {
    pub(crate) fn new(root: &str, ty: Ty) -> Self {
        Checker {
            scopes: vec![(root.to_owned(), ty)],
            definitions: &[],
            errors: Vec::new(),
        }
    }

    /// The rule's definitions the expression may use.
    pub(crate) fn using(mut self, definitions: &'d Definitions) -> Self {
        self.definitions = definitions;
        self
    }

    /// Another variable the expression may name (a rule's `members` in its explanation).
    pub(crate) fn with(mut self, name: &str, ty: Ty) -> Self {
        self.scopes.push((name.to_owned(), ty));
        self
    }

    fn lookup(&self, name: &str) -> Option<Ty> {
        self.scopes
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, t)| *t)
    }

    fn error(&mut self, expr: &IdedExpr, message: String, help: Option<String>) {
        self.errors.push(TypeError {
            expr_id: expr.id,
            message,
            help,
        });
    }

    /// The type of an expression, reporting what is wrong inside it.
    pub(crate) fn check(&mut self, expr: &IdedExpr) -> Ty {
        if let Some(chain) = chain(expr) {
            // Link by link, in the order the nested calls would be checked, without recursing
            // once per operand.
            let mut left = self.check(chain.first);
            for (call, right) in chain.links {
                let right = self.check(right);
                left = self.call(call, chain.op, None, &[left, right]);
            }
            return left;
        }
        match &expr.expr {
            Expr::Literal(literal) => match literal {
                LiteralValue::Boolean(_) => Ty::Bool,
                LiteralValue::Int(_) | LiteralValue::UInt(_) => Ty::Int,
                LiteralValue::String(_) => Ty::Str,
                _ => Ty::Dyn,
            },
            Expr::Ident(name) => match self.lookup(name) {
                Some(ty) => ty,
                None if definitions::find(self.definitions, name).is_some() => {
                    self.apply(expr, name, 0)
                }
                None => {
                    let known: Vec<String> = self.scopes.iter().map(|(n, _)| n.clone()).collect();
                    let near =
                        suggest::nearest(name, known.iter().map(String::as_str)).map(str::to_owned);
                    let root = self
                        .scopes
                        .first()
                        .map(|(n, _)| n.clone())
                        .unwrap_or_default();
                    self.error(
                        expr,
                        format!("unknown variable `{name}`"),
                        Some(match near {
                            Some(n) => format!("did you mean `{n}`?"),
                            None => format!("this rule's condition sees `{root}`"),
                        }),
                    );
                    Ty::Dyn
                }
            },
            Expr::Select(select) => {
                let operand = self.check(&select.operand);
                let ty = match operand {
                    Ty::Obj(object) => match object.field(&select.field) {
                        Some(ty) => ty,
                        None => {
                            let fields = object.fields();
                            let names: Vec<&str> = fields.iter().map(|(n, _)| *n).collect();
                            let help = match suggest::nearest(&select.field, names.iter().copied())
                            {
                                Some(n) => format!("did you mean `{n}`?"),
                                None => {
                                    format!("a {} has {}", object.name(), suggest::one_of(&names))
                                }
                            };
                            self.error(
                                expr,
                                format!(
                                    "`{}` is not an attribute of {}",
                                    select.field,
                                    object.name()
                                ),
                                Some(help),
                            );
                            Ty::Dyn
                        }
                    },
                    Ty::Dyn => Ty::Dyn,
                    other => {
                        self.error(
                            expr,
                            format!("cannot read `.{}` from {}", select.field, other.with_article()),
                            matches!(other, Ty::List(_)).then(|| {
                                "use a macro over the list, like `list.exists(x, x.field == ...)`".to_owned()
                            }),
                        );
                        Ty::Dyn
                    }
                };
                if select.test { Ty::Bool } else { ty }
            }
            Expr::Call(call) if definitions::find(self.definitions, &call.func_name).is_some() => {
                if call.target.is_some() {
                    self.error(
                        expr,
                        format!(
                            "`{}` is a definition of this rule, not a method",
                            call.func_name
                        ),
                        Some(format!("write `{}(x, ...)`", call.func_name)),
                    );
                }
                for arg in &call.args {
                    self.check(arg);
                }
                self.apply(expr, &call.func_name, call.args.len())
            }
            Expr::Call(call) => {
                let target = call.target.as_ref().map(|t| self.check(t));
                let args: Vec<Ty> = call.args.iter().map(|a| self.check(a)).collect();
                self.call(expr, &call.func_name, target, &args)
            }
            Expr::List(items) => {
                let types: Vec<Ty> = items.elements.iter().map(|e| self.check(e)).collect();
                match types.first() {
                    Some(Ty::Str) => Ty::List(&Ty::Str),
                    Some(Ty::Int) => Ty::List(&Ty::Int),
                    Some(Ty::Bool) => Ty::List(&Ty::Bool),
                    _ => Ty::List(&Ty::Dyn),
                }
            }
            Expr::Map(map) => {
                for entry in &map.entries {
                    if let cel::common::ast::EntryExpr::MapEntry(e) = &entry.expr {
                        self.check(&e.key);
                        self.check(&e.value);
                    }
                }
                Ty::Dyn
            }
            Expr::Comprehension(c) => {
                let range = self.check(&c.iter_range);
                let element = match range {
                    Ty::List(inner) => *inner,
                    Ty::Dyn => Ty::Dyn,
                    other => {
                        self.error(
                            &c.iter_range,
                            format!(
                                "expected a list to iterate over, found {}",
                                other.with_article()
                            ),
                            None,
                        );
                        Ty::Dyn
                    }
                };
                let accu = self.check(&c.accu_init);
                self.scopes.push((c.iter_var.clone(), element));
                if let Some(second) = &c.iter_var2 {
                    self.scopes.push((second.clone(), Ty::Dyn));
                }
                self.scopes.push((c.accu_var.clone(), accu));
                self.check(&c.loop_cond);
                let step = self.check(&c.loop_step);
                // The accumulator takes the step's type (a `map` starts from an untyped `[]`).
                if let Some(last) = self.scopes.last_mut() {
                    last.1 = if step == Ty::Dyn { accu } else { step };
                }
                let result = self.check(&c.result);
                self.scopes.pop();
                if c.iter_var2.is_some() {
                    self.scopes.pop();
                }
                self.scopes.pop();
                result
            }
            Expr::Struct(_) | Expr::Unspecified => Ty::Dyn,
        }
    }

    /// The type of a use of a definition with `given` arguments: its body's, when they are as
    /// many as its parameters.
    fn apply(&mut self, expr: &IdedExpr, name: &str, given: usize) -> Ty {
        let Some((_, definition)) = definitions::find(self.definitions, name) else {
            return Ty::Dyn;
        };
        let wanted = definition.params.len();
        if given == wanted {
            return definition.ty;
        }
        let usage = if wanted == 0 {
            format!("`{name}`, without parentheses")
        } else {
            format!("`{name}({})`", definition.params.join(", "))
        };
        self.error(
            expr,
            format!("`{name}` takes {wanted} argument(s), not {given}"),
            Some(format!("it is written {usage}")),
        );
        Ty::Dyn
    }

    /// Types a call by its row in the table of functions: its form, each operand against the
    /// row's type, then the row's typing.
    fn call(&mut self, expr: &IdedExpr, name: &str, target: Option<Ty>, args: &[Ty]) -> Ty {
        let Some(function) = functions::lookup(name) else {
            self.error(
                expr,
                format!("function `{name}` is not supported in rule conditions"),
                Some(functions::supported()),
            );
            return Ty::Dyn;
        };
        if !function.fits(target.is_some(), args.len()) {
            self.error(
                expr,
                format!("`{name}` is written {}", function.usage()),
                None,
            );
            return Ty::Dyn;
        }
        let operands: Vec<Ty> = target.into_iter().chain(args.iter().copied()).collect();
        for (at, (found, expected)) in operands.iter().zip(function.operands).enumerate() {
            if !found.conflicts(*expected) {
                continue;
            }
            let (message, help) = if function.form == Form::Method && at == 0 {
                (
                    format!(
                        "`.{name}()` works on {}s, not on {}",
                        expected.describe(),
                        found.with_article()
                    ),
                    matches!(found, Ty::List(_))
                        .then(|| "to test a list, use `x in list`".to_owned()),
                )
            } else if function.typing == Typing::Membership {
                (
                    format!(
                        "`in` needs a list on its right, not {}",
                        found.with_article()
                    ),
                    Some("to test a string, use `.contains(...)`".to_owned()),
                )
            } else {
                (
                    format!(
                        "`{}` needs {}, not {}",
                        function.symbol,
                        expected.with_article(),
                        found.with_article()
                    ),
                    None,
                )
            };
            self.error(expr, message, help);
            return function_result(function.typing);
        }
        match (function.typing, operands.as_slice()) {
            (Typing::Compare, [a, b]) => {
                if a.conflicts(*b) {
                    self.mismatch(expr, *a, *b);
                }
                Ty::Bool
            }
            (Typing::Membership, [element, container]) => {
                if let Ty::List(inner) = container
                    && element.conflicts(**inner)
                {
                    self.error(
                        expr,
                        format!(
                            "`in` looks for {} in {}",
                            element.with_article(),
                            container.with_article()
                        ),
                        None,
                    );
                }
                Ty::Bool
            }
            (Typing::Conditional, [_, a, b]) => {
                if a.conflicts(*b) {
                    Ty::Dyn
                } else if *a == Ty::Dyn {
                    *b
                } else {
                    *a
                }
            }
            (Typing::Index, [Ty::List(inner), _]) => **inner,
            (Typing::Add, [a, b]) => match (a, b) {
                (Ty::List(x), Ty::List(_)) => {
                    if **x == Ty::Dyn {
                        *b
                    } else {
                        *a
                    }
                }
                (Ty::Dyn, other) | (other, Ty::Dyn) => *other,
                (x, y) => {
                    if x.conflicts(*y) {
                        self.mismatch(expr, *x, *y);
                    }
                    *x
                }
            },
            (typing, _) => function_result(typing),
        }
    }

    fn mismatch(&mut self, expr: &IdedExpr, a: Ty, b: Ty) {
        self.error(
            expr,
            format!("compares {} with {}", a.with_article(), b.with_article()),
            Some("levels (sensitivity, trust, criticality) are ints; names are strings".to_owned()),
        );
    }
}

/// A call's type when its operands tell nothing more.
fn function_result(typing: Typing) -> Ty {
    match typing {
        Typing::Is(ty) => ty,
        Typing::Compare | Typing::Membership => Ty::Bool,
        Typing::Add | Typing::Index | Typing::Conditional => Ty::Dyn,
    }
}

/// The root variable's type for an element kind.
pub(crate) fn root_type(element: crate::rule::Element) -> (&'static str, Ty) {
    use crate::rule::Element;
    match element {
        Element::Component => ("component", Ty::Obj(Object::Component)),
        Element::Flow => ("flow", Ty::Obj(Object::Flow)),
        Element::Data => ("data", Ty::Obj(Object::DataAsset)),
        Element::Boundary => ("boundary", Ty::Obj(Object::Boundary)),
        Element::Runtime => ("runtime", Ty::Obj(Object::Runtime)),
        Element::Model => ("model", Ty::Obj(Object::Model)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(source: &str) -> Vec<String> {
        let program = cel::Program::compile(source).expect("the test's expression parses");
        let (root, ty) = root_type(crate::rule::Element::Component);
        let mut checker = Checker::new(root, ty);
        checker.check(program.expression());
        checker.errors.into_iter().map(|e| e.message).collect()
    }

    /// The checker accepts exactly the calls the compiler lowers: both read the table.
    #[test]
    fn calls_outside_the_table_or_its_forms_are_refused() {
        assert_eq!(
            errors(r#"component.name.matches("^a")"#),
            ["function `matches` is not supported in rule conditions"]
        );
        assert_eq!(
            errors("component.name.string()"),
            ["`string` is written `string(x)`"]
        );
        assert_eq!(
            errors("size(component.inbound, 1) > 0"),
            ["`size` is written `size(x)` or `x.size()`"]
        );
        assert_eq!(
            errors("component.traits.contains(\"x\")"),
            ["`.contains()` works on strings, not on a list<string>"]
        );
        assert_eq!(
            errors("component.name && true"),
            ["`&&` needs a bool, not a string"]
        );
        assert_eq!(errors(r#""x" in component.name"#).len(), 1);
        for source in [
            "component.inbound.size() == size(component.outbound)",
            r#"component.name.startsWith("a") || -component.trust < 2"#,
            "int(string(component.trust)) % 2 == 0 ? [1][0] : 2",
        ] {
            assert_eq!(errors(source), Vec::<String>::new(), "{source}");
        }
    }
}

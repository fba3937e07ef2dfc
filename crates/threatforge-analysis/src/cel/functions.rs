//! The CEL subset rule expressions may use, defined once.
//!
//! The checker (`check.rs`) types a call from its row, the compiler (`eval.rs`) lowers it by its
//! row, the chains of one operator (`bounds.rs`) are the rows that fold, and the "Functions"
//! section of docs/writing-rules.md is rendered from the rows (a test holds the file to it). Before
//! this table the checker and the compiler each listed the subset, and they drifted apart: the
//! checker accepted `matches`, which the compiler then refused.

use super::types::Ty;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Arith {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StrTest {
    Contains,
    StartsWith,
    EndsWith,
}

/// The node of `eval.rs` a call becomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lowering {
    And,
    Or,
    Not,
    Neg,
    /// The loop condition the `all` macro expands to: true unless the operand is `false`.
    NotStrictlyFalse,
    In,
    Index,
    Cond,
    Size,
    ToString,
    ToInt,
    LowerAscii,
    StrTest(StrTest),
    Cmp(Cmp),
    Arith(Arith),
}

/// Where a call's operands are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Form {
    /// An operator; the parser passes its operands as arguments.
    Operator,
    /// `f(x)`.
    Function,
    /// `x.f(y)`: the first operand is the receiver.
    Method,
    /// `f(x)` or `x.f()`.
    FunctionOrMethod,
}

/// How the checker finds a call's type, beyond checking each operand against its row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Typing {
    /// Always this type.
    Is(Ty),
    /// The operands must not conflict with each other; a bool.
    Compare,
    /// The element must fit the list's elements; a bool.
    Membership,
    /// Lists, ints or strings of one type, added: that type.
    Add,
    /// The element type of the list.
    Index,
    /// The branches' common type.
    Conditional,
}

pub(crate) struct Function {
    /// The name the `cel` parser gives the call (`_+_`, `size`).
    pub name: &'static str,
    /// The operator as a rule writes it, for messages (`&&`); the name for functions.
    pub symbol: &'static str,
    /// How a rule writes the call, for the documentation.
    pub written: &'static str,
    pub form: Form,
    /// The type each operand must have (the receiver first); `Dyn` accepts any.
    pub operands: &'static [Ty],
    pub typing: Typing,
    pub lowering: Lowering,
    /// One line for docs/writing-rules.md; empty for what the parser adds on its own.
    pub doc: &'static str,
}

const LIST: Ty = Ty::List(&Ty::Dyn);

macro_rules! row {
    ($name:literal, $symbol:literal, $written:literal, $form:ident, [$($operand:expr),*],
     $typing:expr, $lowering:expr, $doc:literal) => {
        Function {
            name: $name,
            symbol: $symbol,
            written: $written,
            form: Form::$form,
            operands: &[$($operand),*],
            typing: $typing,
            lowering: $lowering,
            doc: $doc,
        }
    };
}

use Lowering as L;
use Ty::{Bool, Dyn, Int, Str};
use Typing as T;

/// The subset, in the order the documentation lists it: one row per call.
#[rustfmt::skip]
pub(crate) static FUNCTIONS: &[Function] = &[
    row!("_&&_", "&&", "a && b", Operator, [Bool, Bool], T::Is(Bool), L::And, "both; `false && error` is `false`"),
    row!("_||_", "||", "a || b", Operator, [Bool, Bool], T::Is(Bool), L::Or, "either; `true || error` is `true`"),
    row!("!_", "!", "!a", Operator, [Bool], T::Is(Bool), L::Not, "not"),
    row!("_==_", "==", "a == b", Operator, [Dyn, Dyn], T::Compare, L::Cmp(Cmp::Eq), "equal (objects are equal when they are the same element)"),
    row!("_!=_", "!=", "a != b", Operator, [Dyn, Dyn], T::Compare, L::Cmp(Cmp::Ne), "not equal"),
    row!("_<_", "<", "a < b", Operator, [Dyn, Dyn], T::Compare, L::Cmp(Cmp::Lt), "less than (ints, or strings by code point)"),
    row!("_<=_", "<=", "a <= b", Operator, [Dyn, Dyn], T::Compare, L::Cmp(Cmp::Le), "at most"),
    row!("_>_", ">", "a > b", Operator, [Dyn, Dyn], T::Compare, L::Cmp(Cmp::Gt), "greater than"),
    row!("_>=_", ">=", "a >= b", Operator, [Dyn, Dyn], T::Compare, L::Cmp(Cmp::Ge), "at least"),
    row!("_+_", "+", "a + b", Operator, [Dyn, Dyn], T::Add, L::Arith(Arith::Add), "the sum of ints, or strings or lists joined"),
    row!("_-_", "-", "a - b", Operator, [Int, Int], T::Is(Int), L::Arith(Arith::Sub), "difference"),
    row!("_*_", "*", "a * b", Operator, [Int, Int], T::Is(Int), L::Arith(Arith::Mul), "product"),
    row!("_/_", "/", "a / b", Operator, [Int, Int], T::Is(Int), L::Arith(Arith::Div), "quotient, toward zero (dividing by zero is an error)"),
    row!("_%_", "%", "a % b", Operator, [Int, Int], T::Is(Int), L::Arith(Arith::Rem), "remainder"),
    row!("-_", "-", "-a", Operator, [Int], T::Is(Int), L::Neg, "negation"),
    row!("_?_:_", "? :", "c ? a : b", Operator, [Bool, Dyn, Dyn], T::Conditional, L::Cond, "`a` if `c`, else `b`"),
    row!("@in", "in", "x in list", Operator, [Dyn, LIST], T::Membership, L::In, "whether the list holds `x`"),
    row!("_[_]", "[]", "list[i]", Operator, [LIST, Int], T::Index, L::Index, "the item at `i`, from 0 (past the end is an error)"),
    row!("size", "size", "size(x)", FunctionOrMethod, [Dyn], T::Is(Int), L::Size, "the length of a list, or of a string in characters; also `x.size()`"),
    row!("contains", "contains", "text.contains(s)", Method, [Str, Str], T::Is(Bool), L::StrTest(StrTest::Contains), "whether `s` occurs in `text`"),
    row!("startsWith", "startsWith", "text.startsWith(s)", Method, [Str, Str], T::Is(Bool), L::StrTest(StrTest::StartsWith), "whether `text` begins with `s`"),
    row!("endsWith", "endsWith", "text.endsWith(s)", Method, [Str, Str], T::Is(Bool), L::StrTest(StrTest::EndsWith), "whether `text` ends with `s`"),
    row!("lowerAscii", "lowerAscii", "text.lowerAscii()", FunctionOrMethod, [Str], T::Is(Str), L::LowerAscii, "`text` with the letters A to Z made lowercase (as cel-go's string extension names it), to read names whatever their case; also `lowerAscii(text)`"),
    row!("string", "string", "string(x)", Function, [Dyn], T::Is(Str), L::ToString, "an int, bool or string as a string"),
    row!("int", "int", "int(x)", Function, [Dyn], T::Is(Int), L::ToInt, "an int, or a string of digits, as an int"),
    row!("@not_strictly_false", "@not_strictly_false", "", Function, [Dyn], T::Is(Bool), L::NotStrictlyFalse, ""),
];

/// The macros the `cel` parser expands into comprehensions (and `has`), which the checker and
/// the compiler read as such rather than as calls. Only the generated table lists them.
#[cfg(test)]
pub(crate) const MACROS: &[(&str, &str)] = &[
    ("has(object.field)", "whether the object has the field"),
    ("list.all(x, p)", "whether `p` holds for every item"),
    ("list.exists(x, p)", "whether `p` holds for some item"),
    (
        "list.exists_one(x, p)",
        "whether `p` holds for exactly one item",
    ),
    ("list.map(x, e)", "the list of `e` for each item"),
    ("list.filter(x, p)", "the items for which `p` holds"),
];

pub(crate) fn lookup(name: &str) -> Option<&'static Function> {
    FUNCTIONS.iter().find(|f| f.name == name)
}

impl Function {
    /// Whether `a op b op c` reads as one chain, folded left to right (`bounds.rs`).
    pub(crate) fn chains(&self) -> bool {
        matches!(self.lowering, Lowering::Cmp(_) | Lowering::Arith(_))
    }

    /// Whether a call written with this receiver and these arguments has this row's form.
    pub(crate) fn fits(&self, has_target: bool, args: usize) -> bool {
        let n = self.operands.len();
        match self.form {
            Form::Operator | Form::Function => !has_target && args == n,
            Form::Method => has_target && args + 1 == n,
            Form::FunctionOrMethod => args + usize::from(has_target) == n,
        }
    }

    /// How to write the call, for an error about its form.
    pub(crate) fn usage(&self) -> String {
        match self.form {
            Form::FunctionOrMethod => format!("`{}` or `x.{}()`", self.written, self.name),
            _ => format!("`{}`", self.written),
        }
    }
}

/// What a rule may call, for the help line of an unsupported function.
pub(crate) fn supported() -> String {
    let functions: Vec<String> = FUNCTIONS
        .iter()
        .filter(|f| f.form != Form::Operator && !f.doc.is_empty())
        .map(|f| format!("`{}`", f.name))
        .collect();
    format!(
        "use operators, `in`, {} and the macros `all`, `exists`, `exists_one`, `map`, `filter`",
        functions.join(", ")
    )
}

/// Text for a Markdown table cell: a `|` ends the cell, in code too.
#[cfg(test)]
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

/// The table of docs/writing-rules.md's "Functions" section, which a test keeps in step.
#[cfg(test)]
pub(crate) fn markdown() -> String {
    let mut out = String::from("| written | operands | result | meaning |\n|---|---|---|---|\n");
    for f in FUNCTIONS.iter().filter(|f| !f.doc.is_empty()) {
        let operands: Vec<String> = f.operands.iter().map(|t| t.describe()).collect();
        let result = match f.typing {
            Typing::Is(ty) => ty.describe(),
            Typing::Compare | Typing::Membership => Ty::Bool.describe(),
            Typing::Add => "as the operands".to_owned(),
            Typing::Index => "the item's type".to_owned(),
            Typing::Conditional => "as `a` and `b`".to_owned(),
        };
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            cell(f.written),
            operands.join(", "),
            result,
            cell(f.doc)
        ));
    }
    for (written, doc) in MACROS {
        out.push_str(&format!("| `{written}` | | | {doc} |\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const BEGIN: &str =
        "<!-- functions: generated from crates/threatforge-analysis/src/cel/functions.rs -->\n";
    const END: &str = "<!-- end of functions -->";

    /// docs/writing-rules.md lists exactly the table. `UPDATE_DOCS=1` rewrites the section.
    #[test]
    fn the_documentation_lists_the_table() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/writing-rules.md");
        let text = std::fs::read_to_string(&path).expect("docs/writing-rules.md is readable");
        let start = text.find(BEGIN).expect("the functions marker") + BEGIN.len();
        let end = start + text[start..].find(END).expect("the end marker");
        let expected = markdown();
        if std::env::var_os("UPDATE_DOCS").is_some() {
            let updated = format!("{}{}{}", &text[..start], expected, &text[end..]);
            std::fs::write(&path, updated).expect("docs/writing-rules.md is writable");
            return;
        }
        assert_eq!(
            text[start..end],
            expected,
            "docs/writing-rules.md is stale: run `UPDATE_DOCS=1 cargo test -p threatforge-analysis functions`"
        );
    }

    #[test]
    fn names_are_unique_and_forms_fit_their_operands() {
        for (i, f) in FUNCTIONS.iter().enumerate() {
            assert!(
                FUNCTIONS[..i].iter().all(|g| g.name != f.name),
                "{}",
                f.name
            );
            assert!(!f.operands.is_empty(), "{}", f.name);
            // A method has a receiver; chains need two operands.
            assert!(
                f.form != Form::Method || f.operands.len() >= 2,
                "{}",
                f.name
            );
            assert!(!f.chains() || f.operands.len() == 2, "{}", f.name);
        }
        assert!(lookup("matches").is_none());
        assert!(lookup("size").is_some_and(|f| f.fits(true, 0) && f.fits(false, 1)));
        assert!(lookup("contains").is_some_and(|f| f.fits(true, 1) && !f.fits(false, 2)));
    }
}

"""Checking an expression's text: refuse what is outside the language, fold constants, record references.

:func:`_prepare` bounds the text (length, characters, brackets), the parser
is Python's :func:`ast.parse` (a syntax error is diagnosed with its column),
:func:`_bound` bounds the tree without recursing, and one walk
(:class:`_Checker`) refuses every construct not in the language, checks
each call's arguments, folds constant sub-trees and records what the
expression refers to. The compiler (:mod:`riskmodel.exprcompile`)
subclasses the checker, so what is allowed is decided here alone.
"""

from __future__ import annotations

import ast
import io
import keyword
import math
import tokenize
import unicodedata

from typing import Optional

import numpy as np

from .errors import did_you_mean
from .exprlang import (ExpressionError, FUNCTIONS, MAX_CONSTANT, MAX_DEPTH, MAX_LENGTH, MAX_NODES,
                       RANDOM_FUNCTIONS, SIGNATURES, _ALLOWED_LIST, _BAD_BINOPS, _BAD_CMPOPS, _BINOPS, _CMPOPS,
                       _DETERMINISTIC, _REDUCTIONS, _SPECIAL_NAMES, _chain_compare, _f64, _logical_all,
                       _logical_any)



# ---------------------------------------------------------------------------
# Constructs that are refused, with what to say
# ---------------------------------------------------------------------------

_REFUSED = {  # node type: (message, hint)
    ast.Attribute: ("attribute access (x.y) is not allowed", "use plain names, and call functions by their bare name, e.g. exp(x)"),
    ast.Subscript: ("subscripts (x[0]) are not allowed", "the only subscript is x[element] (a literal element name of "
                    "a dimensioned value, e.g. spilled[niger]); expressions work on whole arrays of paths"),
    ast.Lambda: ("lambda is not allowed", ""),
    ast.ListComp: ("comprehensions ([... for ...]) are not allowed", ""),
    ast.SetComp: ("comprehensions ({... for ...}) are not allowed", ""),
    ast.DictComp: ("comprehensions ({...: ... for ...}) are not allowed", ""),
    ast.GeneratorExp: ("generator expressions ((... for ...)) are not allowed", ""),
    ast.JoinedStr: ("f-strings are not allowed", ""),
    ast.FormattedValue: ("f-strings are not allowed", ""),
    ast.IfExp: ("conditional expressions (a if c else b) are not allowed", "use where(c, a, b)"),
    ast.NamedExpr: ("assignment expressions (x := ...) are not allowed", "an expression computes a value; it cannot assign"),
    ast.Starred: ("starred expressions (*x) are not allowed", ""),
    ast.List: ("lists ([...]) are not allowed", ""),
    ast.Tuple: ("tuples (a, b) are not allowed", "an expression gives one value per path"),
    ast.Set: ("sets ({...}) are not allowed", ""),
    ast.Dict: ("dicts ({...: ...}) are not allowed", ""),
    ast.Await: ("'await' is not allowed", ""),
    ast.Yield: ("'yield' is not allowed", ""),
    ast.YieldFrom: ("'yield from' is not allowed", ""),
    ast.Slice: ("slices (a:b) are not allowed", ""),
}

_KEYWORDS_IN_EXPRESSIONS = frozenset({"and", "or", "not", "True", "False", "None"})


def _normalise(text: str) -> str:
    """Whitespace of any kind -> a space, so the text is one line of the same length."""
    out = []
    for ch in text:
        if ch in "\t\n\r\f\v" or (ch != " " and unicodedata.category(ch) == "Zs"):
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


def _diagnose_syntax(src: str, lead: int):
    """Name the construct behind a syntax error where the tokens show it, else None."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(src).readline))
    except Exception:  # noqa: BLE001 - a tokenizer failure just means no diagnosis
        return None
    before = None
    for tok in tokens:
        if tok.type in (tokenize.NL, tokenize.NEWLINE, tokenize.ENDMARKER, tokenize.INDENT, tokenize.DEDENT):
            continue
        col = tok.start[1] + lead
        s = tok.string
        if tok.type == tokenize.OP:
            if s in ("*", "**") and (before is None or before.string in ("(", ",")):
                return ExpressionError("starred expressions (*x) are not allowed", "", col)
            if s == "=":
                return ExpressionError("assignment (=) is not allowed", "use == to compare", col)
            if s.endswith("=") and s not in ("==", "!=", "<=", ">=") and len(s) >= 2:
                return ExpressionError(f"assignment ({s}) is not allowed", "an expression computes a value; it cannot assign", col)
            if s == ";":
                return ExpressionError("';' is not allowed", "an expression is one formula", col)
        elif tok.type == tokenize.NAME and keyword.iskeyword(s) and s not in _KEYWORDS_IN_EXPRESSIONS:
            hint = "use where(c, a, b)" if s in ("if", "else") else ""
            return ExpressionError("lambda is not allowed" if s == "lambda" else f"'{s}' is not allowed", hint, col)
        before = tok
    return None


# ---------------------------------------------------------------------------
# Checking: one walk refuses what is not allowed, folds constants, records names
# ---------------------------------------------------------------------------


_UNARY_UFUNCS = frozenset({"abs", "exp", "log", "sqrt", "sin", "cos"})  # float64 ufuncs taking out=


class _Varies:
    """What the checker's walk gives for a sub-tree that is not constant."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "VARIES"


VARIES = _Varies()


class _Checker:
    """Walks a tree: refuses what is not allowed, folds constants, records references.

    ``build(node)`` returns a float (a constant sub-tree, folded) or, for
    anything that varies, what the hooks give (:data:`VARIES` here). Along the
    way it records the names, prev references and random calls for
    :class:`Expr`. The compiler (:mod:`riskmodel.exprcompile`) subclasses it
    and overrides the hooks (``combine``, ``name_value``, ``t_value``,
    ``bare_prev``, ``prev_value``, ``random_draw``) to build closures, so the
    language is checked by the same code whichever way a tree is walked.
    """

    def __init__(self, text: str, src_bytes: bytes, lead: int):
        self.text = text
        self.src_bytes = src_bytes  # the parsed (normalised, left-stripped) text, UTF-8
        self.lead = lead  # characters stripped on the left
        self.names: set = set()
        self.prev_refs: set = set()
        self.uses_prev = False
        self.uses_t = False
        self.random_calls: list = []
        self.references: list = []
        self.calendar: set = set()
        self.dates: list = []
        self.subscripts: list = []
        self.reductions: list = []

    # -- helpers -----------------------------------------------------------

    def col(self, node) -> Optional[int]:
        off = getattr(node, "col_offset", None)
        if off is None:
            return None
        return len(self.src_bytes[:off].decode("utf-8", errors="ignore")) + self.lead

    def error(self, node, message: str, hint: str = "") -> ExpressionError:
        return ExpressionError(message, hint, self.col(node), self.text)

    def fold(self, fn, parts, node) -> float:
        with np.errstate(all="ignore"):
            value = float(fn(*parts))
        if math.isfinite(value) and abs(value) <= MAX_CONSTANT:
            return value
        if (isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Div, ast.FloorDiv, ast.Mod))
                and parts[1] == 0):
            raise self.error(node, "the constant expression divides by zero")
        if math.isnan(value):
            raise self.error(node, "the constant expression is not a number",
                             "for example 0/0, log(-1) or sqrt(-1)")
        raise self.error(node, "the constant expression overflows",
                         f"constants must stay within ±{MAX_CONSTANT:g}")

    def apply(self, fn, parts, node, children=None):
        """``fn`` over built parts: folded when all are constant, else :meth:`combine`."""
        if all(isinstance(p, float) for p in parts):
            return self.fold(fn, parts, node)
        return self.combine(fn, parts, node, children)

    # -- hooks (the compiler overrides these) ------------------------------

    def combine(self, fn, parts, node, children=None):
        return VARIES

    def name_value(self, name: str, col: Optional[int]):
        return VARIES

    def t_value(self):
        return VARIES

    def bare_prev(self, node):
        return VARIES

    def prev_value(self, state: str, col: Optional[int]):
        return VARIES

    def random_draw(self, name, parts, node):
        return VARIES

    def calendar_value(self, which: str):
        return VARIES

    def date_value(self, year: int, month: int, node):
        return VARIES

    def subscript_value(self, name: str, label: str, via_prev: bool, col: Optional[int]):
        return VARIES

    def reduction(self, name: str, arg_node, node):
        """A reduction over the dimension of ``arg_node`` (built by the compiler once per element)."""
        self.build(arg_node)
        return VARIES

    # -- dispatch ----------------------------------------------------------

    def build(self, node):
        method = getattr(self, "build_" + type(node).__name__, None)
        if method is None:
            message, hint = _REFUSED.get(type(node), (f"this construct ({type(node).__name__}) is not allowed", ""))
            raise self.error(node, message, hint)
        return method(node)

    def build_Constant(self, node):
        v = node.value
        if isinstance(v, bool):
            return float(v)
        if isinstance(v, (int, float)):
            try:
                value = float(v)
            except OverflowError:
                value = math.inf
            if not (math.isfinite(value) and abs(value) <= MAX_CONSTANT):
                raise self.error(node, "the constant expression overflows",
                                 f"constants must stay within ±{MAX_CONSTANT:g}")
            return value
        if isinstance(v, str):
            raise self.error(node, "strings ('...') are not allowed", "names are written without quotes")
        if isinstance(v, bytes):
            raise self.error(node, "bytes (b'...') are not allowed", "")
        if isinstance(v, complex):
            raise self.error(node, "complex numbers (1j) are not allowed", "")
        if v is None:
            raise self.error(node, "None is not allowed", "use a number, e.g. 0")
        if v is Ellipsis:
            raise self.error(node, "'...' is not allowed", "")
        raise self.error(node, f"the constant {v!r} is not allowed", "")  # pragma: no cover - no other constants exist

    def check_name(self, node, name: str) -> None:
        if name.startswith("_"):
            raise self.error(node, f"'{name}': names may not start with an underscore", "")

    def build_Name(self, node):
        name = node.id
        self.check_name(node, name)
        if name == "pi":
            return math.pi
        if name == "t":
            self.uses_t = True
            return self.t_value()
        if name == "prev":
            self.uses_prev = True
            return self.bare_prev(node)
        if name in ("year", "month"):
            self.calendar.add(name)
            return self.calendar_value(name)
        if name in FUNCTIONS or name in RANDOM_FUNCTIONS:
            raise self.error(node, f"'{name}' is a function and must be called", f"write {SIGNATURES[name]}")
        col = self.col(node)
        self.names.add(name)
        self.references.append((name, col, False))
        return self.name_value(name, col)

    def build_BinOp(self, node):
        op = type(node.op)
        if op in _BAD_BINOPS:
            symbol, hint = _BAD_BINOPS[op]
            raise self.error(node, f"the operator '{symbol}' is not allowed", hint)
        left = self.build(node.left)
        right = self.build(node.right)
        return self.apply(_BINOPS[op], (left, right), node, (node.left, node.right))

    def build_UnaryOp(self, node):
        op = type(node.op)
        if op is ast.Invert:
            raise self.error(node, "the operator '~' is not allowed", "use 'not'")
        operand = self.build(node.operand)
        if op is ast.Not:
            return self.apply(np.logical_not, (operand,), node)
        fn = _f64(np.negative) if op is ast.USub else _f64(np.positive)
        return self.apply(fn, (operand,), node, (node.operand,))

    def build_BoolOp(self, node):
        parts = [self.build(v) for v in node.values]
        if len(parts) == 2:
            fn = np.logical_and if isinstance(node.op, ast.And) else np.logical_or
        else:
            fn = _logical_all if isinstance(node.op, ast.And) else _logical_any
        return self.apply(fn, parts, node)

    def build_Compare(self, node):
        ufuncs = []
        for op in node.ops:
            if type(op) in _BAD_CMPOPS:
                symbol, hint = _BAD_CMPOPS[type(op)]
                raise self.error(node, f"the comparison '{symbol}' is not allowed", hint)
            ufuncs.append(_CMPOPS[type(op)])
        parts = [self.build(node.left)] + [self.build(c) for c in node.comparators]
        fn = ufuncs[0] if len(ufuncs) == 1 else _chain_compare(tuple(ufuncs))
        return self.apply(fn, parts, node)

    def build_Call(self, node):
        func = node.func
        if isinstance(func, ast.Attribute):
            message, hint = _REFUSED[ast.Attribute]
            raise self.error(func, message, hint)
        if not isinstance(func, ast.Name):
            if type(func) in _REFUSED:  # name the construct: (lambda: x)(), [f][0](), ...
                message, hint = _REFUSED[type(func)]
                raise self.error(func, message, hint)
            raise self.error(func, "only named functions can be called", _ALLOWED_LIST)
        name = func.id
        self.check_name(func, name)
        if name != "prev" and name not in FUNCTIONS and name not in RANDOM_FUNCTIONS:
            known = set(FUNCTIONS) | set(RANDOM_FUNCTIONS) | {"prev"}
            close = did_you_mean(name, known)
            raise self.error(func, f"calls to '{name}' are not allowed", f"{close} {_ALLOWED_LIST}" if close else _ALLOWED_LIST)
        if node.keywords:
            kw = node.keywords[0]
            shown = f"{kw.arg}=..." if kw.arg else "**..."
            raise self.error(kw.value if kw.arg is None else kw, f"keyword arguments ({shown}) are not allowed",
                             f"pass arguments by position: {SIGNATURES[name]}")
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                message, hint = _REFUSED[ast.Starred]
                raise self.error(arg, message, hint)
        if name == "prev":
            return self.build_prev_call(node)
        given = len(node.args)
        if name in RANDOM_FUNCTIONS:
            least = most = RANDOM_FUNCTIONS[name]
        else:
            least, most = FUNCTIONS[name]
        if given < least or (most is not None and given > most):
            if most is None:
                wanted = f"at least {least} arguments"
            else:
                wanted = f"exactly {least} argument{'s' if least != 1 else ''}"
            raise self.error(node, f"{name}() takes {wanted} ({given} given)", f"write {SIGNATURES[name]}")
        if name in RANDOM_FUNCTIONS:
            self.random_calls.append(name)
            if name == "event":
                self.uses_prev = True
            parts = [self.build(a) for a in node.args]
            return self.random_draw(name, parts, node)
        if name == "date":
            return self.build_date(node)
        if name in _REDUCTIONS or (name in ("min", "max") and given == 1):
            self.reductions.append((name, self.col(node)))
            return self.reduction(name, node.args[0], node)
        parts = [self.build(a) for a in node.args]
        fn = _DETERMINISTIC[name]
        return self.apply(fn, parts, node, node.args if name in _UNARY_UFUNCS else None)

    def build_date(self, node):
        arg = node.args[0]
        if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
            raise self.error(arg, "date() takes a month in quotes", 'e.g. date("2024-10")')
        text = arg.value
        parts = text.split("-")
        if (len(parts) != 2 or len(parts[0]) != 4 or len(parts[1]) != 2 or not all(p.isdigit() for p in parts)
                or not 1 <= int(parts[1]) <= 12):
            raise self.error(arg, f"date({text!r}): not a month", 'write date("YYYY-MM") with a month 01-12, e.g. date("2024-10")')
        self.dates.append((text, self.col(arg)))
        return self.date_value(int(parts[0]), int(parts[1]), node)

    def build_Subscript(self, node):
        value, label = node.value, node.slice
        message, hint = _REFUSED[ast.Subscript]
        if not isinstance(label, ast.Name):
            raise self.error(node, message, hint)
        if isinstance(value, ast.Name) and value.id not in _SPECIAL_NAMES and value.id not in FUNCTIONS \
                and value.id not in RANDOM_FUNCTIONS:
            name, via_prev = value.id, False
        elif (isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "prev"
              and len(value.args) == 1 and isinstance(value.args[0], ast.Name) and not value.keywords):
            name, via_prev = value.args[0].id, True
            value = value.args[0]
        else:
            raise self.error(node, message, hint)
        self.check_name(value, name)
        self.check_name(label, label.id)
        col = self.col(value)
        if via_prev:
            self.prev_refs.add(name)
        else:
            self.names.add(name)
        self.references.append((name, col, via_prev))
        self.subscripts.append((name, label.id, col, via_prev))
        return self.subscript_value(name, label.id, via_prev, col)

    def build_prev_call(self, node):
        if len(node.args) != 1 or not isinstance(node.args[0], ast.Name):
            where = node.args[0] if node.args else node
            raise self.error(where, "prev() takes the bare name of a state", "e.g. prev(idps); bare prev is this state's last value")
        arg = node.args[0]
        state = arg.id
        self.check_name(arg, state)
        if state in FUNCTIONS or state in RANDOM_FUNCTIONS or state in _SPECIAL_NAMES:
            raise self.error(arg, f"prev({state}): '{state}' is not a state", "e.g. prev(idps)")
        col = self.col(arg)
        self.prev_refs.add(state)
        self.references.append((state, col, True))
        return self.prev_value(state, col)


def _prepare(text) -> tuple:
    """Check size and characters; return ``(text, parsed source, lead)``."""
    if isinstance(text, bool) or not isinstance(text, (str, int, float)):
        raise ExpressionError(f"an expression must be text, not {type(text).__name__}", "e.g. \"prev + 2 * attacks\"")
    if not isinstance(text, str):
        text = repr(text)
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the expression is too long ({len(text)} characters; MAX_LENGTH is {MAX_LENGTH})",
                              "split it: define derived parameters for parts of it", None, text)
    for i, ch in enumerate(text):
        if unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f\v":
            raise ExpressionError(f"the expression contains a control character (U+{ord(ch):04X})", "", i, text)
    src = _normalise(text)
    stripped = src.lstrip(" ")
    lead = len(src) - len(stripped)
    src = stripped.rstrip(" ")
    if not src:
        raise ExpressionError("the expression is empty", "write a number or a formula, e.g. 0", None, text)
    if "#" in src:
        raise ExpressionError("comments (#) are not allowed", "", src.index("#") + lead, text)
    depth = 0
    for i, ch in enumerate(src):
        if ch in "([{":
            depth += 1
            if depth > MAX_DEPTH:
                raise ExpressionError(f"the expression is nested too deeply (more than MAX_DEPTH = {MAX_DEPTH} brackets)",
                                      "simplify it, or define derived parameters for parts of it", i + lead, text)
        elif ch in ")]}":
            depth -= 1
    return text, src, lead


def _parse(text) -> tuple:
    """Parse and bound the tree; return ``(text, tree, builder)`` ready to build."""
    text, src, lead = _prepare(text)
    try:
        tree = ast.parse(src, mode="eval")
    except SyntaxError as e:
        diagnosis = _diagnose_syntax(src, lead)
        if diagnosis is not None:
            diagnosis.text = text
            raise diagnosis from None
        msg = e.msg or "invalid syntax"
        if "too many nested" in msg or "too complex" in msg:
            raise ExpressionError(f"the expression is nested too deeply ({msg})", "simplify it", None, text) from None
        if not e.offset:  # the parser ran off the end
            col = len(src) + lead
            if msg == "invalid syntax":
                msg = "the expression ends too early"
        else:
            col = min(e.offset - 1, len(src)) + lead
        raise ExpressionError(f"syntax error: {msg}", "", col, text) from None
    except (MemoryError, RecursionError):
        raise ExpressionError(f"the expression is nested too deeply (MAX_DEPTH is {MAX_DEPTH})",
                              "simplify it, or define derived parameters for parts of it", None, text) from None
    except Exception as e:  # noqa: BLE001 - anything else the parser throws is still the user's text
        raise ExpressionError(f"the expression cannot be parsed ({type(e).__name__}: {e})", "", None, text) from None
    builder = _Checker(text, src.encode("utf-8"), lead)
    _bound(tree, builder)
    return text, tree, builder


def _bound(tree: ast.Expression, builder: _Checker) -> None:
    """Refuse a tree with too many nodes or too deep, without recursing (it may be deeper than the stack)."""
    count = 0
    stack = [(tree.body, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, ast.expr):
            count += 1
            if count > MAX_NODES:
                raise ExpressionError(f"the expression is too large (more than MAX_NODES = {MAX_NODES} parts)",
                                      "split it: define derived parameters for parts of it", None, builder.text)
            if depth > MAX_DEPTH:
                raise builder.error(node, f"the expression is nested too deeply (more than MAX_DEPTH = {MAX_DEPTH} levels)",
                                    "simplify it, or define derived parameters for parts of it")
        for child in ast.iter_child_nodes(node):
            stack.append((child, depth + 1 if isinstance(child, ast.expr) else depth))



"""The expression sandbox: nothing outside the language runs, nothing but the tool's own errors escapes.

Threat model (README, "Expression sandbox"): a scenario file from someone else is read and run. Its
expressions must not reach Python (attributes, dunder names, calls outside the whitelist, lambdas,
comprehensions, f-strings, subscripts), nor exhaust the machine (``10**10**10``, very long or
deeply nested text). Every such construct is refused at parse time, before anything runs, with a
message naming it; what is accepted evaluates to a float64 array of one value per path, or raises
:class:`~riskmodel.expressions.NumericalError`, or gives NaN/inf that the engine reports as a
ScenarioError naming the month and the state.

The property tests generate expressions from a grammar that mixes the language with everything
outside it, and raw text; ``test_ten_thousand_expressions`` runs 12,000 examples, at least 10,000
distinct texts (slow: CI runs it).
"""

from __future__ import annotations

import json
import random
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import riskmodel
from riskmodel.errors import ScenarioError
from riskmodel.expressions import (MAX_DEPTH, MAX_LENGTH, MAX_NODES, EvalContext, ExpressionError, NumericalError,
                                   check_names, compile_expression, parse_expression)

N_PATHS = 6
PARAMETERS = ("a", "b")
STATES = ("x", "y")

# ---- a grammar of expressions, in and out of the language -----------------------------------------

ALLOWED_NAMES = ("a", "b", "x", "y", "t", "pi", "prev")
UNKNOWN_NAMES = ("zz", "open", "eval", "exec", "print", "globals", "os", "sys", "self", "inf", "nan")
DUNDER_NAMES = ("__import__", "__builtins__", "__class__", "_a", "__dict__")
NUMBERS = ("0", "1", "2", "0.5", "3.25", "1e6", "1e-9", "1e300", "1e308", "1e-320", "1e400", "10", "100",
           "True", "False", "1_000", "0x1F", "0o17", "0b101", "5e-324", "1.7976931348623157e308")
FUNCTIONS_1 = ("abs", "exp", "log", "sqrt", "sin", "cos", "poisson", "bernoulli")
FUNCTIONS_2 = ("binomial", "normal", "lognormal", "gamma", "beta", "uniform")
FUNCTIONS_N = ("min", "max")
FUNCTIONS_3 = ("where", "clip")
OPERATORS = ("+", "-", "*", "/", "**", "%", "//")
BAD_OPERATORS = ("^", "&", "|", "<<", ">>", "@")
COMPARISONS = ("<", "<=", ">", ">=", "==", "!=")
BAD_COMPARISONS = ("is", "is not", "in", "not in")

#: Constructs outside the language: (template over one sub-expression {e}, what the message names).
FORBIDDEN = (
    ("{e}.real", "attribute access"),
    ("({e}).__class__", "attribute access"),
    ("{e}[0]", "subscripts"),
    ("{e}[1:2]", "subscripts"),
    ("(lambda q: {e})", "lambda"),
    ("(lambda: {e})()", "lambda"),
    ("[{e} for q in (1, 2)]", "comprehensions"),
    ("{{{e} for q in (1, 2)}}", "comprehensions"),
    ("max(1, ({e} for q in (1, 2)))", "generator expressions"),
    ("f'{{{e}}}'", "f-strings"),
    ("({e} if a else 1)", "conditional expressions"),
    ("(q := {e})", "assignment"),
    ("max(*{e})", "starred"),
    ("poisson(lam={e})", "keyword arguments"),
    ("({e}, 1)", "tuples"),
    ("[{e}]", "lists"),
    ("{{{e}: 1}}", "dicts"),
    ("{{{e}}}", "sets"),
    ("'{e}'", "strings"),
    ("b'1' * {e}", "bytes"),
    ("{e} + 1j", "complex numbers"),
    ("None + {e}", "None"),
    ("open({e})", "calls to 'open'"),
    ("eval({e})", "calls to 'eval'"),
    ("getattr({e}, 'x')", "calls to 'getattr'"),
    ("__import__('os')", "underscore"),
    ("{e} # comment", "comments"),
    ("{e}; 1", "';'"),
)


def _paren(s: str) -> str:
    return f"({s})"


def generate(rnd: random.Random, *, allowed_only: bool = False, depth: int = 0) -> tuple[str, bool]:
    """One expression from the grammar: (text, whether it holds a construct outside the language).

    ``rnd`` comes from hypothesis (``st.randoms``), so examples are reproducible and shrink.
    """
    if depth >= 2 and rnd.random() < 0.25 + 0.12 * depth:
        kind = rnd.choice(["number", "name"] if allowed_only else ["number", "name", "name", "unknown", "dunder"])
        if kind == "number":
            if rnd.random() < 0.5:
                return rnd.choice(NUMBERS), False
            value = rnd.choice([rnd.uniform(-10, 10), rnd.expovariate(1e-3), 10 ** rnd.uniform(-320, 308),
                                float(rnd.randint(-5, 5))])
            return (repr(value) if value >= 0 else f"({value!r})"), False
        if kind == "name":
            return rnd.choice(ALLOWED_NAMES), False
        if kind == "unknown":
            return rnd.choice(UNKNOWN_NAMES), False  # parses; refused when names are resolved
        return rnd.choice(DUNDER_NAMES), True

    def sub():
        return generate(rnd, allowed_only=allowed_only, depth=depth + 1)

    kinds = ["binop", "binop", "unary", "compare", "boolop", "call", "call", "prev_call"]
    if not allowed_only:
        kinds += ["bad_binop", "bad_compare", "forbidden", "bad_call"]
    kind = rnd.choice(kinds)
    if kind in ("binop", "bad_binop", "boolop", "bad_compare"):
        (l, fl), (r, fr) = sub(), sub()
        op = rnd.choice({"binop": OPERATORS, "bad_binop": BAD_OPERATORS, "boolop": ("and", "or"),
                         "bad_compare": BAD_COMPARISONS}[kind])
        return _paren(f"{l} {op} {r}"), fl or fr or kind in ("bad_binop", "bad_compare")
    if kind == "unary":
        op = rnd.choice(["-", "+", "not "] + ([] if allowed_only else ["~"]))
        e, f = sub()
        return _paren(f"{op}{e}"), f or op == "~"
    if kind == "compare":
        parts = [sub() for _ in range(rnd.choice([2, 2, 3]))]
        text = parts[0][0] + "".join(f" {rnd.choice(COMPARISONS)} {p}" for p, _ in parts[1:])
        return _paren(text), any(f for _, f in parts)
    if kind == "call":
        group = rnd.choice([FUNCTIONS_1, FUNCTIONS_2, FUNCTIONS_3, FUNCTIONS_N])
        wanted = {FUNCTIONS_1: 1, FUNCTIONS_2: 2, FUNCTIONS_3: 3, FUNCTIONS_N: rnd.randint(2, 4)}[group]
        if not allowed_only and rnd.random() < 0.1:
            wanted = rnd.randint(0, 4)  # a wrong count now and then: refused, not forbidden
        args = [sub() for _ in range(wanted)]
        return f"{rnd.choice(group)}({', '.join(a for a, _ in args)})", any(f for _, f in args)
    if kind == "prev_call":
        return f"prev({rnd.choice(('x', 'y') if allowed_only else ('x', 'y', 'a', 't', '1'))})", False
    e, _ = sub()
    if kind == "bad_call":
        return f"{rnd.choice(('len', 'range', 'int', 'float', 'round', 'pow', 'zz'))}({e})", True
    template, _ = rnd.choice(FORBIDDEN)
    return template.format(e=e), True


def expressions(*, allowed_only: bool = False):
    """(text, has_forbidden_construct) pairs from the grammar."""
    return st.randoms(use_true_random=True).map(lambda rnd: generate(rnd, allowed_only=allowed_only))


EXPRESSION_ALPHABET = "abxyt prev0123456789.e+-*/%()<>=!,_[]{}:'\"#@^&|~;\\\n\t λπ∞\u00a0\u200b"


def any_text():
    """Raw text: fragments of expressions and anything else, unicode included."""
    return st.one_of(st.text(alphabet=EXPRESSION_ALPHABET, max_size=80), st.text(max_size=40))


def _context(rng_seed: int = 1) -> EvalContext:
    values = {
        "a": np.array([0.0, 1.0, -2.5, 1e300, 1e-300, 7.0]),
        "b": np.array([0.5, 0.0, 3.0, -1e-9, 2.0, 1e6]),
        "x": np.array([1.0, 2.0, 0.0, -1.0, 5e307, 3.0]),
        "y": np.array([0.0, 0.25, 1.0, 10.0, -7.0, 1e-5]),
    }
    prev = {"x": np.array([0.0, 1.0, 2.0, 3.0, -4.0, 1e10]), "y": np.array([1.0, 1.0, 0.0, 0.5, 2.0, -3.0])}
    return EvalContext(values, n=N_PATHS, prev=prev, self_name="x", t=3, rng=np.random.default_rng(rng_seed))


def outcome_of(text: str) -> str:
    """Parse, resolve names, compile and evaluate; the outcome's name. Anything else escaping fails the test."""
    try:
        expr = parse_expression(text)
    except ExpressionError as exc:
        assert exc.message, text
        return "refused"
    try:
        check_names(expr, PARAMETERS + STATES, states=STATES)
    except ExpressionError:
        return "unknown name"
    try:
        fn = compile_expression(expr)
    except ExpressionError as exc:  # sum(x), min(x): a reduction needs a dimensioned value, and none is here;
        # year, month, date(): the calendar needs the scenario's origin, and none is given here
        assert (expr.reductions and "dimension" in exc.message) or (
            (expr.calendar or expr.dates) and "origin" in exc.message), text
        return "refused"
    try:
        out = fn(_context())
    except NumericalError as exc:
        assert exc.function and 0 <= exc.path_index < N_PATHS, text
        return "numerical error"
    assert isinstance(out, np.ndarray) and out.dtype == np.float64 and out.shape == (N_PATHS,), (text, out)
    return "finite" if np.isfinite(out).all() else "non-finite"


# ---- the property: 10,000 expressions ------------------------------------------------------------


@pytest.mark.slow
def test_ten_thousand_expressions():
    seen: Counter = Counter()
    texts: set = set()

    @settings(max_examples=12_000, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(st.one_of(expressions(), expressions(allowed_only=True), expressions(allowed_only=True),
                     any_text().map(lambda s: (s, False))))
    def check(example):
        text, forbidden = example
        outcome = outcome_of(text)
        if forbidden:
            assert outcome == "refused", f"a forbidden construct got through: {text!r} -> {outcome}"
        seen[outcome] += 1
        texts.add(text)

    check()
    print(f"\n{sum(seen.values())} expressions run, {len(texts)} distinct: {dict(seen)}")
    assert len(texts) >= 10_000
    for outcome in ("refused", "unknown name", "finite", "non-finite", "numerical error"):
        assert seen[outcome] >= 50, seen


@settings(max_examples=300, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(expressions())
def test_expressions_quick(example):
    """The same property on a few hundred examples, for a quick local run."""
    text, forbidden = example
    outcome = outcome_of(text)
    assert not forbidden or outcome == "refused", text


# ---- accepted expressions through the engine ------------------------------------------------------

ENGINE_SCENARIO = """\
schema: riskmodel/1
name: sandbox
title: Sandbox
origin: 2024-01
horizon_months: 4
samples: 12
seed: 3
sampler: mc
factors: {{f: {{title: F}}}}
parameters:
  a: {{factor: f, dist: uniform, low: -2, high: 3, evidence: judgment, rationale: test}}
  b: {{factor: f, dist: normal, mu: 0, sigma: 1000, evidence: judgment, rationale: test}}
states:
  y: {{factor: f, update: "t + a"}}
  x: {{factor: f, update: {update}}}
outputs:
  x_end: {{state: x, agg: end}}
  x_max: {{state: x, agg: max}}
"""


def run_as_update(text: str, folder: Path) -> str:
    path = folder / "s.yaml"
    path.write_text(ENGINE_SCENARIO.format(update=json.dumps(text)), encoding="utf-8")  # JSON strings are YAML
    try:
        res = riskmodel.run(path)
    except ScenarioError as exc:
        messages = [p.message for p in exc.problems]
        if any(m.startswith("numerical trouble") for m in messages):
            (problem,) = exc.problems
            assert problem.key_path == ("states", "x", "update"), problem
            assert problem.position.line == 15
            assert problem.message.startswith("numerical trouble in month 2024-0"), problem.message
            assert "(t=" in problem.message and f"update {text!r}" in problem.message
            assert " had a=" in problem.message and ", b=" in problem.message
            return "numerical trouble"
        for p in exc.problems:  # refused when validated: at the update's line
            assert p.key_path[:2] == ("states", "x"), p
        return "refused"
    assert np.isfinite(res.outputs.to_numpy()).all()
    return "ran"


@pytest.mark.slow
def test_accepted_expressions_run_as_a_state_update_or_name_month_and_state():
    seen: Counter = Counter()
    with tempfile.TemporaryDirectory() as folder:

        @settings(max_examples=400, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(expressions(allowed_only=True))
        def check(example):
            seen[run_as_update(example[0], Path(folder))] += 1

        check()
    print(f"\nengine: {dict(seen)}")
    assert seen["ran"] >= 40 and seen["numerical trouble"] >= 40, seen


@pytest.mark.parametrize("update, month", [
    ("1 / (t - 2)", "2024-03"),
    ("log(a)", "2024-01"),
    ("prev * 1e300 * 1e300 + 1", "2024-02"),  # 0 in the first month, then 1e600
    ("exp(exp(t * 10))", "2024-02"),
    ("poisson(a)", "2024-01"),
    ("binomial(10, b)", "2024-01"),
])
def test_numerical_trouble_names_month_and_state(tmp_path, update, month):
    assert run_as_update(update, tmp_path) == "numerical trouble"
    with pytest.raises(ScenarioError, match=f"numerical trouble in month {month} "):
        riskmodel.run(tmp_path / "s.yaml")


# ---- each construct refused by name, before anything runs ------------------------------------------


@pytest.mark.parametrize("template, named", FORBIDDEN, ids=[t for t, _ in FORBIDDEN])
def test_each_forbidden_construct_is_named(template, named):
    with pytest.raises(ExpressionError) as err:
        parse_expression(template.format(e="a"))
    assert named in err.value.message


@pytest.mark.parametrize("text, named", [
    ("10 ** 10 ** 10", "overflows"),
    ("2 ** 2 ** 2 ** 2 ** 2 ** 2", "overflows"),
    ("1e400", "overflows"),
    ("1 / 0", "divides by zero"),
    ("log(-1)", "not a number"),
    ("a + " * 700 + "a", "too long"),
    ("max(" + ", ".join(["1"] * (MAX_NODES + 1)) + ")", "too large"),
    ("(" * (MAX_DEPTH + 1) + "a" + ")" * (MAX_DEPTH + 1), "nested too deeply"),
    ("-" * 150 + "a", "nested too deeply"),
    ("not " * 120 + "a", "nested too deeply"),
    ("a" + " + a" * 200, "nested too deeply"),
    ("a\x00", "control character"),
    ("", "empty"),
])
def test_blow_ups_are_refused_before_anything_runs(text, named):
    assert len(text) <= MAX_LENGTH or named == "too long"
    with pytest.raises(ExpressionError) as err:
        parse_expression(text)
    assert named in err.value.message


def test_no_builtins_reachable_even_through_a_hand_made_tree():
    """compile_expression checks the tree again: a tree altered after parsing is refused too."""
    import ast

    expr = parse_expression("a + 1")
    evil = ast.parse("__import__('os').system('echo pwned')", mode="eval")
    object.__setattr__(expr, "tree", evil)
    with pytest.raises(ExpressionError):
        compile_expression(expr)


def test_a_tree_altered_on_one_parse_does_not_reach_the_next():
    """A text is parsed once per process (expressions._parsed); each call still gives its own Expr, so the
    tree replaced on one (as above) is not what the next parse of the same text returns."""
    import ast

    first = parse_expression("b * 2 + 1")
    object.__setattr__(first, "tree", ast.parse("__import__('os')", mode="eval"))
    again = parse_expression("b * 2 + 1")
    assert again is not first and again == first
    assert ast.unparse(again.tree) == "b * 2 + 1"
    assert compile_expression(again)(EvalContext({"b": np.array([1.0, 3.0])}, n=2)).tolist() == [3.0, 7.0]

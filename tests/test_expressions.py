"""Tests for riskmodel.expressions: the whitelist, the values, the draws, the limits."""

from __future__ import annotations

import doctest
import math
import pickle
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from riskmodel import expressions
from riskmodel.expressions import (
    FUNCTIONS,
    MAX_DEPTH,
    MAX_LENGTH,
    MAX_NODES,
    RANDOM_FUNCTIONS,
    RESERVED_NAMES,
    EvalContext,
    Expr,
    ExpressionError,
    NumericalError,
    check_names,
    compile_expression,
    is_valid_name,
    parse_expression,
)


def run(text, n=None, *, t=0, prev=None, self_name=None, rng=None, **values):
    """Parse, compile and evaluate ``text`` with the given values."""
    if n is None:
        sizes = [np.size(v) for v in list(values.values()) + list((prev or {}).values()) if np.ndim(v) == 1]
        n = sizes[0] if sizes else 3
    values = {k: (np.asarray(v, dtype=np.float64) if np.ndim(v) else v) for k, v in values.items()}
    prev = {k: np.asarray(v, dtype=np.float64) for k, v in (prev or {}).items()}
    ctx = EvalContext(values, n=n, prev=prev, self_name=self_name, t=t, rng=rng)
    return compile_expression(parse_expression(text))(ctx)


# ---------------------------------------------------------------------------
# What is refused, and what the message says
# ---------------------------------------------------------------------------

REFUSED = [
    ("x.y", r"attribute access \(x\.y\) is not allowed"),
    ("np.exp(x)", r"attribute access \(x\.y\) is not allowed"),
    ("x[0]", r"subscripts \(x\[0\]\) are not allowed"),
    ("__import__('os')", r"'__import__': names may not start with an underscore"),
    ("x.__class__", r"attribute access"),
    ("__class__", r"'__class__': names may not start with an underscore"),
    ("open('f')", r"calls to 'open' are not allowed"),
    ("eval('1')", r"calls to 'eval' are not allowed"),
    ("lambda: 1", r"lambda is not allowed"),
    ("[i for i in x]", r"comprehensions \(\[\.\.\. for \.\.\.\]\) are not allowed"),
    ("(i for i in x)", r"generator expressions"),
    ('f"{x}"', r"f-strings are not allowed"),
    ("'s'", r"strings \('\.\.\.'\) are not allowed"),
    ("b's'", r"bytes"),
    ("x if y else z", r"conditional expressions \(a if c else b\) are not allowed; use where\(c, a, b\)"),
    ("(x := 1)", r"assignment expressions \(x := \.\.\.\) are not allowed"),
    ("*x", r"starred expressions \(\*x\) are not allowed"),
    ("max(*x)", r"starred expressions \(\*x\) are not allowed"),
    ("foo(x)", r"calls to 'foo' are not allowed; .*allowed functions: abs, all, any, clip"),
    ("poison(x)", r"calls to 'poison' are not allowed; did you mean 'poisson'\?"),
    ("min()", r"min\(\) takes at least 1 arguments? \(0 given\)"),
    ("x[0]", r"subscripts \(x\[0\]\) are not allowed"),
    ("(x + 1)[a]", r"subscripts"),
    ("date(2024)", r"date\(\) takes a month in quotes"),
    ("date('2024-13')", r"not a month"),
    ("clip(x, 1)", r"clip\(\) takes exactly 3 arguments \(2 given\); write clip\(x, lo, hi\)"),
    ("poisson(1, 2)", r"poisson\(\) takes exactly 1 argument \(2 given\)"),
    ("normal(mu=0, sigma=1)", r"keyword arguments \(mu=\.\.\.\) are not allowed; pass arguments by position"),
    ("exp(**k)", r"keyword arguments \(\*\*\.\.\.\) are not allowed"),
    ("prev(1)", r"prev\(\) takes the bare name of a state"),
    ("prev()", r"prev\(\) takes the bare name of a state"),
    ("prev(x, y)", r"prev\(\) takes the bare name of a state"),
    ("prev(t)", r"prev\(t\): 't' is not a state"),
    ("poisson + 1", r"'poisson' is a function and must be called; write poisson\(lam\)"),
    ("t(1)", r"calls to 't' are not allowed"),
    ("exp(x)(y)", r"only named functions can be called"),
    ("10**10**10", r"the constant expression overflows"),
    ("2**99999", r"the constant expression overflows"),
    ("exp(1000)", r"the constant expression overflows"),
    ("1e999", r"the constant expression overflows"),
    ("9" * 400, r"the constant expression overflows"),
    ("x + 1 / 0", r"the constant expression divides by zero"),
    ("sqrt(-1)", r"the constant expression is not a number"),
    ("x" * 5000, rf"the expression is too long \(5000 characters; MAX_LENGTH is {MAX_LENGTH}\)"),
    ("(" * 200 + "x" + ")" * 200, rf"nested too deeply \(more than MAX_DEPTH = {MAX_DEPTH} brackets\)"),
    ("-" * (MAX_DEPTH + 1) + "x", rf"nested too deeply \(more than MAX_DEPTH = {MAX_DEPTH} levels\)"),
    ("-" * 1999 + "1", r"nested too deeply"),
    ("min(" + ", ".join(["x"] * MAX_NODES) + ")", rf"too large \(more than MAX_NODES = {MAX_NODES} parts\)"),
    ("x ^ 2", r"the operator '\^' is not allowed; use \*\* for powers"),
    ("x & y", r"the operator '&' is not allowed; use 'and'"),
    ("x @ y", r"the operator '@' is not allowed"),
    ("~x", r"the operator '~' is not allowed; use 'not'"),
    ("x is y", r"the comparison 'is' is not allowed"),
    ("x in y", r"the comparison 'in' is not allowed"),
    ("1j", r"complex numbers \(1j\) are not allowed"),
    ("None", r"None is not allowed"),
    ("...", r"'\.\.\.' is not allowed"),
    ("x, y", r"tuples \(a, b\) are not allowed"),
    ("[1]", r"lists \(\[\.\.\.\]\) are not allowed"),
    ("{1: 2}", r"dicts"),
    ("{1}", r"sets"),
    ("x = 1", r"assignment \(=\) is not allowed; use == to compare"),
    ("x += 1", r"assignment \(\+=\) is not allowed"),
    ("import os", r"'import' is not allowed"),
    ("yield x", r"'yield' is not allowed"),
    ("await x", r"'await' is not allowed"),
    ("x; y", r"';' is not allowed"),
    ("x # comment", r"comments \(#\) are not allowed"),
    ("a\x00b", r"control character \(U\+0000\)"),
    ("", r"the expression is empty"),
    ("   \n ", r"the expression is empty"),
    ("1 +", r"syntax error: the expression ends too early"),
    ("(1 + 2", r"syntax error: '\(' was never closed"),
    ("a b", r"syntax error"),
    ("3 $ 4", r"syntax error"),
    (None, r"an expression must be text, not NoneType"),
    (True, r"an expression must be text, not bool"),
]


@pytest.mark.parametrize("text, message", REFUSED, ids=[repr(t)[:30] for t, _ in REFUSED])
def test_refused_with_a_message_naming_the_construct(text, message):
    with pytest.raises(ExpressionError, match=message) as info:
        parse_expression(text)
    assert info.value.message  # what is wrong, always
    assert str(info.value).startswith(info.value.message)


@pytest.mark.parametrize("text, col", [
    ("a + b.c", 4),
    ("  x[0]", 2),  # leading spaces count
    ("\tx[0]", 1),  # a tab is one column
    ("é + x.y", 4),  # columns count characters, not UTF-8 bytes
    ("min(1, 2) + foo(3)", 12),
    ("normal(0, sigma=1)", 10),
    ("1 +", 3),  # the end of the text
    ("(1 + 2", 0),
    ("1 + 2)", 5),
    ("x + 'a'", 4),
    ("prev(2)", 5),
    ("a\n + b.c", 5),  # a newline is one column, the text is read as one line
    ("x # c", 2),
    ("(" * (MAX_DEPTH + 1) + "x" + ")" * (MAX_DEPTH + 1), MAX_DEPTH),
    ("x" * 5000, None),
])
def test_error_column(text, col):
    with pytest.raises(ExpressionError) as info:
        parse_expression(text)
    assert info.value.col == col
    if col is not None and col < len(text):
        assert info.value.text == text


def test_unknown_function_hint_lists_the_allowed_functions():
    with pytest.raises(ExpressionError) as info:
        parse_expression("round(x)")
    for name in list(FUNCTIONS) + list(RANDOM_FUNCTIONS):
        assert name in info.value.hint


def test_errors_survive_pickling():
    with pytest.raises(ExpressionError) as info:
        parse_expression("a + b.c")
    back = pickle.loads(pickle.dumps(info.value))
    assert (back.message, back.hint, back.col, back.text) == (info.value.message, info.value.hint, 4, "a + b.c")
    err = NumericalError("poisson(lam): bad", "poisson", 7, "lam", -1.0)
    back = pickle.loads(pickle.dumps(err))
    assert (back.message, back.function, back.path_index, back.argument, back.value) == ("poisson(lam): bad", "poisson", 7, "lam", -1.0)


def test_limits_are_inclusive():
    assert parse_expression("x" * MAX_LENGTH)  # exactly at the limit
    assert parse_expression("(" * MAX_DEPTH + "x" + ")" * MAX_DEPTH)
    assert parse_expression("-" * (MAX_DEPTH - 1) + "x")  # MAX_DEPTH nodes deep
    assert parse_expression("min(" + ", ".join(["x"] * (MAX_NODES - 2)) + ")")  # call + name + args
    assert parse_expression("1e300").constant == 1e300


def test_a_long_sum_is_not_too_deep():
    # 60 terms: a left-leaning chain 60 deep, well inside the limits
    text = " + ".join(f"x{i}" for i in range(60))
    values = {f"x{i}": np.array([float(i)]) for i in range(60)}
    out = compile_expression(parse_expression(text))(EvalContext(values, n=1))
    assert out.tolist() == [sum(range(60))]


# ---------------------------------------------------------------------------
# Values against hand-computed numbers
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    ("1 + 2 * 3", 7.0),
    ("(1 + 2) * 3", 9.0),
    ("-2 ** 2", -4.0),  # ** binds tighter than unary minus, as in Python
    ("2 ** 3 ** 2", 512.0),  # ** is right-associative
    ("2 ** -1", 0.5),
    ("7 / 2", 3.5),
    ("7 // 2", 3.0),
    ("-7 // 2", -4.0),  # floor division rounds down
    ("-7 % 3", 2.0),  # the remainder takes the divisor's sign
    ("7 % -3", -2.0),
    ("10 - 4 - 3", 3.0),  # left-associative
    ("+3", 3.0),
    ("True + True", 2.0),
    ("1 < 2 < 3", 1.0),
    ("1 < 3 < 2", 0.0),
    ("2 == 2.0", 1.0),
    ("2 != 2", 0.0),
    ("not 0", 1.0),
    ("not 5", 0.0),
    ("1 and 0", 0.0),
    ("0 or 2", 1.0),  # logical, elementwise: a truth value, not Python's operand
    ("sin(pi / 2)", 1.0),
    ("cos(pi)", -1.0),
    ("exp(0)", 1.0),
    ("log(1)", 0.0),
    ("sqrt(16)", 4.0),
    ("abs(-2.5)", 2.5),
    ("min(3, 1, 2)", 1.0),
    ("max(3, 1, 2)", 3.0),
    ("clip(5, 0, 2)", 2.0),
    ("clip(-5, 0, 2)", 0.0),
    ("where(0, 1, 2)", 2.0),
    ("where(3 > 2, 1, 2)", 1.0),
    ("pi", math.pi),
    ("1_000", 1000.0),
])
def test_constant_values(text, expected):
    e = parse_expression(text)
    assert e.constant == pytest.approx(expected, abs=1e-15)
    out = compile_expression(e)(EvalContext(n=4))
    assert out.dtype == np.float64 and out.shape == (4,)
    np.testing.assert_allclose(out, expected, atol=1e-15)


def test_arithmetic_over_paths():
    x = [1.0, 2.0, 3.0]
    y = [2.0, 0.5, -1.0]
    np.testing.assert_array_equal(run("x * 2 + 1", x=x), [3, 5, 7])
    np.testing.assert_array_equal(run("x - y * 2", x=x, y=y), [-3, 1, 5])
    np.testing.assert_array_equal(run("x ** y", x=x, y=y), [1, math.sqrt(2), 1 / 3])
    np.testing.assert_array_equal(run("-x + (x // 2) % 2", x=x), [-1, -1, -2])


def test_division_by_zero_is_quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any RuntimeWarning would fail the test
        out = run("x / y + log(y) * 0", x=[1.0, 0.0, -1.0], y=[0.0, 0.0, 0.0])
    assert out[0] == -np.inf or np.isnan(out[0])  # 1/0 + (-inf * 0) = nan
    assert np.isnan(out).all()
    out = run("x / y", x=[1.0, -1.0, 0.0], y=[0.0, 0.0, 0.0])
    assert out[0] == np.inf and out[1] == -np.inf and np.isnan(out[2])


def test_comparisons_are_chained_and_become_numbers():
    x = [0.5, 1.0, 1.5, 2.0, 2.5]
    np.testing.assert_array_equal(run("1 < x <= 2", x=x), [0, 0, 1, 1, 0])
    np.testing.assert_array_equal(run("x == 2", x=x), [0, 0, 0, 1, 0])
    np.testing.assert_array_equal(run("(x > 1) + (x > 2)", x=x), [0, 0, 1, 1, 2])
    np.testing.assert_array_equal(run("(x > 1) - (x > 2)", x=x), [0, 0, 1, 1, 0])
    np.testing.assert_array_equal(run("-(x > 1)", x=x), [0, 0, -1, -1, -1])
    np.testing.assert_array_equal(run("exp(x > 1)", x=x), np.exp([0, 0, 1, 1, 1]))  # float64, not float16


def test_logic_is_elementwise():
    x = [0.0, 1.0, -2.0, 3.0]
    np.testing.assert_array_equal(run("not x", x=x), [1, 0, 0, 0])
    np.testing.assert_array_equal(run("x > 0 and x < 2", x=x), [0, 1, 0, 0])
    np.testing.assert_array_equal(run("x < 0 or x > 2", x=x), [0, 0, 1, 1])
    np.testing.assert_array_equal(run("x or 0", x=x), [0, 1, 1, 1])
    np.testing.assert_array_equal(run("x and x > 0 and x < 3", x=x), [0, 1, 0, 0])


def test_functions_over_paths():
    x = [-2.0, 0.5, 4.0]
    y = [1.0, 1.0, 1.0]
    np.testing.assert_array_equal(run("where(x > 0, x, -10 * x)", x=x), [20, 0.5, 4])
    np.testing.assert_array_equal(run("min(x, 1)", x=x), [-2, 0.5, 1])
    np.testing.assert_array_equal(run("max(x, y, 2)", x=x, y=y), [2, 2, 4])
    np.testing.assert_array_equal(run("clip(x, 0, 1)", x=x), [0, 0.5, 1])
    np.testing.assert_array_equal(run("abs(x)", x=x), [2, 0.5, 4])
    np.testing.assert_allclose(run("log(exp(x))", x=x), x)
    np.testing.assert_allclose(run("sqrt(x * x)", x=x), [2, 0.5, 4])
    np.testing.assert_allclose(run("sin(x) ** 2 + cos(x) ** 2", x=x), 1.0)
    assert np.isnan(run("min(x, 0 * log(x))", x=x)).tolist() == [True, False, False]  # NaN propagates


def test_prev_t_pi_and_broadcasting():
    prev = {"idps": [10.0, 20.0], "attacks": [1.0, 3.0]}
    np.testing.assert_array_equal(run("prev * 0.5 + prev(attacks)", prev=prev, self_name="idps"), [6, 13])
    np.testing.assert_array_equal(run("prev(idps) - prev(attacks)", prev=prev), [9, 17])
    np.testing.assert_array_equal(run("t * 2 + x", x=[0.0, 1.0], t=5), [10, 11])
    np.testing.assert_array_equal(run("where(t >= 12, 1, 0)", n=2, t=12), [1, 1])
    out = run("c + 1", n=3, c=2.0)  # a Python float is broadcast
    assert out.dtype == np.float64 and out.tolist() == [3, 3, 3]
    np.testing.assert_array_equal(run("pi * x", x=[1.0, 2.0]), [math.pi, 2 * math.pi])
    out = run("3", n=5)
    assert out.dtype == np.float64 and out.tolist() == [3] * 5
    out = run("t", n=2, t=7)
    assert out.dtype == np.float64 and out.tolist() == [7, 7]


def test_temporaries_are_reused_but_inputs_never_written():
    x = np.array([1.0, 2.0, 4.0])
    y = np.array([0.5, -0.5, 2.0])
    keep_x, keep_y, keep_p = x.copy(), y.copy(), x.copy()
    cases = {
        "x * 2 - x": x,
        "1 - x * y": 1 - x * y,
        "(x + 1) / (y + 1) - -(x * y)": (x + 1) / (y + 1) + x * y,
        "2 ** (x - 1) * exp(-y)": 2 ** (x - 1) * np.exp(-y),
        "-prev + sqrt(abs(x * y)) + t / x": -x + np.sqrt(np.abs(x * y)) + 3 / x,
        "y - (x > 1)": y - (x > 1),
    }
    for text, expected in cases.items():
        ctx = EvalContext({"x": x, "y": y}, n=3, prev={"s": x}, self_name="s", t=3)
        np.testing.assert_allclose(compile_expression(parse_expression(text))(ctx), expected, err_msg=text)
    np.testing.assert_array_equal(x, keep_x)
    np.testing.assert_array_equal(y, keep_y)
    np.testing.assert_array_equal(x, keep_p)


def test_integer_inputs_compute_in_float():
    ctx = EvalContext({"k": np.array([1, 2, 4])}, n=3)
    np.testing.assert_array_equal(compile_expression(parse_expression("k ** -1"))(ctx), [1, 0.5, 0.25])


def test_result_is_a_fresh_array():
    x = np.array([1.0, 2.0])
    for text in ("x", "+x", "prev", "prev(x)"):
        ctx = EvalContext({"x": x}, n=2, prev={"x": x}, self_name="x")
        out = compile_expression(parse_expression(text))(ctx)
        assert out is not x and not np.shares_memory(out, x)
        np.testing.assert_array_equal(out, x)


def test_missing_context_is_reported():
    f = compile_expression(parse_expression("a + prev"))
    with pytest.raises(ExpressionError, match="no value for 'a'"):
        f(EvalContext({}, n=2, prev={"s": np.zeros(2)}, self_name="s"))
    with pytest.raises(ExpressionError, match="bare 'prev' needs a state") as info:
        f(EvalContext({"a": 1.0}, n=2))
    assert info.value.col == 4
    with pytest.raises(ExpressionError, match="no previous value for state 'y'"):
        compile_expression(parse_expression("prev(y)"))(EvalContext({}, n=2))
    with pytest.raises(ExpressionError, match=r"poisson\(\) draws at random, and no random generator"):
        compile_expression(parse_expression("poisson(1)"))(EvalContext({}, n=2))


def test_context_of_the_wrong_size():
    f = compile_expression(parse_expression("x + 1"))
    with pytest.raises(ValueError, match=r"gave shape \(3,\), expected \(2,\)"):
        f(EvalContext({"x": np.zeros(3)}, n=2))


def test_compile_takes_an_expr():
    with pytest.raises(TypeError):
        compile_expression("x + 1")


# ---------------------------------------------------------------------------
# What an expression refers to
# ---------------------------------------------------------------------------


def test_references_are_reported():
    e = parse_expression("poisson(base * where(t >= 12, 1.5, 1)) + prev(idps) / 1000 + prev - normal(0, s) * pi")
    assert e.names == {"base", "s"}
    assert e.prev_refs == {"idps"}
    assert e.uses_prev and e.uses_t
    assert e.random_calls == ("poisson", "normal")
    assert e.constant is None

    e = parse_expression("x + prev(x)")
    assert e.names == {"x"} and e.prev_refs == {"x"} and not e.uses_prev and not e.uses_t
    assert e.references == (("x", 0, False), ("x", 9, True))
    assert e.column_of("x") == 0 and e.column_of("y") is None

    e = parse_expression("poisson(poisson(1) + binomial(3, beta(1, 1)))")
    assert e.random_calls == ("poisson", "poisson", "binomial", "beta")  # order of appearance
    assert e.names == frozenset() and e.constant is None

    e = parse_expression("2 ** 10 / 4")
    assert e.constant == 256.0 and e.names == frozenset()


def test_expr_is_frozen_and_compares_by_text():
    a, b = parse_expression("x + 1"), parse_expression("x + 1")
    assert a == b and hash(a) == hash(b) and a != parse_expression("x+1")
    with pytest.raises(AttributeError):
        a.text = "y"  # type: ignore[misc]
    assert isinstance(a, Expr)


def test_check_names():
    e = parse_expression("poisson(atacks) + prev(idp)")
    with pytest.raises(ExpressionError, match=r"unknown name 'atacks'; did you mean 'attacks'\?") as info:
        check_names(e, {"attacks", "idps"})
    assert info.value.col == 8
    with pytest.raises(ExpressionError, match=r"prev\(idp\): 'idp' is not a state; did you mean 'idps'\?") as info:
        check_names(e, {"atacks", "idps"}, states={"idps"})
    assert info.value.col == 23
    check_names(parse_expression("a + prev(s)"), {"a", "s"})
    with pytest.raises(ExpressionError, match=r"known: a, b"):
        check_names(parse_expression("zzz"), {"a", "b"})


def test_reserved_and_valid_names():
    for name in ("prev", "t", "pi", "poisson", "where", "min", "if", "lambda", "True"):
        assert name in RESERVED_NAMES and not is_valid_name(name)
    for name in ("attacks", "idps_end", "x1", "déplacés"):
        assert is_valid_name(name)
    for name in ("_x", "1x", "a-b", "", "ﬁ", 3):
        assert not is_valid_name(name)


def test_module_doctests():
    from riskmodel import exprcompile

    assert doctest.testmod(expressions).failed == 0
    assert doctest.testmod(exprcompile).failed == 0


# ---------------------------------------------------------------------------
# Random draws
# ---------------------------------------------------------------------------


def draw(text, n, seed=1, **values):
    return run(text, n=n, rng=np.random.default_rng(seed), **values)


def test_poisson_mean_and_variance():
    n, lam = 200_000, 3.0
    x = draw("poisson(3)", n)
    assert x.dtype == np.float64 and x.shape == (n,)
    # standard error of the mean: sqrt(lam / n); of the sample variance: sqrt((mu4 - sigma^4) / n),
    # with the Poisson central moments sigma^2 = lam and mu4 = lam * (1 + 3 lam): sqrt((lam + 2 lam^2) / n)
    assert abs(x.mean() - lam) < 4 * math.sqrt(lam / n)
    assert abs(x.var(ddof=1) - lam) < 4 * math.sqrt((lam + 2 * lam**2) / n)


def test_binomial_rounds_n_to_the_nearest_whole_number():
    n = 200_000
    x = draw("binomial(10.4, 0.3)", n)
    # n rounded to 10: mean 10 * 0.3 = 3.0, standard error sqrt(10 * 0.3 * 0.7 / n)
    assert abs(x.mean() - 3.0) < 4 * math.sqrt(10 * 0.3 * 0.7 / n)
    assert x.max() <= 10
    # with p = 1 every draw is n itself: halves round up
    np.testing.assert_array_equal(draw("binomial(k, 1)", 6, k=[0.4, 0.5, 1.49, 2.5, 7.5, -0.4]), [0, 1, 1, 3, 8, 0])


@pytest.mark.parametrize("text, mean, sd", [
    # (expression, exact mean, exact standard deviation) of the distribution
    ("bernoulli(0.25)", 0.25, math.sqrt(0.25 * 0.75)),
    ("normal(2, 3)", 2.0, 3.0),
    ("log(lognormal(1, 0.5))", 1.0, 0.5),  # parameters of the underlying normal
    ("gamma(2, 3)", 6.0, math.sqrt(2) * 3),  # mean k theta, variance k theta^2
    ("beta(2, 6)", 0.25, math.sqrt(2 * 6 / (8**2 * 9))),  # ab / ((a+b)^2 (a+b+1))
    ("uniform(2, 4)", 3.0, 2 / math.sqrt(12)),
])
def test_draw_means(text, mean, sd):
    n = 50_000
    x = draw(text, n, seed=7)
    assert x.dtype == np.float64 and x.shape == (n,)
    assert abs(x.mean() - mean) < 4 * sd / math.sqrt(n)  # 4 standard errors of the mean
    assert abs(x.std() - sd) < 0.05 * sd


def test_draws_are_reproducible_and_fresh():
    a = draw("poisson(3) + normal(0, 1) * uniform(0, 1)", 1000, seed=5)
    b = draw("poisson(3) + normal(0, 1) * uniform(0, 1)", 1000, seed=5)
    c = draw("poisson(3) + normal(0, 1) * uniform(0, 1)", 1000, seed=6)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    d = draw("normal(0, 1) - normal(0, 1)", 1000)  # each call is a fresh draw
    assert np.all(d != 0)
    assert len(np.unique(draw("normal(0, 1)", 1000))) == 1000  # one draw per path
    f = compile_expression(parse_expression("normal(0, 1)"))
    ctx = EvalContext(n=10, rng=np.random.default_rng(0))
    assert not np.array_equal(f(ctx), f(ctx))  # a fresh draw on every evaluation


def test_draw_arguments_per_path():
    np.testing.assert_array_equal(draw("normal(x, 0)", 3, x=[1.0, -2.0, 5.0]), [1, -2, 5])
    np.testing.assert_array_equal(draw("bernoulli(p)", 3, p=[0.0, 1.0, 0.0]), [0, 1, 0])
    np.testing.assert_array_equal(draw("poisson(x)", 3, x=[0.0, 0.0, 0.0]), [0, 0, 0])


@pytest.mark.parametrize("text, values, function, argument, index", [
    ("poisson(x)", {"x": [1.0, 2.0, -1.0, -5.0]}, "poisson", "lam", 2),
    ("poisson(x)", {"x": [1.0, np.nan, 1.0, 1.0]}, "poisson", "lam", 1),
    ("poisson(x)", {"x": [1.0, 1.0, 1.0, np.inf]}, "poisson", "lam", 3),
    ("poisson(-1)", {}, "poisson", "lam", 0),
    ("bernoulli(x)", {"x": [0.5, 1.5, 0.5, 0.5]}, "bernoulli", "p", 1),
    ("binomial(x, 0.5)", {"x": [3.0, 3.0, 3.0, -2.0]}, "binomial", "n", 3),
    ("binomial(3, x)", {"x": [0.1, -0.1, 0.0, 0.0]}, "binomial", "p", 1),
    ("binomial(1e30, 0.5)", {}, "binomial", "n", 0),
    ("normal(0, x)", {"x": [1.0, 1.0, -1.0, 1.0]}, "normal", "sigma", 2),
    ("normal(x, 1)", {"x": [1.0, np.inf, 1.0, 1.0]}, "normal", "mu", 1),
    ("lognormal(0, x)", {"x": [-1.0, 1.0, 1.0, 1.0]}, "lognormal", "sigma", 0),
    ("gamma(x, 1)", {"x": [1.0, 1.0, 1.0, -1.0]}, "gamma", "shape", 3),
    ("gamma(1, x)", {"x": [1.0, -1.0, 1.0, 1.0]}, "gamma", "scale", 1),
    ("beta(x, 1)", {"x": [1.0, 0.0, 1.0, 1.0]}, "beta", "a", 1),
    ("beta(1, x)", {"x": [1.0, 1.0, np.nan, 1.0]}, "beta", "b", 2),
    ("uniform(x, 2)", {"x": [1.0, 1.0, 3.0, 1.0]}, "uniform", "high", 2),
    ("uniform(x, y)", {"x": [0.0, 0.0, -1e308, 0.0], "y": [1.0, 1.0, 1e308, 1.0]}, "uniform", "high", 2),
])
def test_invalid_draw_arguments(text, values, function, argument, index):
    with pytest.raises(NumericalError) as info:
        draw(text, 4, **values)
    err = info.value
    assert (err.function, err.argument, err.path_index) == (function, argument, index)
    assert f"at path {index}" in err.message and function in str(err)


# ---------------------------------------------------------------------------
# Property: anything either parses or is refused cleanly; what parses evaluates cleanly
# ---------------------------------------------------------------------------

ATOMS = ["x", "y", "s", "t", "pi", "prev", "prev(x)", "prev(s)", "0", "1", "2.5", "-3", "1e300", "1e-300",
         "True", "False", "0.0", "1e18", "10", "0.5", "-0.5", "1e308"]
FORBIDDEN = ["x.y", "x[0]", "'s'", "lambda: 1", "f'{x}'", "open('f')", "foo(x)", "__x", "*x", "(x := 1)",
             "x if y else x", "None", "1j", "[1]", "{1: 2}", "x, y", "normal(mu=1, sigma=1)", "poisson",
             "x ^ y", "~x", "x is y", "# c", "import os", "prev(1)", "min()", "10**10**10", "1/0", "\\",
             "yield", "=", ";", "(", ")", ",", ":", "\x00", "é", "\n"]
CALLS = sorted(FUNCTIONS) + sorted(RANDOM_FUNCTIONS) + ["prev", "foo", "poison"]
ARITY = {**{name: (lo, hi or 4) for name, (lo, hi) in FUNCTIONS.items()},
         **{name: (k, k) for name, k in RANDOM_FUNCTIONS.items()}}
BINOPS = ["+", "-", "*", "/", "**", "%", "//", "<", "<=", ">", ">=", "==", "!=", "and", "or"]

leaves = st.one_of(
    st.sampled_from(ATOMS),
    st.sampled_from(ATOMS),  # weigh allowed pieces more
    st.sampled_from(FORBIDDEN),
    st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=6),  # control characters come from FORBIDDEN
)


def _call(name, children):
    lo, hi = ARITY[name]
    return st.lists(children, min_size=lo, max_size=hi).map(lambda args: f"{name}({', '.join(args)})")


def _extend(children):
    return st.one_of(
        st.tuples(children, st.sampled_from(BINOPS), children).map(lambda p: f"({p[0]} {p[1]} {p[2]})"),
        st.tuples(children, st.sampled_from(BINOPS), children).map(lambda p: f"{p[0]} {p[1]} {p[2]}"),
        st.tuples(st.sampled_from(["-", "+", "not "]), children).map(lambda p: f"{p[0]}{p[1]}"),
        st.one_of([_call(name, children) for name in sorted(ARITY)]),  # the right number of arguments
        st.tuples(st.sampled_from(CALLS), st.lists(children, max_size=4)).map(lambda p: f"{p[0]}({', '.join(p[1])})"),
    )


expression_texts = st.recursive(leaves, _extend, max_leaves=14)
finite = st.floats(allow_nan=False, allow_infinity=False, width=64)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=expression_texts, data=st.lists(finite, min_size=4, max_size=4), t=st.integers(0, 500), seed=st.integers(0, 2**32))
def test_property_parse_or_refuse_then_evaluate(text, data, t, seed):
    try:
        e = parse_expression(text)
    except ExpressionError as err:
        assert err.message
        return
    n = 4
    base = np.array(data, dtype=np.float64)
    values = {name: np.roll(base, i) for i, name in enumerate(sorted(e.names))}
    prev = {name: np.roll(base, -i) for i, name in enumerate(sorted(e.prev_refs | {"s"}))}
    ctx = EvalContext(values, n=n, prev=prev, self_name="s", t=t, rng=np.random.default_rng(seed))
    before = [(v, v.copy()) for v in list(values.values()) + list(prev.values())]
    if e.reductions:  # sum(x), min(x): no name is dimensioned here, so the compiler refuses the reduction
        with pytest.raises(ExpressionError, match="dimension"):
            compile_expression(e)
        return
    f = compile_expression(e)
    try:
        out = f(ctx)
    except NumericalError as err:
        assert 0 <= err.path_index < n and err.function in RANDOM_FUNCTIONS
        return
    finally:
        for value, copy in before:  # the context's arrays are never written to
            np.testing.assert_array_equal(value, copy)
    assert isinstance(out, np.ndarray) and out.dtype == np.float64 and out.shape == (n,)


# An independent oracle for arithmetic: the same text evaluated by NumPy's own operators on float64
# arrays (trusted, generated text; the library itself never evaluates text).
_ARITH_ATOMS = [("x", "x"), ("y", "y"), ("2.5", "F(2.5)"), ("3", "F(3)"), ("0.5", "F(0.5)"), ("(-1.5)", "F(-1.5)")]


def _arith_extend(children):
    return st.one_of(
        st.tuples(children, st.sampled_from(["+", "-", "*", "/", "**", "%", "//"]), children).map(
            lambda p: (f"({p[0][0]} {p[1]} {p[2][0]})", f"({p[0][1]} {p[1]} {p[2][1]})")),
        children.map(lambda c: (f"(-{c[0]})", f"(-{c[1]})")),
    )


arithmetic = st.recursive(st.sampled_from(_ARITH_ATOMS), _arith_extend, max_leaves=10)


@settings(max_examples=200, deadline=None)
@given(pair=arithmetic, xs=st.lists(st.floats(-10, 10), min_size=3, max_size=3),
       ys=st.lists(st.floats(-10, 10), min_size=3, max_size=3))
def test_property_arithmetic_matches_numpy(pair, xs, ys):
    text, oracle = pair
    x, y = np.array(xs), np.array(ys)
    with np.errstate(all="ignore"):
        # constants as arrays, so every operation runs NumPy's ufunc loops (scalar math may differ by an ulp)
        expected = eval(oracle, {"__builtins__": {}}, {"x": x, "y": y, "F": lambda v: np.full(3, v, dtype=np.float64)})  # noqa: S307
    try:
        e = parse_expression(text)
    except ExpressionError as err:  # only a constant part going wrong may refuse well-formed arithmetic
        assert "constant expression" in err.message
        return
    out = compile_expression(e)(EvalContext({"x": x, "y": y}, n=3))
    # NumPy computes x ** 0.5 with a float exponent through another loop than with an array exponent
    # (found by this test: 1.6741369044973593 vs ...590, one ulp); later operations may carry such an
    # ulp along, so the comparison allows 1e-12 relative, far above that noise and far below any meaning.
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-300, equal_nan=True)

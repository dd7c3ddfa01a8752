"""Checks of :func:`riskmodel.validate.validate` that stand on their own: names, windows of months,
cycles, the correlation matrix, and the warnings about ``--set`` overrides; each adds its problems to
the shared checker (:class:`riskmodel._validate_structure._Checker`).
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from . import expressions as _expr
from ._validate_structure import _brief, _Checker
from .model import Correlation, Month, Scenario
from .schema import NAME_MAX

RESERVED_NAMES = _expr.RESERVED_NAMES


def _freeze(value: Any) -> Any:
    return tuple(float(v) for v in value) if isinstance(value, list) else float(value)


def _has_cites(tree: Any) -> bool:
    for section in ("factors", "parameters", "schedules"):
        items = tree.get(section)
        if isinstance(items, dict) and any(isinstance(v, dict) and v.get("cite") for v in items.values()):
            return True
    return False


def _check_name(c: _Checker, key_path: tuple, name: Any) -> None:
    import re

    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name):
        c.add(key_path, f"{_brief(name)} is not a valid name",
              "use letters, digits and _, starting with a letter (names appear in expressions)")
    elif len(name) > NAME_MAX:
        c.add(key_path, f"a name of {len(name)} characters is too long",
              f"use at most {NAME_MAX} characters (names become file names and column headers)")
    elif name in RESERVED_NAMES:
        c.add(key_path, f"'{name}' is reserved in expressions", "choose another name")


def _check_window(c: _Checker, here: tuple, start: Month | None, until: Month | None,
                  origin: Month | None, last: Month | None, *, until_in_horizon: bool = False) -> None:
    """``from``/``until`` of an intervention or output: in order, overlapping the horizon; an output's
    ``until`` (``until_in_horizon``) inside it, since it names the last month the output adds up."""
    if start is not None and until is not None and until < start:
        c.add(here + ("until",), f"until {until} is before from {start}", "until is inclusive and must not precede from")
    if origin is None or last is None or start is None:
        return
    if start > last:
        c.add(here + ("from",), f"from {start} is after the horizon ends ({last})", f"use a month from {origin} to {last}")
    if until is not None and until < origin:
        c.add(here + ("until",), f"until {until} is before the origin ({origin})", f"use a month from {origin} to {last}")
    elif until is not None and until_in_horizon and until > last:
        c.add(here + ("until",), f"until {until} is after the horizon ends ({last}); the output would cover "
              "months that are not simulated", f"use a month from {origin} to {last}, or leave until out")


def _report_cycles(c: _Checker, deps: Mapping[str, set], section: str, key: str, what: str) -> None:
    """Report each cycle in a dependency graph once, at its first member."""
    state = {n: 0 for n in deps}  # 0 new, 1 on stack, 2 done
    reported: set = set()

    def visit(node: str, stack: list) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(deps.get(node, ())):
            if nxt not in state:
                continue
            if state[nxt] == 1:
                cycle = stack[stack.index(nxt):] + [nxt]
                members = frozenset(cycle)
                if members not in reported:
                    reported.add(members)
                    c.add((section, cycle[0].split("[")[0], key), f"cycle among {what}: {' -> '.join(cycle)}",
                          "break the cycle" + ("; refer to last month's value with prev(x)" if section == "states" else ""))
            elif state[nxt] == 0:
                visit(nxt, stack)
        stack.pop()
        state[node] = 2

    for node in deps:
        if state[node] == 0:
            visit(node, [])


def _check_correlation_matrix(c: _Checker, correlations: list[Correlation]) -> None:
    if not correlations:
        return
    names = sorted({x for cor in correlations for x in (cor.a, cor.b)})
    index = {n: i for i, n in enumerate(names)}
    from . import sampling as _sampling  # SciPy's qmc: only when there are correlations to check

    m = np.eye(len(names))
    for cor in correlations:
        m[index[cor.a], index[cor.b]] = m[index[cor.b], index[cor.a]] = cor.rho
    if not _sampling.is_positive_definite(m):
        near = _sampling.nearest_correlation(m, min_eigenvalue=0.01)  # stays valid after rounding to 2 decimals
        fixes = ", ".join(f"[{cor.a}, {cor.b}, {near[index[cor.a], index[cor.b]]:.2f}]" for cor in correlations)
        c.add(("correlations",), "the correlations do not form a positive definite matrix "
              f"(smallest eigenvalue {np.linalg.eigvalsh(m).min():.3f})",
              f"the nearest valid correlations are {fixes}")


def _number_forms(value) -> set:
    """Ways a title may state a number: ``200000``, ``200,000``, ``200 000``, ``200k``, ``0.5``, ``50%``."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return set()
    forms = set()
    if x == int(x):
        i = int(x)
        forms |= {str(i), f"{i:,}", f"{i:,}".replace(",", " ")}
        if i and i % 1000 == 0:
            forms |= {f"{i // 1000}k", f"{i // 1000},000"}
        if i and i % 1_000_000 == 0:
            forms |= {f"{i // 1_000_000} million", f"{i // 1_000_000}M"}
    else:
        forms.add(repr(x))
        if 0 < x < 1:
            forms.add(f"{x * 100:g}%")
    return {f for f in forms if f}


def override_warnings(scenario: Scenario) -> list:
    """Warnings about ``--set`` overrides that leave a title stating the old value (a risk's threshold).

    A title such as "More than 200,000 displaced" still reads 200,000 after
    ``--set risks.idps_200k.threshold=3e5``: the register would then print a
    title that contradicts its own threshold.
    """
    import re as _re

    out = []
    for key, value, before in scenario.overrides:
        parts = key.split(".")
        if len(parts) != 3 or parts[0] != "risks" or parts[2] != "threshold" or before is None:
            continue
        ref = parts[1]
        risk = next((r for i, r in enumerate(scenario.risks) if r.id == ref or str(i) == ref), None)
        if risk is None:
            continue
        stated = [f for f in _number_forms(before)
                  if _re.search(r"(?<![\d.,])" + _re.escape(f) + r"(?![\d]|,\d)", risk.title)]
        if stated and not any(_re.search(r"(?<![\d.,])" + _re.escape(f) + r"(?![\d]|,\d)", risk.title)
                              for f in _number_forms(value)):
            shown = int(value) if isinstance(value, float) and value.is_integer() else value
            out.append(f"--set {key}={shown}: the title of risk {risk.id} still states the old threshold "
                       f"({max(stated, key=len)!r} in \"{risk.title}\"); give it a title that matches, e.g. "
                       f"--set 'risks.{risk.id}.title=...'")
    return out

"""riskmodel: transparent, source-cited Monte Carlo scenario risk assessment.

The pipeline, one stage a module: ``load`` -> ``validate`` -> (compile ->
simulate -> analyse -> render). Every stage is a library call; the CLI in
:mod:`riskmodel.cli` is a thin layer on top.
"""

__version__ = "0.2.0"

import sys
import time as _time

#: When the package was first imported (seconds since the epoch): a bound on the start-up a run reports.
IMPORTED_AT = _time.time()

from .errors import EnvironmentFailure, Position, Problem, ScenarioError

# Every other public name is imported on first use (PEP 562), so that
# ``import riskmodel`` and the CLI's start-up stay free of NumPy, SciPy, pandas
# and matplotlib until a stage that needs them is called.
_LAZY = {
    "LoadedDocument": "load", "load": "load",
    "Scenario": "model",
    "validate": "validate",
    "CompiledModel": "compile", "compile_scenario": "compile",
    "simulate": "simulate",
    "risk_register": "analyse",
    "Results": "results",
    "compare": "pipeline", "report": "pipeline", "run": "pipeline", "write_report": "pipeline",
    "Outcomes": "outcomes", "load_outcomes": "outcomes",
    "Backtest": "backtest", "backtest": "backtest", "write_backtest_folder": "backtest",
    "Explanation": "sensitivity", "explain": "sensitivity", "given_data": "sensitivity",
    "judgment_share": "judgment", "tornado": "sensitivity",
    "Posterior": "update", "update": "update",
    "Signposts": "signposts", "signposts": "signposts",
}


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'riskmodel' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


class _Package(type(sys)):
    """Keeps a stage's function from being shadowed by its module of the same name.

    Importing ``riskmodel.validate`` (the module) would otherwise bind
    ``riskmodel.validate`` to the module instead of the function, as the eager
    imports this file once made did not allow.
    """

    def __setattr__(self, name, value):
        if name in _LAZY and isinstance(value, type(sys)):
            return  # the submodule stays reachable through sys.modules
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


__all__ = [
    # stages
    "load",
    "validate",
    "compile_scenario",
    "simulate",
    "risk_register",
    "run",
    "compare",
    "report",
    "write_report",
    "load_outcomes",
    "backtest",
    "write_backtest_folder",
    "explain",
    "given_data",
    "tornado",
    "judgment_share",
    "update",
    "signposts",
    # data
    "LoadedDocument",
    "Scenario",
    "CompiledModel",
    "Results",
    "Outcomes",
    "Backtest",
    "Explanation",
    "Posterior",
    "Signposts",
    # errors
    "ScenarioError",
    "EnvironmentFailure",
    "Problem",
    "Position",
    "__version__",
]

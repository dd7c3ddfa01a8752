"""riskmodel: transparent, source-cited Monte Carlo scenario risk assessment.

The pipeline, one stage a module: ``load`` -> ``validate`` -> (compile ->
simulate -> analyse -> render). Every stage is a library call; the CLI in
:mod:`riskmodel.cli` is a thin layer on top.
"""

__version__ = "0.1.0"

from .errors import Position, Problem, ScenarioError
from .load import LoadedDocument, load
from .model import Scenario
from .validate import validate
from .compile import CompiledModel, compile_scenario
from .simulate import simulate
from .analyse import risk_register
from .results import Results
from .pipeline import run

__all__ = [
    # stages
    "load",
    "validate",
    "compile_scenario",
    "simulate",
    "risk_register",
    "run",
    # data
    "LoadedDocument",
    "Scenario",
    "CompiledModel",
    "Results",
    # errors
    "ScenarioError",
    "Problem",
    "Position",
    "__version__",
]

"""riskmodel: transparent, source-cited Monte Carlo scenario risk assessment.

The pipeline, one stage a module: ``load`` -> ``validate`` -> (compile ->
simulate -> analyse -> render). Every stage is a library call; the CLI in
:mod:`riskmodel.cli` is a thin layer on top.
"""

__version__ = "0.1.0"

from .errors import EnvironmentFailure, Position, Problem, ScenarioError
from .load import LoadedDocument, load
from .model import Scenario
from .validate import validate
from .compile import CompiledModel, compile_scenario
from .simulate import simulate
from .analyse import risk_register
from .results import Results
from .pipeline import compare, report, run
from .outcomes import Outcomes, load_outcomes
from .backtest import Backtest, backtest, write_backtest_folder
from .sensitivity import Explanation, explain, given_data, judgment_share, tornado
from .update import Posterior, update
from .signposts import Signposts, signposts

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

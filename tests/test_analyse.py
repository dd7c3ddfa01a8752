"""The register's Monte Carlo error, against hand-computed values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from riskmodel.analyse import risk_register, wilson_interval
from riskmodel.model import Month, Risk, Scenario
from riskmodel.results import Results


def test_wilson_interval_hand_computed():
    # k = 10, n = 100, z = 1.96: centre (0.1 + 1.9208/100) / 1.038416 = 0.114798,
    # half 1.96 sqrt(0.0009 + 0.000096040) / 1.038416 = 0.059574 -> [0.0552, 0.1744]
    lo, hi = wilson_interval(10, 100)
    assert lo == pytest.approx(0.05522, abs=1e-4) and hi == pytest.approx(0.17437, abs=1e-4)
    lo, hi = wilson_interval(0, 50)  # stays inside [0, 1] with a positive upper end
    # k = 0: exactly 0 and z^2/n / (1 + z^2/n) = 0.076832 / 1.076832 = 0.071350
    assert lo == pytest.approx(0, abs=1e-12) and hi == pytest.approx(0.071350, abs=1e-5)


def test_risk_indicator_directions():
    v = np.array([1.0, 2.0, 3.0])
    assert Risk("a", "A", "f", "y", 2, "above").exceeded(v).tolist() == [False, False, True]
    assert Risk("b", "B", "f", "y", 2, "below").exceeded(v).tolist() == [True, False, False]


def test_risk_register_counts_and_errors():
    outputs = pd.DataFrame({"y": np.arange(1000, dtype=float)})
    res = Results(outputs=outputs, parameters=pd.DataFrame(), bands=pd.DataFrame(), register=pd.DataFrame(), meta={})
    sc = Scenario(name="s", title="S", origin=Month(2024, 1), horizon_months=1, samples=1000, seed=1, sampler="mc",
                  risks=(Risk("hi", "High", "f", "y", 899.5, "above"), Risk("lo", "Low", "f", "y", 10, "below")))
    reg = risk_register(res, sc).set_index("risk")
    assert reg.loc["hi", "likelihood"] == 0.1 and reg.loc["lo", "likelihood"] == 0.01
    assert reg.loc["hi", "se"] == pytest.approx(np.sqrt(0.1 * 0.9 / 1000))
    assert reg.loc["hi", "ci_low"] < 0.1 < reg.loc["hi", "ci_high"]

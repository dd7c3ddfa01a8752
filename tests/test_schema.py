"""The JSON Schema describes each distribution's own keys; an unknown key gets a hint from them."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from ruamel.yaml import YAML

from riskmodel import distributions as dist
from riskmodel.schema import json_schema, parameter_keys

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads(json_schema())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)

# one valid parameter per kind, written by hand (values as a file would give them)
VALID = {
    "normal": {"mu": 2, "sigma": 1},
    "lognormal": {"ci90": [700, 1500]},
    "pert": {"low": 1, "mode": 2, "high": 5},
    "triangular": {"low": 1, "mode": 2, "high": 5},
    "uniform": {"low": 1, "high": 5},
    "beta": {"a": 2, "b": 3},
    "gamma": {"shape": 2, "scale": 3},
    "bernoulli": {"p": 0.3},
    "discrete": {"values": [1, 2], "weights": [0.5, 0.5]},
    "constant": {"value": 4},
}
DUMMY = {"ci90": [1, 2], "values": [1, 2], "weights": [0.5, 0.5], "bounds": [0, None]}


def scenario_with(parameter: dict) -> dict:
    return {"schema": "riskmodel/1", "name": "s", "title": "S", "origin": "2024-01", "horizon_months": 12,
            "factors": {"f": {"title": "F"}},
            "parameters": {"x": {"factor": "f", "evidence": "judgment", "rationale": "r", **parameter}}}


def accepted(parameter: dict) -> bool:
    return VALIDATOR.is_valid(scenario_with(parameter))


def test_every_kind_has_a_case_here():
    assert set(VALID) == set(dist.DIST_KEYS)


@pytest.mark.parametrize("kind", sorted(VALID))
def test_schema_accepts_exactly_the_keys_the_validator_accepts(kind):
    """For each kind, every distribution key is allowed by the schema iff check_distribution allows it."""
    base = {"dist": kind, **VALID[kind]}
    assert accepted(base)
    assert dist.check_distribution(kind, VALID[kind]) == []
    all_dist_keys = {k for spec in dist.DIST_KEYS.values() for k in spec.keys}
    for key in sorted(all_dist_keys - set(base)):
        value = DUMMY.get(key, 0.5)
        complaints = [p for p in dist.check_distribution(kind, {**VALID[kind], key: value}) if p[0] == key]
        schema_ok = accepted({**base, key: value})
        # the validator rejects a key that does not apply to the kind, or one from an alternative set
        assert schema_ok == (not complaints), (kind, key, complaints)
    assert accepted({**base, "bounds": [0, None]})
    assert not accepted({**base, "formula": "1 + 1"})


def test_normal_lists_mu_sigma_ci90_and_not_the_other_kinds_keys():
    branch = next(b for b in SCHEMA["$defs"]["ParameterModel"]["allOf"]
                  if b["if"]["properties"]["dist"] == {"const": "normal"})
    keys = set(branch["then"]["properties"])
    assert {"mu", "sigma", "ci90", "bounds", "dist"} <= keys
    assert not keys & {"low", "mode", "high", "lamb", "a", "b", "shape", "scale", "p", "values", "weights",
                       "value", "formula"}
    # a normal needs mu and sigma, or ci90, and not both
    assert not accepted({"dist": "normal", "mu": 1})
    assert not accepted({"dist": "normal", "mu": 1, "sigma": 1, "ci90": [0, 2]})
    assert accepted({"dist": "normal", "ci90": [0, 2]})


def test_derived_parameter_takes_formula_and_no_distribution_key():
    assert accepted({"evidence": "derived", "formula": "2 * 3"})
    assert not accepted({"evidence": "derived", "formula": "2 * 3", "mu": 1})
    assert not accepted({"evidence": "derived"})


def test_common_keys_come_from_one_place():
    """A common field (factor, cite, ...) is in every branch; the branches differ only in drawing keys."""
    common = set(parameter_keys(None)) - {"formula"}
    for kind in dist.DIST_KEYS:
        assert common <= set(parameter_keys(kind))
        assert set(parameter_keys(kind)) - common == {"dist", "bounds", *dist.DIST_KEYS[kind].keys}


def test_committed_files_satisfy_the_schema():
    yaml = YAML(typ="safe")
    files = [ROOT / "scenarios" / "examples" / "minimal.yaml", ROOT / "benchmarks" / "mali_shape.yaml",
             *sorted((ROOT / "scenarios" / "mali").glob("*.yaml"))]
    checked = 0
    for path in files:
        data = yaml.load(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("schema") != "riskmodel/1" or "extends" in data:
            continue
        data = json.loads(json.dumps(data, default=str))  # months read as dates become text, as in the file
        errors = sorted(VALIDATOR.iter_errors(data), key=str)
        assert not errors, f"{path}: {errors[0].message}"
        checked += 1
    assert checked >= 2


@pytest.mark.parametrize("kind, wrong, right", [
    ("normal", "sd", "sigma"), ("normal", "mean", "mu"), ("normal", "sigm", "sigma"),
    ("pert", "max", "high"), ("pert", "hihg", "high"), ("beta", "alpha", "a"), ("gamma", "theta", "scale"),
    ("lognormal", "ci", "ci90"), ("bernoulli", "prob", "p"),
])
def test_key_hint_comes_from_the_kinds_own_keys(kind, wrong, right):
    assert dist.key_hint(wrong, parameter_keys(kind)) == f"did you mean '{right}'?"


def test_key_hint_never_suggests_another_kinds_key():
    assert dist.key_hint("sd", parameter_keys("gamma")) == ""  # gamma has no sigma
    assert dist.key_hint("scale", dist.DIST_KEYS["normal"].keys) == "did you mean 'sigma'?"
    assert dist.key_hint("theta", dist.DIST_KEYS["normal"].keys) == ""

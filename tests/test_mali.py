"""The shipped Mali case: every file validates, every run is sane, the variants move the way the model says.

Each variant is run with the baseline's seed and number of paths, so parameter
draws and each state's random stream are common random numbers (README:
streams are keyed by block and by name). Directional checks use the paired
difference per path, d = variant - baseline, and its Monte Carlo standard
error se = std(d) / sqrt(n); an effect is asserted only beyond 3 se, so a
correct model fails a check by chance with probability about 0.1% (one-sided
normal tail; n = 2,000 paths is ample for the central limit theorem, and the
iid formula is conservative for Latin hypercube designs).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import riskmodel
from riskmodel.sources import load_registry

ROOT = Path(__file__).resolve().parents[1]
MALI = ROOT / "scenarios" / "mali"
BASELINE = MALI / "baseline.yaml"
VARIANTS = ("regional-force", "wagner-exit", "wagner-surge", "ceasefire-holds", "war-continues")
FILES = [BASELINE] + [MALI / f"{v}.yaml" for v in VARIANTS]

N = 2000
SEED = 12345
Z = 3.0  # one-sided 3-sigma: chance of a false failure about 0.0013 per check

# Extra outputs added to every run (outputs never change a draw): attacks before
# and during the regional force's window, abuses before and after Wagner's exit,
# and each 0/1 state's maximum over the horizon (to check that it is absorbing).
COUNTRIES = ("niger", "burkina_faso", "benin_north", "cote_divoire")  # the dimension of `spilled`
ZERO_ONE = ("spilled", "agreement_collapsed", "coup", "elections_held")
ABSORBING = ("spilled", "coup", "elections_held")  # at war (agreement_collapsed) can end in a ceasefire
ZERO_ONE_SERIES = tuple(f"spilled[{c}]" for c in COUNTRIES) + ZERO_ONE[1:]  # states as the bands name them
OVERRIDES = (
    "outputs.t_attacks_civ_pre={state: attacks_civilians, agg: sum, until: 2024-06}",
    "outputs.t_attacks_sec_pre={state: attacks_security, agg: sum, until: 2024-06}",
    "outputs.t_attacks_civ_force={state: attacks_civilians, agg: sum, from: 2024-07}",
    "outputs.t_attacks_sec_force={state: attacks_security, agg: sum, from: 2024-07}",
    "outputs.t_abuses_pre_apr={state: abuse_incidents, agg: sum, until: 2024-03}",
    "outputs.t_abuses_pre_jul={state: abuse_incidents, agg: sum, until: 2024-06}",
    "outputs.t_abuses_from_jul={state: abuse_incidents, agg: sum, from: 2024-07}",
    "outputs.t_atrocities_from_jul={state: mass_atrocities, agg: sum, from: 2024-07}",
    *(f"outputs.t_{s}_max={{state: {s}, agg: max}}" for s in ZERO_ONE),
    *(f"outputs.t_{s}_min={{state: {s}, agg: min}}" for s in ZERO_ONE),
)

POPULATIONS_AND_COUNTS = ("attacks_civilians_total", "attacks_security_total", "attacks_total", "abuses_total",
                          "abuses_documented_total", "mass_atrocities_total", "moura_scale_total", "idps_new_end",
                          "refugees_new_end", "displaced_new_end")


@pytest.fixture(scope="module")
def runs() -> dict:
    """Baseline and every variant at N paths, same seed: common random numbers."""
    out = {"baseline": riskmodel.run(BASELINE, samples=N, seed=SEED, overrides=OVERRIDES)}
    for v in VARIANTS:
        out[v] = riskmodel.run(MALI / f"{v}.yaml", samples=N, seed=SEED, overrides=OVERRIDES)
    return out


def paired(runs: dict, variant: str, column: str) -> tuple[float, float]:
    """Mean of the per-path difference variant - baseline, and its standard error."""
    d = runs[variant].outputs[column].to_numpy() - runs["baseline"].outputs[column].to_numpy()
    return float(d.mean()), float(d.std(ddof=1) / np.sqrt(len(d)))


# ---- validation ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_file_validates_and_every_quote_is_found(path: Path) -> None:
    sc = riskmodel.validate(path)
    cites = [c for f in sc.factors for c in f.cite] + [c for p in sc.parameters for c in p.cite]
    assert len(cites) > 0
    # validate raises on a quote it cannot find in a stored text; a found one carries its line there.
    # A reference (a dated public page, not stored) has no line: its quote is recorded, not checked.
    stored = {"bnn-phased-withdrawal", "withdrawal-concluded", "contrapuntal-2023-07-01", "wilson-namatovu",
              "end-of-minusma-implications"}
    registry = load_registry(MALI.parent / "sources" / "registry.yaml")
    for c in cites:
        if c.source in stored:
            assert not c.reference and isinstance(c.line, int) and c.line >= 1, c
        else:
            src = registry.get(c.source)
            assert src is not None and src.reference and src.url.startswith("http"), c.source
            assert c.reference and c.line is None, c
            # dated no later than the case's as_of (2023-12-31): the validator makes a later date an error
            assert (src.date or src.date_not_after) <= "2023-12-31", c.source
        # the page prints each quote in quotation marks of its own: a quote wrapped in the source's marks read
        # "“to continue honoring the ceasefire as MINUSMA withdraws”"
        assert not (c.quote[:1] in "\"“”'‘’" and c.quote[-1:] in "\"“”'‘’"), c.quote
    # every factor that the model uses is cited; every parameter class has what it needs
    assert all(f.cite for f in sc.factors)
    for p in sc.parameters:
        if p.evidence == "cited":
            assert p.cite, p.name
        if p.evidence == "judgment":
            assert p.rationale.strip(), p.name


def test_variants_say_what_they_change() -> None:
    for v in VARIANTS:
        sc = riskmodel.validate(MALI / f"{v}.yaml")
        assert sc.name == f"mali-{v}"
        assert "What changes" in sc.description and "Why" in sc.description, v
        assert str(BASELINE) in {str(Path(f).resolve()) for f in sc.files}, v


def test_cli_validates_every_mali_file() -> None:
    proc = subprocess.run([sys.executable, "-m", "riskmodel", "validate", *map(str, FILES)],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count(": ok:") == len(FILES)


# The numbers the cited parameters use, and the words that state them in their quotes:
# a cited parameter must use the number its quote states.
CITED = {
    "mission_personnel": ({"low": 12000, "high": 15200}, ["15,200", "15,000", "12,000"]),
    "withdrawal_deadline_year": ({"value": 2023}, ["December 2023"]),
    "wagner_fighters": ({}, ["1,000"]),
    "moura_death_toll": ({"value": 500}, ["over 500", "at least 500"]),
    "acled_jnim_civilian_events": ({"value": 180}, ["over 180 events"]),
    "acled_jnim_share": ({"value": 0.33}, ["33%"]),
    "acled_state_share": ({"value": 0.29}, ["29%"]),
    "acled_state_civilian_events": ({"value": 160}, ["nearly 160 events"]),
    "idps_mali_2023": ({"value": 422000}, ["422 000"]),
    "refugees_mali_2023": ({"value": 175000}, ["175 000"]),
    "coups_observed": ({"value": 2}, ["two coups", "two military takeovers"]),
    "mission_years": ({"value": 10}, ["decade-long"]),
    "election_year": ({"value": 2026}, ["2026"]),
    "mission_cost_per_year": ({"value": 1.2e9}, ["$1.2 billion"]),
    "mission_fatalities": ({"low": 303, "high": 310}, ["303", "310"]),
}


def test_cited_parameters_use_the_numbers_their_quotes_state() -> None:
    seen = set()
    for path in FILES:
        sc = riskmodel.validate(path)
        for p in sc.parameters:
            if p.evidence != "cited":
                continue
            assert p.name in CITED, f"{p.name}: a cited parameter the test does not know; add it to CITED"
            seen.add(p.name)
            args, words = CITED[p.name]
            for key, value in args.items():
                assert p.distribution.arg(key) == pytest.approx(value), (p.name, key)
            quotes = " | ".join(c.quote for c in p.cite)
            for w in words:
                assert w in quotes, (p.name, w)
    assert seen == set(CITED)
    # "approximately 1,000": the interval is narrow and holds the stated number
    lo, hi = riskmodel.validate(BASELINE).parameter("wagner_fighters").distribution.arg("ci90")
    assert lo < 1000 < hi and hi / lo < 2


# ---- runs: register and bounds -------------------------------------------------------------


def test_baseline_register_has_at_least_eight_titled_risks(runs) -> None:
    reg = runs["baseline"].register
    assert len(reg) >= 8
    assert reg["title"].str.len().min() > 20  # a sentence a reader understands without the file
    assert (reg["title"] != reg["risk"]).all()
    assert reg["likelihood"].between(0, 1).all()
    # informative: a good part of the register is neither near-impossible nor near-certain
    assert (reg["likelihood"].between(0.05, 0.95)).sum() >= 8


@pytest.mark.parametrize("name", ("baseline",) + VARIANTS)
def test_bounds_hold_on_every_path(runs, name: str) -> None:
    out, bands = runs[name].outputs, runs[name].bands
    assert len(out) == N
    first = [c for c in out.columns if c.startswith("spill_first")]  # agg: first
    assert np.isfinite(out.drop(columns=first).to_numpy()).all()
    for col in first:  # a month index of the horizon, or inf: never within it
        v = out[col].to_numpy()
        assert (np.isposinf(v) | np.isin(v, np.arange(36))).all(), col
    for col in POPULATIONS_AND_COUNTS:
        assert (out[col] >= 0).all(), col
    assert out["documented_share"].between(0, 1).all()
    assert (out["abuses_documented_total"] <= out["abuses_total"]).all()
    assert (out["moura_scale_total"] <= out["mass_atrocities_total"]).all()
    # 0/1 states are 0 or 1 in every month of every path; the absorbing ones, once 1, stay 1
    for s in ZERO_ONE:
        for col in ([f"[{c}]" for c in COUNTRIES] if s == "spilled" else [""]):
            lo, hi = out[f"t_{s}_min{col}"], out[f"t_{s}_max{col}"]
            assert lo.isin([0.0, 1.0]).all() and hi.isin([0.0, 1.0]).all(), s
            end = out[f"spill_end{col}"] if s == "spilled" else out[f"{s}_end"]
            if s in ABSORBING:
                assert (end == hi).all(), s  # absorbing: the last month holds the maximum
    assert (out["spill_countries"].between(0, 4)).all()
    assert (out["spill_countries"] == sum(out[f"spill_end[{c}]"] for c in COUNTRIES)).all()
    # at war in January 2024 (init 1: the agreement collapsed in August 2023) unless a ceasefire came
    # in the first month; the months at war count the 1s of the series
    assert out["war_months"].between(0, 36).all()
    assert ((out["war_months"] == 36) <= (out["agreement_collapsed_end"] == 1)).all()
    # elections cannot come before January 2026
    early = bands[(bands.state == "elections_held") & (bands.month < "2026-01")]
    assert (early["mean"] == 0).all()
    # per-month bands: nothing negative, shares and 0/1 means inside [0, 1]
    assert (bands["q05"] >= 0).all() and (bands["mean"] >= 0).all()
    zo = bands[bands.state.isin(ZERO_ONE_SERIES)]
    assert (zo["mean"] <= 1).all()
    vi = bands[bands.state == "vacuum_intensity"]
    assert (vi["q05"] >= 1).all()  # the vacuum never lowers attack rates


# ---- directional checks under common random numbers ------------------------------------------


def test_regional_force_lowers_attacks_in_the_months_it_covers(runs) -> None:
    base, force = runs["baseline"].outputs, runs["regional-force"].outputs
    # before July 2024 nothing differs: same parameters, same draws, path by path
    for col in ("t_attacks_civ_pre", "t_attacks_sec_pre"):
        assert (force[col] == base[col]).all(), col
    for col in ("t_attacks_civ_force", "t_attacks_sec_force"):
        mean, se = paired(runs, "regional-force", col)
        assert mean < -Z * se, (col, mean, se)
    # the force costs money and lives only where it is deployed
    assert (force["force_troop_months"] > 0).all()
    assert (force["force_cost_usd"] > 0).all()
    mean, se = paired(runs, "regional-force", "displaced_new_end")
    assert mean < -Z * se


def test_wagner_exit_lowers_abuses_and_atrocities(runs) -> None:
    base, exit_ = runs["baseline"].outputs, runs["wagner-exit"].outputs
    assert (exit_["t_abuses_pre_jul"] == base["t_abuses_pre_jul"]).all()
    for col in ("t_abuses_from_jul", "abuses_total", "t_atrocities_from_jul"):
        mean, se = paired(runs, "wagner-exit", col)
        assert mean < -Z * se, (col, mean, se)
    # attacks do not depend on Wagner in this model: identical on every path
    assert (exit_["attacks_total"] == base["attacks_total"]).all()


def test_wagner_surge_raises_abuses(runs) -> None:
    base, surge = runs["baseline"].outputs, runs["wagner-surge"].outputs
    assert (surge["t_abuses_pre_apr"] == base["t_abuses_pre_apr"]).all()
    mean, se = paired(runs, "wagner-surge", "abuses_total")
    assert mean > Z * se, (mean, se)


def test_war_continues_means_war_in_every_month_and_more_attacks(runs) -> None:
    war = runs["war-continues"].outputs
    # a zero ceasefire hazard never fires: at war from the origin (init 1) to the end, on every path
    assert (war["war_months"] == 36).all() and (war["agreement_collapsed_2024"] == 1).all()
    assert runs["baseline"].outputs["war_months"].mean() < 36  # the baseline has ceasefires
    reg = runs["war-continues"].register.set_index("risk")
    assert reg.loc["agreement_collapse_12m", "likelihood"] == 1.0
    mean, se = paired(runs, "war-continues", "attacks_total")
    assert mean > Z * se, (mean, se)


def test_ceasefire_holds_means_war_only_in_january_2024_and_fewer_attacks(runs) -> None:
    holds = runs["ceasefire-holds"].outputs
    # the hazard 1 ends the war in the first month; the breakdown hazard 0 never restarts it
    assert (holds["war_months"] == 0).all() and (holds["agreement_collapsed_end"] == 0).all()
    assert runs["baseline"].outputs["agreement_collapsed_end"].mean() > 0.1  # the baseline stays at war often
    mean, se = paired(runs, "ceasefire-holds", "attacks_total")
    assert mean < -Z * se, (mean, se)


# ---- the README section ----------------------------------------------------------------------


def test_case_section_lists_every_parameter_and_variant() -> None:
    """The README's Mali case section names every parameter of every Mali file and every variant."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "## The Mali case" in text, "no '## The Mali case' section in README.md"
    section = text[text.index("## The Mali case"):]
    nxt = re.search(r"\n## ", section[3:])
    section = section[: nxt.start() + 3] if nxt else section
    names = {p.name for path in FILES for p in riskmodel.validate(path).parameters}
    missing = sorted(n for n in names if f"`{n}`" not in section)
    assert not missing, f"parameters missing from the Mali case section: {missing}"
    for v in VARIANTS:
        assert f"{v}.yaml" in section, v

"""The scenario as a report writes it: outputs and thresholds in words, the header, the assumption
ledger, the model's structure and the Monte Carlo notes.

What changes here is how the scenario file reads on the page, for the run's report and the
comparison alike (:mod:`riskmodel.render._report`, :mod:`riskmodel.render._compare`); no figure
is drawn here.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from .. import evidence as _evidence
from ..distributions import make_distribution
from ._common import fmt_num, month_span

__all__ = ["output_definition", "parameter_distribution_text"]


def output_definition(o) -> str:
    """An output in words: ``sum of attacks, 2025-01 to 2025-12`` or its expression."""
    if o.expr is not None:
        return o.expr
    what = {"end": "value in the last month", "sum": "sum", "mean": "monthly mean", "max": "maximum",
            "min": "minimum", "first": "first month (t) non-zero" if getattr(o, "above", None) is None
            else f"first month (t) above {o.above:g}"}.get(o.agg, o.agg)
    if getattr(o, "reduce", None) is not None:  # over a dimension: the per-element aggregates reduced
        what = f"{o.reduce} over elements of the {what}"
    window = ""
    if o.start is not None or o.until is not None:
        window = f", {o.start or 'origin'} to {o.until or 'the end'}"
    if o.agg == "end":
        return f"{o.state} in {o.until}" if o.until is not None else f"{o.state}, {what}"
    return f"{what} of {o.state}{window}"


def parameter_distribution_text(p) -> tuple:
    """``(description, (q05, q95) or None)`` of a parameter's distribution."""
    if p.distribution is None:
        return (f"derived: {p.formula}", None)
    d = make_distribution(p.distribution)
    return (d.describe(), d.interval90())


def _threshold_text(risk, unit: str, binary: bool = False) -> str:
    if binary and risk.direction == "above" and 0 <= risk.threshold < 1:
        return f"{risk.output} = 1 (yes)"  # a yes/no output: "> 0.5 0/1" says the same less plainly
    if binary and risk.direction == "below" and 0 < risk.threshold <= 1:
        return f"{risk.output} = 0 (no)"
    sign = ">" if risk.direction == "above" else "<"
    return f"{risk.output} {sign} {fmt_num(risk.threshold)}" + (f" {unit}" if unit else "")


def _named(title: str, name: str, unit: str) -> str:
    """``Title (name, unit)``, or ``name (unit)`` when there is no title."""
    inner = ", ".join(x for x in ((name if title else ""), unit) if x)
    return f"{title or name}" + (f" ({inner})" if inner else "")


def _header(scenario, meta: dict, n: int, total_time=None) -> list:
    timings = meta.get("timings", {}) or {}
    last = scenario.months[-1]
    items = [
        ("scenario", f"{scenario.name} ({meta.get('scenario_path') or scenario.path})"),
        ("period", f"{scenario.origin} to {last} ({scenario.horizon_months} months)"),
        ("paths", f"{n:,}"),
        ("seed", str(meta.get("seed", scenario.seed))),
        ("sampler", {"mc": "mc (plain Monte Carlo)", "lhs": "lhs (Latin hypercube)",
                     "sobol": "sobol (scrambled Sobol)"}.get(meta.get("sampler"), str(meta.get("sampler")))),
        ("riskmodel", str(meta.get("riskmodel_version", "?"))),
    ]
    if meta.get("until_se"):
        items.append(("stopping rule", f"add paths until every standard error is below {meta['until_se']}: "
                                       f"{meta.get('stopped') or ''}"))
    run_total = (meta.get("run_timings") or {}).get("total_s")
    if "total_s" in timings:
        phase = ((meta.get("run_timings") or {}).get("phases_s") or {}).get("simulate")
        if phase is None and hasattr(total_time, "phase_s"):  # the page is written during the run
            phase = total_time.phase_s("simulate")
        took = f", {phase:.2f} s," if phase is not None else ""
        items.append(("simulation time", f"{timings['total_s']:.2f} s (the engine's paths alone; the run's "
                                         f"simulate phase{took} also compiles the model and builds the register, "
                                         "and loads pandas in a new process)"))
    if total_time is not None:  # read when the page is written
        items.append(("total time", total_time))
    elif run_total is not None:
        items.append(("total time", f"{run_total:.2f} s (the whole run, when it was made)"))
    for key in ("created_utc", "started", "started_at", "finished_at", "created"):
        if meta.get(key):
            items.append(("run at", str(meta[key])))
            break
    files = meta.get("scenario_files") or list(scenario.files)
    if files and len(files) > 1:
        items.append(("extends chain", " → ".join(str(f) for f in files)))
    for o in meta.get("overrides") or [{"key": k, "value": v, "before": b} for k, v, b in scenario.overrides]:
        before = "not set" if o.get("before") is None else _value_text(o["before"])
        items.append(("override", f"--set {o['key']} = {_value_text(o['value'])} (file: {before})"))
    shas = meta.get("scenario_file_sha256") or list(scenario.file_sha256)
    for f, sha in zip(files or [scenario.path], shas):
        items.append(("file SHA-256", f"{sha} ({Path(str(f)).name}, its bytes on disk)"))
    merged = meta.get("scenario_sha256") or scenario.sha256
    items.append(("document SHA-256", f"{merged} (the merged scenario as canonical JSON, after extends and --set; "
                                      "not the hash of any file)"))
    for w in meta.get("warnings", ()):
        items.append(("warning", w))
    return items


def _value_text(v) -> str:
    if isinstance(v, float):
        return fmt_num(v, 6) if not v.is_integer() else f"{int(v):,}"
    if isinstance(v, int) and not isinstance(v, bool):
        return f"{v:,}"
    return str(v)


def _ledger(scenario, results) -> list:
    sources = {s.id: s for s in scenario.sources}
    out = []
    for f in scenario.factors:
        params = []
        for p in scenario.parameters:
            if p.factor != f.name:
                continue
            dist, interval = parameter_distribution_text(p)
            from_samples = False
            if interval is None and p.name in results.parameters.columns and len(results.parameters):
                q = np.quantile(results.parameters[p.name].to_numpy(dtype=float), [0.05, 0.95])
                interval, from_samples = (float(q[0]), float(q[1])), True
            params.append({
                "name": p.name, "description": p.description, "dist": dist,
                "interval": interval, "from_samples": from_samples, "unit": p.unit, "evidence": p.evidence,
                "cites": [_cite(c, sources) for c in p.cite], "rationale": p.rationale,
                "cls": _evidence.parameter_class(p), "numbers": _numbers(p, sources),
                "inputs": {k: sorted(v) for k, v in _evidence.rests_on(scenario, p).items()}
                if p.evidence == "derived" else {},
            })
        out.append({"name": f.name, "title": f.title, "description": f.description, "modelled": f.modelled,
                    "cites": [_cite(c, sources) for c in f.cite], "params": params})
    return out


def _cite(c, sources: dict) -> dict:
    s = sources.get(c.source)
    url = s.url if s and s.url.startswith(("http://", "https://")) else ""
    return {"quote": c.quote, "source": c.source, "title": s.title if s else c.source,
            "file": Path(s.file).name if s and s.file else "", "line": c.line, "verified": c.line is not None,
            "reference": bool(getattr(c, "reference", False)), "url": url,
            "date": (s.date or (f"no later than {s.date_not_after}" if s.date_not_after else "undated")) if s else ""}


def _numbers(p, sources: dict) -> list:
    """Each defining number of a cited parameter: the quote (source, line) that states it, or the analyst's."""
    out = []
    for n in p.numbers:
        c = p.cite[n.cite] if n.cite is not None else None
        out.append({"label": n.label, "value": n.value, "stated": c is not None,
                    "quote": c.quote if c else "", "source": c.source if c else "",
                    "line": c.line if c else None, "reference": bool(c.reference) if c else False})
    return out


def _structure(scenario) -> dict:
    return {
        # keys never named like a dict method: jinja's ``s.update`` would find ``dict.update`` first
        "states": [{"name": s.name, "title": s.title, "unit": s.unit, "factor": s.factor, "init_expr": s.init,
                    "update_expr": s.update, "nonnegative": s.nonnegative} for s in scenario.states],
        "outputs": [{"name": o.name, "title": o.title, "unit": o.unit, "definition": output_definition(o)}
                    for o in scenario.outputs],
        "interventions": [{"name": iv.name, "window": month_span(iv.start, iv.until),
                           "set": [f"{k} = {v}" for k, v in iv.set], "description": iv.description}
                          for iv in scenario.interventions],
        "correlations": [{"a": c.a, "b": c.b, "rho": c.rho} for c in scenario.correlations],
    }


def _mc_notes(meta: dict, n: int) -> dict:
    return {
        "n": n,
        "se_max": 0.5 / math.sqrt(n) if n else float("nan"),
        "band_method": meta.get("band_method", ""),
        "rank_error": meta.get("band_rank_error_p05"),
        "block_size": meta.get("block_size"),
        "sampler": meta.get("sampler"),
    }

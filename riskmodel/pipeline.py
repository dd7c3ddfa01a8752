"""The whole pipeline as one call, for notebooks and the CLI alike."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import tempfile
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

from .compile import compile_scenario, varying_parameters
from .errors import ScenarioError
from .model import Scenario
from .outfolder import (WRITTEN_FILES_KEY, check_out_folder, remove_stale_temporaries, restore_interrupted,
                        write_run_folder)
from .phases import Phases, _Elapsed, _timed  # noqa: F401 (Phases: re-exported, the CLI times a run with it)
from .results import RUN_FILES, Results, check_matches, read_run_json
from .validate import override_warnings
from .runsize import check_cap, check_run_size
from .simulate import DEFAULT_MEMORY_BYTES, simulate
from .validate import validate
from .yamlio import OUTSIDE, project_root

__all__ = ["run", "write_run_folder", "check_out_folder", "remove_stale_temporaries", "render_into", "scenario_of",
           "report", "compare", "write_comparison_folder", "default_comparison_folder"]


def run(
    path_or_scenario: str | os.PathLike | Scenario,
    *,
    samples: Optional[int] = None,
    seed: Optional[int] = None,
    sampler: Optional[str] = None,
    overrides: Sequence[str] = (),
    memory_bytes: int = DEFAULT_MEMORY_BYTES,
    progress: Optional[Callable[[int, int], None]] = None,
    workers: Optional[int] = None,
    scheduler: Any = None,
    until_se: Optional[float] = None,
    max_samples: Optional[int] = None,
    judgment_samples: int = 1024,
    phases: Optional[Phases] = None,
    out: Optional[str | os.PathLike] = None,
    figures: str = "default",
    prepare_report: bool = False,
) -> Results:
    """Load, validate, compile and simulate a scenario; return Results with the register.

    Parameters
    ----------
    path_or_scenario : path-like or Scenario
        A scenario file, or a validated Scenario.
    samples, seed, sampler : optional
        Default to the scenario file's.
    overrides : sequence of str
        ``key.path=value`` overrides (only with a path).
    memory_bytes : int
        Working-memory budget (never changes a number).
    progress : callable(done, total), optional
    workers : int, optional
        Local processes for the blocks (the numbers do not change); unset,
        every core from 50,000 paths (:func:`riskmodel.simulate.auto_workers`),
        but one while the judgment share takes the second core.
    scheduler : str or distributed.Client, optional
        Run the blocks on a Dask cluster (default ``$RISKMODEL_SCHEDULER``).
    until_se, max_samples : optional
        Add whole blocks until every likelihood's standard error is below
        ``until_se`` (at most ``max_samples`` paths).
    judgment_samples : int
        Base samples N of the design that gives each risk's judgment share
        (:func:`riskmodel.sensitivity.judgment_share`, 4 N extra paths);
        0 leaves the register without it.
    phases : Phases, optional
        Times each phase (see :class:`Phases`).
    out : path-like, optional
        Also write the run folder with its report there (as ``riskmodel run
        --out``); ``figures`` is ``"default"``, ``"all"``, ``"summary"`` or
        ``"none"`` (the data files alone).
    prepare_report : bool
        The caller renders a report of the results afterwards (as the CLI
        does): the report's modules are loaded while the judgment share is
        finished in the background (implied by ``out``).

    Returns
    -------
    Results

    Examples
    --------
    >>> import riskmodel
    >>> res = riskmodel.run("scenarios/examples/minimal.yaml", samples=2000)   # doctest: +SKIP
    >>> res.register[["risk", "likelihood", "se"]]                               # doctest: +SKIP
    """
    _check_figures(figures)  # before any work: a typo is not found after the simulation
    # a report's figures are drawn by processes that load matplotlib on the second core while this one
    # validates and simulates (riskmodel.render._pool)
    with _drawing_for(out, figures) as drawing:
        if isinstance(path_or_scenario, Scenario):
            if overrides:
                raise ValueError("overrides apply to a scenario file; pass a path")
            scenario = path_or_scenario
        else:
            with _timed(phases, "validate"):
                scenario = validate(path_or_scenario, overrides=overrides)
        if sampler is not None and sampler not in ("mc", "lhs", "sobol"):
            raise ScenarioError.at("--sampler", None, (), f"unknown sampler '{sampler}'", "use mc, lhs or sobol")
        if seed is not None and not 0 <= int(seed) <= 2**63 - 1:
            shown = str(seed) if len(str(seed)) <= 30 else f"{str(seed)[:20]}... ({len(str(seed))} digits)"
            raise ScenarioError.at(f"--seed {shown}", None, (), "a seed must be a whole number from 0 to 2^63-1 "
                                   "(9223372036854775807)", "e.g. --seed 1")
        check_cap(max_samples, until_se, "--until-se", "SE")
        if until_se is not None and not 0 < float(until_se) < float("inf"):
            raise ScenarioError.at(f"--until-se {until_se}", None, (),
                                   "a standard error to reach must be a number above 0", "e.g. --until-se 0.005")
        # The judgment share needs the scenario and the seed, not the run's paths: with a second core it is
        # computed in a forked process while this one simulates (the same numbers; see _judgment_in_background)
        background = None
        try:
            with _timed(phases, "simulate"):
                model = compile_scenario(scenario)
                if judgment_samples and scenario.risks and any(p.evidence == "judgment"
                                                               for p in varying_parameters(scenario, model)):
                    # the judgment share's design must fit too: say so now, not after the simulation. Its
                    # matrices as sobol._explanations counts them: the noise unit, the judgment and noise
                    # groups, A and B
                    check_run_size(model, 5 * judgment_samples, design=True)
                background = _judgment_in_background(scenario, judgment_samples, seed, workers, scheduler)
                if workers is None and background is not None:
                    workers = 1  # the second core computes the judgment share (measured: a second worker beside it
                    #              made a 100,000-path run 0.3 s slower, benchmarks/bench_run.py)
                results = simulate(model, samples=samples, seed=seed, sampler=sampler, memory_bytes=memory_bytes,
                                   progress=progress, workers=workers, scheduler=scheduler, until_se=until_se,
                                   max_samples=max_samples)
                from .analyse import risk_register  # pandas and the register, once there are paths to read

                results = results.with_register(risk_register(results, scenario))
        except BaseException:
            if background is not None:
                background.cancel()
            raise
        warned = override_warnings(scenario)
        if warned:
            results = dataclasses.replace(results, meta={**results.meta, "warnings": warned})
        if (out is not None or prepare_report) and figures != "none" and background is not None:
            # the report's modules load while the second core finishes the judgment share, counted with the
            # figures (not matplotlib: only the processes that draw load it)
            phases = phases if phases is not None else Phases()
            with phases.phase("figures"):
                from .render import render_report  # noqa: F401 (the report's modules)
        if judgment_samples:
            with _timed(phases, "judgment share"):
                share = None
                if background is not None:
                    try:
                        share = background.result()
                    except KeyboardInterrupt:
                        raise
                    except BaseException:  # the worker's error (or its death): computed here, raising as it would
                        share = None
                results = with_judgment_share(results, scenario, base_samples=judgment_samples, model=model,
                                              share=share)
        if out is not None:
            phases = phases if phases is not None else Phases()
            with phases.phase("write"):
                write_run_folder(results, out, extra=render_into(results, scenario, figures=figures, phases=phases,
                                                             drawing=drawing))
        return results


#: What ``figures`` may be: :data:`riskmodel.render.FIGURE_SETS` (written out here, so that checking it
#: loads no drawing module), or ``"none"`` for the data files alone.
FIGURES = ("default", "all", "summary", "none")


def _check_figures(figures: str) -> None:
    if figures not in FIGURES:
        raise ValueError(f"figures must be one of {', '.join(FIGURES)} ('none': the data files alone), "
                         f"not {figures!r}")


def _drawing_for(out, figures: str):
    """A warm :class:`riskmodel.render.FigurePool` when a report will be written into ``out``, else nothing."""
    if out is None or figures == "none":
        return contextlib.nullcontext()
    from .render import FigurePool

    return FigurePool(warm=True)


#: Register columns that carry the judgment share (from :func:`riskmodel.sensitivity.judgment_share`).
JUDGMENT_COLUMNS = ("judgment_ST", "judgment_ST_low", "judgment_ST_high", "judgment_S1", "judgment_S1_low",
                    "judgment_S1_high")


def _judgment_in_background(scenario: Scenario, base_samples: int, seed: Optional[int], workers: Optional[int],
                            scheduler: Any):
    """The judgment share started in a forked worker (:class:`riskmodel.workers.Background`), or None.

    Only when the run itself uses one process or leaves it to choose (``workers`` 1 or None; no Dask
    scheduler) and the machine has a second core: the design's ``4 N`` paths and their bootstrap then
    take the second core while this one simulates. The worker is given the
    seed the run uses, so its numbers are those computed here. ``$RISKMODEL_BACKGROUND=0`` turns it off.
    """
    from .workers import Background, background_allowed

    if not base_samples or not scenario.risks or workers not in (None, 1) or scheduler is not None \
            or os.environ.get("RISKMODEL_SCHEDULER") or not background_allowed():
        return None
    from .judgment import judgment_share

    run_seed = int(seed if seed is not None else scenario.seed)
    try:
        return Background(judgment_share, None, scenario, base_samples=base_samples, seed=run_seed)
    except OSError:  # no process to be had (a limit on processes): computed here after the simulation
        return None


def with_judgment_share(results: Results, scenario: Scenario, *, base_samples: int = 1024, model=None,
                        share=None) -> Results:
    """Results whose register carries each risk's judgment share, and whose meta says how it was computed.

    ``model``: the scenario as compiled for the run, if at hand (its distributions' quantile tables are
    then not built again). ``share``: :func:`riskmodel.judgment.judgment_share` of this scenario and
    the run's seed, computed already (in a background worker), else computed here.
    """
    from .judgment import judgment_share, judgment_share_summary

    if not scenario.risks:
        return results
    if share is None:
        share = judgment_share(results, scenario, base_samples=base_samples, model=model)
    register = results.register.drop(columns=[c for c in JUDGMENT_COLUMNS if c in results.register], errors="ignore")
    register = register.merge(share[["risk", *JUDGMENT_COLUMNS]], on="risk", how="left")
    notes = [n for n in dict.fromkeys(share["note"]) if n]
    meta = {**results.meta, "judgment_share": {
        "sentence": judgment_share_summary(share), "method": str(share["method"].iloc[0]),  # as the chart says
        "base_samples": int(share["n"].iloc[0]), "evaluations": int(share["evaluations"].iloc[0]),
        "notes": notes}}
    return dataclasses.replace(results, register=register, meta=meta)


# --------------------------------------------------------------------------- reports and comparisons
# (rendering is imported lazily: matplotlib is only loaded when a report is drawn)

REPORT_FILES = ("index.html", "report.md", "figures")


def render_into(results: Results, scenario: Scenario, *, figures: str = "default",
                phases: Optional[Phases] = None, refresh_s: int = 0, drawing: Any = None) -> Callable[[Path], None]:
    """The ``extra`` callback of :func:`write_run_folder` that renders the run's report.

    ``figures``: ``"default"``, ``"all"`` or ``"summary"`` (see
    :data:`riskmodel.render.FIGURE_SETS`), or ``"none"`` for the data files
    only. With ``phases``, the drivers and figures are timed, the report's
    header states the whole run's time, and ``run.json`` records each phase
    (``run_timings``). ``drawing``: the :class:`riskmodel.render.FigurePool`
    to draw the figures in (one made warm before the run), else one made for
    the report.

    >>> write_run_folder(res, "reports/minimal", extra=render_into(res, res.scenario))   # doctest: +SKIP
    """
    _check_figures(figures)

    def extra(folder: Path) -> None:
        if figures != "none":
            from .render import render_report

            kwargs = {} if phases is None else {"phase": phases.phase, "total_time": _Elapsed(phases)}
            if refresh_s:
                kwargs["refresh_s"] = refresh_s
            render_report(results, scenario, folder, figures=figures, drawing=drawing, **kwargs)
        if phases is not None:  # the rename that follows is all that is left uncounted
            import json

            meta = read_run_json(folder / "run.json")
            meta["run_timings"] = {**phases.record(), "report": figures}
            (folder / "run.json").write_text(json.dumps(meta, indent=2, default=str), encoding="utf-8")

    return extra


def write_report(results: Results, out: str | os.PathLike, *, figures: str = "default",
                 scenario: Optional[Scenario] = None) -> Path:
    """Write a run folder with its report from Results in hand (a notebook's ``riskmodel run --out``).

    ``scenario`` defaults to the one the results carry (a run in this process)
    or the one their ``run.json`` names. Returns the folder.

    >>> res = riskmodel.run("scenarios/examples/minimal.yaml", samples=2000)   # doctest: +SKIP
    >>> riskmodel.write_report(res, "reports/minimal")                          # doctest: +SKIP
    """
    scenario = scenario or results.scenario or scenario_of(results)
    return write_run_folder(results, out, extra=render_into(results, scenario, figures=figures))


def scenario_of(results: Results, *, where: str = "run.json") -> Scenario:
    """Rebuild the validated Scenario of saved results (for re-rendering without simulating).

    The scenario file named in ``meta['scenario_path']`` is validated again
    when it still exists and its merged document has the SHA-256 the run
    recorded (``meta['scenario_sha256']``). Otherwise the merged document the
    run stored (``meta['document']``, canonical JSON) is validated from a
    temporary file, its relative ``sources`` resolved against the scenario
    files of the run (``meta['scenario_files']``); the result keeps the run's
    path, files, SHA-256 and document. Either way the quotes are verified
    against the source texts as they are now.
    """
    import dataclasses
    import json

    from .load import load

    meta = results.meta
    path, sha = meta.get("scenario_path") or "", meta.get("scenario_sha256") or ""
    if path and Path(path).is_file():
        try:
            doc = load(path)
        except ScenarioError:
            doc = None
        if doc is not None and doc.sha256 == sha:
            return validate(doc)
    document = meta.get("document")
    if not document:
        raise ScenarioError.at(where, None, ("document",), "the run stored no scenario document, and the scenario "
                               f"file {path or '(unnamed)'} is missing or has changed",
                               "run the scenario again with `riskmodel run`")
    tree = json.loads(document)
    sources = tree.get("sources")
    # a stored document may name sources within the run folder's project only (the scenario's, for a run in memory)
    root = project_root(where if Path(where).is_file() else (path or where))
    if isinstance(sources, str):
        tree.pop("sources")
        for f in list(meta.get("scenario_files") or []) + [path]:
            candidate = Path(os.path.realpath(Path(f).parent / sources)) if f else None
            if candidate is not None and candidate.is_file() and (
                    OUTSIDE["allowed"] or root in candidate.parents):
                tree["sources"] = str(candidate)
                break
    with tempfile.TemporaryDirectory(prefix="riskmodel-stored-scenario-") as tmp:
        stored = Path(tmp) / f"{tree.get('name', 'scenario')}.json"
        stored.write_text(json.dumps(tree, ensure_ascii=False), encoding="utf-8")
        allowed = OUTSIDE["allowed"]
        try:
            OUTSIDE["allowed"] = True  # the stored file sits in a temporary folder; its sources were checked above
            scenario = validate(stored)
        except ScenarioError as exc:
            first = exc.problems[0]
            raise ScenarioError.at(where, None, ("document",), "the scenario document stored with the run no longer "
                                   f"validates ({len(exc.problems)} problem(s); first: "
                                   f"{first.message})", "restore the scenario file or its sources, or run it "
                                   "again") from None
        finally:
            OUTSIDE["allowed"] = allowed
    return dataclasses.replace(scenario, path=path, files=tuple(meta.get("scenario_files") or (path,)),
                               sha256=sha or scenario.sha256, document=document)


def report(folder: str | os.PathLike, *, figures: str = "default") -> Path:
    """Render the report of a saved run folder (or comparison folder) again, without simulating.

    The folder is replaced atomically (:func:`write_run_folder`): data files
    are written back and the report is rendered anew. A folder holding
    anything riskmodel did not write is refused, listing it, as ``run``
    refuses it (:func:`riskmodel.outfolder.check_out_folder`): nothing the
    user added is copied, followed or deleted. Returns the folder.
    """
    folder = Path(folder)
    restore_interrupted(folder)  # an earlier run a killed write left in .NAME.old-*
    meta_path = folder / "run.json"
    why = ("no such folder" if not folder.exists() else "is a file, not a run folder" if not folder.is_dir()
           else "not a run folder (no run.json)" if not meta_path.is_file() else None)
    if why:
        raise ScenarioError.at(str(folder), None, (), why,
                               "name a folder written by `riskmodel run` or `riskmodel compare`")
    meta = read_run_json(meta_path)
    if meta.get("kind") == "comparison":
        if not (isinstance(meta.get("runs"), list) and all(isinstance(n, str) for n in meta["runs"])):
            raise ScenarioError.at(str(meta_path), None, ("runs",), "a comparison's run.json names no runs",
                                   "run `riskmodel compare` again to write the folder anew")
        runs = [Results.load(folder / "runs" / name) for name in meta["runs"]]
        scenarios = [scenario_of(r, where=str(folder / "runs" / name / "run.json"))
                     for r, name in zip(runs, meta["runs"])]
        for r, sc, name in zip(runs, scenarios, meta["runs"]):
            check_matches(r, sc, folder / "runs" / name)
        return write_comparison_folder(runs, scenarios, folder, option="")
    # a backtest's or an update's folder holds a run too, beside files of its own that a run's report
    # would not write again: re-rendered as a run, they would be deleted (a user's own files are named first)
    check_out_folder(folder, option="")
    written = meta.get(WRITTEN_FILES_KEY)
    others = sorted({str(w).split("/")[0] for w in written} - set(RUN_FILES) - set(REPORT_FILES)) \
        if isinstance(written, list) else []
    if others:
        shown = ", ".join(others[:6]) + (f" and {len(others) - 6} more" if len(others) > 6 else "")
        raise ScenarioError.at(str(folder), None, (), f"holds {shown} besides a run's files: another command "
                               "(backtest, update or signposts) wrote it, and re-rendering it as a run would delete them",
                               "run that command again to write the folder anew; `riskmodel report` re-renders "
                               "the folders of `riskmodel run` and `riskmodel compare`")
    results = Results.load(folder)
    scenario = scenario_of(results, where=str(meta_path))
    check_matches(results, scenario, folder)
    return write_run_folder(results, folder, extra=render_into(results, scenario, figures=figures), option="")


class _ComparisonData:
    """What a comparison folder holds besides the report: what :func:`write_run_folder` saves."""

    def __init__(self, results_list, scenarios, table):
        self.results_list, self.scenarios, self.table = list(results_list), list(scenarios), table

    @property
    def run_names(self) -> list:
        return [f"{i}-{sc.name}" for i, sc in enumerate(self.scenarios)]

    def save(self, folder: Path) -> Path:
        import json

        from . import __version__

        folder = Path(folder)
        for name, res in zip(self.run_names, self.results_list):
            (folder / "runs" / name).mkdir(parents=True)
            res.save(folder / "runs" / name)
        self.table.to_csv(folder / "comparison.csv", index=False)
        m0 = self.results_list[0].meta
        meta = {"kind": "comparison", "riskmodel_version": __version__, "reference": self.scenarios[0].name,
                "scenarios": [sc.name for sc in self.scenarios], "runs": self.run_names,
                "samples": self.results_list[0].n_paths, "seed": m0.get("seed"), "sampler": m0.get("sampler")}
        (folder / "run.json").write_text(json.dumps(meta, indent=2, default=str), encoding="utf-8")
        return folder


def write_comparison_folder(results_list: Sequence[Results], scenarios: Sequence[Scenario],
                            out: str | os.PathLike, *, table: Any = None, option: str = "--out") -> Path:
    """Write a comparison folder atomically: report, ``comparison.csv``, ``runs/<i>-<name>/`` run data.

    Like a run folder it holds a ``run.json`` (``"kind": "comparison"``), so
    that ``riskmodel report`` can render it again and a later comparison may
    replace it.
    """
    from .analyse import compare_registers

    if table is None:
        table = compare_registers(results_list, scenarios)
    data = _ComparisonData(results_list, scenarios, table)

    def extra(folder: Path) -> None:
        from .render import render_comparison

        render_comparison(data.results_list, data.scenarios, folder, table=table)

    return write_run_folder(data, out, extra=extra, option=option)  # duck-typed: write_run_folder only calls .save(folder)


def default_comparison_folder(scenarios: Sequence[Scenario]) -> Path:
    """``reports/compare-<a>-<b>...`` (long lists are shortened with a hash)."""
    import hashlib

    name = "compare-" + "-".join(sc.name for sc in scenarios)
    if len(name) > 120:
        digest = hashlib.sha256(name.encode()).hexdigest()[:10]
        name = f"compare-{scenarios[0].name}-and-{len(scenarios) - 1}-more-{digest}"
    return Path("reports") / name


def compare(
    paths: Sequence[str | os.PathLike],
    *,
    samples: Optional[int] = None,
    seed: Optional[int] = None,
    sampler: Optional[str] = None,
    out: Optional[str | os.PathLike] = None,
    memory_bytes: int = DEFAULT_MEMORY_BYTES,
    workers: Optional[int] = None,
    progress: Optional[Callable[[int, int, int], None]] = None,
    overrides: Sequence[str] = (),
):
    """Run scenarios with common random numbers and compare them.

    Every scenario runs with the same seed, number of paths and sampler (by
    default the first file's), so path i of each draws from the same random
    streams. The first file is the reference.

    Parameters
    ----------
    paths : sequence of path-like
        Two or more scenario files, the reference first.
    samples, seed, sampler : optional
        Default to the first file's.
    out : path-like, optional
        Write the comparison folder there (report, ``comparison.csv``, each
        run's data); nothing is written when ``out`` is None.
    progress : callable(index, done, total), optional
    overrides : sequence of str
        ``key.path=value`` overrides applied to every scenario (as ``--set``).

    Returns
    -------
    (list of Results, DataFrame)
        The runs, and :func:`riskmodel.analyse.compare_registers` of them.

    Examples
    --------
    >>> runs, table = riskmodel.compare(["a.yaml", "b.yaml"], samples=10_000, out="reports/a-vs-b")  # doctest: +SKIP
    """
    from .analyse import compare_registers

    if len(paths) < 2:
        raise ScenarioError.at("compare", None, (), "name at least two scenario files", "e.g. riskmodel compare a.yaml b.yaml")
    scenarios, problems = [], []
    for p in paths:
        try:
            scenarios.append(validate(p, overrides=overrides))
        except ScenarioError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ScenarioError(problems)
    ref = scenarios[0]
    samples = samples if samples is not None else ref.samples
    seed = seed if seed is not None else ref.seed
    sampler = sampler or ref.sampler
    if out is not None:
        check_out_folder(out)
    results_list = []
    for i, sc in enumerate(scenarios):
        cb = (lambda done, total, i=i: progress(i, done, total)) if progress is not None else None
        results_list.append(run(sc, samples=samples, seed=seed, sampler=sampler, memory_bytes=memory_bytes,
                                workers=workers, progress=cb))
    table = compare_registers(results_list, scenarios)
    if out is not None:
        write_comparison_folder(results_list, scenarios, out, table=table)
    return results_list, table


def check_report_name(folder: str | os.PathLike, scenario_path: str | os.PathLike, *, force: bool = False) -> None:
    """Refuse to replace a run folder that another scenario file made, unless ``force``.

    A copied scenario whose ``name:`` was not changed would otherwise write
    over the other file's report in ``reports/<name>``. The folder's
    ``run.json`` names the file it was made from; a different file (resolved)
    is a ScenarioError that asks for ``--out`` or ``--force``.
    """
    folder = Path(folder)
    meta_path = folder / "run.json"
    if force or not meta_path.is_file():
        return
    try:
        before = read_run_json(meta_path).get("scenario_path") or ""
    except Exception:  # an unreadable run.json is check_out_folder's business
        return
    if not before:
        return
    same = Path(before).resolve() == Path(scenario_path).resolve()
    if not same:
        raise ScenarioError.at(str(scenario_path), None, ("name",),
                               f"{folder} holds the report of another scenario file ({before}) with the same name",
                               "give this scenario its own `name:`, or pass --out FOLDER, or --force to replace it")

"""The command line: parse, call one library function, print, exit.

A user's mistake (:class:`~riskmodel.errors.ScenarioError`) is printed as
``file:line: key.path: message; hint`` lines on stderr with exit code 2 and no
traceback. A failure of the environment (a full disk, a read-only or
unreadable path, out of memory: :class:`~riskmodel.errors.EnvironmentFailure`
or another OSError) is printed as ``path: what happened; what to do`` with
exit code 1. No numerics live here: every command is a library call a notebook
can make too.
"""

from __future__ import annotations

import functools
import os
import shutil
import sys
from pathlib import Path
from typing import List, Optional

# One BLAS thread (set before NumPy loads, unless the user set it): a command's parallel work is its own
# processes (figures, the judgment share beside the simulation); with both cores busy, OpenBLAS's threads
# waiting on each other made the report's 0.05 s of bootstrap products take up to 0.9 s
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import typer  # noqa: E402

from . import __version__
from .errors import EnvironmentFailure, ScenarioError
from .terminal import (PhaseDisplay, plain_console, print_backtest, print_comparison, print_explanation, print_register,
                       safe_text, wrapped)

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False, rich_markup_mode=None,
                  help="Transparent, source-cited Monte Carlo scenario risk assessment.")
sources_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, help="The source registry: list, check, find a phrase.")
app.add_typer(sources_app, name="sources")

DEFAULT_REGISTRY = Path("scenarios/sources/registry.yaml")


def _no_list_type(display_type_rich):
    """Help shows a repeated argument as ``FILE`` (its usage line adds ``...``), not ``FILE <list[Path]>``."""

    @functools.wraps(display_type_rich)
    def display(self, ctx):
        return None if self.nargs != 1 else display_type_rich(self, ctx)

    return display


from typer.core import TyperArgument as _TyperArgument  # noqa: E402

_TyperArgument.display_type_rich = _no_list_type(_TyperArgument.display_type_rich)


def _user_errors(func):
    """Exit codes: 2 for a user's mistake (ScenarioError), 1 for the environment; a message, no traceback.

    A mistake in a file or option prints its problems and exits 2. A failure
    of the machine (a full disk, a read-only folder, no permission, out of
    memory) prints ``path: what happened; what to do`` and exits 1.
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except ScenarioError as exc:
            for problem in exc.problems:
                typer.echo(safe_text(problem), err=True)
            n = len(exc.problems)
            typer.echo(f"{n} problem{'s' if n != 1 else ''} found.", err=True)
            raise typer.Exit(code=2)
        except EnvironmentFailure as exc:
            typer.echo(safe_text(exc), err=True)
            raise typer.Exit(code=1)
        except BrokenPipeError:  # the reader went away (`| head`): stop quietly, as other command-line tools do
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())  # nothing left to flush into the closed pipe at exit
            raise typer.Exit(code=1)
        except OSError as exc:
            where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
            typer.echo(safe_text(f"{where}{exc.strerror or exc}; check the path, its permissions and the disk, "
                                 "then try again"), err=True)
            raise typer.Exit(code=1)
        except MemoryError:
            typer.echo("out of memory; lower --samples or --memory (explain: --base-samples), or free memory, "
                       "then try again", err=True)
            raise typer.Exit(code=1)
        except KeyboardInterrupt:  # Ctrl-C, or SIGTERM (see main)
            typer.echo(INTERRUPTED, err=True)
            raise typer.Exit(code=130)

    return wrapper


INTERRUPTED = "interrupted: nothing was written, and an earlier folder at --out is as it was"


def _terminate(signum, frame) -> None:
    raise KeyboardInterrupt  # SIGTERM ends a command the way Ctrl-C does: temporaries removed, one line


def _version(value: bool) -> None:
    if value:
        typer.echo(f"riskmodel {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Print the version and exit."),
          allow_outside: bool = typer.Option(False, "--allow-outside",
                                             help="Let files name paths outside their project folder (extends, "
                                                  "sources, a registry's file:); only for files you trust.")
          ) -> None:
    import os

    from .yamlio import OUTSIDE

    OUTSIDE["allowed"] = allow_outside or os.environ.get("RISKMODEL_ALLOW_OUTSIDE", "").strip().lower() in (
        "1", "true", "yes")


@app.command()
@_user_errors
def validate(
    files: List[Path] = typer.Argument(..., metavar="FILE", help="Scenario, outcomes or source-registry files to check."),
    set_: List[str] = typer.Option([], "--set", metavar="KEY=VALUE", help="Override a key of a scenario: key.path=value (repeatable)."),
    strict: bool = typer.Option(False, "--strict", help="Treat warnings (lints) as errors: exit 2 if any."),
) -> None:
    """Check files against their contract and verify every quote.

    A file is read as what its schema: line says: a scenario (riskmodel/1,
    the default), an outcomes file (riskmodel-outcomes/1) or a source
    registry (riskmodel-sources/1). A valid scenario's warnings
    (unused parameters, uncited factors, undated sources, ...) are printed
    after it; --strict makes them errors.
    """
    problems = []
    for file in files:
        try:
            summary, lints = _validate_one(file, set_)
        except ScenarioError as exc:
            problems.extend(exc.problems)
            continue
        typer.echo(wrapped(f"{file}: ok: {summary}", hang="    "))
        # warnings and notes one per line, as file:line: key: message (what an editor jumps to); the notes on
        # outputs kept for figures, one for each such output, are one line naming them all
        kept = [x for x in lints if x.kind == "unused_output"]
        for lint in lints:
            if lint not in kept:
                typer.echo(safe_text(f"  {lint.level}: {lint.problem}"))
        if kept:
            names = ", ".join(f"{x.problem.key_path[-1]}:{x.problem.position.line}" for x in kept)  # name:line
            typer.echo(wrapped(f"info: {len(kept)} output{'s are' if len(kept) != 1 else ' is'} used by no risk "
                               f"or output, fine for a figure of interest (otherwise remove "
                               f"{'them' if len(kept) != 1 else 'it'}; name:line): {names}", "  ", hang="    "))
        if strict:
            problems.extend(lint.problem for lint in lints if lint.level == "warning")
    if problems:
        raise ScenarioError(problems)


_KINDS = ("riskmodel/1", "riskmodel-outcomes/1", "riskmodel-sources/1")


def _schema_of(file: Path) -> Optional[str]:
    """The kind of file to validate as: its ``schema:``, or the kind it resembles when that is misspelt or
    missing (an outcomes file with ``schema: riskmodel-outcomes/2`` is checked as an outcomes file, which
    names the schema, not as a scenario missing every key); None when it cannot be read (validation says why)."""
    from .yamlio import read_yaml

    try:
        tree = read_yaml(file)
    except ScenarioError:
        return None
    schema = tree.get("schema")
    if schema in _KINDS:
        return schema
    text = str(schema or "").lower()
    if "outcome" in text or (schema is None and "observations" in tree and "states" not in tree):
        return "riskmodel-outcomes/1"
    if "source" in text or (schema is None and isinstance(tree.get("sources"), list)):
        return "riskmodel-sources/1"
    return None


def _validate_one(file: Path, overrides: List[str]) -> tuple:
    """Validate one file by its kind; a one-line summary and the lints (warnings, notes) found."""
    kind = _schema_of(file)
    if kind == "riskmodel-sources/1":
        from .sources import load_registry

        return f"source registry: {_registry_summary(load_registry(file))}", ()
    if kind == "riskmodel-outcomes/1":
        from .outcomes import load_outcomes

        try:
            out, interim = load_outcomes(file), ()
        except ScenarioError as exc:  # valid as update reads it ("not yet", as of a month)? then say so
            try:
                out = load_outcomes(file, interim=True)
            except ScenarioError:
                raise exc from None
            from .model import Lint

            interim = tuple(Lint("info", problem) for problem in exc.problems)
        return (f"outcomes for {out.scenario_path}: {len(out.binary)} binary and "
                f"{len(out.numeric) + len(out.states)} numeric observations, every name resolves"
                + (f"; {len(interim)} interim (\"not yet\" before a risk's window closes): riskmodel update "
                   "conditions on them, riskmodel backtest refuses them" if interim else "")), interim
    from .validate import validate as _validate

    from .evidence import evidence_summary

    scenario = _validate(file, overrides=overrides)
    ev = evidence_summary(scenario)
    warnings = sum(1 for x in scenario.lints if x.level == "warning")
    return (f"{len(scenario.factors)} factors; {len(scenario.states)} states; {len(scenario.outputs)} outputs; "
            f"{len(scenario.risks)} risks; {ev.sentence()}; knowledge as of {scenario.as_of}; "
            f"{warnings} warning{'s' * (warnings != 1)}"), scenario.lints


def _registry_summary(reg) -> str:
    """What a checked registry holds: stored texts (their SHA-256s match) and references (nothing to hash)."""
    refs = sum(1 for x in reg.sources if x.reference)
    stored = len(reg.sources) - refs
    return (f"{stored} stored text{'s' if stored != 1 else ''}, every SHA-256 matches; "
            f"{refs} reference{'s' if refs != 1 else ''} (not stored)")


def _parse_memory(text: str) -> int:
    units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
    t = text.strip().lower().rstrip("ib").rstrip("b")
    try:
        if t and t[-1] in units:
            size = int(float(t[:-1]) * units[t[-1]])
        else:
            size = int(float(t))
    except (ValueError, OverflowError):
        raise ScenarioError.at("--memory", None, (), f"'{text}' is not a size", "e.g. --memory 512M or 2G") from None
    if size < 1:
        raise ScenarioError.at("--memory", None, (), f"'{text}' is not a positive size", "e.g. --memory 512M or 2G")
    return size


def _console(width: int = 140, *, err: bool = False):
    """A rich console: the terminal's own width, else ``$COLUMNS``, else ``width`` (output to a file or pipe)."""
    console = plain_console(stderr=err)  # titles are text from files: printed as plain text, escaped, never as markup
    if console.is_terminal or os.environ.get("COLUMNS", "").strip().isdigit():  # rich reads COLUMNS itself
        return console
    return plain_console(width=width, stderr=err)


def _print_register(register, title: str, *, wide: bool = False) -> None:
    """The register, as :func:`riskmodel.terminal.print_register` prints it (80 columns, or 160 when wide)."""
    print_register(_console(160 if wide else 80), register, title, wide=wide)


@app.command()
@_user_errors
def run(
    file: Path = typer.Argument(..., metavar="FILE", help="The scenario file."),
    samples: Optional[int] = typer.Option(None, help="Number of paths (default: the file's)."),
    seed: Optional[int] = typer.Option(None, help="Random seed (default: the file's)."),
    sampler: Optional[str] = typer.Option(None, help="mc | lhs | sobol (default: the file's)."),
    set_: List[str] = typer.Option([], "--set", metavar="KEY=VALUE", help="Override a key: key.path=value (repeatable)."),
    out: Optional[Path] = typer.Option(None, help="Run folder (default: reports/<scenario name>)."),
    memory: str = typer.Option("1G", help="Working-memory budget, e.g. 512M, 2G (never changes a number)."),
    workers: Optional[int] = typer.Option(None, min=1, metavar="<int>", show_default=False, help=(
        "Local processes for the blocks [default: every core from 50,000 paths, but one while the "
        "judgment share takes the second core]; never changes a number.")),
    scheduler: Optional[str] = typer.Option(None, envvar="RISKMODEL_SCHEDULER",
                                            help="Dask scheduler address: run the blocks on a cluster."),
    until_se: Optional[float] = typer.Option(None, "--until-se",
                                             help="Add blocks until every likelihood's standard error is below this."),
    max_samples: Optional[int] = typer.Option(None, "--max-samples", help="Cap for --until-se (default 10 x samples)."),
    report_: str = typer.Option("full", "--report", metavar="none|summary|full",
                                help="full: the whole report; summary: register, risk matrix, fan charts of the "
                                     "states risks rest on, ledger (no drivers); none: data files only."),
    figures: str = typer.Option("default", "--figures", metavar="default|all",
                                help="all: also an exceedance curve per output, a tornado per risk, the "
                                     "convergence grid and the given-data heatmaps."),
    wide: bool = typer.Option(False, "--wide", help="Print the full register table (titles wrapped, every column)."),
    force: bool = typer.Option(False, "--force",
                               help="Replace reports/<name> even when another scenario file made it."),
) -> None:
    """Run a scenario: simulate, print the risk register, write the run folder."""
    if report_ not in ("none", "summary", "full"):
        raise ScenarioError.at(f"--report {report_}", None, (), "unknown report", "use none, summary or full")
    if figures not in ("default", "all"):
        raise ScenarioError.at(f"--figures {figures}", None, (), "unknown figure set", "use default or all")
    figure_set = {"none": "none", "summary": "summary"}.get(report_, figures)
    memory_bytes = _parse_memory(memory)
    from .render import FigurePool

    # warm: forked now, the figures' process loads matplotlib and the plotting modules on the second core while
    # this one loads the engine, validates and simulates
    drawing = FigurePool(warm=figure_set != "none")
    from .pipeline import Phases
    from .pipeline import run as _run
    from .pipeline import check_out_folder, render_into, write_run_folder
    from .validate import validate as _validate

    display = PhaseDisplay(samples or 0, _console(80, err=True))
    phases = Phases(on_change=display.on_change, since_process_start=_AS_PROGRAM)
    with drawing, display:
        with phases.phase("validate"):
            scenario = _validate(file, overrides=set_)
        display.total_paths = samples or scenario.samples
        folder = check_out_folder(out or Path("reports") / scenario.name)  # before the work, not after
        if out is None:
            from .pipeline import check_report_name

            check_report_name(Path("reports") / scenario.name, file, force=force)
        results = _run(scenario, samples=samples, seed=seed, sampler=sampler, memory_bytes=memory_bytes,
                       progress=display.paths, workers=workers, scheduler=scheduler, until_se=until_se,
                       max_samples=max_samples, phases=phases, prepare_report=figure_set != "none")
        with phases.phase("write"):  # the report's drivers and figures are timed as phases of their own
            folder = write_run_folder(results, folder, extra=render_into(results, scenario, figures=figure_set,
                                                                         phases=phases, drawing=drawing))
    meta = results.meta
    _print_register(results.register, f"{scenario.title}: {meta['samples']:,} paths, seed {meta['seed']}, "
                                      f"{meta['sampler']}", wide=wide)
    if until_se is not None:
        typer.echo(f"Stopped at {meta['samples']:,} paths: {meta['stopped']}")
    for warning in meta.get("warnings", ()):
        typer.echo(safe_text(f"warning: {warning}"), err=True)
    _print_run_end(folder, figure_set, phases)


def _print_run_end(folder: Path, figure_set: str, phases) -> None:
    """A run's two last lines (run and watch): the folder and what it holds, then the Time line."""
    where = "data files only (--report none)" if figure_set == "none" else f"report: {folder / 'index.html'}"
    typer.echo(f"Run folder: {folder}; {where}")
    typer.echo(phases.line(shutil.get_terminal_size((80, 24)).columns))


@app.command()
@_user_errors
def watch(
    file: Path = typer.Argument(..., metavar="FILE", help="The scenario file."),
    samples: Optional[int] = typer.Option(None, help="Number of paths (default: the file's)."),
    seed: Optional[int] = typer.Option(None, help="Random seed (default: the file's)."),
    set_: List[str] = typer.Option([], "--set", metavar="KEY=VALUE", help="Override a key: key.path=value (repeatable)."),
    out: Optional[Path] = typer.Option(None, help="Run folder (default: reports/<scenario name>)."),
    report_: str = typer.Option("full", "--report", metavar="none|summary|full", help="As for riskmodel run."),
    figures: str = typer.Option("default", "--figures", metavar="default|all", help="As for riskmodel run."),
    interval: float = typer.Option(0.5, help="Seconds between checks of the files' modification times."),
    refresh: int = typer.Option(2, help="The open page reloads itself every this many seconds (0: never)."),
    max_runs: Optional[int] = typer.Option(None, "--max-runs", hidden=True, help="Stop after this many attempts."),
) -> None:
    """Re-run a scenario on every save of it, the files it extends, its registry or a text it cites.

    The run folder is replaced atomically by each good run; when the file is
    invalid its problems are printed and the last good report stays. The page
    reloads itself (a meta refresh: the report carries no script). Ctrl-C stops.
    """
    from .pipeline import Phases, check_out_folder, render_into, write_run_folder
    from .pipeline import run as _run
    from .validate import validate as _validate
    from .watch import watch as _watch

    if report_ not in ("none", "summary", "full"):
        raise ScenarioError.at(f"--report {report_}", None, (), "unknown report", "use none, summary or full")
    if figures not in ("default", "all"):
        raise ScenarioError.at(f"--figures {figures}", None, (), "unknown figure set", "use default or all")
    # options no edit of the file can mend: refused now, not printed on every save while watching
    if samples is not None:
        from .errors import Position
        from .runsize import check_some_paths

        check_some_paths(samples, Position(f"--samples {samples}"))
    if not interval > 0:
        raise ScenarioError.at(f"--interval {interval}", None, (), "seconds between checks must be above 0",
                               "e.g. --interval 0.5")
    if refresh < 0:
        raise ScenarioError.at(f"--refresh {refresh}", None, (), "seconds between reloads must be 0 (never) or more",
                               "e.g. --refresh 2")
    figure_set = {"none": "none", "summary": "summary"}.get(report_, figures)

    def run_once(path, _out):
        phases = Phases()
        with phases.phase("validate"):
            scenario = _validate(path, overrides=set_)
        folder = check_out_folder(out or Path("reports") / scenario.name)
        results = _run(scenario, samples=samples, seed=seed, phases=phases, prepare_report=figure_set != "none")
        with phases.phase("write"):
            write_run_folder(results, folder, extra=render_into(results, scenario, figures=figure_set,
                                                                phases=phases, refresh_s=refresh))
        meta = results.meta
        _print_register(results.register, f"{scenario.title}: {meta['samples']:,} paths, seed {meta['seed']}")
        _print_run_end(folder, figure_set, phases)
        return scenario

    def on_error(exc: ScenarioError) -> None:
        for problem in exc.problems:
            typer.echo(safe_text(problem), err=True)
        typer.echo(f"{len(exc.problems)} problem{'s' if len(exc.problems) != 1 else ''} found; "
                   "the last good report is kept.", err=True)

    def on_wait(files) -> None:
        typer.echo(wrapped(f"Watching {len(files)} file{'s' if len(files) != 1 else ''} "
                           f"({', '.join(Path(f).name for f in files[:4])}{', ...' if len(files) > 4 else ''}); "
                           "Ctrl-C stops."), err=True)  # in the terminal's width, as run's last lines

    try:
        _watch(file, out, run_once=run_once, interval_s=interval, max_runs=max_runs, on_error=on_error,
               on_wait=on_wait)
    except KeyboardInterrupt:
        typer.echo("Stopped.", err=True)


@app.command()
@_user_errors
def backtest(
    scenario: Path = typer.Argument(..., metavar="SCENARIO", help="The scenario file to score."),
    outcomes: Path = typer.Argument(..., metavar="OUTCOMES", help="The outcomes file: what happened."),
    samples: Optional[int] = typer.Option(None, help="Number of paths (default: the scenario file's)."),
    seed: Optional[int] = typer.Option(None, help="Random seed (default: the scenario file's)."),
    out: Optional[Path] = typer.Option(None, help="Backtest folder (default: reports/<scenario name>-backtest)."),
) -> None:
    """Score a scenario against what happened: Brier, log score, CRPS, PIT; write the report."""
    from .backtest import backtest as _backtest
    from .backtest import write_backtest_folder
    from .outcomes import load_outcomes
    from .pipeline import check_out_folder

    checked = load_outcomes(outcomes, scenario)  # every problem of both files, before any work
    folder = out or Path("reports") / f"{checked.scenario.name}-backtest"
    check_out_folder(folder)
    bt = _backtest(None, checked, samples=samples, seed=seed)
    folder = write_backtest_folder(bt, folder)
    print_backtest(_console(), bt)
    typer.echo(wrapped(f"Backtest folder: {folder} (backtest.html, backtest.md, binary.csv, numeric.csv, summary.csv)"))


@app.command()
@_user_errors
def compare(
    files: List[Path] = typer.Argument(..., metavar="FILE", help="Scenario files, the reference first (two or more)."),
    samples: Optional[int] = typer.Option(None, help="Number of paths for every run (default: the first file's)."),
    seed: Optional[int] = typer.Option(None, help="Random seed for every run (default: the first file's)."),
    sampler: Optional[str] = typer.Option(None, help="mc | lhs | sobol (default: the first file's)."),
    out: Optional[Path] = typer.Option(None, help="Comparison folder (default: reports/compare-<names>)."),
    memory: str = typer.Option("1G", help="Working-memory budget, e.g. 512M, 2G (never changes a number)."),
    workers: Optional[int] = typer.Option(None, min=1, metavar="<int>", show_default=False, help=(
        "Local processes for the blocks [default: every core from 50,000 paths, but one while the "
        "judgment share takes the second core]; never changes a number.")),
    set_: List[str] = typer.Option([], "--set", metavar="KEY=VALUE",
                                   help="Override a key in every scenario: key.path=value (repeatable)."),
    wide: bool = typer.Option(False, "--wide", help="Print every likelihood and difference with its se in columns."),
) -> None:
    """Compare scenarios run with common random numbers: registers, differences, overlaid plots."""
    from .pipeline import compare as _compare
    from .pipeline import default_comparison_folder
    from .validate import validate as _validate

    if len(files) < 2:
        raise ScenarioError.at("compare", None, (), "name at least two scenario files",
                               "e.g. riskmodel compare a.yaml b.yaml")
    folder = out or default_comparison_folder([_validate(f, overrides=set_) for f in files])
    runs, table = _compare(files, samples=samples, seed=seed, sampler=sampler, out=folder, overrides=set_,
                           memory_bytes=_parse_memory(memory), workers=workers)
    _print_comparison(runs, table, wide=wide)
    typer.echo(f"Comparison folder: {folder}; report: {Path(folder) / 'index.html'}")


def _print_comparison(runs, table, *, wide: bool = False) -> None:
    """The comparison table, as :func:`riskmodel.terminal.print_comparison` prints it."""
    print_comparison(_console(160 if wide else 80), runs, table, wide=wide)


@app.command()
@_user_errors
def report(
    folder: Path = typer.Argument(..., metavar="FOLDER", help="A run folder (or comparison folder) to render again."),
    figures: str = typer.Option("default", "--figures", metavar="default|all",
                                help="all: also the figures drawn on request (see riskmodel run --help)."),
) -> None:
    """Render a run folder's report again from its saved results, without simulating."""
    from .pipeline import report as _report

    if figures not in ("default", "all"):
        raise ScenarioError.at(f"--figures {figures}", None, (), "unknown figure set", "use default or all")
    out = _report(folder, figures=figures)
    typer.echo(f"Report: {out / 'index.html'}")


@app.command()
@_user_errors
def explain(
    file: Path = typer.Argument(..., metavar="FILE", help="The scenario file."),
    output: Optional[str] = typer.Option(None, help="An output name or a risk id (default: the first risk's output)."),
    base_samples: int = typer.Option(1024, "--base-samples", help="N, rows of the A and B matrices (a power of two)."),
    method: str = typer.Option("sobol", help="sobol (Saltelli design; first order Saltelli 2010, total Jansen)."),
    seed: Optional[int] = typer.Option(None, help="Random seed (default: the file's)."),
    set_: List[str] = typer.Option([], "--set", metavar="KEY=VALUE", help="Override a key: key.path=value (repeatable)."),
    json_: bool = typer.Option(False, "--json", help="Print both tables as JSON."),
) -> None:
    """What drives an output: Sobol first- and total-order indices per parameter and per group."""
    from .sobol import explain as _explain
    from .validate import validate as _validate

    scenario = _validate(file, overrides=set_)
    ex = _explain(scenario, output=output, base_samples=base_samples, seed=seed, method=method)
    if json_:
        typer.echo(ex.to_json(indent=2))
    else:
        print_explanation(_console(), ex)


@app.command()
def schema(
    outcomes: bool = typer.Option(False, "--outcomes", help="Print the schema of outcomes files instead."),
    registry: bool = typer.Option(False, "--registry", help="Print the schema of source registries instead."),
) -> None:
    """Print the JSON Schema of scenario files (for editor completion)."""
    if outcomes and registry:
        typer.echo("--outcomes and --registry: choose one", err=True)
        raise typer.Exit(code=2)
    if registry:
        from .registry_schema import json_schema
    elif outcomes:
        from .outcomes import json_schema
    else:
        from .schema import json_schema

    typer.echo(json_schema())


# The sources subcommands and `update` / `signposts` live in modules of their own (they change apart from
# run, compare and report); importing them registers their commands on `app` and `sources_app`.
from . import _cli_sources, _cli_update  # noqa: E402,F401

_AS_PROGRAM = False


def main() -> None:
    """Entry point of the ``riskmodel`` console script."""
    global _AS_PROGRAM
    _AS_PROGRAM = True
    for stream in (sys.stdout, sys.stderr):  # PYTHONIOENCODING=ascii or latin-1: escape what cannot be shown
        try:
            stream.reconfigure(errors="backslashreplace")
        except (AttributeError, ValueError):
            pass
    import signal

    signal.signal(signal.SIGTERM, _terminate)
    try:
        app(prog_name="riskmodel", standalone_mode=True)
    except KeyboardInterrupt:  # outside a command (option parsing, start-up)
        sys.stderr.write(INTERRUPTED + "\n")
        sys.exit(130)


def program() -> None:
    """The ``riskmodel`` program (console script and ``python -m riskmodel``): :func:`main`, then a quick exit."""
    try:
        main()
    except SystemExit as exc:
        _exit_now(exc)
        raise


def _exit_now(exc: SystemExit) -> None:
    """End the process without tearing the interpreter down, once a command has said everything.

    Freeing what pandas, scipy and matplotlib built took about 0.25 s after a
    run's last line (measured with py-spy). Every file a command writes is
    closed and renamed into place before it returns (no temporary is left to
    a finaliser), and its worker processes end with it
    (``PR_SET_PDEATHSIG``), so only the standard streams are flushed here. A message as the exit code,
    or a coverage measurement in the process, takes the ordinary way out.
    """
    code = exc.code
    if code is not None and not isinstance(code, int) or "coverage" in sys.modules:
        return
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed pipe: the ordinary exit reports it as it did before
        return
    os._exit(code or 0)


if __name__ == "__main__":  # pragma: no cover
    main()

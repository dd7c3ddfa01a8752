"""The command line: parse, call one library function, print, exit.

A user's mistake (:class:`~riskmodel.errors.ScenarioError`) is printed as
``file:line: key.path: message; hint`` lines on stderr with exit code 2 and no
traceback. No numerics live here: every command is a library call a notebook
can make too.
"""

from __future__ import annotations

import functools
import sys
from collections import Counter
from pathlib import Path
from typing import List, Optional

import typer

from . import __version__
from .errors import ScenarioError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Transparent, source-cited Monte Carlo scenario risk assessment.")
sources_app = typer.Typer(no_args_is_help=True, help="The source registry: list, check, find a phrase.")
app.add_typer(sources_app, name="sources")

DEFAULT_REGISTRY = Path("scenarios/sources/registry.yaml")


def _user_errors(func):
    """Turn ScenarioError into exit code 2 with the problems on stderr."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except ScenarioError as exc:
            for problem in exc.problems:
                typer.echo(str(problem), err=True)
            n = len(exc.problems)
            typer.echo(f"{n} problem{'s' if n != 1 else ''} found.", err=True)
            raise typer.Exit(code=2)

    return wrapper


def _version(value: bool) -> None:
    if value:
        typer.echo(f"riskmodel {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Print the version and exit.")) -> None:
    pass


@app.command()
@_user_errors
def validate(
    files: List[Path] = typer.Argument(..., help="Scenario files to check."),
    set_: List[str] = typer.Option([], "--set", help="Override a key: key.path=value (repeatable)."),
) -> None:
    """Check scenario files against the contract and verify every quote."""
    from .validate import validate as _validate

    problems = []
    for file in files:
        try:
            scenario = _validate(file, overrides=set_)
        except ScenarioError as exc:
            problems.extend(exc.problems)
            continue
        evidence = Counter(p.evidence for p in scenario.parameters)
        quotes = sum(len(f.cite) for f in scenario.factors) + sum(len(p.cite) for p in scenario.parameters)
        typer.echo(
            f"{file}: ok: {len(scenario.factors)} factors; {len(scenario.parameters)} parameters "
            f"({evidence.get('cited', 0)} cited, {evidence.get('derived', 0)} derived, "
            f"{evidence.get('judgment', 0)} judgment); {len(scenario.states)} states; "
            f"{len(scenario.outputs)} outputs; {len(scenario.risks)} risks; {quotes} quotes verified"
        )
    if problems:
        raise ScenarioError(problems)


def _parse_memory(text: str) -> int:
    units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
    t = text.strip().lower().rstrip("ib").rstrip("b")
    try:
        if t and t[-1] in units:
            return int(float(t[:-1]) * units[t[-1]])
        return int(float(t))
    except ValueError:
        raise ScenarioError.at("--memory", None, (), f"'{text}' is not a size", "e.g. --memory 512M or 2G") from None


def _print_register(register, title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for col, justify in (("risk", "left"), ("likelihood", "right"), ("± se", "right"), ("95% interval", "right"),
                         ("threshold", "right"), ("factor", "left")):
        table.add_column(col, justify=justify)
    for row in register.itertuples():
        sign = ">" if row.direction == "above" else "<"
        table.add_row(f"{row.title}", f"{row.likelihood:.3f}", f"{row.se:.4f}",
                      f"[{row.ci_low:.3f}, {row.ci_high:.3f}]", f"{row.output} {sign} {row.threshold:,.6g}", row.factor)
    console = Console()
    (console if console.is_terminal else Console(width=140)).print(table)


@app.command()
@_user_errors
def run(
    file: Path = typer.Argument(..., help="The scenario file."),
    samples: Optional[int] = typer.Option(None, help="Number of paths (default: the file's)."),
    seed: Optional[int] = typer.Option(None, help="Random seed (default: the file's)."),
    sampler: Optional[str] = typer.Option(None, help="mc | lhs | sobol (default: the file's)."),
    set_: List[str] = typer.Option([], "--set", help="Override a key: key.path=value (repeatable)."),
    out: Optional[Path] = typer.Option(None, help="Run folder (default: reports/<scenario name>)."),
    memory: str = typer.Option("1G", help="Working-memory budget, e.g. 512M, 2G (never changes a number)."),
    workers: int = typer.Option(1, min=1, help="Local processes for the blocks (never changes a number)."),
    scheduler: Optional[str] = typer.Option(None, envvar="RISKMODEL_SCHEDULER",
                                            help="Dask scheduler address: run the blocks on a cluster."),
    until_se: Optional[float] = typer.Option(None, "--until-se",
                                             help="Add blocks until every likelihood's standard error is below this."),
    max_samples: Optional[int] = typer.Option(None, "--max-samples", help="Cap for --until-se (default 10 x samples)."),
) -> None:
    """Run a scenario: simulate, print the risk register, write the run folder."""
    import time

    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from .pipeline import run as _run
    from .pipeline import write_run_folder
    from .validate import validate as _validate

    scenario = _validate(file, overrides=set_)
    memory_bytes = _parse_memory(memory)
    started = time.monotonic()
    with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(),
                  TextColumn("{task.completed:,}/{task.total:,} paths"), TimeRemainingColumn(),
                  transient=True, disable=not sys.stderr.isatty()) as bar:
        task = bar.add_task(f"running {scenario.name}", total=samples or scenario.samples, visible=False)

        def progress(done: int, total: int) -> None:
            # shown only on runs longer than about a second
            bar.update(task, completed=done, total=total, visible=time.monotonic() - started > 1.0)

        results = _run(scenario, samples=samples, seed=seed, sampler=sampler, memory_bytes=memory_bytes,
                       progress=progress, workers=workers, scheduler=scheduler, until_se=until_se,
                       max_samples=max_samples)
    folder = write_run_folder(results, out or Path("reports") / scenario.name)
    meta = results.meta
    _print_register(results.register, f"{scenario.title}: {meta['samples']:,} paths, seed {meta['seed']}, "
                                      f"{meta['sampler']}")
    if until_se is not None:
        typer.echo(f"Stopped at {meta['samples']:,} paths: {meta['stopped']}")
    typer.echo(f"Run folder: {folder} ({meta['timings']['total_s']:.2f} s)")


@app.command()
def schema() -> None:
    """Print the JSON Schema of scenario files (for editor completion)."""
    from .schema import json_schema

    typer.echo(json_schema())


@sources_app.command("list")
@_user_errors
def sources_list(registry: Path = typer.Option(DEFAULT_REGISTRY, help="The source registry.")) -> None:
    """List the registered sources."""
    from .sources import load_registry

    reg = load_registry(registry)
    for s in reg.sources:
        meta = "; ".join(x for x in (s.publisher, s.date) if x)
        typer.echo(f"{s.id}: {s.title}" + (f" ({meta})" if meta else "") + f" [{Path(s.file).name}]")


@sources_app.command("check")
@_user_errors
def sources_check(registry: Path = typer.Option(DEFAULT_REGISTRY, help="The source registry.")) -> None:
    """Check every registered text against its SHA-256."""
    from .sources import load_registry

    reg = load_registry(registry)
    typer.echo(f"{registry}: {len(reg.sources)} sources, every SHA-256 matches")


@sources_app.command("find")
@_user_errors
def sources_find(
    phrase: str = typer.Argument(..., help="Words to look for (whitespace, quotes, case and mojibake tolerated)."),
    registry: Path = typer.Option(DEFAULT_REGISTRY, help="The source registry."),
) -> None:
    """Show where a phrase stands in the sources, to help cite it."""
    from .sources import find_phrase, load_registry

    hits = find_phrase(load_registry(registry), phrase)
    if not hits:
        typer.echo(f"'{phrase}' not found in any registered source", err=True)
        raise typer.Exit(code=1)
    for hit in hits:
        typer.echo(f"{hit.source}:{hit.line}: {hit.context}")


def main() -> None:
    """Entry point of the ``riskmodel`` console script."""
    app(prog_name="riskmodel")


if __name__ == "__main__":  # pragma: no cover
    main()

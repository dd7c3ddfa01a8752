"""The command line, continued: the `sources` subcommands (list, check, find).

Registered on the apps of :mod:`riskmodel.cli`, which imports this module
after defining them; only the CLI imports it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .cli import DEFAULT_REGISTRY, _registry_summary, _schema_of, _user_errors, sources_app
from .errors import ScenarioError
from .terminal import safe_text, wrapped

def _find_registry(target: Optional[Path], registry: Optional[Path]) -> Path:
    """The registry a sources command works on: ``--registry``; else the one ``target`` names.

    ``target`` may be a registry, a scenario or outcomes file (its ``sources:``, through its
    ``extends`` chain), or a folder (its ``registry.yaml``); a file that names no registry falls
    back to a ``registry.yaml`` beside it. Neither given: ``scenarios/sources/registry.yaml``.
    """
    if registry is not None:
        return registry
    if target is None:
        if DEFAULT_REGISTRY.is_file():
            return DEFAULT_REGISTRY
        raise ScenarioError.at(str(DEFAULT_REGISTRY), None, (), "no registry here",
                               "name a scenario file or a registry: riskmodel sources list FILE")
    if not target.exists():  # a typo, not a file naming no registry: the registry beside it is not meant
        raise ScenarioError.at(str(target), None, (), "file not found", "check the path")
    if target.is_dir():
        return target / "registry.yaml"
    kind = _schema_of(target)
    if kind == "riskmodel-sources/1":
        return target
    if kind == "riskmodel-outcomes/1":
        from .yamlio import read_yaml

        named = read_yaml(target).get("sources")
        if isinstance(named, str):
            return target.parent / named
    elif target.is_file():
        from .load import load

        named = load(target).sources_path
        if named:
            return Path(named)
    beside = target.parent / "registry.yaml"
    if beside.is_file():
        return beside
    raise ScenarioError.at(str(target), None, ("sources",), "names no source registry and none is beside it",
                           "add `sources: ../sources/registry.yaml`, or pass --registry FILE")


_TARGET_HELP = "A scenario, outcomes or registry file, or a folder: the registry it names (default: " \
               f"{DEFAULT_REGISTRY})."


@sources_app.command("list")
@_user_errors
def sources_list(
    target: Optional[Path] = typer.Argument(None, metavar="FILE", help=_TARGET_HELP),
    registry: Optional[Path] = typer.Option(None, help="The source registry (instead of FILE)."),
) -> None:
    """List the registered sources."""
    from .sources import load_registry

    reg = load_registry(_find_registry(target, registry))
    for s in reg.sources:
        when = s.date or (f"not after {s.date_not_after}" if s.date_not_after else "undated")
        typer.echo(safe_text(f"{s.id} ({when})"))
        typer.echo(wrapped(s.title + (f" ({s.publisher})" if s.publisher else ""), "  "))
        typer.echo(wrapped(f"reference: {s.url}" if s.reference else f"stored text: {Path(s.file).name}", "  "))
    stored = sum(not s.reference for s in reg.sources)
    typer.echo(f"{len(reg.sources)} sources: {stored} stored text{'s' * (stored != 1)}, "
               f"{len(reg.sources) - stored} reference{'s' * (len(reg.sources) - stored != 1)}")


@sources_app.command("check")
@_user_errors
def sources_check(
    target: Optional[Path] = typer.Argument(None, metavar="FILE", help=_TARGET_HELP),
    registry: Optional[Path] = typer.Option(None, help="The source registry (instead of FILE)."),
) -> None:
    """Check every registered text against its SHA-256."""
    from .sources import load_registry

    path = _find_registry(target, registry)
    typer.echo(safe_text(f"{path}: {_registry_summary(load_registry(path))}"))


@sources_app.command("find")
@_user_errors
def sources_find(
    phrase: str = typer.Argument(..., metavar="PHRASE", help="Words to look for (whitespace, quotes, case and mojibake tolerated)."),
    target: Optional[Path] = typer.Argument(None, metavar="FILE", help=_TARGET_HELP),
    registry: Optional[Path] = typer.Option(None, help="The source registry (instead of FILE)."),
) -> None:
    """Show where a phrase stands in the sources, to help cite it."""
    from .sources import find_phrase, load_registry

    if not phrase.strip():  # a usage error (exit 2), not "not found" (exit 1)
        raise ScenarioError.at(f"sources find {phrase!r}", None, (), "the phrase is empty",
                               'give words from a text, e.g. riskmodel sources find "Wagner fighters"')
    hits = find_phrase(load_registry(_find_registry(target, registry)), phrase)
    if not hits:
        typer.echo(safe_text(f"'{phrase}' not found in any registered source"), err=True)
        raise typer.Exit(code=1)
    for hit in hits:  # the passage below its source and line, wrapped (quotes tolerate the line breaks)
        typer.echo(safe_text(f"{hit.source}:{hit.line}:"))
        typer.echo(wrapped(hit.context, "  ", hang=""))

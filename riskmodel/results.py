"""Results of a run: per-path tables, per-month bands, the register, metadata.

A :class:`Results` is a plain frozen object of the library; it saves to and
loads from a run folder (Parquet for the per-path tables, CSV for the small
ones, ``run.json`` for metadata and the merged scenario document).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the tables are pandas DataFrames; pandas is imported where one is made or read
    import pandas as pd

__all__ = ["Results", "RUN_FILES"]

RUN_FILES = ("outputs.parquet", "parameters.parquet", "bands.csv", "register.csv", "run.json")


@dataclass(frozen=True)
class Results:
    """What a run produced.

    Attributes
    ----------
    outputs : DataFrame (n_paths, n_outputs)
        One row per path, one column per output.
    parameters : DataFrame (n_paths, n_parameters)
        Sampled and derived parameter values, one row per path.
    bands : DataFrame
        Long table: ``state``, ``month`` (YYYY-MM), ``t``, ``mean``, ``sd``,
        ``se_mean`` (Monte Carlo standard error of the mean), ``q05``,
        ``q25``, ``q50``, ``q75``, ``q95``.
    register : DataFrame
        One row per risk: ``risk``, ``title``, ``factor``, ``output``,
        ``threshold``, ``direction``, ``likelihood``, ``se``, ``ci_low``,
        ``ci_high``, ``n``. Empty until analysed.
    meta : dict
        Version, seed, samples, sampler, scenario name/path/SHA-256, block size,
        band method and error, timings.
    scenario : Scenario or None
        The validated scenario, when the results come from a run in this process.
    """

    outputs: pd.DataFrame
    parameters: pd.DataFrame
    bands: pd.DataFrame
    register: pd.DataFrame
    meta: dict
    scenario: Any = field(default=None, repr=False, compare=False)

    @property
    def n_paths(self) -> int:
        return len(self.outputs)

    def head(self, n: int) -> "Results":
        """The same results for the first ``n`` paths only (per-path tables cut; bands, register, meta kept)."""
        if self.n_paths <= n:
            return self
        return replace(self, outputs=self.outputs.iloc[:n], parameters=self.parameters.iloc[:n])

    def with_register(self, register: pd.DataFrame) -> "Results":
        return replace(self, register=register)

    def __repr__(self) -> str:
        """A few lines: what ran, how big, and the register's likeliest risks (the tables are attributes)."""
        m = self.meta
        name = m.get("scenario") or getattr(self.scenario, "name", None) or "?"
        lines = [f"<Results {name}: {self.n_paths:,} paths, seed {m.get('seed', '?')}, sampler "
                 f"{m.get('sampler', '?')}; {self.outputs.shape[1]} outputs, {self.parameters.shape[1]} parameters, "
                 f"{self.bands['state'].nunique() if 'state' in self.bands else 0} states banded>"]
        if len(self.register) and {"risk", "likelihood", "se"} <= set(self.register.columns):
            top = self.register.sort_values("likelihood", ascending=False).head(3)
            more = len(self.register) - len(top)
            lines.append(f"  register: {len(self.register)} risks; likeliest: " + ", ".join(
                f"{r.risk} {r.likelihood:.3f} ± {r.se:.4f}" for r in top.itertuples())
                + (f" (+{more} more)" if more > 0 else ""))
        lines.append("  tables: .register .outputs .parameters .bands; .meta")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """The register as a table, for a notebook (text escaped)."""
        import html

        m = self.meta
        name = m.get("scenario") or getattr(self.scenario, "name", None) or "?"
        head = (f"<p><b>{html.escape(str(name))}</b>: {self.n_paths:,} paths, seed "
                f"{html.escape(str(m.get('seed', '?')))}, sampler {html.escape(str(m.get('sampler', '?')))}</p>")
        if not len(self.register):
            return head + "<p>No register.</p>"
        cols = [c for c in ("risk", "title", "likelihood", "se", "ci_low", "ci_high", "judgment_ST")
                if c in self.register.columns]
        table = self.register[cols].rename(columns={"judgment_ST": "judgment share"})
        return head + table.to_html(index=False, escape=True, float_format=lambda x: f"{x:.4f}", na_rep="–")

    def save(self, folder: str | Path) -> Path:
        """Write the run folder's data files into ``folder`` (which must exist)."""
        folder = Path(folder)
        self.outputs.to_parquet(folder / "outputs.parquet", index=False)
        # a parameter's draws are nearly all distinct: Parquet's dictionary encoding, tried first per column,
        # cost 0.19 s of 0.23 s at 1e5 paths and made the file larger (29 MB against 24 MB); outputs (counts,
        # 0/1) keep it, where it pays
        self.parameters.to_parquet(folder / "parameters.parquet", index=False, use_dictionary=False)
        self.bands.to_csv(folder / "bands.csv", index=False)
        self.register.to_csv(folder / "register.csv", index=False)
        (folder / "run.json").write_text(json.dumps(self.meta, indent=2, default=str), encoding="utf-8")
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> "Results":
        """Read a run folder written by :meth:`save`."""
        folder = Path(folder)
        missing = [name for name in RUN_FILES if not (folder / name).is_file()]
        if missing:
            from .errors import ScenarioError

            raise ScenarioError.at(str(folder), None, (), f"not a run folder (missing {', '.join(missing)})",
                                   "name a folder written by `riskmodel run`")
        import pandas as pd

        return cls(
            outputs=_read(folder / "outputs.parquet", pd.read_parquet),
            parameters=_read(folder / "parameters.parquet", pd.read_parquet),
            bands=_read(folder / "bands.csv", pd.read_csv),
            register=_read(folder / "register.csv", pd.read_csv),
            meta=_read(folder / "run.json", read_run_json),
        )


def check_matches(results: "Results", scenario, folder: str | Path) -> None:
    """Raise ScenarioError unless a loaded run folder's tables hold the columns of ``scenario``.

    A folder whose ``outputs.parquet`` (or parameters, bands, register) was
    replaced by another run's would otherwise be rendered as this scenario's
    report: the outputs and parameters in the scenario's order, one band per
    state, one register row per risk, and as many rows as the run's paths.
    """
    from .errors import Position, Problem, ScenarioError

    folder = Path(folder)
    problems = []

    def differ(file: str, what: str, got: list, want: list) -> None:
        def shown(names):
            return ", ".join(map(str, names[:8])) + (f", ... ({len(names)} in all)" if len(names) > 8 else "") \
                or "none"
        problems.append(Problem(Position(str(folder / file)), (),
                                f"its {what} ({shown(got)}) are not the scenario's ({shown(want)})",
                                "the file comes from another run: run the scenario again to write the folder anew"))

    # as sets: a scenario rebuilt from the stored (key-sorted) document lists its names in another order
    for file, what, got, want in (
            ("outputs.parquet", "columns", list(results.outputs.columns), [o.name for o in scenario.outputs]),
            ("parameters.parquet", "columns", list(results.parameters.columns), [p.name for p in scenario.parameters]),
            ("bands.csv", "states", list(dict.fromkeys(results.bands["state"])) if "state" in results.bands else [],
             [s.name for s in scenario.states]),
            ("register.csv", "risks", list(results.register["risk"]) if "risk" in results.register else [],
             [r.id for r in scenario.risks])):
        if sorted(map(str, got)) != sorted(want):
            differ(file, what, got, want)
    samples = results.meta.get("samples")
    for file, table in (("outputs.parquet", results.outputs), ("parameters.parquet", results.parameters)):
        if isinstance(samples, int) and len(table) != samples:
            problems.append(Problem(Position(str(folder / file)), (), f"it holds {len(table):,} rows, and run.json "
                                    f"records {samples:,} paths", "run the scenario again to write the folder anew"))
    if problems:
        raise ScenarioError(problems)


def read_run_json(path: str | Path) -> dict:
    """A run folder's ``run.json``; a file that is not a JSON object is a ScenarioError naming it."""
    meta = _read(Path(path), lambda p: json.loads(Path(p).read_text(encoding="utf-8")))
    if not isinstance(meta, dict):
        from .errors import ScenarioError

        raise ScenarioError.at(str(path), None, (), "cannot be read as a run folder's run.json: not a JSON object",
                               "run the scenario again to write the folder anew")
    return meta


def _read(path: Path, reader):
    """``reader(path)``; a damaged file (truncated, not UTF-8, not the format) is a ScenarioError naming it."""
    try:
        return reader(path)
    except RecursionError:  # a run.json nested 100,000 deep
        from .errors import ScenarioError

        raise ScenarioError.at(str(path), None, (), f"cannot be read as a run folder's {path.name}: nested too "
                               "deep", "run the scenario again to write the folder anew") from None
    except ValueError as exc:  # JSON, CSV and Parquet (ArrowInvalid) errors, UnicodeDecodeError
        from .errors import ScenarioError

        reason = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise ScenarioError.at(str(path), None, (), f"cannot be read as a run folder's {path.name}: {reason}",
                               "run the scenario again to write the folder anew") from None

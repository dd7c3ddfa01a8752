"""The example reports shipped in reports/examples/ are what benchmarks/make_examples.py writes today.

They are the pages a newcomer opens first, without running anything; a change of a caption, of the
engine or of a scenario file that is not followed by `python benchmarks/make_examples.py` would leave
them stating what the code no longer says (round 2 shipped captions two commits old). The script is
run into a temporary folder and every Markdown page and register compared with the shipped one, line
by line, except the two header rows that differ on every run: the wall-clock simulation time and the
time of the run. The numbers are fixed by the scenarios' seeds, so the comparison is exact.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from conftest import ROOT

SHIPPED = ROOT / "reports" / "examples"
VARIES = re.compile(r"^\| (simulation time|run at) \|")


def _page(path):
    return [line for line in path.read_text(encoding="utf-8").splitlines() if not VARIES.match(line)]


@pytest.mark.slow
def test_the_shipped_example_reports_are_current(tmp_path):
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "make_examples.py"), "--out", str(tmp_path)],
                   check=True, capture_output=True, text=True)
    fresh = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.suffix in (".md", ".csv"))
    shipped = sorted(p.relative_to(SHIPPED) for p in SHIPPED.rglob("*") if p.suffix in (".md", ".csv"))
    assert fresh == shipped
    assert len(fresh) >= 5  # the two reports' pages, their registers and the folder's README
    for rel in fresh:
        assert _page(tmp_path / rel) == _page(SHIPPED / rel), (
            f"reports/examples/{rel} is stale: run `python benchmarks/make_examples.py`")

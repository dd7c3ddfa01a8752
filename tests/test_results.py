"""Results as a notebook meets them: a short repr, the register as HTML, one call to write a report."""

from __future__ import annotations

import riskmodel
from conftest import VALID


def test_repr_is_a_few_lines_with_the_register_numbers(write):
    res = riskmodel.run(write(VALID), samples=400, judgment_samples=0)
    text = repr(res)
    assert len(text.splitlines()) <= 4 and len(text) < 600
    r = res.register.iloc[0]
    assert "400 paths" in text and f"{r.risk} {r.likelihood:.3f} ± {r.se:.4f}" in text


def test_repr_html_is_the_register_with_text_escaped(write):
    path = write(VALID.replace("title: More than 30 attacks in the year", "title: More than 30 <b>attacks</b>"))
    res = riskmodel.run(path, samples=400, judgment_samples=0)
    page = res._repr_html_()
    assert "&lt;b&gt;attacks&lt;/b&gt;" in page and "<b>attacks</b>" not in page
    assert f"{res.register.likelihood.iloc[0]:.4f}" in page and "<table" in page


def test_run_with_out_and_write_report_write_the_same_register(write, tmp_path):
    path = write(VALID)
    res = riskmodel.run(path, samples=300, judgment_samples=0, out=tmp_path / "a", figures="summary")
    assert (tmp_path / "a" / "index.html").is_file() and (tmp_path / "a" / "register.csv").is_file()
    again = riskmodel.write_report(res, tmp_path / "b")
    assert (again / "index.html").is_file()
    assert (tmp_path / "a" / "register.csv").read_text() == (tmp_path / "b" / "register.csv").read_text()

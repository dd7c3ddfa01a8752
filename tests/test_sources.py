"""Tests for riskmodel.sources: the shipped registry, quote matching on the real texts, errors."""

from __future__ import annotations

import hashlib
import shutil
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from riskmodel.errors import ScenarioError
from riskmodel.sources import (
    PhraseHit,
    QuoteMatch,
    Registry,
    Source,
    check_sources,
    closest_passage,
    find_phrase,
    find_quote,
    load_registry,
    normalise,
    sha256_of,
    suggest_passage,
)

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "scenarios" / "sources"
REGISTRY = SOURCES / "registry.yaml"
SEEDS = ROOT.parent / "shared" / "seeds"

IDS = {
    "000_b63fa0e52479ec40.txt": "bnn-phased-withdrawal",
    "001_de698fddcc2b8ccd.txt": "withdrawal-concluded",
    "002_8ef430123d4cc39d.txt": "contrapuntal-2023-07-01",
    "003_df1559b31c3a4555.txt": "wilson-namatovu",
    "004_d8bf02bea6c95865.txt": "end-of-minusma-implications",
}
MOJIBAKE_QUOTE = "\u201cto continue honoring the ceasefire as MINUSMA withdraws\u201d"


@pytest.fixture(scope="module")
def registry() -> Registry:
    return load_registry(REGISTRY)


def lines_with(text: str, needle: str) -> list[int]:
    """1-based numbers of the lines holding needle: the expected line, computed by hand."""
    return [i + 1 for i, line in enumerate(text.split("\n")) if needle in line]


# --------------------------------------------------------------------------- shipped registry


def test_shipped_registry_loads_with_the_agreed_ids(registry):
    stored = [s for s in registry if not s.reference]
    assert tuple(s.id for s in stored) == tuple(IDS.values())
    assert {s.file.name: s.id for s in stored} == IDS
    assert all(s.file.is_absolute() for s in stored)
    assert registry.get("nope") is None and "wilson-namatovu" in registry and len(stored) == 5
    # The 35 reference pages of the research phase (issue 17), moved from the draft file, in its order,
    # each dated on or before the Mali case's as_of.
    import yaml
    draft = yaml.safe_load((Path(__file__).parent.parent / "scenarios/sources/evidence-2023/quotes.yaml").read_text())
    refs = [s for s in registry if s.reference]
    assert [s.id for s in refs] == [e["id"] for e in draft["sources"]] and len(refs) == 35
    assert all(s.url and (s.date or s.date_not_after) <= "2023-12-31" for s in refs)


def test_shipped_registry_states_only_what_the_texts_state(registry):
    c = registry.get("contrapuntal-2023-07-01")
    assert (c.title, c.publisher, c.date) == (
        "UN ends peacekeeping mission in Mali amidst deteriorating security", "The Contrapuntal", "2023-07-01")
    assert registry.get("bnn-phased-withdrawal").publisher == "BNN Breaking"
    assert "Wilson Center" in registry.get("wilson-namatovu").publisher
    assert "Namatovu" in registry.get("wilson-namatovu").note
    for sid in ("withdrawal-concluded", "end-of-minusma-implications"):
        s = registry.get(sid)
        assert s.publisher == "" and s.date == "" and "no publisher" in s.note
    assert all(s.url == "" for s in registry if not s.reference)  # no URL is known for any stored text
    assert [s.date for s in registry if s.date and not s.reference] == ["2023-07-01"]


def test_every_text_matches_its_registered_sha256(registry):
    for s in (s for s in registry if not s.reference):  # references have no stored text
        assert sha256_of(s.file) == s.sha256
        assert s.text.encode("utf-8") == s.file.read_bytes()
    assert check_sources(registry) == [] and check_sources(REGISTRY) == []


@pytest.mark.skipif(not SEEDS.is_dir(), reason="../shared/seeds is not present")
def test_texts_are_byte_identical_to_the_seeds():
    for name in IDS:
        assert (SOURCES / name).read_bytes() == (SEEDS / name).read_bytes(), name


def test_mojibake_is_kept_in_the_stored_text(registry):
    assert "\u00e2\u20ac\u0153to continue honoring the ceasefire" in registry.get("contrapuntal-2023-07-01").text


def test_entry_positions_point_at_the_registry_lines(registry):
    lines = REGISTRY.read_text(encoding="utf-8").split("\n")
    for s in registry:
        assert s.position.file == str(REGISTRY)
        assert lines[s.position.line - 1].strip() == f"- id: {s.id}"


# --------------------------------------------------------------------------- quote matching


@pytest.mark.parametrize("source_id, quote", [
    # exact
    ("bnn-phased-withdrawal", "risks will likely increase as the mission winds down"),
    ("contrapuntal-2023-07-01", "approximately 1,000 Wagner fighters"),
    ("wilson-namatovu", "Documenting some of the organization's actions"),
    ("end-of-minusma-implications", "could potentially create a security vacuum"),
    ("withdrawal-concluded", "310 peacekeepers losing their lives"),
    # whitespace: newlines, runs, tabs; the no-break spaces of the text read as spaces
    ("bnn-phased-withdrawal", "risks  will likely\nincrease as the\n\tmission winds   down"),
    ("contrapuntal-2023-07-01", "signatory parties to the 2015 Agreement on Peace"),
    ("wilson-namatovu", "  peace operations by\r\nJanuary 1, 2024  "),
    # typographic quotes and dashes, either way round
    ("bnn-phased-withdrawal", "the Malian people's security"),
    ("wilson-namatovu", "the organization\u2019s actions"),
    ("withdrawal-concluded", "stating, \"there was a gap between what we were mandated to do"),
    ("contrapuntal-2023-07-01", "\u00abdisinformation campaign\u00bb"),
    ("contrapuntal-2023-07-01", "two senior MINUSMA officials - spokesperson Olivier Salgado"),
    ("contrapuntal-2023-07-01", "officials\u2013spokesperson"),
    # case
    ("end-of-minusma-implications", "THE WITHDRAWAL OF MINUSMA SIGNIFIES A SIGNIFICANT SHIFT"),
    ("bnn-phased-withdrawal", "Risks Will Likely Increase"),
    # mojibake in the text: a typographic, a plain and a damaged quote all match
    ("contrapuntal-2023-07-01", MOJIBAKE_QUOTE),
    ("contrapuntal-2023-07-01", '"to continue honoring the ceasefire as MINUSMA withdraws"'),
    ("contrapuntal-2023-07-01", "to continue honoring the ceasefire as MINUSMA withdraws"),
    ("contrapuntal-2023-07-01", "\u00e2\u20ac\u0153to continue honoring the ceasefire"),
    ("contrapuntal-2023-07-01", "in Mali \u201cto continue honoring"),
])
def test_find_quote_tolerates_form(registry, source_id, quote):
    match = find_quote(registry.get(source_id), quote)
    assert isinstance(match, QuoteMatch), quote
    source = registry.get(source_id)
    assert source.text[match.start:match.end] == match.passage
    assert match.line == source.text.count("\n", 0, match.start) + 1


def test_ellipsis_and_ligatures_match_their_plain_forms():
    source = Source(id="s", title="S", text="First line.\nThe \ufb01ghters\u2026 left\u00a0\u2014 for now.\n")
    for quote in ("the fighters... left - for now", "THE FIGHTERS\u2026 LEFT\u2013FOR NOW", "left-for now"):
        match = find_quote(source, quote)
        assert match is not None and match.line == 2, quote


def test_mojibake_quote_is_reported_at_its_line(registry):
    source = registry.get("contrapuntal-2023-07-01")
    match = find_quote(source, MOJIBAKE_QUOTE)
    assert match.line == 19 and lines_with(source.text, "honoring the ceasefire") == [19]
    assert match.passage == "\u00e2\u20ac\u0153to continue honoring the ceasefire as MINUSMA withdraws\u201d"


def test_line_number_checked_by_hand(registry):
    # `grep -n "approximately 1,000 Wagner" 002_8ef430123d4cc39d.txt` prints 21
    source = registry.get("contrapuntal-2023-07-01")
    match = find_quote(source, "approximately 1,000\nWagner fighters")
    assert match.line == 21
    assert match.passage == "approximately 1,000 Wagner fighters"
    assert source.text.split("\n")[20].count("approximately 1,000 Wagner fighters") == 1
    # the heading of 000 is on line 2 (the file begins with an empty line)
    assert find_quote(registry.get("bnn-phased-withdrawal"), "UN Continues Phased Withdrawal").line == 2


def test_match_spanning_lines_reports_its_first_line(registry):
    source = registry.get("bnn-phased-withdrawal")
    match = find_quote(source, "as stipulated by UN Security Council Resolution 2690. The resolution calls for")
    assert match.line == 4 and "\n" in match.passage


@pytest.mark.parametrize("source_id, quote, right", [
    ("bnn-phased-withdrawal", "risks will probably increase as the mission winds down",
     "risks will likely increase as the mission winds down"),
    ("contrapuntal-2023-07-01", "approximately 2,000 Wagner fighters who control vast areas",
     "approximately 1,000 Wagner fighters who control vast areas"),
    ("contrapuntal-2023-07-01", "\u201cto continue respecting the ceasefire as MINUSMA withdraws\u201d",
     "to continue honoring the ceasefire as MINUSMA withdraws"),
    ("end-of-minusma-implications", "could potentially create a security gap",
     "could potentially create a security vacuum"),
])
def test_a_word_changed_is_not_found_and_the_right_passage_is_suggested(registry, source_id, quote, right):
    source = registry.get(source_id)
    assert find_quote(source, quote) is None
    suggestion = suggest_passage(source, quote)
    assert right in suggestion
    expected_line = lines_with(source.text, right)[0]
    assert suggestion.endswith(f"(line {expected_line})")
    best = closest_passage(source, quote)
    assert best.line == expected_line and 0.8 < best.score < 1.0
    assert best.passage == source.text[best.start:best.end]


def test_suggestion_keeps_the_text_as_stored(registry):
    source = registry.get("contrapuntal-2023-07-01")
    suggestion = suggest_passage(source, "in Mali \u201cto keep honoring the ceasefire as MINUSMA withdraws\u201d")
    assert "\u00e2\u20ac\u0153to continue honoring" in suggestion  # original text, not the repair
    assert "\n" not in suggestion


def test_long_suggestion_is_cut(registry):
    source = registry.get("wilson-namatovu")
    quote = "Zebra " + " ".join(source.text.split()[201:320])
    suggestion = suggest_passage(source, quote, max_chars=80)
    assert len(suggestion) < 100 and "\u2026" in suggestion


@pytest.mark.parametrize("quote", ["", "   ", "\n\t", "\u200b"])
def test_empty_quotes_never_match(registry, quote):
    for source in registry:
        assert find_quote(source, quote) is None
        assert suggest_passage(source, quote) == ""
    assert find_phrase(registry, quote) == []


@pytest.mark.parametrize("source_id, quote", [
    ("contrapuntal-2023-07-01", "000 Wagner fighters"),  # inside 1,000
    ("contrapuntal-2023-07-01", "approximately 1"),  # cut before ,000
    ("bnn-phased-withdrawal", "isks will likely increase"),  # starts inside a word
    ("bnn-phased-withdrawal", "risks will likely incr"),  # ends inside a word
    ("end-of-minusma-implications", "310 peacekeepers kill"),  # ends inside "killed"
])
def test_a_quote_must_not_cut_a_word(registry, source_id, quote):
    assert find_quote(registry.get(source_id), quote) is None


def test_word_boundary_accepts_a_later_occurrence():
    source = Source(id="s", title="S", text="11,000 fighters here.\nAbout 1,000 fighters there.")
    match = find_quote(source, "1,000 fighters")
    assert match.line == 2 and match.passage == "1,000 fighters"


# --------------------------------------------------------------------------- normalise


def test_normalise_maps_back_to_the_input():
    text = "Mali\u00a0\u00e2\u20ac\u0153To  Continue\u201d \u2014 Ca\u0301fe\u0301 \u2026 \ufb01ne"
    norm, offsets = normalise(text)
    assert norm == 'mali "to continue"-c\u00e1f\u00e9 ... fine'
    assert len(offsets) == len(norm)
    assert offsets == sorted(offsets) and all(0 <= o < len(text) for o in offsets)
    assert text[offsets[norm.index('"')]] == "\u00e2"  # the repaired quote points at the mojibake
    assert text[offsets[norm.index("to")]] == "T"


def test_normalise_of_a_quote_and_text_agree():
    assert normalise("\u201cA\u2019s\u00a0\u2013 B\u2026\u201d")[0] == normalise('"a\'s-b..."')[0]


_PIECES = st.sampled_from([
    "Mali", "MINUSMA", "1,000", "Wagner", "\u2019s", "\u201c", "\u201d", "\u00e2\u20ac\u0153", "\u2014", "-",
    "\u2026", "\u00a0", " ", "  ", "\n", "\t", "C\u00f4te", "e\u0301", "\ufb01", "\u200b", "stra\u00dfe", ".", ",",
])


@settings(max_examples=60, deadline=None)
@given(st.lists(_PIECES, min_size=1, max_size=30))
def test_normalise_offsets_are_monotone_and_in_range(pieces):
    text = "".join(pieces)
    norm, offsets = normalise(text)
    assert len(offsets) == len(norm)
    assert offsets == sorted(offsets)
    assert all(0 <= o < len(text) for o in offsets)
    assert norm == norm.strip() and "  " not in norm


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["Mali\u2019s", "security", "1,000", "\u201cWagner\u201d", "\u00e2\u20ac\u0153to",
                                 "honoring", "UN", "withdraws"]), min_size=3, max_size=20),
       st.data())
def test_any_run_of_whole_words_is_found(words, data):
    seps = data.draw(st.lists(st.sampled_from([" ", "\n", "  ", "\u00a0"]), min_size=len(words) - 1,
                              max_size=len(words) - 1))
    text = words[0] + "".join(s + w for s, w in zip(seps, words[1:]))
    source = Source(id="s", title="S", text=text)
    a = data.draw(st.integers(0, len(words) - 1))
    b = data.draw(st.integers(a + 1, len(words)))
    quote = "".join(c.upper() if c.isascii() else c for c in " ".join(words[a:b]))
    match = find_quote(source, quote)
    assert match is not None
    assert text[match.start:match.end] == match.passage
    assert match.line == text.count("\n", 0, match.start) + 1


# --------------------------------------------------------------------------- find_phrase


def test_find_phrase_finds_wagner_in_the_expected_sources(registry):
    hits = find_phrase(registry, "Wagner")
    assert all(isinstance(h, PhraseHit) for h in hits)
    assert {h.source for h in hits} == {
        "bnn-phased-withdrawal", "contrapuntal-2023-07-01", "wilson-namatovu", "end-of-minusma-implications"}
    for h in hits:
        source = registry.get(h.source)
        assert "wagner" in h.context.lower() and "\n" not in h.context
        assert source.text[h.start:h.end] == "Wagner"
        assert h.line in lines_with(source.text, "Wagner")
    in_002 = [h for h in hits if h.source == "contrapuntal-2023-07-01"]
    assert [h.line for h in in_002] == [21, 29]
    assert in_002[0].context.startswith("However, concerns have been raised")
    assert in_002[0].context.endswith("central desert regions.")
    assert len(hits) == sum(s.text.count("Wagner") for s in registry)


def test_find_phrase_uses_the_same_normalisation(registry):
    hits = find_phrase(registry, "\u201cTO CONTINUE  honoring")
    assert [(h.source, h.line) for h in hits] == [("contrapuntal-2023-07-01", 19)]
    assert find_phrase(registry, "no such phrase anywhere") == []
    assert {h.source for h in find_phrase(registry, "displace")} >= {"wilson-namatovu"}  # inside words too


# --------------------------------------------------------------------------- registry errors


def _copy_shipped(tmp_path: Path) -> Path:
    folder = tmp_path / "sources"
    folder.mkdir()
    shutil.copy(REGISTRY, folder / "registry.yaml")
    for name in IDS:
        shutil.copy(SOURCES / name, folder / name)
        (folder / name).chmod(0o644)
    return folder / "registry.yaml"


def _flip_one_byte(path: Path, offset: int = 100) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def test_a_tampered_text_is_an_error_naming_the_file_and_registry_line(tmp_path):
    registry = _copy_shipped(tmp_path)
    assert tuple(s.id for s in load_registry(registry) if not s.reference) == tuple(IDS.values())
    name = "003_df1559b31c3a4555.txt"
    _flip_one_byte(registry.parent / name)
    with pytest.raises(ScenarioError) as info:
        load_registry(registry)
    (problem,) = info.value.problems
    lines = registry.read_text(encoding="utf-8").split("\n")
    file_line = lines.index(f"    file: {name}") + 1
    assert problem.position.line == file_line + 1 == lines_with("\n".join(lines), "sha256: 2de36b58")[0]
    assert problem.key_path == ("sources", 3, "sha256")
    text = str(info.value)
    assert text.startswith(f"{registry}:{file_line + 1}: sources[3].sha256: sha256 of {name} differs: ")
    assert "registered 2de36b58\u2026, file has " in text
    assert text.endswith("; restore the original text or re-register it")
    assert check_sources(registry) == list(info.value.problems)


def _write_inline(tmp_path: Path) -> Path:
    a, b = b"Alpha text.\n", "Beta \u2019text\u2019.\n".encode("utf-8")
    (tmp_path / "a.txt").write_bytes(a)
    (tmp_path / "b.txt").write_bytes(b)
    sha_a, sha_b = hashlib.sha256(a).hexdigest(), hashlib.sha256(b).hexdigest()
    path = tmp_path / "registry.yaml"
    path.write_text(textwrap.dedent(f"""\
        schema: riskmodel-sources/1
        sources:
          - id: alpha
            title: Alpha
            file: a.txt
            sha256: {sha_a}
          - id: beta
            titel: Beta
            file: b.txt
            sha256: {sha_b}
          - id: gamma
            title: Gamma
            file: missing.txt
            sha256: {"f" * 64}
          - id: alpha
            title: Alpha again
            file: b.txt
            sha256: {sha_b}
          - id: delta
            title: Delta
            date: 2023-07-01
            file: b.txt
            sha256: {sha_b.upper()}
        """), encoding="utf-8")
    return path


def test_inline_registry_loads_before_tampering(tmp_path):
    path = _write_inline(tmp_path)
    path.write_text(path.read_text().replace("titel:", "title:").replace("missing.txt", "a.txt")
                    .replace("f" * 64, hashlib.sha256(b"Alpha text.\n").hexdigest())
                    .replace("  - id: alpha\n    title: Alpha again", "  - id: alpha2\n    title: Alpha again"))
    reg = load_registry(path)
    assert reg.ids == ("alpha", "beta", "gamma", "alpha2", "delta")
    assert reg.get("delta").date == "2023-07-01"  # an unquoted date reads as text
    assert [s.position.line for s in reg] == [3, 7, 11, 15, 19]
    assert find_quote(reg.get("beta"), "beta 'TEXT'").line == 1


def test_all_problems_are_reported_together_with_their_lines(tmp_path):
    path = _write_inline(tmp_path)
    (tmp_path / "a.txt").write_bytes(b"Alpha text!\n")  # tampered
    with pytest.raises(ScenarioError) as info:
        load_registry(path)
    got = [(p.position.line, p.key_path) for p in info.value.problems]
    assert got == [
        (6, ("sources", 0, "sha256")),
        (8, ("sources", 1, "titel")),
        (13, ("sources", 2, "file")),
        (15, ("sources", 3, "id")),
    ]
    lines = str(info.value).split("\n")
    assert len(lines) == 4
    assert lines[0].startswith(f"{path}:6: sources[0].sha256: sha256 of a.txt differs: registered ")
    assert lines[1] == f"{path}:8: sources[1].titel: unknown key 'titel'; did you mean 'title'?"
    assert lines[2].startswith(f"{path}:13: sources[2].file: text file 'missing.txt' not found")
    assert lines[3] == (f"{path}:15: sources[3].id: duplicate id 'alpha' (first registered at line 3); "
                        "give each source its own id")


@pytest.mark.parametrize("change, line, key_path, message", [
    (("schema: riskmodel-sources/1", "schema: riskmodel/1"), 1, ("schema",), "schema is 'riskmodel/1'"),
    (("schema: riskmodel-sources/1\n", ""), 1, (), "the registry has no 'schema' line"),
    (("sources:", "sorces:"), 2, ("sorces",), "unknown key 'sorces'; did you mean 'sources'?"),
    (("    title: Gamma\n", ""), 11, ("sources", 2), "missing 'title'"),
    (("    title: Gamma", "    title: ''"), 12, ("sources", 2, "title"), "'title' is empty"),
    (("sha256: " + "f" * 64, "sha256: 0abc"), 14, ("sources", 2, "sha256"), "is not 64 hex digits"),
    (("sha256: " + "f" * 64, "sha256: " + "1" * 64), 14, ("sources", 2, "sha256"), "must be text, not a number"),
    (("date: 2023-07-01", "date: July 1, 2023"), 21, ("sources", 4, "date"), "is not a calendar date"),
    (("date: 2023-07-01", "date: '2023-02-30'"), 21, ("sources", 4, "date"), "is not a calendar date"),
    (("date: 2023-07-01", "url: example.org"), 21, ("sources", 4, "url"), "is not a web address"),
    (("title: Delta", "title: [Delta]"), 20, ("sources", 4, "title"), "'title' must be text, not a list"),
    (("  - id: delta", "  - id: del ta"), 19, ("sources", 4, "id"), "has characters an id may not hold"),
])
def test_each_shape_problem_names_line_and_key(tmp_path, change, line, key_path, message):
    path = _write_inline(tmp_path)
    text = path.read_text(encoding="utf-8")
    # keep only the last entry's problems by repairing the others first
    text = text.replace("titel:", "title:").replace("missing.txt", "a.txt")
    if "f" * 64 not in change[0]:
        text = text.replace("f" * 64, hashlib.sha256(b"Alpha text.\n").hexdigest())
    text = text.replace("  - id: alpha\n    title: Alpha again", "  - id: alpha2\n    title: Alpha again")
    assert change[0] in text
    path.write_text(text.replace(change[0], change[1]), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_registry(path)
    problems = [p for p in info.value.problems if "missing.txt" not in p.message]
    assert [(p.position.line, p.key_path) for p in problems] == [(line, key_path)], str(info.value)
    assert message in str(problems[0])


def test_sources_must_be_a_list(tmp_path):
    path = tmp_path / "registry.yaml"
    path.write_text("schema: riskmodel-sources/1\nsources: {a: 1}\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"registry.yaml:2: sources: 'sources' must be a list"):
        load_registry(path)


def test_a_text_that_is_not_utf8_is_reported_at_the_registry_line(tmp_path):
    path = _write_inline(tmp_path)
    text = path.read_text().replace("titel:", "title:").replace("missing.txt", "a.txt")
    text = text.replace("f" * 64, hashlib.sha256(b"Alpha text.\n").hexdigest())
    path.write_text(text.replace("  - id: alpha\n    title: Alpha again", "  - id: alpha2\n    title: Alpha again"))
    (tmp_path / "b.txt").write_bytes(b"line one\ncaf\xe9\n")
    with pytest.raises(ScenarioError) as info:
        load_registry(path)
    assert [(p.position.line, p.key_path) for p in info.value.problems] == [
        (9, ("sources", 1, "file")), (17, ("sources", 3, "file")), (22, ("sources", 4, "file"))]
    assert "b.txt (line 2): source text is not valid UTF-8" in str(info.value)


def test_a_missing_registry_is_an_error(tmp_path):
    with pytest.raises(ScenarioError, match="source registry not found"):
        load_registry(tmp_path / "nope.yaml")


def test_reference_entries_and_date_not_after(tmp_path):
    """An entry with url and no file is a reference (no text, no hash); date_not_after is a calendar day, not
    given with a date; the first and last day a partial date can mean."""
    import datetime as dt

    from riskmodel.errors import ScenarioError
    from riskmodel.sources import date_range, load_registry

    reg = tmp_path / "registry.yaml"
    reg.write_text("schema: riskmodel-sources/1\nsources:\n"
                   "  - id: ref\n    title: A reference\n    date: 2023-12-31\n    url: https://example.org/r\n",
                   encoding="utf-8")
    (s,) = load_registry(reg).sources
    assert s.reference and s.text == "" and s.sha256 == "" and s.date == "2023-12-31"
    reg.write_text("schema: riskmodel-sources/1\nsources:\n"
                   "  - id: ref\n    title: A reference\n    date: 2023-12-31\n    date_not_after: 2023-12-31\n"
                   "    url: https://example.org/r\n"
                   "  - id: odd\n    title: Neither\n    date_not_after: \"2023-13-01\"\n    url: https://example.org/o\n",
                   encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        load_registry(reg)
    got = [(p.key_path, p.position.line, p.message) for p in err.value.problems]
    assert got == [(("sources", 0, "date_not_after"), 6, "a source with a date needs no date_not_after"),
                   (("sources", 1, "date_not_after"), 10, "date_not_after '2023-13-01' is not a calendar day")]
    assert date_range("2023-02") == (dt.date(2023, 2, 1), dt.date(2023, 2, 28))
    assert date_range("2023") == (dt.date(2023, 1, 1), dt.date(2023, 12, 31))
    assert date_range("2023-07-01") == (dt.date(2023, 7, 1),) * 2 and date_range("") is None


# ---------------------------------------------------------------------------
# long texts: normalised word by word, closest passages from a word index


def _long_text(registry, n_chars: int = 400_000, seed: int = 3) -> str:
    """Sentences of the registered texts shuffled into one long text (mojibake and typographic quotes kept)."""
    import random

    pieces = [line for s in registry if s.text for line in s.text.splitlines() if line.strip()]
    rng, out, size = random.Random(seed), [], 0
    while size < n_chars:
        piece = rng.choice(pieces)
        out.append(piece)
        size += len(piece) + 1
    return "\n".join(out)


def test_word_by_word_normalisation_equals_the_character_by_character_one_on_the_registered_texts(registry):
    from riskmodel._normalise import _normalise_by_word, _normalise_full

    for source in registry:
        if source.text:
            assert _normalise_by_word(source.text) == _normalise_full(source.text), source.id


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab Z1,.-–\t\n\xa0\u2009\u200b\u00ad“”’`&éÂÃ€œ™\u0301")), max_size=40))
def test_word_by_word_normalisation_gives_the_same_text(text):
    from riskmodel._normalise import _normalise_by_word, _normalise_full

    by_word, full = _normalise_by_word(text), _normalise_full(text)
    assert by_word[0] == full[0]
    assert len(by_word[1]) == len(by_word[0]) and all(0 <= a < b <= len(text) for a, b in zip(*by_word[1:]))


def test_in_a_long_text_a_misquote_finds_its_passage_through_the_index(registry):
    import random

    from riskmodel import quotes as S

    text = _long_text(registry)
    source = Source(id="long", title="long", text=text)
    assert len(S._word_index(S._normalised(text)[0])[1]) > S._EXACT_SCAN_WORDS  # the index is what answers
    rng = random.Random(11)
    lines = [line for line in text.splitlines() if len(line.split()) >= 14 and line.isascii()]
    for line in rng.sample(lines, 8):
        words = line.split()[2:14]
        passage = " ".join(words)
        j = rng.randrange(1, len(words) - 1)
        misquote = " ".join(words[:j] + [words[j] + "x"] + words[j + 1:])  # one word misspelt
        assert find_quote(source, misquote) is None
        best = closest_passage(source, misquote)
        assert " ".join(best.passage.split()) == passage, (misquote, best.passage)
        assert best.passage == text[best.start:best.end] and 0.9 < best.score < 1.0

"""Reading the numbers a quote states (riskmodel.numbers)."""

import pytest
from hypothesis import given, settings, strategies as st

from riskmodel.numbers import format_number, read_numbers, stated_values, states, word_count

NBSP, NNBSP = "\u00a0", "\u202f"

# (quote, the values it states in order); quotes 1-23 stand in the five seed texts as written
TABLE = [
    # bnn-phased-withdrawal (000)
    ("As of now, 3,367 MINUSMA personnel", [3367]),
    ("116 Senegalese peacekeepers repatriated from Mopti Camp on September 20", [116, 20]),
    ("UN peacekeeping deployment with at least 15,200 peacekeepers", [15200]),
    ("two military takeovers in August 2020 and May 2021", [2, 2020, 2021]),
    ("a full withdrawal by the end of December 2023", [2023]),
    ("Resolution 2690", [2690]),
    # withdrawal-concluded (001)
    ("With 310 peacekeepers losing their lives", [310]),
    ("the necessity for the 12,000 peacemakers to exit", [12000]),
    ("relinquished control of one of its last major camps", [1]),
    ("having experienced military coups in 2020 and 2021", [2020, 2021]),
    ("After a decade-long presence", [10]),
    # contrapuntal (002)
    ("adopted by a 15-0 vote", [15, 0]),
    ("it will take six months for the final", [6]),
    ("around 15,000 armed and civilian personnel", [15000]),
    ("amounting to $1.2 billion annually", [1.2e9]),
    ("approximately 1,000 Wagner fighters", [1000]),
    ("this has resulted in the loss of 303 peacekeepers", [303]),
    ("the alleged massacre of over 500 individuals", [500]),
    ("July 1, 2023", [1, 2023]),
    ("2 mins read", [2]),
    # wilson-namatovu (003)
    ("will cease its peace operations by January 1, 2024", [1, 2024]),
    ("more than 100 peacekeepers dead", [100]),
    # end-of-minusma-implications (004)
    ("two coups occurring in 2020 and 2021, leading to military rule", [2, 2020, 2021]),
    # made-up phrases: separators, decimals, scales
    (f"some 15{NBSP}200 soldiers", [15200]),
    (f"about 15{NNBSP}200 soldiers", [15200]),
    (f"1{NNBSP}234{NNBSP}567 people", [1234567]),
    ("nearly 2.7 million displaced", [2.7e6]),
    ("a budget of 5 thousand dollars", [5000]),
    ("costs of $3bn a year", [3e9]),
    ("a rate of 0.25 per month", [0.25]),
    ("grew by .5 points", [0.5]),
    # percentages
    ("40% of the population", [40]),
    ("12.5 percent of households", [12.5]),
    ("7 per cent of the budget", [7]),
    ("between 10-20% of returns", [10, 20]),
    # ranges
    ("50,000-70,000 refugees", [50000, 70000]),
    ("50,000–70,000 refugees", [50000, 70000]),
    ("between 303 and 310 peacekeepers", [303, 310]),
    ("from 3 to 5 months", [3, 5]),
    ("2-3 million people", [2e6, 3e6]),
    ("800 to 1,250 fighters", [800, 1250]),
    # number words
    ("two coups in a decade", [2, 10]),
    ("a dozen attacks", [12]),
    ("half of the displaced returned", [0.5]),
    ("twenty-five villages", [25]),
    ("forty two incidents", [42]),
    ("two hundred fighters", [200]),
    ("a thousand fighters", [1000]),
    ("three million people", [3e6]),
    ("a third of the country", [1 / 3]),
    ("a quarter of the budget", [0.25]),
    ("attacks rose twice as fast", [2]),
    ("nineteen soldiers were killed", [19]),
]

NONE = [
    "tensions between Rwanda and the DRC",
    "an armed insurgency that has claimed thousands of lives",
    "risks will likely increase as the mission winds down",
    "could potentially create a security vacuum",
    "dozens of villages and several hundreds of people",
    "the",
    ".",
    ",",
    "the decade-long peacekeeping mission",
    "the first time",
]


def test_table_has_forty_quotes():
    assert len(TABLE) >= 40


@pytest.mark.parametrize("quote, expected", TABLE, ids=[q for q, _ in TABLE])
def test_reads_the_numbers_stated(quote, expected):
    got = [s.value for s in read_numbers(quote)]
    assert got == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("quote", NONE)
def test_states_no_number(quote):
    assert read_numbers(quote) == ()


def test_seed_texts_hold_the_table_quotes():
    """The first 22 table quotes stand in the seed texts as written (so the table tests real prose)."""
    from pathlib import Path

    from riskmodel.sources import find_quote, load_registry

    reg = load_registry(Path(__file__).parent.parent / "scenarios" / "sources" / "registry.yaml")
    for quote, _ in TABLE[:23]:
        assert any(find_quote(s, quote) for s in reg), quote


def test_percent_states_a_share_and_ranges_keep_their_pair():
    (s,) = read_numbers("40% of the population")
    assert s.percent and s.share == pytest.approx(0.4)
    assert states("40% of the population", 0.4) and states("40% of the population", 40)
    a, b = read_numbers("between 303 and 310")
    assert (a.range_with, b.range_with) == (310, 303)
    # a descending pair joined by a dash is two numbers, not a range
    x, y = read_numbers("a 15-0 vote")
    assert x.range_with is None and y.range_with is None


def test_qualifiers_kept_value_unchanged():
    (s,) = read_numbers("the alleged massacre of over 500 individuals")
    assert (s.value, s.qualifier) == (500, "over")
    (s,) = read_numbers("at least 15,200 peacekeepers")
    assert s.qualifier == "at least"


def test_unit_scale_states_the_figure_before_scaling():
    assert not states("$1.2 billion annually", 1.2)
    assert states("$1.2 billion annually", 1.2, unit="billion USD")
    assert states("$1.2 billion annually", 1.2e9)


def test_plain_space_groups_thousands_only_in_groups_of_three():
    # French texts copied from the web write "422 000" with an ordinary space (the OCHA quote of the
    # Mali case); years side by side are never grouped (a first group has at most three digits).
    assert stated_values("in 2020 2021") == (2020, 2021)
    assert stated_values("June 30 2023") == (30, 2023)
    assert stated_values("plus de 422 000 personnes") == (422000,)
    assert stated_values("de 386 454 personnes à 377 781") == (386454, 377781)
    assert stated_values("15 200") == (15200,)  # the ambiguity the rule accepts: read as 15,200
    assert stated_values("1 2345") == (1, 2345)  # a last group of four digits is not a thousands group


def test_word_count():
    assert word_count("the") == (1, 0)
    assert word_count("1,000 fighters") == (1, 1)
    assert word_count("over 500 individuals") == (2, 1)
    assert word_count(".") == (0, 0)


# ---- hypothesis: random numbers written into random templates are read back exactly -----------------

TEMPLATES = [
    "approximately {} fighters", "at least {} peacekeepers", "the loss of {} lives in {} attacks",
    "around {} armed and civilian personnel", "{} people were displaced", "a budget of {} per year",
    "over {} individuals, and {} more later", "between {} and {} refugees",
]


def _write(x, style):
    """A number as prose writes it: plain, grouped with ',', no-break or narrow no-break spaces, decimal."""
    if style == "plain":
        return str(x)
    if style == "decimal":
        return f"{x / 100:.2f}"
    sep = {"comma": ",", "nbsp": NBSP, "nnbsp": NNBSP}[style]
    return f"{x:,}".replace(",", sep)


@settings(max_examples=300, deadline=None)
@given(template=st.sampled_from(TEMPLATES),
       xs=st.lists(st.integers(min_value=0, max_value=10**9), min_size=2, max_size=2),
       style=st.sampled_from(["plain", "comma", "nbsp", "nnbsp", "decimal"]))
def test_random_numbers_read_back(template, xs, style):
    n = template.count("{}")
    xs = xs[:n]
    if template.startswith("between") and not xs[0] < xs[1]:
        xs = sorted(set(xs)) if len(set(xs)) == 2 else [xs[0], xs[0] + 1]
    written = [_write(x, style) for x in xs]
    quote = template.format(*written)
    expected = [float(w.replace(",", "").replace(NBSP, "").replace(NNBSP, "")) for w in written]
    assert [s.value for s in read_numbers(quote)] == expected


@settings(max_examples=200, deadline=None)
@given(mantissa=st.integers(min_value=1, max_value=999), tenths=st.integers(min_value=0, max_value=9),
       scale=st.sampled_from([("thousand", 1e3), ("million", 1e6), ("billion", 1e9)]),
       pct=st.booleans())
def test_random_scales_and_percentages(mantissa, tenths, scale, pct):
    text = f"{mantissa}.{tenths}"
    if pct:
        (s,) = read_numbers(f"rose by {text}% last year")
        assert s.value == pytest.approx(float(text), rel=1e-12) and s.share == pytest.approx(float(text) / 100)
    else:
        (s,) = read_numbers(f"nearly {text} {scale[0]} people")
        assert s.value == pytest.approx(float(text) * scale[1], rel=1e-12)


def test_format_number():
    assert format_number(15200) == "15,200"
    assert format_number(0.4) == "0.4"
    assert format_number(999.0) == "999"

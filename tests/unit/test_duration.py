"""parse_go_duration against Go's own time.ParseDuration and a port of Go's Duration.String."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fcwatch.spec import InvalidSpec, parse_go_duration, parse_go_duration_ns

MAX_NS = (1 << 63) - 1
MIN_NS = -(1 << 63)

# Recorded from Go 1.26 `time.ParseDuration` (int64 nanoseconds; None: Go returns an error).
# The last three show Go's float64 rounding of fractions, which we reproduce on purpose
# (exact arithmetic would give one nanosecond more).
GO_PARSE_DURATION = [
    ("", None),
    ("0", 0),
    ("+0", 0),
    ("-0", 0),
    ("5", None),
    ("0s", 0),
    ("1s", 1000000000),
    ("300ms", 300000000),
    ("1.5h", 5400000000000),
    ("2h45m", 9900000000000),
    ("1m30s", 90000000000),
    ("-1.5h", -5400000000000),
    ("+5s", 5000000000),
    ("1ns", 1),
    ("1us", 1000),
    ("1µs", 1000),
    ("1μs", 1000),
    ("1ms", 1000000),
    ("1m", 60000000000),
    ("1h", 3600000000000),
    ("1d", None),
    ("1sec", None),
    ("s", None),
    (".s", None),
    ("-.s", None),
    ("1.s", 1000000000),
    (".5s", 500000000),
    ("1.", None),
    ("1.5", None),
    ("1.0000000001s", 1000000000),
    ("0.1ns", 0),
    ("1.9ns", 1),
    ("3.000000001s", 3000000001),
    ("0.3h", 1080000000000),
    ("0.7ms", 700000),
    ("1h1h", 7200000000000),
    ("1s1ms1us1ns", 1001001001),
    ("1.004s", 1004000000),
    ("100.00100s", 100001000000),
    ("1.0000000000000000000001s", 1000000000),
    ("123456789.123456789s", 123456789123456789),
    ("9223372036854775807ns", 9223372036854775807),
    ("9223372036854775808ns", None),
    ("-9223372036854775808ns", -9223372036854775808),
    ("-9223372036854775809ns", None),
    ("2562047h47m16.854775807s", 9223372036854775807),
    ("2562047h47m16.854775808s", None),
    ("-2562047h47m16.854775808s", -9223372036854775808),
    ("2562048h", None),
    ("9223372036.854775807s", 9223372036854775807),
    ("9223372036.854775808s", None),
    ("0.000000001s", 1),
    ("0.0000000009s", 0),
    ("1e3s", None),
    (" 5s", None),
    ("5s ", None),
    ("5 s", None),
    ("5S", None),
    ("5Ms", None),
    ("1h-1m", None),
    ("--5s", None),
    ("-+5s", None),
    ("5s.", None),
    ("5s.5", None),
    ("0.5m", 30000000000),
    ("4.99999999s", 4999999990),
    ("5.000000000s", 5000000000),
    ("4999ms", 4999000000),
    ("5000ms", 5000000000),
    ("5000000us", 5000000000),
    ("0x10s", None),
    ("1_000s", None),
    ("\u0661s", None),  # an Arabic-Indic digit is not a digit to Go
    ("1h 1m", None),
    ("00005s", 5000000000),
    ("0.30000000000000000000000000000000000000000001h", 1080000000000),
    ("99999999999999999999s", None),
    ("1.5µs", 1500),
    ("2.5μs", 2500),
    ("0.0001us", 0),
    ("0.001us", 1),
    ("0.0010us", 1),
    ("1.1us", 1100),
    ("33.333333333333333333s", 33333333333),
    ("0.1h0.1m0.1s", 366100000000),
    ("1.h", 3600000000000),
    ("h", None),
    ("ms", None),
    ("-", None),
    ("+", None),
    ("0.00942099898750h", 33915596354),
    ("0.24513942838250h", 882501942176),
    ("0.03081730642000h", 110942303111),
]


@pytest.mark.parametrize(("text", "expected_ns"), GO_PARSE_DURATION)
def test_matches_go_parse_duration(text: str, expected_ns: int | None) -> None:
    if expected_ns is None:
        with pytest.raises(InvalidSpec):
            parse_go_duration_ns(text)
    else:
        assert parse_go_duration_ns(text) == expected_ns


def go_format_duration(ns: int) -> str:
    """A port of Go's ``time.Duration.String`` (the reference formatter)."""
    if ns == 0:
        return "0s"
    sign = "-" if ns < 0 else ""
    magnitude = abs(ns)

    def fraction(value: int, precision: int) -> tuple[str, int]:
        digits = str(value % 10**precision).rjust(precision, "0").rstrip("0")
        return ("." + digits if digits else ""), value // 10**precision

    if magnitude < 1_000_000_000:
        if magnitude < 1_000:
            return f"{sign}{magnitude}ns"
        unit, precision = ("µs", 3) if magnitude < 1_000_000 else ("ms", 6)
        frac, whole = fraction(magnitude, precision)
        return f"{sign}{whole}{frac}{unit}"
    frac, seconds = fraction(magnitude, 9)
    text = f"{seconds % 60}{frac}s"
    minutes = seconds // 60
    if minutes:
        text = f"{minutes % 60}m{text}"
        hours = minutes // 60
        if hours:
            text = f"{hours}h{text}"
    return sign + text


@pytest.mark.parametrize(
    ("ns", "text"),
    [
        (0, "0s"),
        (1, "1ns"),
        (1_100, "1.1µs"),
        (2_200_000, "2.2ms"),
        (3_300_000_000, "3.3s"),
        (4 * 60 * 10**9 + 5 * 10**9, "4m5s"),
        (4 * 60 * 10**9 + 5_001_000_000, "4m5.001s"),
        (5 * 3600 * 10**9 + 6 * 60 * 10**9 + 7_001_000_000, "5h6m7.001s"),
        (8 * 60 * 10**9 + 1, "8m0.000000001s"),
        (MAX_NS, "2562047h47m16.854775807s"),
        (MIN_NS, "-2562047h47m16.854775808s"),
    ],
)
def test_reference_formatter_matches_go_documented_outputs(ns: int, text: str) -> None:
    # Expected strings are Go's own (time package tests and documentation).
    assert go_format_duration(ns) == text


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=MIN_NS, max_value=MAX_NS))
def test_parse_inverts_go_formatting(ns: int) -> None:
    assert parse_go_duration_ns(go_format_duration(ns)) == ns


UNIT_NS = {"ns": 1, "us": 1_000, "µs": 1_000, "μs": 1_000, "ms": 10**6, "s": 10**9}
UNIT_NS |= {"m": 60 * 10**9, "h": 3600 * 10**9}


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.integers(min_value=0, max_value=10**6), st.sampled_from(sorted(UNIT_NS))),
        min_size=1,
        max_size=5,
    ),
    st.sampled_from(["", "+", "-"]),
)
def test_integer_terms_add_up(terms: list[tuple[int, str]], sign: str) -> None:
    text = sign + "".join(f"{value}{unit}" for value, unit in terms)
    total = sum(value * UNIT_NS[unit] for value, unit in terms)
    assert parse_go_duration_ns(text) == (-total if sign == "-" else total)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(min_value=0, max_value=10**6),
    st.integers(min_value=0, max_value=999_999_999),
    st.sampled_from(["ms", "s", "m", "h"]),
)
def test_fractions_with_at_most_nine_digits_are_exact(whole: int, nanos: int, unit: str) -> None:
    # unit/10**9 is a float that the fraction multiplies exactly for these units and digits,
    # so Go's float arithmetic and exact arithmetic agree here.
    text = f"{whole}.{nanos:09d}{unit}"
    exact = whole * UNIT_NS[unit] + nanos * UNIT_NS[unit] // 10**9
    assert parse_go_duration_ns(text) == exact


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet="0123456789.+-µμnsumh dxS", max_size=12))
def test_arbitrary_text_either_parses_or_raises_invalid_spec(text: str) -> None:
    try:
        ns = parse_go_duration_ns(text)
    except InvalidSpec as exc:
        assert "duration" in str(exc)
    else:
        assert MIN_NS <= ns <= MAX_NS
        assert parse_go_duration(text) == ns / 1e9


def test_seconds_are_returned_as_float() -> None:
    assert parse_go_duration("1m30s") == 90.0
    assert parse_go_duration("300ms") == 0.3
    assert parse_go_duration("-1.5h") == -5400.0


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("5", "missing unit"),
        ("1d", "unknown unit 'd'"),
        ("", "invalid duration ''"),
        ("1.5.5s", "missing unit"),
        ("1h x", "unknown unit"),
    ],
)
def test_error_messages_say_what_is_wrong(text: str, fragment: str) -> None:
    with pytest.raises(InvalidSpec, match=fragment):
        parse_go_duration_ns(text)

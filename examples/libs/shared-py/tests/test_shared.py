from decimal import Decimal

import pytest

from shared import Money, ValidationError, parse_amount, require_fields, require_positive_int, sum_lines


@pytest.mark.parametrize(
    "text, currency, want",
    [
        ("12.34", "EUR", Money(1234, "EUR")),
        ("12.5", "USD", Money(1250, "USD")),
        (7, "GBP", Money(700, "GBP")),
        ("1200", "JPY", Money(1200, "JPY")),
        ("0", "EUR", Money(0, "EUR")),
    ],
)
def test_parse_amount(text, currency, want):
    assert parse_amount(text, currency) == want


@pytest.mark.parametrize(
    "text, currency",
    [("1.234", "EUR"), ("12.5", "JPY"), ("abc", "EUR"), ("NaN", "EUR"), (1.5, "EUR"), (True, "EUR"), ("1", "XYZ")],
)
def test_parse_amount_refuses(text, currency):
    with pytest.raises(ValidationError):
        parse_amount(text, currency)


def test_sum_and_format():
    lines = [(Money(1999, "EUR"), 2), (Money(250, "EUR"), 3)]
    total = sum_lines(lines, "EUR")
    assert total == Money(4748, "EUR")
    assert total.format() == "47.48 EUR"
    assert sum_lines([], "JPY").format() == "0 JPY"
    assert Money(-5, "USD").format() == "-0.05 USD"


def test_mixed_currencies_refused():
    with pytest.raises(ValidationError, match="cannot add USD to EUR"):
        Money(1, "EUR") + Money(1, "USD")


def test_percent_rounds_half_even():
    assert Money(250, "EUR").percent(Decimal("10")) == Money(25, "EUR")
    assert Money(125, "EUR").percent(Decimal("10")) == Money(12, "EUR")  # 12.5 -> 12
    assert Money(135, "EUR").percent(Decimal("10")) == Money(14, "EUR")  # 13.5 -> 14


def test_validation_helpers():
    require_fields({"a": 1, "b": 2}, "a", "b")
    with pytest.raises(ValidationError, match="missing field\\(s\\): b, c"):
        require_fields({"a": 1}, "a", "b", "c")
    with pytest.raises(ValidationError, match="JSON object"):
        require_fields([1], "a")
    assert require_positive_int(3, "quantity") == 3
    for bad in (0, -1, True, "2", 1.0):
        with pytest.raises(ValidationError):
            require_positive_int(bad, "quantity")

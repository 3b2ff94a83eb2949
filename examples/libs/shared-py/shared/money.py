"""Money as integer minor units (cents), never floats."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from shared.validation import ValidationError

# ISO 4217 currencies this shop sells in, with their number of minor digits.
CURRENCIES = {"EUR": 2, "USD": 2, "GBP": 2, "JPY": 0}


@dataclass(frozen=True)
class Money:
    """An amount in minor units of one currency."""

    minor: int
    currency: str

    def __post_init__(self) -> None:
        if self.currency not in CURRENCIES:
            raise ValidationError(f"unsupported currency {self.currency!r}")

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.minor + other.minor, self.currency)

    def __mul__(self, quantity: int) -> Money:
        return Money(self.minor * quantity, self.currency)

    def percent(self, rate: Decimal) -> Money:
        """rate percent of this amount, rounded half-to-even to a minor unit."""
        value = (Decimal(self.minor) * rate / 100).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
        return Money(int(value), self.currency)

    def format(self) -> str:
        """'12.34 EUR'; '1200 JPY'."""
        digits = CURRENCIES[self.currency]
        sign = "-" if self.minor < 0 else ""
        whole, frac = divmod(abs(self.minor), 10**digits)
        if digits == 0:
            return f"{sign}{whole} {self.currency}"
        return f"{sign}{whole}.{frac:0{digits}d} {self.currency}"

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValidationError(f"cannot add {other.currency} to {self.currency}")


def parse_amount(text: str | int, currency: str) -> Money:
    """Parse '12.5' or 12 (major units) into Money, refusing sub-minor precision."""
    if currency not in CURRENCIES:
        raise ValidationError(f"unsupported currency {currency!r}")
    if isinstance(text, bool) or isinstance(text, float):
        raise ValidationError("amounts must be strings or integers, not floats")
    try:
        value = Decimal(str(text))
    except InvalidOperation:
        raise ValidationError(f"not an amount: {text!r}") from None
    if not value.is_finite():
        raise ValidationError(f"not an amount: {text!r}")
    minor = value.scaleb(CURRENCIES[currency])
    if minor != minor.to_integral_value():
        raise ValidationError(f"{text!r} has more than {CURRENCIES[currency]} decimals for {currency}")
    return Money(int(minor), currency)


def sum_lines(lines: list[tuple[Money, int]], currency: str) -> Money:
    """Sum of price * quantity over the lines; zero in currency when empty."""
    total = Money(0, currency)
    for price, quantity in lines:
        total = total + price * quantity
    return total

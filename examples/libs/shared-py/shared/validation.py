"""Small input checks that raise one error type the handlers turn into 400s."""

from __future__ import annotations

from typing import Any, Mapping


class ValidationError(ValueError):
    """The input is wrong; the message is safe to show to the caller."""


def require_fields(doc: Any, *names: str) -> None:
    """doc must be an object holding every one of names."""
    if not isinstance(doc, Mapping):
        raise ValidationError("expected a JSON object")
    missing = [n for n in names if n not in doc]
    if missing:
        raise ValidationError("missing field(s): " + ", ".join(missing))


def require_positive_int(value: Any, what: str) -> int:
    """value must be an int >= 1 (bools are refused)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError(f"{what} must be a positive integer")
    return value

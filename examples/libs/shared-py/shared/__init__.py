"""Helpers shared by the Python functions of the example monorepo.

Functions get this package into their deployment zip through a symlink in
their own folder (``shared -> ../../libs/shared-py/shared``) and list
``examples/libs/shared-py`` under ``watch`` in lambdas.hcl, so that a change
here releases every function that uses it.
"""

from shared.money import Money, parse_amount, sum_lines
from shared.validation import ValidationError, require_fields, require_positive_int

__all__ = [
    "Money",
    "ValidationError",
    "parse_amount",
    "require_fields",
    "require_positive_int",
    "sum_lines",
]

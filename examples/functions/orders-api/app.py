"""orders-api: validate an order posted through API Gateway and price it.

POST body (JSON):
    {"order_id": "o-1", "currency": "EUR", "created_at": "2026-01-31T09:30:00Z",
     "items": [{"sku": "BOOK-1", "unit_price": "19.99", "quantity": 2}]}

Answers 200 with the priced order, or 400 with {"error": ...}. Payment is due
one calendar month after created_at (31 January -> 28/29 February), which is
what python-dateutil's relativedelta is here for.
"""

from __future__ import annotations

import json
from typing import Any

from dateutil.parser import isoparse
from dateutil.relativedelta import relativedelta

# `shared` is examples/libs/shared-py/shared, reached through the symlink in
# this folder; the packager follows it, so the zip holds a real copy.
from shared import ValidationError, parse_amount, require_fields, require_positive_int, sum_lines

MAX_ITEMS = 100


def price_order(order: Any) -> dict[str, Any]:
    """The priced order, or ValidationError."""
    require_fields(order, "order_id", "currency", "created_at", "items")
    currency = order["currency"]
    items = order["items"]
    if not isinstance(items, list) or not items:
        raise ValidationError("items must be a non-empty list")
    if len(items) > MAX_ITEMS:
        raise ValidationError(f"at most {MAX_ITEMS} items per order")
    try:
        created = isoparse(str(order["created_at"]))
    except ValueError:
        raise ValidationError("created_at must be an ISO 8601 date-time") from None

    lines = []
    out_items = []
    for n, item in enumerate(items, 1):
        require_fields(item, "sku", "unit_price", "quantity")
        price = parse_amount(item["unit_price"], currency)
        if price.minor <= 0:
            raise ValidationError(f"item {n}: unit_price must be positive")
        quantity = require_positive_int(item["quantity"], f"item {n}: quantity")
        lines.append((price, quantity))
        out_items.append(
            {"sku": str(item["sku"]), "quantity": quantity, "line_total": (price * quantity).format()}
        )

    total = sum_lines(lines, currency)
    return {
        "order_id": str(order["order_id"]),
        "items": out_items,
        "total": total.format(),
        "total_minor": total.minor,
        "currency": currency,
        "pay_by": (created + relativedelta(months=1)).isoformat(),
    }


def _response(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(body, sort_keys=True),
    }


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """API Gateway (HTTP API, payload 2.0) entry point."""
    try:
        order = json.loads(event.get("body") or "")
    except json.JSONDecodeError:
        return _response(400, {"error": "body is not valid JSON"})
    try:
        return _response(200, price_order(order))
    except ValidationError as err:
        return _response(400, {"error": str(err)})

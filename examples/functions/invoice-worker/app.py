"""invoice-worker: turn priced orders from an SQS queue into invoices.

Each SQS record's body is an order as orders-api answers it
({"order_id", "currency", "items": [{"sku", "unit_price", "quantity"}]}).
The worker adds VAT per the order's country and logs one JSON invoice line
per order. Bad records are reported back as batchItemFailures (SQS partial
batch response, ReportBatchItemFailures), so only they are retried.

No third-party dependencies: only the shared library and the standard library.
"""

from __future__ import annotations

import json
import logging
from decimal import Decimal
from typing import Any

from shared import Money, ValidationError, parse_amount, require_fields, require_positive_int, sum_lines

log = logging.getLogger()
log.setLevel(logging.INFO)

# Standard VAT rates, percent.
VAT_RATES = {"DE": Decimal("19"), "FR": Decimal("20"), "IE": Decimal("23"), "US": Decimal("0")}


def build_invoice(order: Any) -> dict[str, Any]:
    """The invoice for one order, or ValidationError."""
    require_fields(order, "order_id", "currency", "country", "items")
    country = order["country"]
    if country not in VAT_RATES:
        raise ValidationError(f"no VAT rate for country {country!r}")
    currency = order["currency"]
    lines: list[tuple[Money, int]] = []
    for n, item in enumerate(order["items"] or [], 1):
        require_fields(item, "sku", "unit_price", "quantity")
        lines.append(
            (parse_amount(item["unit_price"], currency), require_positive_int(item["quantity"], f"item {n}: quantity"))
        )
    if not lines:
        raise ValidationError("an invoice needs at least one item")
    net = sum_lines(lines, currency)
    vat = net.percent(VAT_RATES[country])
    return {
        "invoice_id": f"INV-{order['order_id']}",
        "country": country,
        "net": net.format(),
        "vat_rate": str(VAT_RATES[country]),
        "vat": vat.format(),
        "gross": (net + vat).format(),
    }


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """SQS entry point; returns the ids of the records that failed."""
    failures = []
    invoices = []
    for record in event.get("Records", []):
        try:
            invoice = build_invoice(json.loads(record["body"]))
        except (ValidationError, json.JSONDecodeError) as err:
            log.warning("message %s: %s", record.get("messageId"), err)
            failures.append({"itemIdentifier": record["messageId"]})
            continue
        log.info(json.dumps(invoice, sort_keys=True))
        invoices.append(invoice)
    return {"batchItemFailures": failures, "invoices": invoices}

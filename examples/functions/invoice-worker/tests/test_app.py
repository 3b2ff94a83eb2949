import json

import app


def record(message_id, body):
    return {"messageId": message_id, "body": body if isinstance(body, str) else json.dumps(body)}


def order(**over):
    doc = {
        "order_id": "o-1",
        "currency": "EUR",
        "country": "DE",
        "items": [{"sku": "BOOK-1", "unit_price": "19.99", "quantity": 2}],
    }
    doc.update(over)
    return doc


def test_builds_invoice_with_vat():
    out = app.handler({"Records": [record("m1", order())]}, None)
    assert out["batchItemFailures"] == []
    assert out["invoices"] == [
        {
            "invoice_id": "INV-o-1",
            "country": "DE",
            "net": "39.98 EUR",
            "vat_rate": "19",
            "vat": "7.60 EUR",  # 759.62 cents rounds to 760
            "gross": "47.58 EUR",
        }
    ]


def test_reports_only_bad_records():
    event = {
        "Records": [
            record("ok-1", order(order_id="a")),
            record("bad-json", "{"),
            record("bad-country", order(country="ZZ")),
            record("no-items", order(items=[])),
            record("ok-2", order(order_id="b", country="US", currency="USD")),
        ]
    }
    out = app.handler(event, None)
    assert out["batchItemFailures"] == [
        {"itemIdentifier": "bad-json"},
        {"itemIdentifier": "bad-country"},
        {"itemIdentifier": "no-items"},
    ]
    assert [i["invoice_id"] for i in out["invoices"]] == ["INV-a", "INV-b"]
    assert out["invoices"][1]["vat"] == "0.00 USD"


def test_empty_batch():
    assert app.handler({"Records": []}, None) == {"batchItemFailures": [], "invoices": []}

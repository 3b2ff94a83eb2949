import json

import pytest

import app


def call(body):
    raw = body if isinstance(body, str) else json.dumps(body)
    resp = app.handler({"body": raw}, None)
    return resp["statusCode"], json.loads(resp["body"])


ORDER = {
    "order_id": "o-1",
    "currency": "EUR",
    "created_at": "2026-01-31T09:30:00Z",
    "items": [
        {"sku": "BOOK-1", "unit_price": "19.99", "quantity": 2},
        {"sku": "PEN-7", "unit_price": "2.50", "quantity": 3},
    ],
}


def test_prices_an_order():
    status, body = call(ORDER)
    assert status == 200
    assert body["total"] == "47.48 EUR"
    assert body["total_minor"] == 4748
    assert [i["line_total"] for i in body["items"]] == ["39.98 EUR", "7.50 EUR"]
    # One calendar month after 31 January 2026 is 28 February 2026.
    assert body["pay_by"] == "2026-02-28T09:30:00+00:00"


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda o: o.pop("items"), "missing field(s): items"),
        (lambda o: o.update(items=[]), "non-empty list"),
        (lambda o: o.update(created_at="yesterday"), "ISO 8601"),
        (lambda o: o["items"][0].update(quantity=0), "item 1: quantity must be a positive integer"),
        (lambda o: o["items"][1].update(unit_price="2.505"), "more than 2 decimals"),
        (lambda o: o["items"][1].update(unit_price="0"), "item 2: unit_price must be positive"),
        (lambda o: o.update(currency="XYZ"), "unsupported currency"),
    ],
)
def test_rejects_bad_orders(mutate, message):
    order = json.loads(json.dumps(ORDER))
    mutate(order)
    status, body = call(order)
    assert status == 400
    assert message in body["error"]


def test_rejects_non_json():
    status, body = call("{not json")
    assert status == 400
    assert body == {"error": "body is not valid JSON"}


def test_shared_lib_comes_through_the_symlink():
    import os

    import shared

    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    link = os.path.join(here, "shared")
    assert os.path.islink(link), "shared/ must be a symlink to examples/libs/shared-py/shared"
    assert os.readlink(link) == "../../libs/shared-py/shared"
    real = os.path.realpath(shared.__file__).replace(os.sep, "/")
    assert real.endswith("examples/libs/shared-py/shared/__init__.py")

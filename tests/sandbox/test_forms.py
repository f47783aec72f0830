"""Form decoding: nested brackets, indexed and appended arrays, escaped brackets, empty = unset."""

from __future__ import annotations

from urllib.parse import quote

from tests.sandbox.conftest import demo_customer
from tui_portal.sandbox.wire import decode_form


def test_nested_brackets_become_dicts_and_indices_stay_keys_until_declared() -> None:
    decoded = decode_form(b"a[b][c]=1&items[0][price]=p1&items[1][price]=p2&items[1][quantity]=3")
    assert decoded == {"a": {"b": {"c": "1"}},
                       "items": {"0": {"price": "p1"}, "1": {"price": "p2", "quantity": "3"}}}


def test_appended_and_escaped_brackets() -> None:
    assert decode_form("expand%5B%5D=customer&expand%5B%5D=tax_ids") == {"expand": ["customer", "tax_ids"]}
    assert decode_form("metadata%5Bplan%5D=gold") == {"metadata": {"plan": "gold"}}
    assert decode_form(b"items[][price]=a&items[][price]=b") == {"items": [{"price": "a"}, {"price": "b"}]}


def test_empty_values_are_kept_as_empty_strings() -> None:
    assert decode_form(b"metadata[k]=&phone=") == {"metadata": {"k": ""}, "phone": ""}


async def test_nested_params_reach_the_object(client) -> None:
    body = ("email=nested%40example.com&address[line1]=1%20Main&address[country]=US"
            "&shipping%5Bname%5D=Ship%20To&shipping[address][city]=Austin"
            "&preferred_locales[0]=de&preferred_locales[1]=en&metadata[a]=1&metadata[b]=2")
    response = await client.post("/v1/customers", content=body,
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200, response.text
    customer = response.json()
    assert customer["address"]["line1"] == "1 Main" and customer["address"]["city"] is None
    assert customer["shipping"]["name"] == "Ship To"
    assert customer["shipping"]["address"]["city"] == "Austin"
    assert customer["preferred_locales"] == ["de", "en"]
    assert customer["metadata"] == {"a": "1", "b": "2"}


async def test_indexed_out_of_order_arrays_are_ordered_by_index(client) -> None:
    response = await client.post("/v1/customers", content="preferred_locales[1]=en&preferred_locales[0]=fr",
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.json()["preferred_locales"] == ["fr", "en"]


async def test_empty_string_unsets_clearable_fields_and_metadata_keys(client) -> None:
    demo = await demo_customer(client)
    response = await client.post(f"/v1/customers/{demo['id']}", data={"phone": "", "metadata[demo]": ""})
    assert response.status_code == 200, response.text
    assert response.json()["phone"] is None
    assert "demo" not in response.json()["metadata"]
    cleared = await client.post(f"/v1/customers/{demo['id']}", data={"address": ""})
    assert cleared.json()["address"] is None


async def test_empty_string_for_a_field_that_cannot_be_unset_is_parameter_invalid_empty(client) -> None:
    response = await client.post("/v1/prices", data={"currency": "", "unit_amount": "100"})
    error = response.json()["error"]
    assert response.status_code == 400
    assert (error["code"], error["param"]) == ("parameter_invalid_empty", "currency")


async def test_get_and_delete_read_params_from_the_query_string(client) -> None:
    demo = await demo_customer(client)
    response = await client.get(f"/v1/customers/{demo['id']}?{quote('expand[0]')}=tax_ids")
    assert response.json()["tax_ids"]["data"][0]["value"] == "DE123456789"
    created = (await client.post("/v1/customers", data={"email": "gone@example.com"})).json()
    unknown = await client.delete(f"/v1/customers/{created['id']}", params={"bogus": "1"})
    assert unknown.status_code == 400 and unknown.json()["error"]["param"] == "bogus"
    deleted = await client.delete(f"/v1/customers/{created['id']}")
    assert deleted.json() == {"id": created["id"], "object": "customer", "deleted": True}

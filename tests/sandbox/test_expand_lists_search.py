"""expand[] (ids, includables, data. on lists, depth limit), cursor pagination, search grammar."""

from __future__ import annotations

from tests.sandbox.conftest import demo_customer


async def test_expand_replaces_ids_inside_hashes_and_adds_includables(client) -> None:
    demo = await demo_customer(client)
    response = await client.get(f"/v1/customers/{demo['id']}",
                                params={"expand[]": ["invoice_settings.default_payment_method", "tax_ids"]})
    customer = response.json()
    assert customer["invoice_settings"]["default_payment_method"]["card"]["last4"] == "4242"
    assert customer["tax_ids"]["object"] == "list"
    assert "tax_ids" not in demo  # includable: absent unless expanded


async def test_indexed_expand_on_list_items_with_data_prefix(client) -> None:
    response = await client.get("/v1/promotion_codes",
                                params={"code": "save20", "expand[0]": "data.promotion.coupon"})
    (promo,) = response.json()["data"]
    assert promo["promotion"]["coupon"]["percent_off"] == 20.0


async def test_nested_expansion_through_expanded_objects(client) -> None:
    demo = await demo_customer(client)
    response = await client.get(f"/v1/customers/{demo['id']}/payment_methods",
                                params={"expand[]": "data.customer.invoice_settings.default_payment_method"})
    assert response.status_code == 200, response.text
    first = response.json()["data"][0]
    assert first["customer"]["invoice_settings"]["default_payment_method"]["object"] == "payment_method"


async def test_expand_deeper_than_four_levels_is_refused(client) -> None:
    demo = await demo_customer(client)
    response = await client.get(f"/v1/customers/{demo['id']}/payment_methods",
                                params={"expand[]": "data.customer.invoice_settings.default_payment_method.customer"
                                                    ".invoice_settings"})
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "expand"


async def test_unexpandable_paths_are_400(client) -> None:
    demo = await demo_customer(client)
    for path in ("email", "address", "nothing_here", "data.email"):
        response = await client.get(f"/v1/customers/{demo['id']}", params={"expand[]": path})
        assert response.status_code == 400, path
        assert "cannot be expanded" in response.json()["error"]["message"]


async def test_portal_products_are_only_returned_when_expanded(client) -> None:
    configs = (await client.get("/v1/billing_portal/configurations", params={"is_default": "true"})).json()
    (config,) = configs["data"]
    assert "products" not in config["features"]["subscription_update"]
    expanded = await client.get(f"/v1/billing_portal/configurations/{config['id']}",
                                params={"expand[]": "features.subscription_update.products"})
    products = expanded.json()["features"]["subscription_update"]["products"]
    assert len(products) == 6  # the four plans and the two add-ons (issue 13)
    seats = [p for p in products if p["adjustable_quantity"]["enabled"]]
    assert seats[0]["adjustable_quantity"] == {"enabled": True, "maximum": 50, "minimum": 2}


async def _make_customers(client, count: int) -> list[str]:
    ids = []
    for index in range(count):
        response = await client.post("/v1/customers", data={"email": f"page{index}@example.com", "name": f"P{index}"})
        ids.append(response.json()["id"])
    return ids


async def test_pagination_newest_first_both_directions(client) -> None:
    created = await _make_customers(client, 5)  # same second: insertion order breaks the tie
    newest_first = list(reversed(created))
    page1 = (await client.get("/v1/customers", params={"limit": 2})).json()
    assert [c["id"] for c in page1["data"]] == newest_first[:2]
    assert page1["has_more"] is True and page1["url"] == "/v1/customers"
    page2 = (await client.get("/v1/customers", params={"limit": 2, "starting_after": page1["data"][-1]["id"]})).json()
    assert [c["id"] for c in page2["data"]] == newest_first[2:4]
    back = (await client.get("/v1/customers", params={"limit": 2, "ending_before": page2["data"][0]["id"]})).json()
    assert [c["id"] for c in back["data"]] == newest_first[:2]
    assert back["has_more"] is False
    everything = (await client.get("/v1/customers", params={"limit": 100})).json()
    assert len(everything["data"]) == 12 and everything["has_more"] is False  # 7 seeded + 5


async def test_both_cursors_and_bad_limits_are_400(client) -> None:
    ids = await _make_customers(client, 2)
    both = await client.get("/v1/customers", params={"starting_after": ids[0], "ending_before": ids[1]})
    assert both.status_code == 400
    assert both.json()["error"]["message"].startswith("Received both starting_after and ending_before")
    for limit in ("0", "101", "ten"):
        response = await client.get("/v1/customers", params={"limit": limit})
        assert response.status_code == 400 and response.json()["error"]["param"] == "limit"
    unknown = await client.get("/v1/customers", params={"starting_after": "cus_missing"})
    assert unknown.status_code == 400 and unknown.json()["error"]["param"] == "starting_after"


async def test_created_range_filter(client, clock) -> None:
    clock.value += 10
    later = (await client.post("/v1/customers", data={"email": "later@example.com"})).json()
    response = await client.get("/v1/customers", params={"created[gt]": str(later["created"] - 1)})
    assert [c["id"] for c in response.json()["data"]] == [later["id"]]


async def _search(client, query: str, **extra):
    return await client.get("/v1/customers/search", params={"query": query, **extra})


async def test_search_exact_substring_metadata_numbers_negation_and_or(client) -> None:
    exact = (await _search(client, "email:'DEMO@example.com'")).json()
    assert exact["object"] == "search_result" and [c["name"] for c in exact["data"]] == ["Dana Demo"]
    assert exact["url"] == "/v1/customers/search" and exact["next_page"] is None
    substring = (await _search(client, "name~'eav'")).json()
    assert [c["email"] for c in substring["data"]] == ["leaving@example.com"]
    metadata = (await _search(client, "metadata['demo']:'true'")).json()
    assert [c["email"] for c in metadata["data"]] == ["demo@example.com"]
    either = (await _search(client, "email:'seats@example.com' OR email:'leaving@example.com'")).json()
    assert sorted(c["email"] for c in either["data"]) == ["leaving@example.com", "seats@example.com"]
    negated = (await _search(client, "-email:'demo@example.com' AND name~'Sea'")).json()
    assert [c["email"] for c in negated["data"]] == ["seats@example.com"]
    demo_created = exact["data"][0]["created"]
    numeric = (await _search(client, f"created>={demo_created} created<{demo_created + 1}")).json()
    assert len(numeric["data"]) == 3


async def test_search_pages_with_next_page(client) -> None:
    first = (await _search(client, "email~'example.com'", limit="4")).json()
    assert first["has_more"] is True and first["next_page"]
    second = (await _search(client, "email~'example.com'", limit="4", page=first["next_page"])).json()
    assert second["has_more"] is False
    assert len({c["id"] for c in first["data"] + second["data"]}) == 7  # the 7 seeded customers


async def test_search_grammar_errors_name_the_query(client) -> None:
    for query in ("email:'a' AND name:'b' OR phone:'c'", "email:", "colour:'red'", "name~'ab'", "email:unquoted",
                  "name>3"):
        response = await _search(client, query)
        assert response.status_code == 400, query
        assert response.json()["error"]["param"] == "query", query
    missing = await client.get("/v1/customers/search")
    assert missing.json()["error"]["code"] == "parameter_missing"

"""Looking customers up for the staff console: by exact email, by name, or by id.

An email goes to `GET /v1/customers?email=` (exact and immediately consistent: a customer created a
second ago is found); anything else to the search API (`name~'...'` substring, which Stripe requires
to be at least 3 characters, so shorter names match exactly with `name:'...'`); `cus_...` is
retrieved directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MAX_RESULTS = 50


@dataclass(frozen=True)
class CustomerMatch:
    id: str
    name: str
    email: str

    @property
    def label(self) -> str:
        """"Dana Demo <demo@example.com>" (the banner's wording)."""
        if self.name and self.email:
            return f"{self.name} <{self.email}>"
        return self.name or (f"<{self.email}>" if self.email else self.id)


def _quoted(value: str) -> str:
    """A search-query string literal: backslashes and single quotes escaped."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def search_query_for_name(name: str) -> str:
    operator = "~" if len(name) >= 3 else ":"
    return f"name{operator}{_quoted(name)}"


def _match(customer: Any) -> CustomerMatch:
    return CustomerMatch(id=str(customer.id), name=customer.name or "", email=customer.email or "")


async def find_customers(client: Any, typed: str) -> list[CustomerMatch]:
    """Customers matching what the staff member typed (empty list when nothing matches)."""
    query = typed.strip()
    if not query:
        return []
    if query.startswith("cus_"):
        from tui_portal.billing import errors

        try:
            customer = await client.customers.retrieve(query)
        except errors.InvalidRequestError as error:
            if error.code == "resource_missing":
                return []
            raise
        return [] if getattr(customer, "deleted", False) else [_match(customer)]
    if "@" in query:
        page = await client.customers.list(email=query, limit=MAX_RESULTS)
        return [_match(customer) for customer in page.data]
    result = await client.customers.search(query=search_query_for_name(query), limit=MAX_RESULTS)
    return [_match(customer) for customer in result.data]

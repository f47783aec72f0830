"""Fault injection for the portal: an httpx transport that breaks requests like a bad network, and a
driver that pushes many changes through `PortalService` and checks each outcome against the sandbox.

Why shared (the test asserts, `benchmarks/fault_injection.py` prints): the same driver, the same
checks. The transport wraps the in-process sandbox's ASGI transport; with a seeded RNG it injects
- `reset_before`: the connection drops before the request reaches the server (nothing applied);
- `timeout_before`: a connect timeout (nothing applied);
- `http_500`: the server answers 500 without doing anything;
- `lost_after`: the server APPLIES the request, then the answer is lost (connection reset);
- `timeout_after`: the server applies it, the answer comes too late (read timeout);
- `http_500_after`: the server applies it, yet the answer says 500.

Every change's truth is read with a second client that sees no faults: the change is "applied"
when its effect is in the sandbox's state. Then
- reported done but not applied: lost;  reported failed but applied: misreported;
- more than one invoice (or tax ID) for one change: duplicate;
- any exception that is not a `PortalError`: crash.
"""

from __future__ import annotations

import logging
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from tui_portal.billing import StripeClient
from tui_portal.portal.service import PortalService
from tui_portal.portal.errors import PortalError, ServiceUnavailable
from tui_portal.portal.views import Action, AddressInput

FAULT_KINDS = ("reset_before", "timeout_before", "http_500", "lost_after", "timeout_after", "http_500_after")
CHANGE_KINDS = (
    "plan", "promotion_code", "quantity", "cancel_renew", "tax_id_add", "tax_id_remove",
    "card_default", "card_remove", "name", "address",
)
RETRIES_BY_CUSTOMER = 5
SUBSCRIPTION_TRUTH = ["data.schedule", "data.discounts", "data.latest_invoice.discounts"]  # how often the driver presses Retry on "we cannot tell yet"


class FaultTransport(httpx.AsyncBaseTransport):
    """Wraps a transport; `rate` of the requests (while `enabled`) meet one of `FAULT_KINDS`."""

    def __init__(self, inner: httpx.AsyncBaseTransport, rng: random.Random, rate: float = 0.2) -> None:
        self.inner = inner
        self.rng = rng
        self.rate = rate
        self.enabled = True
        self.injected: Counter[str] = Counter()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not self.enabled or self.rng.random() >= self.rate:
            return await self.inner.handle_async_request(request)
        kind = self.rng.choice(FAULT_KINDS)
        self.injected[kind] += 1
        if kind == "reset_before":
            raise httpx.ConnectError("injected: connection reset before sending", request=request)
        if kind == "timeout_before":
            raise httpx.ConnectTimeout("injected: connect timeout", request=request)
        if kind == "http_500":
            return _server_error(request)
        response = await self.inner.handle_async_request(request)
        await response.aread()  # the server has done its work
        if kind == "lost_after":
            raise httpx.ReadError("injected: connection reset after the server applied the request", request=request)
        if kind == "timeout_after":
            raise httpx.ReadTimeout("injected: the answer came too late", request=request)
        return _server_error(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def _server_error(request: httpx.Request) -> httpx.Response:
    body = {"error": {"type": "api_error", "message": "injected server error"}}
    return httpx.Response(500, json=body, request=request)


@dataclass
class Figures:
    changes: int = 0
    done: int = 0
    failed: int = 0
    applied: int = 0
    duplicates: int = 0
    lost: int = 0  # reported done, not applied
    misreported: int = 0  # reported failed, applied
    unsettled: int = 0  # still "cannot tell" after the customer's retries
    crashes: int = 0
    by_kind: Counter[str] = field(default_factory=Counter)
    injected: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0
    # How the portal settled ambiguous outcomes (its log events): found applied, found not applied,
    # could not tell yet (the customer's Retry then checked first).
    settled: Counter[str] = field(default_factory=Counter)


class _EventCounter(logging.Handler):
    def __init__(self, counter: Counter[str]) -> None:
        super().__init__(logging.INFO)
        self.counter = counter

    def emit(self, record: logging.LogRecord) -> None:
        event = getattr(record, "event", None)
        if isinstance(event, str) and event.startswith("change_"):
            self.counter[event] += 1


class Driver:
    """Runs random changes for the demo and seats customers and checks each against the truth."""

    def __init__(
        self,
        faulty: StripeClient,
        truth: StripeClient,
        transport: FaultTransport,
        configuration: Any,
        customers: dict[str, str],
        rng: random.Random,
        now: Any,
    ) -> None:
        self.truth = truth
        self.transport = transport
        self.rng = rng
        self.figures = Figures()
        options = {"is_sandbox": True, "now": now}
        self.demo = PortalService(customers["demo@example.com"], faulty, configuration, **options)
        self.seats = PortalService(customers["seats@example.com"], faulty, configuration, **options)
        self.clean_demo = PortalService(customers["demo@example.com"], truth, configuration, **options)
        self.customers = customers
        self._known: dict[str, Any] | None = None
        """The truth as last read, while nothing can have changed it since (see `_state`)."""

    async def run(self, count: int) -> Figures:
        started = time.perf_counter()
        portal_logger = logging.getLogger("tui_portal.portal")
        handler = _EventCounter(self.figures.settled)
        old_level = portal_logger.level
        portal_logger.addHandler(handler)
        portal_logger.setLevel(logging.INFO)
        try:
            index = 0
            while self.figures.changes < count and index < 3 * count:  # some kinds skip a state
                kind = CHANGE_KINDS[index] if index < len(CHANGE_KINDS) else self.rng.choice(CHANGE_KINDS)
                await self._one(kind)
                index += 1
        finally:
            portal_logger.removeHandler(handler)
            portal_logger.setLevel(old_level)
        self.figures.seconds = time.perf_counter() - started
        self.figures.injected = Counter(self.transport.injected)
        return self.figures

    # --- one change ---------------------------------------------------------------------------------

    async def _one(self, kind: str) -> None:
        self.transport.enabled = False
        try:
            plan = await getattr(self, f"_plan_{kind}")()
            before = await self._state()
        finally:
            self.transport.enabled = True
        if plan is None:
            return  # nothing sensible to do in this state
        run, expected = plan
        self._known = None  # the change may write, even when it reports failure
        figures = self.figures
        figures.changes += 1
        figures.by_kind[kind] += 1
        outcome = "failed"
        last_error = ""
        try:
            for _attempt in range(RETRIES_BY_CUSTOMER):
                try:
                    await run()
                    outcome = "done"
                    break
                except ServiceUnavailable as error:
                    last_error = error.user_message
                    if "cannot tell" not in error.user_message:
                        outcome = "failed"
                        break
                    outcome = "unsettled"  # the customer presses Retry (same action)
        except PortalError:
            outcome = "failed"
        except Exception as error:  # noqa: BLE001 - a crash is what this counts
            figures.crashes += 1
            figures.problems.append(f"{kind}: crash {type(error).__name__}: {error}")
            outcome = "failed"
        self.transport.enabled = False
        try:
            after = await self._state()
        finally:
            self.transport.enabled = True
        applied = expected(before, after)
        new_invoices = await self._invoices_since(before)
        if new_invoices > 1 or any(count > 1 for count in Counter(after["tax_values"]).values()):
            figures.duplicates += 1
            figures.problems.append(f"{kind}: duplicate ({new_invoices} invoices)")
        if outcome == "unsettled":
            figures.unsettled += 1
            figures.problems.append(f"{kind}: unsettled after {RETRIES_BY_CUSTOMER} retries ({last_error})")
        elif outcome == "done":
            figures.done += 1
            if not applied:
                figures.lost += 1
                figures.problems.append(f"{kind}: reported done, not applied")
        else:
            figures.failed += 1
            if applied:
                figures.misreported += 1
                figures.problems.append(f"{kind}: reported failed, applied")
        figures.applied += int(applied)

    async def _state(self) -> dict[str, Any]:
        """The truth now. Read once per state: between the read after one change and the next change
        only reads happen (the plan's look at the state, the preview), so that read is also the next
        change's `before` and what its plan looks at; `_one` and `_cards` forget it when they write.
        A preview that wrongly wrote would then show up as a change the customer did not make."""
        if self._known is None:
            self._known = await self._read_state()
        return self._known

    async def _read_state(self) -> dict[str, Any]:
        truth = self.truth
        demo_id, seats_id = self.customers["demo@example.com"], self.customers["seats@example.com"]
        customer = await truth.customers.retrieve(demo_id)
        demo_sub = (await truth.subscriptions.list(customer=demo_id, limit=10, expand=SUBSCRIPTION_TRUTH)).data[0]
        seats_sub = (await truth.subscriptions.list(customer=seats_id, limit=10, expand=SUBSCRIPTION_TRUTH)).data[0]
        newest_invoices = {}
        for customer_id in (demo_id, seats_id):
            newest = (await truth.invoices.list(customer=customer_id, limit=1)).data
            newest_invoices[customer_id] = newest[0].id if newest else None
        tax_ids = (await truth.tax_ids.list(demo_id, limit=100)).data
        cards = (await truth.payment_methods.list(customer=demo_id, type="card", limit=100)).data
        return {
            "customer": customer,
            "demo": demo_sub,
            "seats": seats_sub,
            "newest_invoices": newest_invoices,
            "tax_ids": {tax.id for tax in tax_ids},
            "tax_values": [tax.value for tax in tax_ids],
            "cards": {card.id for card in cards},
            "default_card": _id(_get(_get(customer, "invoice_settings"), "default_payment_method")),
        }

    async def _invoices_since(self, before: dict[str, Any]) -> int:
        """How many invoices the two customers got since `before` (newer than its newest; one change
        makes at most one or two, so one page holds them). Counting only these, not every invoice
        again, keeps a state read from growing with the hundreds of invoices the run creates."""
        count = 0
        for customer_id, newest in before["newest_invoices"].items():
            params: dict[str, Any] = {"customer": customer_id, "limit": 100}
            if newest is not None:
                params["ending_before"] = newest
            page = await self.truth.invoices.list(**params)
            assert not page.has_more, "more than 100 invoices from one change"
            count += len(page.data)
        return count

    # --- what each kind of change does and how its effect shows ---------------------------------------

    async def _plan_change(self, service: PortalService, subscription: str, **request: Any) -> Any:
        try:
            preview = await service.preview_change(subscription, **request)
        except PortalError:
            preview = None
        if preview is None:
            # The preview itself failed (a read): reported failed, nothing may have changed.
            async def failed() -> None:
                raise ServiceUnavailable("preview failed")

            return failed, lambda before, after: _changed(before, after, "demo" if service is self.demo else "seats")

        async def run() -> None:
            await service.apply_change(preview)

        key = "demo" if service is self.demo else "seats"

        def expected(before: dict[str, Any], after: dict[str, Any]) -> bool:
            return _holds_change(after[key], preview)

        return run, expected

    async def _plan_plan(self) -> Any:
        state = await self._state()
        subscription = state["demo"]
        if _get(subscription, "cancel_at_period_end"):
            return None
        choices = await self.clean_demo.plan_choices(subscription.id)
        options = [option for option in choices.options if option.price_id != choices.current_price_id]
        if not options:
            return None
        self.transport.enabled = True
        try:
            return await self._plan_change(self.demo, subscription.id, price_id=self.rng.choice(options).price_id)
        finally:
            self.transport.enabled = False

    async def _plan_promotion_code(self) -> Any:
        state = await self._state()
        subscription = state["demo"]
        if _get(subscription, "cancel_at_period_end"):
            return None
        choices = await self.clean_demo.plan_choices(subscription.id)
        options = [option for option in choices.options if option.price_id != choices.current_price_id]
        if not options:
            return None
        self.transport.enabled = True
        try:
            return await self._plan_change(
                self.demo, subscription.id, price_id=self.rng.choice(options).price_id,
                promotion_code=self.rng.choice(("SAVE20", "WELCOME10")),
            )
        finally:
            self.transport.enabled = False

    async def _plan_quantity(self) -> Any:
        subscription = (await self._state())["seats"]
        current = subscription.items.data[0].quantity
        quantity = self.rng.choice([value for value in range(2, 51) if value != current])
        self.transport.enabled = True
        try:
            return await self._plan_change(self.seats, subscription.id, quantity=quantity)
        finally:
            self.transport.enabled = False

    async def _plan_cancel_renew(self) -> Any:
        subscription = (await self._state())["demo"]
        action = Action()
        if _get(subscription, "cancel_at_period_end"):
            async def renew() -> None:
                await self.demo.renew(subscription.id, action=action)

            return renew, lambda before, after: not _get(after["demo"], "cancel_at_period_end")

        async def cancel() -> None:
            await self.demo.cancel(subscription.id, action=action)

        return cancel, lambda before, after: bool(_get(after["demo"], "cancel_at_period_end"))

    async def _plan_tax_id_add(self) -> Any:
        value = f"DE{self.rng.randrange(100_000_000, 999_999_999)}"
        action = Action()

        async def run() -> None:
            await self.demo.add_tax_id("eu_vat", value, action=action)

        return run, lambda before, after: after["tax_values"].count(value) == 1 and value not in before["tax_values"]

    async def _plan_tax_id_remove(self) -> Any:
        tax_ids = sorted((await self._state())["tax_ids"])
        if not tax_ids:
            return await self._plan_tax_id_add()
        target = self.rng.choice(tax_ids)
        action = Action()

        async def run() -> None:
            await self.demo.remove_tax_id(target, action=action)

        return run, lambda before, after: target not in after["tax_ids"]

    async def _cards(self) -> dict[str, Any]:
        state = await self._state()
        while len(state["cards"]) < 3:
            card = self.rng.choice(("pm_card_visa", "pm_card_mastercard", "pm_card_amex"))
            await self.clean_demo.add_test_card(card, make_default=False)
            self._known = None
            state = await self._state()
        return state

    async def _plan_card_default(self) -> Any:
        state = await self._cards()
        target = self.rng.choice(sorted(state["cards"] - {state["default_card"]}))
        action = Action()

        async def run() -> None:
            await self.demo.set_default_payment_method(target, action=action)

        return run, lambda before, after: after["default_card"] == target

    async def _plan_card_remove(self) -> Any:
        state = await self._cards()
        target = self.rng.choice(sorted(state["cards"] - {state["default_card"]}))
        action = Action()

        async def run() -> None:
            await self.demo.remove_payment_method(target, action=action)

        return run, lambda before, after: target not in after["cards"]

    async def _plan_name(self) -> Any:
        name = f"Dana Demo {self.rng.randrange(1_000_000)}"
        action = Action()

        async def run() -> None:
            await self.demo.update_name(name, action=action)

        return run, lambda before, after: after["customer"].name == name

    async def _plan_address(self) -> Any:
        street = f"{self.rng.randrange(1, 999)} Hauptstraße"
        action = Action()

        async def run() -> None:
            await self.demo.update_address(
                AddressInput(line1=street, city="Berlin", postal_code="10115", country="DE"), action=action
            )

        return run, lambda before, after: _get(_get(after["customer"], "address"), "line1") == street


def _get(value: Any, name: str) -> Any:
    if value is None:
        return None
    if isinstance(value, dict):
        return value.get(name)
    return getattr(value, name, None)


def _id(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return _get(value, "id")


def _changed(before: dict[str, Any], after: dict[str, Any], key: str) -> bool:
    old, new = before[key].items.data[0], after[key].items.data[0]
    return (old.price.id, old.quantity, _id(_get(before[key], "schedule"))) != (
        new.price.id, new.quantity, _id(_get(after[key], "schedule")))


def _holds_change(subscription: Any, preview: Any) -> bool:
    """The previewed change is in place: now (item) or scheduled (the portal's schedule's last phase)."""
    if preview.scheduled_at_period_end:
        schedule = _get(subscription, "schedule")
        if schedule is None or isinstance(schedule, str):
            return False
        phases = _get(schedule, "phases") or []
        if not phases or not (_get(schedule, "metadata") or {}).get("tui_portal"):
            return False
        item = (_get(phases[-1], "items") or [None])[0]
        return _id(_get(item, "price")) == preview.new_price_id and _get(item, "quantity") == preview.new_quantity
    item = subscription.items.data[0]
    if item.price.id != preview.new_price_id or item.quantity != preview.new_quantity:
        return False
    if preview.promotion_code is not None:
        # On the subscription, or (a `once` code used up at once) on the invoice the change created.
        discounts = list(_get(subscription, "discounts") or [])
        discounts += list(_get(_get(subscription, "latest_invoice"), "discounts") or [])
        codes = {_id(_get(discount, "promotion_code")) for discount in discounts if not isinstance(discount, str)}
        return preview.promotion_code.id in codes
    return True

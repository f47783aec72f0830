"""The composition root: Settings (+ seams) -> StripeClient -> PortalService -> app.

This is the one module allowed to know every layer, and `Composition` is the one place the portal is
assembled: the CLI, the SSH service, the kiosk, the staff console and the tests all build their
client and service here instead of each wiring its own. It picks the transport (the embedded sandbox
in-process, or a real endpoint over HTTPS), binds the customer once, resolves the portal configuration,
and turns start-up failures into `PortalError`s the start screen can show with a Retry button.

Two seams replace what tests and the access modes used to patch or re-implement:
- `transport`: a zero-argument callable returning the transport each client uses (an httpx one or a
  `billing.InProcessTransport`; a fresh one per client: closing a client closes its transport). The
  staff console wraps it in its auditing transport; tests wrap it to record or fail requests.
  Default: the composition's in-process sandbox, or the client's own HTTP(S) transport
  (`billing._httpx.network_transport`). The portal's own client on the in-process sandbox takes
  `billing.InProcessTransport` instead of httpx's ASGI transport (the same requester either way; it
  keeps httpx out of the embedded start).
- `clock`: the time source (Unix seconds) of the embedded sandbox and of the service, so dates and
  amounts are deterministic in tests and in a kiosk's screenshots. Default: the wall clock.

Four more let the UI tests open "the portal as it runs" through `open_portal` instead of assembling
client and service of their own (so a change to how the portal is assembled is one the tests run):
- `sleep`: how the portal waits: the client's retry back-off and the service's polling of a hosted
  card-setup page. Tests do not wait out back-off. Default: `asyncio.sleep`.
- `customer_email`: bind the (first) customer with this email, instead of `Settings.customer`'s id
  or the sandbox demo's marker. Tests name the seeded customers by email; an id goes in `Settings`.
- `configuration`: an already-built `PortalConfiguration`, instead of resolving the TOML file's, a
  `bpc_...` one or the account's default (a test's variant of the configuration).
- `service_class`: the `PortalService` (sub)class to build; the service's constructor stays the
  composition's business.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Any

from tui_portal.settings import SANDBOX_DEMO_EMAIL, SANDBOX_DEMO_QUERY, Settings

if TYPE_CHECKING:
    import httpx

    from tui_portal.billing import InProcessTransport
    from tui_portal.portal.config.schema import PortalConfiguration
    from tui_portal.portal.service import PortalService

SANDBOX_API_BASE = "http://sandbox.tui-portal.invalid"
"""Never resolved: requests to the embedded sandbox are calls into it (`InProcessTransport`), not a socket."""

TransportFactory = Callable[[], "httpx.AsyncBaseTransport | InProcessTransport"]
Clock = Callable[[], int]
Sleep = Callable[[float], Awaitable[None]]


class Composition:
    """Builds client -> service for one `Settings`, with the seams of the module docstring.

    `sandbox_app`: the in-process sandbox to talk to; by default one is created (once, on first
    use, on `settings.sandbox_db` with `clock`) when the settings name the embedded sandbox and no
    `transport` was given. Its hosted invoice pages are then served on loopback while a portal
    session is open (see `sandbox_documents`). A composition is cheap: make a new one where a
    session must not share anything with the previous one (the kiosk after an idle reset).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        transport: TransportFactory | None = None,
        clock: Clock | None = None,
        sandbox_app: Any = None,
        sleep: Sleep | None = None,
        customer_email: str | None = None,
        configuration: PortalConfiguration | None = None,
        service_class: type[PortalService] | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.customer_email = customer_email
        self._transport = transport
        self._sandbox_app = sandbox_app
        self._sleep = sleep
        self._configuration = configuration
        self._service_class = service_class

    @property
    def is_sandbox(self) -> bool:
        return self.settings.uses_sandbox

    @property
    def where(self) -> str:
        """Where the portal connects, in words ("the embedded sandbox" or the API base)."""
        return "the embedded sandbox" if self.is_sandbox else str(self.settings.api_base)

    @property
    def sandbox_app(self) -> Any:
        """The in-process sandbox this composition serves documents of (None: none is ours)."""
        if self._sandbox_app is None and self.is_sandbox and self._transport is None:
            from tui_portal import sandbox

            self.settings.sandbox_db.parent.mkdir(parents=True, exist_ok=True)
            self._sandbox_app = sandbox.create_app(self.settings.sandbox_db, now=self.clock)
        return self._sandbox_app

    def transport(self) -> httpx.AsyncBaseTransport | InProcessTransport | None:
        """A new transport for one client: the seam's, the in-process sandbox, or None (the client's own)."""
        if self._transport is not None:
            return self._transport()
        if self.is_sandbox:
            import httpx

            return httpx.ASGITransport(app=self.sandbox_app)
        return None

    def default_transport(self) -> Any:
        """The transport of a client built without one: `transport()`, except on the composition's own
        in-process sandbox, which is called directly (`billing.InProcessTransport`, no httpx)."""
        if self._transport is None and self.is_sandbox:
            from tui_portal.billing import InProcessTransport

            return InProcessTransport(self.sandbox_app)
        return self.transport()

    def service_clock(self) -> Callable[[], float]:
        """The service's time source: the `clock` seam as float seconds, or the wall clock."""
        fixed = self.clock
        if fixed is None:
            return time.time
        return lambda: float(fixed())

    def client(self, transport: httpx.AsyncBaseTransport | None = None) -> Any:
        """A StripeClient for the configured endpoint on `transport` (default: `self.default_transport()`);
        not yet opened (it is an async context manager)."""
        from tui_portal.billing import StripeClient

        chosen = transport if transport is not None else self.default_transport()
        if self.is_sandbox:
            from tui_portal import sandbox

            return StripeClient(sandbox.DEFAULT_API_KEY, api_base=SANDBOX_API_BASE, transport=chosen, sleep=self._sleep)
        assert self.settings.api_key is not None and self.settings.api_base is not None  # load_settings guarantees both
        return StripeClient(self.settings.api_key.reveal(), api_base=self.settings.api_base, transport=chosen,
                            sleep=self._sleep)

    def startup_error(self, error: Exception) -> Exception:
        return startup_error(error, self.settings)

    def client_or_startup_error(self, transport: httpx.AsyncBaseTransport | None = None) -> Any:
        """The client, with failures (e.g. a sandbox folder that cannot be created, a file that is
        not a database) told in words."""
        try:
            return self.client(transport)
        except Exception as error:  # noqa: BLE001 - re-raised as a message
            raise self.startup_error(error) from None

    async def configuration(self, client: Any) -> Any:
        """The portal configuration: the `configuration` seam's, the TOML file's, a `bpc_...` one, or the
        account's default."""
        if self._configuration is not None:
            return self._configuration
        from tui_portal.portal.config.resolve import resolve_configuration

        if self.settings.portal_config_data:
            return await resolve_configuration(
                client, data=dict(self.settings.portal_config_data), source=str(self.settings.config_file)
            )
        return await resolve_configuration(client, configuration_id=self.settings.portal_configuration)

    @asynccontextmanager
    async def open_portal(self) -> AsyncIterator[PortalService]:
        """Yield a PortalService for the bound customer; the HTTP client closes when the block ends."""
        await asyncio.to_thread(_load_layers, self.settings)
        client = self.client_or_startup_error()
        async with client, sandbox_documents(self.sandbox_app):
            try:
                # Independent look-ups, so they travel together. With `--customer` this is the only
                # wave: the overview's requests are in it too. The sandbox demo's customer is found by
                # its marker first, so its overview takes a second wave.
                # return_exceptions: both settle before we report, so nothing is left running against
                # a client that is about to close.
                outcomes: tuple[Any, Any] = await asyncio.gather(
                    _prefetch(client, self.settings, self.customer_email), self.configuration(client),
                    return_exceptions=True,
                )
                prefetched, configuration = outcomes
                for outcome in outcomes:
                    if isinstance(outcome, BaseException):
                        raise outcome
            except Exception as error:  # noqa: BLE001 - re-raised as a message the start screen can show
                raise self.startup_error(error) from None
            yield self.service(prefetched.customer_id, client, configuration, prefetched=prefetched.cache)

    @asynccontextmanager
    async def open_customer(
        self, customer_id: str, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> AsyncIterator[PortalService]:
        """A PortalService for `customer_id` chosen after start-up (the staff console), on `transport`."""
        from tui_portal.portal.errors import NotFound

        async with self.client_or_startup_error(transport) as client:
            try:
                customer = await client.customers.retrieve(customer_id)
                if getattr(customer, "deleted", False):
                    raise NotFound(f"Customer {customer_id} has been deleted.")
                configuration = await self.configuration(client)
            except Exception as error:  # noqa: BLE001 - shown on the start screen with Retry
                raise self.startup_error(error) from None
            yield self.service(customer_id, client, configuration)

    def service(self, customer_id: str, client: Any, configuration: Any,
                prefetched: dict[str, object] | None = None) -> PortalService:
        """The service for a bound customer on an open client, with the composition's seams."""
        from tui_portal.portal.service import PortalService

        service_class = self._service_class or PortalService
        return service_class(customer_id, client, configuration, is_sandbox=self.is_sandbox,
                             now=self.service_clock(), sleep=self._sleep or asyncio.sleep, prefetched=prefetched)


ServiceFactory = Callable[[], AbstractAsyncContextManager[Any]]


def portal_session_factory(
    settings: Settings, *, transport: TransportFactory | None = None, clock: Clock | None = None
) -> ServiceFactory:
    """What `PortalApp` takes: each call opens a session on a new `Composition` (a fresh in-process
    sandbox app too), so a Retry or a kiosk reset reuses nothing of the session before."""
    return lambda: Composition(settings, transport=transport, clock=clock).open_portal()


def build_client(settings: Settings, *, sandbox_app: Any = None) -> Any:
    """A StripeClient for the configured endpoint; not yet opened (it is an async context manager).

    `sandbox_app`: the in-process sandbox to talk to (default: a new one on `settings.sandbox_db`)."""
    return Composition(settings, sandbox_app=sandbox_app).client()


def open_portal(settings: Settings) -> AbstractAsyncContextManager[Any]:
    """Yield a PortalService for the bound customer (see `Composition.open_portal`)."""
    return Composition(settings).open_portal()


@asynccontextmanager
async def sandbox_documents(app: Any) -> AsyncIterator[str | None]:
    """Serve the in-process sandbox's hosted invoice pages and PDFs on loopback while the portal runs.

    Without it their URLs would name no reachable host, so "Open invoice page" and the PDF link would
    lead nowhere. Only those two document routes are served (sandbox/document_server.py), on
    127.0.0.1 and an ephemeral port; the server ends with the portal. `app=None` (a real endpoint,
    whose documents Stripe hosts): nothing is started.
    """
    if app is None:
        yield None
        return
    from tui_portal.sandbox.document_server import serve_documents

    async with serve_documents(app) as url:
        yield url


def startup_error(error: Exception, settings: Settings) -> Exception:
    """Explain a failure to start in words that say what to check; keys never appear here."""
    from tui_portal.billing import errors as billing_errors
    from tui_portal.portal.errors import ConfigurationError, NotFound, PortalError, ServiceUnavailable

    where = "the embedded sandbox" if settings.uses_sandbox else settings.api_base
    if isinstance(error, PortalError):
        return error
    if isinstance(error, billing_errors.AuthenticationError):
        return ConfigurationError(
            f"{where} refused the API key (HTTP {error.http_status}). "
            "Check STRIPE_API_KEY or the key stored with `tui-portal login`.",
            request_id=error.request_id,
        )
    if isinstance(error, billing_errors.PermissionError):
        return ConfigurationError(
            f"The API key may not do what the portal needs ({error.user_message}). "
            "See the README for the permissions of a restricted key.",
            request_id=error.request_id,
        )
    if isinstance(error, billing_errors.InvalidRequestError) and error.code == "resource_missing":
        return NotFound(f"{where} has no customer {settings.customer}.", request_id=error.request_id)
    if isinstance(error, billing_errors.APIConnectionError | billing_errors.APIError | billing_errors.RateLimitError):
        return ServiceUnavailable(f"Could not reach {where}: {error.user_message}", request_id=error.request_id)
    if isinstance(error, billing_errors.StripeError):
        return PortalError(f"{where} answered with an error: {error.user_message}", request_id=error.request_id)
    # Anything else (a database file SQLite cannot open, an OS error, a bug) still ends as a message: an
    # exception escaping into Textual is printed as a traceback with local variables, which can hold
    # the API key. The log gets the type and text, never a traceback.
    from tui_portal.logs import log_event

    log_event("tui_portal.wiring", "startup_failed", level=logging.ERROR, where=where,
              error=f"{type(error).__name__}: {error}")
    return PortalError(f"The portal could not start on {where}: {_describe(error)}")


def _describe(error: BaseException) -> str:
    """One line about an unexpected start-up failure; an ExceptionGroup is described by its first leaf."""
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


async def _prefetch(client: Any, settings: Settings, email: str | None = None) -> Any:
    """The customer (and, when its id is given, the rest of the overview), fetched at start-up.

    The customer is bound here, once, and never changes inside the portal: by `email` when the
    composition's `customer_email` seam gives one, else by `settings`.
    """
    from tui_portal.portal.errors import NotFound
    from tui_portal.portal.service.overview import prefetch_customer_by_email, prefetch_customer_by_search, prefetch_overview

    if email is not None:
        by_email = await prefetch_customer_by_email(client, email)
        if by_email is None:
            raise NotFound(f"There is no customer with the email {email}.")
        return by_email
    if settings.customer:
        prefetched = await prefetch_overview(client, settings.customer)
        if getattr(prefetched.customer, "deleted", False):
            raise NotFound(f"Customer {settings.customer} has been deleted.")
        return prefetched
    found = await prefetch_customer_by_search(client, SANDBOX_DEMO_QUERY)
    if found is None:
        found = await prefetch_customer_by_email(client, SANDBOX_DEMO_EMAIL)
    if found is None:
        raise NotFound(
            "The sandbox has no demo customer. Run `tui-portal sandbox reset` to seed the demo data again."
        )
    return found


def _load_layers(settings: Settings) -> None:
    """Import the service, the client and (if used) the sandbox: ~0.1 s of module and class creation.

    Run in a thread by `open_portal`, so the app's event loop stays free meanwhile: Textual draws its
    first frame, and the start screen ("Connecting...") can appear if connecting takes a while.
    """
    modules = ["tui_portal.billing", "tui_portal.portal.service", "tui_portal.portal.config.resolve"]
    if settings.uses_sandbox:
        modules.append("tui_portal.sandbox.app")
    for module in modules:
        importlib.import_module(module)


async def check_portal_configuration(settings: Settings) -> tuple[str, Any]:
    """Resolve the configuration as the portal would and check it against the account.

    Returns (where the configuration came from, `ConfigurationCheck`). Start-up failures are raised
    as the same plain-language errors the start screen shows.
    """
    from tui_portal.portal.config.check import check_configuration

    composition = Composition(settings)
    async with composition.client_or_startup_error() as client:
        try:
            configuration = await composition.configuration(client)
            check = await check_configuration(client, configuration)
        except Exception as error:  # noqa: BLE001 - re-raised in words
            raise startup_error(error, settings) from None
    if settings.portal_config_data:
        source = str(settings.config_file)
    elif settings.portal_configuration:
        source = f"portal configuration {settings.portal_configuration}"
    else:
        source = "the account's default portal configuration"
    return f"{source} on {composition.where}", check

"""The composition root: Settings -> StripeClient -> PortalService.

This is the one module allowed to know every layer. It picks the transport (the embedded sandbox
in-process, or a real endpoint over HTTPS), binds the customer once, resolves the portal configuration,
and turns start-up failures into `PortalError`s the start screen can show with a Retry button.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from tui_portal.settings import SANDBOX_DEMO_EMAIL, SANDBOX_DEMO_QUERY, Settings

SANDBOX_API_BASE = "http://sandbox.tui-portal.invalid"
"""Never resolved: requests to the embedded sandbox go through httpx.ASGITransport, not a socket."""


def build_client(settings: Settings, *, sandbox_app: Any = None) -> Any:
    """A StripeClient for the configured endpoint; not yet opened (it is an async context manager).

    `sandbox_app`: the in-process sandbox to talk to (default: a new one on `settings.sandbox_db`)."""
    from tui_portal.billing import StripeClient

    if settings.uses_sandbox:
        import httpx

        from tui_portal import sandbox

        app = sandbox_app if sandbox_app is not None else _sandbox_app(settings)
        return StripeClient(sandbox.DEFAULT_API_KEY, api_base=SANDBOX_API_BASE, transport=httpx.ASGITransport(app=app))
    assert settings.api_key is not None and settings.api_base is not None  # load_settings guarantees both
    return StripeClient(settings.api_key.reveal(), api_base=settings.api_base)


def _sandbox_app(settings: Settings) -> Any:
    from tui_portal import sandbox

    settings.sandbox_db.parent.mkdir(parents=True, exist_ok=True)
    return sandbox.create_app(settings.sandbox_db)


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
    from tui_portal.portal import ConfigurationError, NotFound, PortalError, ServiceUnavailable

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


def _client_or_startup_error(settings: Settings) -> tuple[Any, Any]:
    """(the in-process sandbox or None, the client), with failures (e.g. a sandbox folder that cannot
    be created, a file that is not a database) told in words."""
    try:
        sandbox_app = _sandbox_app(settings) if settings.uses_sandbox else None
        return sandbox_app, build_client(settings, sandbox_app=sandbox_app)
    except Exception as error:  # noqa: BLE001 - re-raised as a message
        raise startup_error(error, settings) from None


async def _prefetch(client: Any, settings: Settings) -> Any:
    """The customer (and, when its id is given, the rest of the overview), fetched at start-up.

    The customer is bound here, once, and never changes inside the portal.
    """
    from tui_portal.portal import (
        NotFound,
        prefetch_customer_by_email,
        prefetch_customer_by_search,
        prefetch_overview,
    )

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


async def _configuration(client: Any, settings: Settings) -> Any:
    from tui_portal.portal import resolve_configuration

    if settings.portal_config_data:
        return await resolve_configuration(
            client, data=dict(settings.portal_config_data), source=str(settings.config_file)
        )
    return await resolve_configuration(client, configuration_id=settings.portal_configuration)


def _load_layers(settings: Settings) -> None:
    """Import the service, the client and (if used) the sandbox: about 0.3 s of class creation.

    Run in a thread by `open_portal`, so the app's first frame ("Connecting...") is drawn and its
    spinner keeps turning meanwhile instead of waiting for these imports.
    """
    modules = ["tui_portal.billing", "tui_portal.portal.service", "tui_portal.portal.resolve"]
    if settings.uses_sandbox:
        modules.append("tui_portal.sandbox.app")
    for module in modules:
        importlib.import_module(module)


@asynccontextmanager
async def open_portal(settings: Settings) -> AsyncIterator[Any]:
    """Yield a PortalService for the bound customer; the HTTP client closes when the block ends."""
    await asyncio.to_thread(_load_layers, settings)
    from tui_portal.portal import PortalService

    sandbox_app, client = _client_or_startup_error(settings)
    async with client, sandbox_documents(sandbox_app):
        try:
            # Independent look-ups, so they travel together. With `--customer` this is the only wave:
            # the overview's requests are in it too. The sandbox demo's customer is found by its
            # marker first, so its overview takes a second wave.
            # return_exceptions: both settle before we report, so nothing is left running against a
            # client that is about to close.
            prefetched, configuration = await asyncio.gather(
                _prefetch(client, settings), _configuration(client, settings), return_exceptions=True
            )
            for outcome in (prefetched, configuration):
                if isinstance(outcome, BaseException):
                    raise outcome
        except Exception as error:  # noqa: BLE001 - re-raised as a message the start screen can show
            raise startup_error(error, settings) from None
        yield PortalService(
            prefetched.customer_id,
            client,
            configuration,
            is_sandbox=settings.uses_sandbox,
            prefetched=prefetched.cache,
        )


async def check_portal_configuration(settings: Settings) -> tuple[str, Any]:
    """Resolve the configuration as the portal would and check it against the account.

    Returns (where the configuration came from, `ConfigurationCheck`). Start-up failures are raised
    as the same plain-language errors the start screen shows.
    """
    from tui_portal.portal.config_check import check_configuration

    _sandbox, client = _client_or_startup_error(settings)
    async with client:
        try:
            configuration = await _configuration(client, settings)
            check = await check_configuration(client, configuration)
        except Exception as error:  # noqa: BLE001 - re-raised in words
            raise startup_error(error, settings) from None
    if settings.portal_config_data:
        source = str(settings.config_file)
    elif settings.portal_configuration:
        source = f"portal configuration {settings.portal_configuration}"
    else:
        source = "the account's default portal configuration"
    where = "the embedded sandbox" if settings.uses_sandbox else settings.api_base
    return f"{source} on {where}", check

"""Portal layer: everything one customer can do, as plain async use-cases (no Textual, no HTTP here).

Import names from the module that defines them; this package re-exports nothing, so every name is
declared in one place and importing `tui_portal.portal.errors` (which the UI needs for its first
frame) never loads the service, the billing client or the model library.

- `service/`: `PortalService` (one per customer) and the areas it is made of, one module each.
- `present/`: billing objects turned into `views` (frozen data the screens render), money and
  dates in the customer's locale, words for Stripe's enum values.
- `config/`: the portal configuration (Stripe's `billing_portal.configuration` plus a `[tui]`
  section), resolved at start-up and checked against an account by `tui-portal config check`.
- `rules/`: pure rules that need no I/O: plan-change offers and bounds, validation of typed input,
  and what a session may do on the machine it runs on.
- `login/`: how a customer gets in over SSH (registered keys, invite codes).
- `stripe_shapes.py`: reading Stripe's object shapes (ids of references, a discount's coupon).
- `views.py`, `errors.py`, `error_mapping.py`, `i18n.py`: what the UI receives, what it may catch,
  the billing client's errors in words a customer understands, and translations.
"""

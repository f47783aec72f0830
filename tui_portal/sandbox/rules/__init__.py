"""Pure billing rules of the sandbox: amounts, prorations, discounts, calendars, invoice numbers.

Nothing in this package does I/O or reads a clock. Every function takes the moment it reasons about
as an argument, so the same rule serves a live request, an invoice preview, a test clock advance and
the demo seed, and each can be unit tested against Stripe's documented figures.
"""

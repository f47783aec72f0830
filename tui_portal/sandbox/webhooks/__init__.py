"""Webhooks: endpoints' signing secrets, the delivery outbox, signing, the delivery worker, and
`sandbox listen`.

Why a package of its own: delivery is framework, not billing. Every recorded event (`events.py`) puts
one row per matching endpoint into the outbox in the SAME transaction as the event, so a rolled-back
request delivers nothing and a committed one is delivered even after a crash; a daemon thread per app
(`worker.py`) sends what is due, never the request that caused it. The HTTP routes live in
`resources/webhook_endpoints.py`; behaviour and choices in the sandbox README ("Webhooks").
"""

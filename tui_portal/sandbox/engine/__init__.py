"""The billing engine: functions that take a `Context` and plain values and return stored dicts.

Nothing here knows of requests, routes or params (tests/sandbox/test_engine_layout.py holds it);
`resources/` are the thin HTTP routes over it. Map: ../README.md "Layout and owners".
"""

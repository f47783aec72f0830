"""Endpoint modules. Every module in this package is imported by the app and registers routes with
`@route(...)` (see ../README.md "Adding endpoints")."""

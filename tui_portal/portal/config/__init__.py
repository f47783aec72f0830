"""The portal configuration: its schema, where it comes from at start-up, and checking it against an account."""

"""The billing engine: works on a Context and plain values, never on requests or routes (see the
sandbox README, "Layout")."""

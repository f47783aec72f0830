"""How a customer gets in over SSH: the keys registered for them, and invite codes for a first key."""

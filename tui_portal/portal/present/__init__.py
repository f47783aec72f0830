"""Presenting: billing objects turned into the frozen views screens render, in the customer's language."""

"""billing layer."""

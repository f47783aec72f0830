"""Resource namespaces of the billing client (one module per area of the Stripe API)."""

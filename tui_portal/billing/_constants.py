"""Constants of the wire contract."""

# The Stripe API version every request pins (the one stripe-python 16.1.0 pins). The models parse
# this version's object shapes; sending it explicitly means an account's default version can't
# change what we receive.
API_VERSION = "2026-10-28.endive"

DEFAULT_API_BASE = "https://api.stripe.com"

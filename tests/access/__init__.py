"""Tests of the access layer (SSH, kiosk, staff console)."""

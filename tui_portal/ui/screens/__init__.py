"""One screen per module; open them by name with `app.open_screen(name)` (see navigation.py)."""

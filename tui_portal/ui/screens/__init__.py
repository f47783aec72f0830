"""One screen per module; open them by name with `self.open_screen(name)` from a screen (see navigation.py)."""

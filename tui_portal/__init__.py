"""tui-portal: a self-service billing portal for the terminal."""

__version__ = "0.1.0"

"""`python -m tui_portal` is the same as the `tui-portal` command."""

from tui_portal.cli import main

raise SystemExit(main())

"""SSH access: customers reach the portal with `ssh portal@billing.example.com`.

- `authorized_keys.py`: sshd's `AuthorizedKeysCommand`: a registered key -> one forced-command line.
- `session.py`: the forced command's entry point (clean environment, PTY required, revocation re-check).
- `server.py`: `tui-portal ssh serve`, an asyncssh server for hosts without sshd (one process per session).
- `commands.py`: the `tui-portal ssh ...` handlers (imported only when a command runs).
The key registry itself lives in `tui_portal.portal.login.key_registry` (shared with the portal's own screen).
"""

"""The customer's own SSH keys (the keys they log in to the portal with), when `[tui] ssh_keys` is on.

Why through the service rather than a registry in the screen: the switch is enforced in one place
(a screen or script calling these with the feature off is refused), the screen never holds the API
client, and the service's cached customer is dropped when its metadata (where keys live) changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui_portal.portal.rules import capabilities
from tui_portal.portal.service.core import ServiceCore
from tui_portal.portal.views import Action

if TYPE_CHECKING:  # the key parser loads with the first use of the SSH keys page, not with every session
    from tui_portal.portal.login.key_registry import RegisteredKey, SshKeyRegistry


class SshKeysMixin(ServiceCore):
    def _ssh_key_registry(self) -> SshKeyRegistry:
        self._enforce(capabilities.ssh_keys(self.configuration))
        from tui_portal.portal.login.key_registry import SshKeyRegistry

        return SshKeyRegistry(self.client, self.customer_id, translator=self.translator)

    async def ssh_keys(self) -> list[RegisteredKey]:
        """The keys registered to this customer, oldest first."""
        return await self._ssh_key_registry().list_keys()

    async def add_ssh_key(
        self, public_key_text: str, *, label: str | None = None, action: Action | None = None
    ) -> RegisteredKey:
        """Register a pasted public key line (FieldError names `public_key` or `label` when refused)."""
        registry = self._ssh_key_registry()
        action = action or Action()
        added = await registry.add_key(public_key_text, label=label, idempotency_key=action.key)
        self._invalidate("customer")
        return added

    async def revoke_ssh_key(self, fingerprint: str, *, action: Action | None = None) -> RegisteredKey:
        """Remove a key; it logs nobody in from the next login on."""
        registry = self._ssh_key_registry()
        action = action or Action()
        revoked = await registry.revoke_key(fingerprint, idempotency_key=action.key)
        self._invalidate("customer")
        return revoked

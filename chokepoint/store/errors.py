"""What the store raises. Every message is safe to show to a user: no address, no credentials, no driver text."""
from __future__ import annotations


class StoreError(Exception):
    """Saved scenarios could not be read or written. The message is safe to show to a user."""


class InvalidInput(StoreError):
    """A bad name, note, id or setting. The message names the field and the limit."""


class ReadOnlyStore(StoreError):
    """The store can be read but not written (a read-only disk or database account): nothing was saved."""


class DamagedRecord(StoreError):
    """A stored row does not hold what the app writes; it cannot be opened (lists leave it out)."""

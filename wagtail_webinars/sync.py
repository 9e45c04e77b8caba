"""Registrant sync with managed providers (filled in by the provider-sync work)."""

from __future__ import annotations


def sync_registration(registration_id: int) -> None:
    """Push, cancel or re-approve one registration at its provider.

    Unmanaged events have nothing to sync; managed sync is implemented with the
    Zoom provider.
    """
    return None

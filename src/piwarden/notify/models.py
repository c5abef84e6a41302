"""Notification campaigns: telling many people at once (docs/notify.md)."""

"""Reusable widgets with their own state keys (filters synced to the URL, the problem view)."""

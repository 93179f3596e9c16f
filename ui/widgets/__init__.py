"""Reusable widgets of the desktop."""

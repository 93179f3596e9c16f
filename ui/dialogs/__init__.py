"""Dialogs of the desktop; each module has one open_… entry point or dialog class."""

"""Verbs that change the inventory. Each public function is one transaction,
validates its input, writes history, and raises an ``app.services.errors``
error carrying a sentence a technician can read."""

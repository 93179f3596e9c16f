"""Qt models over app.listing (see table.py)."""

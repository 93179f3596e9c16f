"""The database: one proxy, how to open it, migrations and search."""

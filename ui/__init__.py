"""The Qt desktop. Calls app.services; never writes SQL or saves models."""

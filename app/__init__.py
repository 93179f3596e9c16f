"""Quartermaster's domain: the store, the models, the services that change them,
scanning, import/export, backups and the command line. No Qt in here."""

__version__ = "0.1.0"
APP_NAME = "Quartermaster"

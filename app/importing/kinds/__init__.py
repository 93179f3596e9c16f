"""One handler per kind, one module each, found through a registry:
``check(row, record)`` returns the row's problems (and notes what would be
created), ``write(row, record)`` writes it (inside the import's
transaction), ``finish()`` flushes. Assets go through the bulk path; the
smaller kinds through their services.

    HANDLERS["assets"](preview, update, write, by)   # a context manager
"""
from __future__ import annotations

from app.importing.kinds.assets import AssetHandler
from app.importing.kinds.chromebooks import ChromebookHandler
from app.importing.kinds.common import Handler, ServiceHandler, status_of
from app.importing.kinds.licenses import LicenseHandler
from app.importing.kinds.locations import LocationHandler
from app.importing.kinds.models import ModelHandler
from app.importing.kinds.people import PeopleHandler
from app.importing.kinds.students import StudentHandler
from app.importing.kinds.supplies import SupplyHandler

HANDLERS: dict[str, type[Handler]] = {
    "assets": AssetHandler, "people": PeopleHandler, "locations": LocationHandler,
    "models": ModelHandler, "licenses": LicenseHandler, "supplies": SupplyHandler,
    "students": StudentHandler, "chromebooks": ChromebookHandler}

__all__ = ["HANDLERS", "AssetHandler", "Handler", "LicenseHandler", "LocationHandler",
           "ModelHandler", "PeopleHandler", "ServiceHandler", "SupplyHandler", "status_of"]

"""All peewee models. Import from here: ``from app.models import Asset``."""
from app.models.activity import (HistoryEntry, ImportMapping, IntakeItem, IntakeSession, Loan,
                                 Repair, Setting, StocktakeExpected, StocktakeScan,
                                 StocktakeSession, YearEndRun)
from app.models.assets import Asset, TagRecord
from app.models.media import BackupMedia
from app.models.people import Person
from app.models.places import Category, HardwareModel, Location, Manufacturer, Site, Supplier
from app.models.stock import License, Seat, StockMove, Supply, SupplyFit
from app.models.program import (EventScan, Fee, FeePayment, KitPart, LoanerSwap, LoanPart,
                                PriceItem, ProgramEvent)
from app.models.workorders import WorkOrder, WorkOrderAsset, WorkOrderNote

# In dependency order: create_tables walks it forward, drops walk it back.
ALL_MODELS = [
    Site, Location, Category, Manufacturer, HardwareModel, Supplier, Person,
    Asset, TagRecord, License, Seat, Supply, SupplyFit, StockMove,
    Loan, Repair, StocktakeSession, StocktakeExpected, StocktakeScan,
    IntakeSession, IntakeItem, HistoryEntry, YearEndRun, Setting, ImportMapping, WorkOrder,
    WorkOrderNote, BackupMedia, WorkOrderAsset, KitPart, LoanPart, ProgramEvent, EventScan,
    PriceItem, Fee, FeePayment, LoanerSwap,
]

# Written out (not built from ALL_MODELS) so the type checker sees the exports.
__all__ = [
    "ALL_MODELS", "Asset", "BackupMedia", "Category", "EventScan", "Fee", "FeePayment",
    "HardwareModel", "HistoryEntry", "ImportMapping", "IntakeItem", "IntakeSession", "KitPart",
    "License", "Loan", "LoanPart", "LoanerSwap", "Location", "Manufacturer", "Person",
    "PriceItem", "ProgramEvent", "Repair", "Seat", "Setting", "Site", "StockMove",
    "StocktakeExpected", "StocktakeScan", "StocktakeSession", "Supplier", "Supply", "SupplyFit",
    "TagRecord", "WorkOrder", "WorkOrderAsset", "WorkOrderNote", "YearEndRun",
]
assert sorted(__all__) == sorted([m.__name__ for m in ALL_MODELS] + ["ALL_MODELS"])

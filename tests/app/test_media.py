"""Backup media: LTO barcodes, writes under GFS retention, moves by scanning,
destruction refused under retention, the rotation due list — both engines."""
from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.models import BackupMedia
from app.services import history, media
from app.services.errors import Conflict, NotFound, ValidationError

DAY = dt.date(2026, 11, 2)


@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=6, max_size=6),
       st.sampled_from(["L5", "L6", "L7", "L8", "L9", "LT", "M8"]))
def test_barcode_format(volser, media_id):
    assert media.check_barcode(f" {volser.lower()}{media_id.lower()} ") == volser + media_id


@pytest.mark.parametrize("bad", ["", "A0012L8", "A00123L", "A00123X8", "A00123L80", "A0012-L8"])
def test_bad_barcodes_refused(bad):
    with pytest.raises(ValidationError, match="LTO barcode"):
        media.check_barcode(bad)


def test_add_write_move_destroy_cycle(db):
    media.add(["A00120L8", "a00121l8"], media_set="Nightly", rotation="weekly")
    with pytest.raises(Conflict, match="A00120L8"):
        media.add(["A00120L8", "A00122L8"])
    assert BackupMedia.select().count() == 2  # all or none
    m = media.record_write("A00120L8", written_on=DAY)
    assert (m.location, m.times_used, m.retain_until) == ("drive", 1, DAY + dt.timedelta(days=35))
    with pytest.raises(Conflict, match="kept until"):
        media.record_write("A00120L8", written_on=DAY + dt.timedelta(days=7))
    media.move(["A00120L8"], "vault")
    assert media.get("A00120L8").location == "offsite_vault"
    with pytest.raises(Conflict, match="cannot be destroyed"):
        media.destroy("A00120L8", "shredded", on=DAY + dt.timedelta(days=10))
    gone = media.destroy("A00120L8", "Shredded by Iron Vault, cert 5512",
                         on=DAY + dt.timedelta(days=40))
    assert gone.destroyed_on == DAY + dt.timedelta(days=40)
    with pytest.raises(Conflict, match="destroyed"):
        media.move(["A00120L8"], "safe")
    actions = [h["action"] for h in history.for_entity("media", gone.id)]
    assert {"create", "write", "move", "destroy"} <= set(actions)
    with pytest.raises(NotFound, match="A00199L8"):
        media.move(["A00121L8", "A00199L8"], "vault")
    assert media.get("A00121L8").location == "onsite_safe"  # the whole scan batch or nothing


def test_due_list(db):
    media.add(["D00001L8"], rotation="daily")
    media.add(["W00001L8", "W00002L8"], rotation="weekly")
    media.add(["M00001L8"], rotation="monthly")
    media.record_write("D00001L8", written_on=DAY)
    media.record_write("W00001L8", written_on=DAY)  # on site: goes to the vault
    media.record_write("W00002L8", written_on=DAY - dt.timedelta(days=33))
    media.move(["W00002L8"], "offsite_vault")  # retention ends DAY+2: comes back
    media.record_write("M00001L8", written_on=DAY - dt.timedelta(days=20))
    media.move(["M00001L8"], "offsite_vault")  # kept a year: stays
    due = media.due(today=DAY, days=7)
    assert [(r["barcode"], r["action"]) for r in due] == [
        ("W00001L8", "Send to the vault"), ("W00002L8", "Bring back from the vault")]
    assert due[1]["date"] == DAY + dt.timedelta(days=3)

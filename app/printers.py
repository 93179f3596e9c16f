"""Printers without Qt: CUPS queues, raw sends and per-printer calibration.

    from app import printers
    printers.list_queues()                        # ["ZebraGK420", "OfficeHP"]
    printers.send_raw(zpl_text, "ZebraGK420")     # lp -d ZebraGK420 -o raw
    printers.get_offset("Office HP", "avery-5160")  # (0.8, -0.4) mm, +x right, +y down
    printers.set_offset("Office HP", 0.8, -0.4, "avery-5160")

ui.printing adds Qt's printers on top of this; the CLI (which must start
without Qt) uses it directly for ``labels --send`` and ``--set-offset``, so an
offset saved in the GUI applies to the CLI's output and the other way round.

Offsets belong to a workstation's printers, not to the shared database: they
live in the user config folder (``labels/offsets.json``), per printer name
("default" when none is named) and per label stock, because each stock feeds
a little differently. A printer's entry under ``*`` applies to every stock
that has none of its own.
"""
from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from platformdirs import user_config_dir

from app import APP_NAME
from app.services.errors import ValidationError

ANY_STOCK = "*"
MAX_OFFSET_MM = 10.0


# --- CUPS queues -------------------------------------------------------------------

def _lp_tool(name: str) -> str | None:
    return shutil.which(name)


def list_queues(timeout: float = 5) -> list[str]:
    """The CUPS queues this machine can print to (``lpstat -e``), in order;
    empty when CUPS is not installed or its scheduler is not running."""
    lpstat = _lp_tool("lpstat")
    if not lpstat:
        return []
    try:
        res = subprocess.run([lpstat, "-e"], capture_output=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired):
        return []
    if res.returncode != 0:
        return []
    names = [line.split()[0] for line in res.stdout.decode("utf-8", "replace").splitlines()
             if line.strip()]
    return sorted(dict.fromkeys(names), key=str.lower)


def send_raw(data: str | bytes, queue: str, timeout: float = 30) -> str:
    """Send printer-ready data (ZPL) to a CUPS/LPD queue unchanged (``lp -o raw``).
    Returns lp's reply (the job id line); raises ValidationError with lp's words."""
    queue = (queue or "").strip()
    if not queue or queue.startswith("-"):
        raise ValidationError("Name the printer queue to send the labels to.")
    lp = _lp_tool("lp") or "lp"
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        res = subprocess.run([lp, "-d", queue, "-o", "raw"], input=payload,
                             capture_output=True, timeout=timeout)
    except FileNotFoundError:
        raise ValidationError("The lp command was not found: install CUPS (cups-client) "
                              "or save the ZPL to a file.") from None
    except subprocess.TimeoutExpired:
        raise ValidationError(f"The print queue {queue} did not answer in {timeout:.0f} s.") from None
    if res.returncode != 0:
        msg = (res.stderr or res.stdout or b"").decode("utf-8", "replace").strip()
        raise ValidationError(f"Printing to {queue} failed: {msg or f'lp exited {res.returncode}'}")
    return (res.stdout or b"").decode("utf-8", "replace").strip()


# --- calibration offsets -------------------------------------------------------------

def config_dir() -> Path:
    """The user config folder's labels/ (custom templates live there too)."""
    return Path(user_config_dir(APP_NAME, appauthor=False)) / "labels"


def offsets_file() -> Path:
    return config_dir() / "offsets.json"


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def printer_key(printer: str | None) -> str:
    """The name offsets are filed under: the printer's, or "default"."""
    name = (printer or "").strip()
    return name or "default"


def get_offset(printer: str | None, template: str | None = None, *,
               path: Path | None = None) -> tuple[float, float]:
    """The x/y shift in mm (+x right, +y down) measured for ``printer`` with
    ``template`` (a canonical template name), else its any-stock offset, else 0."""
    entry = _read(path or offsets_file()).get(printer_key(printer), {})
    value = entry.get(template or ANY_STOCK) or entry.get(ANY_STOCK)
    if not value:
        return 0.0, 0.0
    try:
        return float(value[0]), float(value[1])
    except (TypeError, ValueError, IndexError):
        return 0.0, 0.0


def set_offset(printer: str | None, dx: float, dy: float, template: str | None = None, *,
               path: Path | None = None) -> None:
    """Store the offset for ``printer`` and ``template`` (None: every stock)."""
    for v in (dx, dy):
        if not math.isfinite(v) or abs(v) > MAX_OFFSET_MM:
            raise ValidationError(f"A calibration offset is at most {MAX_OFFSET_MM:g} mm either way.")
    path = path or offsets_file()
    data = _read(path)
    data.setdefault(printer_key(printer), {})[template or ANY_STOCK] = [round(dx, 2), round(dy, 2)]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)

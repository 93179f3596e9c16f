"""Every shell example in README.md runs, against a fresh demo database.

The README is the first thing a technician copies from; an example that
fails (an ID the demo does not have, a site code nobody defined) tells them
the tool is broken. This test takes every line of every ```sh block, in
order, runs it as ``python -m app …`` in a temporary folder with
``QUARTERMASTER_DB`` pointing at a database ``quartermaster demo`` just
filled, and fails on any non-zero exit. The input files the examples read
(a scanner's dump, a vendor manifest, spreadsheets) are made here; what
they write lands in the temporary folder.

An example that cannot run on a test machine is skipped only with its
reason in ``SKIPPED`` below, so a new example runs unless someone says why
it cannot.
"""
from __future__ import annotations

import csv
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"

# Why an example is not run here (matched against the start of the command).
SKIPPED = {
    "make ": "sets up the virtual environment itself; the test suite is already running in one",
    "quartermaster gui": "opens the desktop window",
    "quartermaster restore ": "names an example backup file; restore is tested in tests/app/test_backup.py",
    "quartermaster migrate-to postgresql://": "needs a PostgreSQL server at that address; "
                                              "tested in tests/app/test_migrate_to.py",
    "quartermaster team ": "needs a PostgreSQL server and an owner login; tested in tests/app/test_team.py",
    "quartermaster --db postgresql://": "needs a PostgreSQL server at that address",
    # Team mode's backup steps run PostgreSQL's own tools on the server.
    "pg_dump ": "PostgreSQL's own backup tool, run on the server",
    "pg_dumpall ": "PostgreSQL's own backup tool, run on the server",
    "pg_restore ": "PostgreSQL's own restore tool, run on the server",
    "psql ": "PostgreSQL's own client, run on the server",
    "createdb ": "PostgreSQL's own tool, run on the server",
}
# An option that needs hardware is dropped, the rest of the example still runs.
DROPPED_OPTIONS = {
    "--send": "sends to a printer queue (CUPS) that a test machine does not have",
}
# Absolute paths in examples point into the temporary folder instead.
REWRITTEN_PATHS = {"/mnt/share/": "share/"}


def readme_examples(text: str) -> list[str]:
    """Every command in the ```sh blocks, continuation lines joined, in order."""
    commands = []
    for block in re.findall(r"^```sh\n(.*?)^```", text, re.DOTALL | re.MULTILINE):
        pending = ""
        for line in block.splitlines():
            if line.rstrip().endswith("\\"):
                pending += line.rstrip()[:-1] + " "
                continue
            command = (pending + line).strip()
            pending = ""
            if command and not command.startswith("#"):
                commands.append(command)
    return commands


def skip_reason(command: str) -> str | None:
    for start, why in SKIPPED.items():
        if command.startswith(start):
            return why
    return None


def to_argv(command: str) -> tuple[list[str], str | None]:
    """``quartermaster a b > out.csv  # note`` → (["a", "b"], "out.csv")."""
    words = shlex.split(command, comments=True)
    assert words and words[0] == "quartermaster", f"not a quartermaster command: {command}"
    words = words[1:]
    redirect = None
    if ">" in words:
        i = words.index(">")
        redirect = words[i + 1]
        words = words[:i] + words[i + 2:]
    for option in DROPPED_OPTIONS:
        if option in words:
            i = words.index(option)
            del words[i:i + 2]
    for old, new in REWRITTEN_PATHS.items():
        words = [w.replace(old, new) if w.startswith(old) else w for w in words]
    return words, redirect


def make_inputs(folder: Path, db: str) -> None:
    """The files the README's examples read, with content like the real thing."""
    from openpyxl import Workbook

    (folder / "share").mkdir()
    # A scanner's memory during a count: a room label, then what is in it.
    (folder / "scanner-dump.txt").write_text(
        "LOC-00012\nQM-000103,2026-06-10T09:14:00\nQM-000104\nQM-999999\n")
    # Serials scanned off the boxes of a delivery, one per line.
    (folder / "scanner.txt").write_text("".join(f"7QX{n:04d}\n" for n in range(1, 6)))
    with open(folder / "cdw-manifest.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["Line", "Description", "Serial Number", "Qty"])
        for n in range(1, 4):
            w.writerow([n, "Lenovo 300e Chromebook Gen 4", f"PFX{n:05d}", 1])
    with open(folder / "shipment.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["S/N", "Model"])
        w.writerow(["5CDK1N0001", "4M8V6UT"])
        w.writerow(["5CDK1N0002", "4M8V6UT"])
        w.writerow(["6.37702E+15", "4M8V6UT"])  # Excel ate this one: --skip-bad leaves it out
    wb = Workbook()
    ws = wb.active
    ws.title = "2025"
    ws.append(["Asset #", "S/N", "Description", "Bldg", "Rm", "Date Acquired", "Cost"])
    ws.append(["HK-0001", "ABC1234001", "Document camera", "Jefferson Elementary", "Library",
               "2024-09-03", 99.0])
    wb.save(folder / "inventory.xlsx")
    with open(folder / "snipeit-assets.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["Asset Tag", "Serial", "Asset Name", "Model", "Category", "Manufacturer",
                    "Status", "Location", "Purchase Date", "Purchase Cost"])
        w.writerow(["SN-000001", "SNP0000001", "Cart 3 Chromebook", "Chromebook 3110",
                    "Chromebooks", "Dell", "Ready to Deploy", "Jefferson Elementary",
                    "2025-08-14", "299.00"])
    with open(folder / "users.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["First Name", "Last Name", "ID Number", "Email"])
        w.writerow(["Rosa", "Delgado", "E99001", "rdelgado@riverside.k12.example"])
    with open(folder / "hand-kept.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["Tag", "Serial No", "What", "Where"])
        w.writerow(["HK-0100", "HKS0000100", "Label printer", "Jefferson Elementary / Library"])
        w.writerow(["HK-0101", "HKS0000101", "Label printer", "Nowhere Elementary / Attic"])
    (folder / "columns.json").write_text(json.dumps({"What": "name", "Where": "location"}))
    _roster_inputs(folder, db)


def _roster_inputs(folder: Path, db: str) -> None:
    """An Aeries export of the Adult Education Center's students (all but
    one: the whole-roster example withdraws that one), and Google Admin's
    export of two demo Chromebooks and a serial the register lacks."""
    import sqlite3
    con = sqlite3.connect(db)
    try:
        students = con.execute(
            "SELECT p.id_number, p.last_name, p.first_name, p.grade FROM person p "
            "JOIN site s ON s.id = p.site_id WHERE s.code = 'AEC' AND p.kind = 'student' "
            "ORDER BY p.id").fetchall()
        books = con.execute(
            "SELECT a.serial, a.tag FROM asset a JOIN hardware_model m ON m.id = a.model_id "
            "JOIN category c ON c.id = m.category_id WHERE c.kind = 'chromebook' "
            "AND a.serial IS NOT NULL ORDER BY a.id LIMIT 2").fetchall()
    finally:
        con.close()
    with open(folder / "aeries-roster.csv", "w", newline="", encoding="utf-8-sig") as f:
        w = csv.writer(f)
        w.writerow(["Student ID", "Last Name", "First Name", "Grade", "School", "Teacher",
                    "Parent/Guardian", "Home Phone", "Mail Addr", "Mail City", "Mail ZIP",
                    "Home Language"])
        for idn, last, first, grade in students[1:]:
            w.writerow([idn, last, first, grade, "AEC", "Mr. Okafor", "", "(951) 555-0100",
                        "300 Mill St", "Riverside", "92501", "01" if last.endswith("z") else "00"])
    with open(folder / "chrome-devices.csv", "w", newline="", encoding="utf-8-sig") as f:
        w = csv.writer(f)
        w.writerow(["Serial Number", "Status", "Last Sync", "Annotated User", "Annotated Asset ID",
                    "Org Unit Path", "Model", "Auto Update Expiration"])
        for serial, tag in books:
            w.writerow([serial.lower(), "ACTIVE", "2026-11-30T14:22:05.000Z", "", tag,
                        "/Students/JES", "Dell Chromebook 3110", "Jun 2029"])
        w.writerow(["NOTOURS0001", "ACTIVE", "", "", "", "/Students", "Lenovo 100e", "Aug 2030"])


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("readme")
    db = str(folder / "demo.sqlite")
    # The examples run in the temporary folder, on this tree's code.
    # User folders (label calibration offsets, custom templates) are the temporary
    # folder's too, so an example never writes into the real user's settings.
    env = dict(os.environ, QUARTERMASTER_DB=db, QM_USER="readme",
               XDG_CONFIG_HOME=str(folder / "config"), XDG_DATA_HOME=str(folder / "data"),
               XDG_CACHE_HOME=str(folder / "cache"),
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    subprocess.run([sys.executable, "-m", "app", "demo"], cwd=folder, env=env, check=True,
                   capture_output=True, timeout=300)
    make_inputs(folder, db)
    return folder, env


def test_examples_are_found():
    commands = readme_examples(README.read_text(encoding="utf-8"))
    assert len(commands) > 30
    assert any(c.startswith("quartermaster stocktake close") for c in commands)
    # A continuation line is joined to its command.
    assert any("--serials scanner.txt" in c and c.startswith("quartermaster intake") for c in commands)


def test_every_readme_example_runs(demo_folder):
    folder, env = demo_folder
    failures, ran = [], 0
    for command in readme_examples(README.read_text(encoding="utf-8")):
        if skip_reason(command):
            continue
        argv, redirect = to_argv(command)
        done = subprocess.run([sys.executable, "-m", "app", *argv], cwd=folder, env=env,
                              capture_output=True, text=True, timeout=300, check=False)
        ran += 1
        if redirect:
            (folder / redirect).write_text(done.stdout)
        if done.returncode != 0:
            failures.append(f"{command}\n    exit {done.returncode}: "
                            f"{(done.stderr or done.stdout).strip()[-600:]}")
    assert ran > 30
    # The calibration example wrote into the temporary user folder, not the real one.
    assert list((folder / "config").rglob("*")), "labels --set-offset wrote outside the test folder"
    assert not failures, "README examples that fail on the demo:\n" + "\n".join(failures)

"""The layers point one way: no Qt (and no ui) in app/ or reports/, and the
core never imports reports or the CLI."""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _files(folder: str):
    return sorted((ROOT / folder).rglob("*.py"))


def test_no_qt_in_app_or_reports():
    bad = []
    for folder in ("app", "reports"):
        for f in _files(folder):
            rel = f.relative_to(ROOT).as_posix()
            for name in _imports(f):
                top = name.split(".")[0]
                if top in ("PySide6", "shiboken6", "PyQt5", "PyQt6"):
                    bad.append(f"{rel} imports {name}")
                if top == "ui" and rel != "app/cli/cmd_gui.py":
                    bad.append(f"{rel} imports {name}")
    assert not bad, "\n".join(bad)


def test_core_does_not_import_reports_or_cli():
    bad = []
    for f in _files("app"):
        rel = f.relative_to(ROOT).as_posix()
        if rel.startswith("app/cli/") or rel == "app/__main__.py":
            continue
        for name in _imports(f):
            if name.split(".")[0] == "reports" or name.startswith("app.cli"):
                bad.append(f"{rel} imports {name}")
    assert not bad, "\n".join(bad)


def test_reports_never_import_ui():
    bad = [f"{f.relative_to(ROOT)} imports {n}" for f in _files("reports")
           for n in _imports(f) if n.split(".")[0] == "ui"]
    assert not bad, "\n".join(bad)


def test_reports_never_query_the_database():
    """reports/ draws what app/ gathers: no models, store or peewee of its own."""
    bad = [f"{f.relative_to(ROOT)} imports {n}" for f in _files("reports") for n in _imports(f)
           if n.split(".")[0] == "peewee" or n.startswith(("app.models", "app.store"))]
    assert not bad, "\n".join(bad)


def test_ui_never_writes_sql_or_saves_models():
    bad = []
    for f in _files("ui"):
        text = f.read_text(encoding="utf-8")
        for needle in ("execute_sql(", ".delete_instance(", ".insert(", "db.atomic("):
            if needle in text:
                bad.append(f"{f.relative_to(ROOT)} contains {needle}")
        # A peewee Model.save() (no file name argument, unlike QPixmap.save(path)).
        if re.search(r"(?<!self)\.save\(\s*(\)|force_insert|only=)", text):
            bad.append(f"{f.relative_to(ROOT)} saves a model")
    assert not bad, "\n".join(bad)


def test_cli_starts_without_qt():
    import subprocess
    import sys
    code = ("import sys, app.cli; app.cli.build_parser(); "
            "sys.exit(1 if any(m.startswith('PySide6') for m in sys.modules) else 0)")
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0


def test_import_linter_contracts():
    """The arrows in .importlinter (ui -> reports -> app, store below services,
    no Qt in the core), checked by import-linter over the whole import graph,
    indirect imports included."""
    import shutil
    import subprocess
    import sys
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if exe is None:
        import pytest
        pytest.skip("import-linter is not installed (pip install -e '.[test]')")
    run = subprocess.run([exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]

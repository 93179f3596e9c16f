# Quartermaster: `make run` opens the app, `make test` runs the whole suite.
# Both create .venv and install on first use (a fresh Debian machine needs
# only python3 and python3-venv; `.ci/run` installs Qt's system libraries).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TEST_WORKERS ?= 2

.PHONY: run test lint bench bench-scale demo screenshots dist smoke clean install

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || { echo "error: cannot create a virtual environment; on Debian: apt-get install python3-venv"; exit 1; }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/quartermaster gui

# ruff (lint), mypy (types, app/ and reports/) and the layering contracts
# in .importlinter; `make test` runs it first.
lint: $(STAMP)
	$(VENV)/bin/ruff check app ui reports tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

test: lint
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -n $(TEST_WORKERS) -q $(PYTEST_ARGS)

demo: $(STAMP)
	$(VENV)/bin/quartermaster demo

bench: $(STAMP)
	for b in bench/*.py; do [ $$b = bench/scale.py ] && continue; echo "== $$b"; $(PY) $$b || exit 1; done

# A million assets (issue #25): builds (once, ~3 min, ~1.5 GB under bench/out/)
# or reuses the demo database and prints the headless figures. Not in `make bench`.
bench-scale: $(STAMP)
	$(PY) bench/scale.py $(SCALE_ARGS)

# The README's screenshots, from a fresh demo district under Xvfb
# (apt-get install xvfb); SHOT_ASSETS sets its size.
SHOT_ASSETS ?= 2000
SHOT_DB := build/screenshots.sqlite
screenshots: $(STAMP)
	rm -f $(SHOT_DB) && mkdir -p build docs/screenshots
	$(VENV)/bin/quartermaster --db $(SHOT_DB) demo --assets $(SHOT_ASSETS)
	$(VENV)/bin/quartermaster --db $(SHOT_DB) stocktake start --scope "LHS/Room 214,Library" \
	    --name "Year-end 2026" >/dev/null
	$(VENV)/bin/quartermaster --db $(SHOT_DB) stocktake scan 1 LOC-00049 QM-000001 QM-000002 \
	    QM-000005 QM-000023 QM-999999 >/dev/null
	$(VENV)/bin/quartermaster --db $(SHOT_DB) event start distribution --site LHS \
	    --due 2027-06-11 >/dev/null
	$(VENV)/bin/quartermaster --db $(SHOT_DB) event scan 3 S3100001 QM-000107 QM-000109 >/dev/null
	$(VENV)/bin/quartermaster --db $(SHOT_DB) event scan 3 S3100002 QM-000108 S3100003 \
	    --agreement refused >/dev/null
	for page in dashboard assets people stocktake events licenses supplies intake reports workorders; do \
	    xvfb-run -a -s "-screen 0 1400x900x24" $(VENV)/bin/quartermaster --db $(SHOT_DB) \
	        gui --page $$page --size 1280x800 --screenshot docs/screenshots/$$page.png || exit 1; \
	done

# The one-folder desktop app (dist/quartermaster/) and a Linux tarball with
# the .desktop entry and icon; packaging/README.md has Windows and macOS.
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)
dist: $(STAMP)
	$(PY) -m pip install --quiet 'pyinstaller>=6.3'
	rm -rf dist/quartermaster build/pyinstaller
	$(VENV)/bin/pyinstaller --noconfirm --log-level WARN --distpath dist \
	    --workpath build/pyinstaller packaging/quartermaster.spec
	install -m 0644 packaging/quartermaster.desktop packaging/icons/quartermaster.png \
	    packaging/install.sh dist/quartermaster/
	chmod 0755 dist/quartermaster/install.sh
	tar -C dist -czf dist/quartermaster-$(VERSION)-linux-$$(uname -m).tar.gz quartermaster
	@echo "built dist/quartermaster/ and dist/quartermaster-$(VERSION)-linux-$$(uname -m).tar.gz"

# The frozen build, run from outside the source tree (CI runs it after make test).
smoke: dist
	packaging/smoke.sh dist

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache

#!/usr/bin/env bash
# Smoke test of the frozen build: run from a folder outside the source tree,
# with none of the project's Python on the path. Usage: packaging/smoke.sh DIST_DIR
set -euo pipefail
dist=$(cd "${1:?usage: smoke.sh DIST_DIR}" && pwd)
exe="$dist/quartermaster/quartermaster"
limit_mb=250
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
export QT_QPA_PLATFORM=offscreen PYTHONPATH= HOME="$work/home"
mkdir -p "$HOME"

"$exe" version
"$exe" --db "$work/smoke.sqlite" demo --assets 200
"$exe" --db "$work/smoke.sqlite" report year-end -o "$work/year-end.pdf"
head -c 5 "$work/year-end.pdf" | grep -q '%PDF-' || { echo "error: the year-end report is not a PDF"; exit 1; }
"$exe" --db "$work/smoke.sqlite" report --list | grep -q '^year-end' \
    || { echo "error: the frozen build lists no reports"; exit 1; }
"$exe" --db "$work/smoke.sqlite" gui --page assets --size 1024x700 --screenshot "$work/assets.png"
python3 - "$work/assets.png" <<'PY'
import struct, sys
head = open(sys.argv[1], "rb").read(24)
assert head[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
w, h = struct.unpack(">II", head[16:24])
assert w >= 800 and h >= 600, f"screenshot is {w}x{h}"
print(f"screenshot {w}x{h}")
PY
size_mb=$(du -sm "$dist/quartermaster" | cut -f1)
echo "bundle: ${size_mb} MB (limit ${limit_mb} MB)"
[ "$size_mb" -le "$limit_mb" ] || { echo "error: the bundle is ${size_mb} MB, over ${limit_mb} MB"; exit 1; }
echo "frozen smoke test passed"

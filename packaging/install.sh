#!/bin/sh
# Install the unpacked Quartermaster folder for the current user: a launcher
# in ~/.local/bin, the menu entry and the icon. Run from inside the folder.
set -e
here=$(cd "$(dirname "$0")" && pwd)
bin="${XDG_BIN_HOME:-$HOME/.local/bin}"
apps="${XDG_DATA_HOME:-$HOME/.local/share}/applications"
icons="${XDG_DATA_HOME:-$HOME/.local/share}/icons/hicolor/256x256/apps"
mkdir -p "$bin" "$apps" "$icons"
ln -sf "$here/quartermaster" "$bin/quartermaster"
sed "s|^Exec=quartermaster|Exec=$here/quartermaster|" "$here/quartermaster.desktop" > "$apps/quartermaster.desktop"
cp "$here/quartermaster.png" "$icons/quartermaster.png"
echo "Installed: $bin/quartermaster and the Quartermaster menu entry."

#!/bin/sh
# Install the desktop build for the current user (or system-wide with PREFIX=/usr/local as
# root): copies dist/clinic_app to PREFIX/lib/clinic_app, links PREFIX/bin/clinic-app, and
# installs the desktop entry and the 256 px icon so the app shows in the desktop's menu.
#
#   sh packaging/linux/install-desktop.sh            # PREFIX defaults to ~/.local
#   sh packaging/linux/install-desktop.sh --uninstall
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
prefix=${PREFIX:-$HOME/.local}
bundle="$root/dist/clinic_app"
apps="$prefix/share/applications"
icons="$prefix/share/icons/hicolor/256x256/apps"

if [ "${1:-}" = "--uninstall" ]; then
    rm -rf "$prefix/lib/clinic_app"
    rm -f "$prefix/bin/clinic-app" "$apps/clinic_app.desktop" "$icons/clinic_app.png"
    echo "Removed clinic_app from $prefix (the data folder is kept)."
    exit 0
fi
if [ -n "${1:-}" ]; then
    echo "install-desktop.sh: unknown argument '$1' (use --uninstall or nothing)" >&2
    exit 2
fi
if [ ! -x "$bundle/clinic-app" ]; then
    echo "install-desktop.sh: no desktop build in $bundle; run 'make bundle' first" >&2
    exit 2
fi

mkdir -p "$prefix/lib" "$prefix/bin" "$apps" "$icons"
# Copy to a new folder first, then swap, so a failed copy leaves the old install working.
rm -rf "$prefix/lib/clinic_app.new"
cp -a "$bundle" "$prefix/lib/clinic_app.new"
rm -rf "$prefix/lib/clinic_app"
mv "$prefix/lib/clinic_app.new" "$prefix/lib/clinic_app"
ln -sf "$prefix/lib/clinic_app/clinic-app" "$prefix/bin/clinic-app"
cp "$root/resources/icons/clinic_app.png" "$icons/clinic_app.png"
# The menu does not always search ~/.local/bin: point Exec at the installed program.
sed "s|^Exec=clinic-app|Exec=\"$prefix/lib/clinic_app/clinic-app\"|" \
    "$here/clinic_app.desktop" > "$apps/clinic_app.desktop"
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$apps" || true
command -v gtk-update-icon-cache >/dev/null 2>&1 \
    && gtk-update-icon-cache -q -t "$prefix/share/icons/hicolor" 2>/dev/null || true
echo "Installed clinic_app in $prefix/lib/clinic_app; menu entry: $apps/clinic_app.desktop"

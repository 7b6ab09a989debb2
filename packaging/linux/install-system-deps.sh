#!/bin/sh
# Install the Debian packages clinic_app and its tests need, only those missing.
# Qt's xcb/offscreen platforms need libegl1, libgl1, libxkbcommon, libfontconfig and
# libxcb-cursor0; the PostgreSQL tests need the server binaries (postgresql).
# libxcb-icccm4 and libxcb-keysyms1: Qt's xcb (X11) platform plugin links them; the desktop
# build (make bundle) copies them into the bundle from this machine, so it starts on X11
# desktops that lack them.
set -eu
need=""
for pkg in libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libxcb-cursor0 \
           libxcb-icccm4 libxcb-keysyms1 \
           libdbus-1-3 libglib2.0-0 postgresql poppler-utils; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
        || need="$need $pkg"
done
[ -z "$need" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
        echo "Missing Debian packages:$need (run as root: apt-get install$need)" >&2
        exit 1
    fi
else
    SUDO=""
fi
echo "Installing Debian packages:$need"
$SUDO apt-get update -qq
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $need

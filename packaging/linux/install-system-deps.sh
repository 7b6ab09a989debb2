#!/bin/sh
# Install the Debian/Ubuntu packages a task needs, only those missing; root (or sudo) is asked
# for only when something is missing.
#
#   sh packaging/linux/install-system-deps.sh run      the libraries Qt needs to open a window
#   sh packaging/linux/install-system-deps.sh test     run + the PostgreSQL server for the tests
#                                                      (not needed when CLINIC_TEST_PG_URL is set)
#   sh packaging/linux/install-system-deps.sh bundle   run + what the desktop build copies in
#
# Qt's platform plugins load libEGL, libGL, libxkbcommon, libfontconfig, libdbus and libglib;
# the X11 (xcb) plugin also libxkbcommon-x11, libxcb-cursor, libxcb-icccm and libxcb-keysyms.
# The desktop build (make bundle) copies the last two from this machine into the bundle, so it
# starts on X11 desktops that lack them.
# fonts-droid-fallback (every group): Droid Sans Fallback, the TrueType font handouts and visit
# notes embed for Chinese, Japanese and Korean names (clinic_app/reports/fonts.py); DejaVu Sans,
# shipped in resources/fonts, covers Latin, Greek, Cyrillic, Hebrew and Arabic.
# CHECK_ONLY=1 prints what is missing (one line) and exits 1 instead of installing.
set -eu
group=${1:-test}
qt="libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libxcb-cursor0
    libxcb-icccm4 libxcb-keysyms1 libdbus-1-3 libglib2.0-0"
fonts="fonts-droid-fallback"
case "$group" in
    run|bundle) wanted="$qt $fonts" ;;
    test)
        wanted="$qt $fonts"
        # A server URL for the tests: no local PostgreSQL server needed.
        [ -n "${CLINIC_TEST_PG_URL:-}" ] || wanted="$wanted postgresql"
        ;;
    *)
        echo "install-system-deps.sh: unknown group '$group' (use run, test or bundle)" >&2
        exit 2
        ;;
esac
if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "install-system-deps.sh: not a Debian-based system; install the equivalents of:" \
        $wanted >&2
    exit 0
fi
need=""
for pkg in $wanted; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
        || need="$need $pkg"
done
[ -z "$need" ] && exit 0
if [ -n "${CHECK_ONLY:-}" ]; then
    echo "Missing Debian packages:$need (apt-get install$need)" >&2
    exit 1
fi
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

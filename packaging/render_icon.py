"""Render resources/icons/clinic_app.svg to the PNG the app and the desktop entry use.

Usage: ``python packaging/render_icon.py [--size 256]``. Qt's SVG renderer (QtSvg, part of
PySide6-Essentials) draws it offscreen, so no display and no extra package is needed. Run it
after editing the SVG and commit both files.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons"


def render(svg: Path, png: Path, size: int) -> None:
    """Draw the SVG into a transparent square PNG of ``size`` pixels."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    # A build tool, not part of the app: the Qt-only-in-ui rule does not apply here.
    from PySide6.QtCore import Qt  # noqa: TID251
    from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: TID251
    from PySide6.QtSvg import QSvgRenderer  # noqa: TID251

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"render_icon: {svg} is not a valid SVG file")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    if not image.save(str(png), "PNG"):
        raise SystemExit(f"render_icon: cannot write {png}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256, help="width and height in pixels")
    args = parser.parse_args()
    if not 16 <= args.size <= 1024:
        parser.error(f"--size must be between 16 and 1024, not {args.size}")
    png = ICONS / "clinic_app.png"
    render(ICONS / "clinic_app.svg", png, args.size)
    print(png)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

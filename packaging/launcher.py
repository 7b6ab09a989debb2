"""Entry point of the desktop build: the same command line as the `clinic-app` script."""

from clinic_app.cli import main

raise SystemExit(main())

"""Domain models and pure rules: no Qt, no SQLAlchemy, no reportlab, no file I/O."""

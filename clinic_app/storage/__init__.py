"""SQLAlchemy 2 adapter: implements the service ports on SQLite or PostgreSQL."""

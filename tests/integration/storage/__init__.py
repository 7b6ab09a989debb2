"""Storage and service integration tests, run on SQLite and on PostgreSQL."""

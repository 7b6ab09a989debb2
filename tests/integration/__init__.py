"""Integration tests: adapters against real databases and files."""

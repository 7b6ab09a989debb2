"""Unit tests: domain rules and services over in-memory fakes."""

"""Unit tests of the use cases, run over the in-memory fakes."""

"""Unit tests of the pure domain models and functions."""

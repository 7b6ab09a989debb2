"""Widgets: layout, and wiring of signals to service or presenter calls."""

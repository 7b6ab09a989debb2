"""Screen logic in plain Python (no Qt), so it is tested without a QApplication."""

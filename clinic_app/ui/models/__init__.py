"""Qt item models over domain lists."""

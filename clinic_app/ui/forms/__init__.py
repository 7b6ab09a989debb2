"""Form rendering: declarative layouts to widgets, and the registry of special widgets."""

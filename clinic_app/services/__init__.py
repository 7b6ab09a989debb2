"""Use cases and the ports the adapters implement; role checks live here."""

"""Print adapters: domain objects in, PDF bytes out (reportlab is imported only here)."""

"""clinic_app: offline neuro-foot charting assistant."""

__version__ = "0.1.0"

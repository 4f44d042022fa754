"""checker: declarative compliance checks for hybrid-identity estates."""

__version__ = "0.1.0"

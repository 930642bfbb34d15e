"""conda-guard: see and stop ABI-breaking changes before conda links them."""

__version__ = "0.1.0"

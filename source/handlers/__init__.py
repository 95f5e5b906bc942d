"""Lambda entry points, one module per function (see docs/ARCHITECTURE.md)."""

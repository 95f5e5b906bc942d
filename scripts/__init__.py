"""Operator scripts run by the Makefile (never deployed)."""

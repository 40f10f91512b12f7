"""Checks over the staged tables: table contracts (pandera) and reconciliation rules (Great Expectations)."""

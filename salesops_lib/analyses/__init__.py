"""Analyses: one module per analysis, each a pure ``compute(data, params) -> Result``."""

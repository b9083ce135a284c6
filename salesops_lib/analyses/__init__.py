"""Analyses: one package per analysis, each a pure ``compute(data, scope, params) -> Result`` and its ``SPEC``."""

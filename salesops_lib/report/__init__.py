"""Presentation: console and HTML rendering, labels (zh/en), plot theme."""

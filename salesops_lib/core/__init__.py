"""Cross-cutting helpers every layer shares, one module per concern: :mod:`.periods` (months and
quarters), :mod:`.lists` (comma-separated lists), :mod:`.atomic` (atomic file and folder writes).
"""

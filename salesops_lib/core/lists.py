"""Comma-separated lists, as parameters and mapping files write them."""

from __future__ import annotations


def parse_list(text: str | None) -> tuple[str, ...]:
    """The non-empty, stripped items of a comma-separated ``text``, in order.

    Examples
    --------
    >>> parse_list(" east, north ,,west "), parse_list("")
    (('east', 'north', 'west'), ())
    """
    return tuple(item.strip() for item in (text or "").split(",") if item.strip())

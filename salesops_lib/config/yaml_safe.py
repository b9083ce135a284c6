"""Read YAML that users hand the workbench (mapping files, run parameters) without surprises.

``yaml.safe_load`` already refuses ``!!python/…`` tags, but it follows anchors and aliases: a
1 KB "billion laughs" file (each level an alias list of the one before) becomes billions of
values once anything walks it. Our files never need anchors, so :class:`StrictLoader` refuses
them, and :func:`load_yaml` turns that (and the other ways a tiny file can exhaust the
interpreter: nesting thousands deep, integers of thousands of digits) into a
:class:`~salesops_lib.errors.SalesOpsError` naming the file and line.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any, cast

import yaml
from yaml.composer import ComposerError
from yaml.error import Mark
from yaml.nodes import Node

from salesops_lib.errors import ConfigError, SalesOpsError


class AliasError(ComposerError):
    """A YAML anchor (``&name``) or alias (``*name``): refused by :class:`StrictLoader`."""


class StrictLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses anchors and aliases (no ``!!python`` tags either)."""

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        """Compose the next node, refusing it when it is an alias or carries an anchor."""
        event = self.peek_event()  # type: ignore[no-untyped-call]  # untyped in types-PyYAML
        # the pure-Python parser (SafeLoader) marks positions with yaml.error.Mark
        mark = cast("Mark | None", getattr(event, "start_mark", None))
        if isinstance(event, yaml.AliasEvent):
            raise AliasError(None, None, f"YAML aliases are not allowed (`*{event.anchor}`)", mark)
        if getattr(event, "anchor", None) is not None:
            raise AliasError(None, None, f"YAML anchors are not allowed (`&{event.anchor}`)", mark)
        return super().compose_node(parent, index)


def load_yaml(text: str, *, where: str, error: type[SalesOpsError] = ConfigError) -> Any:
    r"""Parse ``text`` with :class:`StrictLoader`.

    Anchors, aliases, absurd nesting and absurd integers raise ``error`` naming ``where`` and
    the line; other syntax errors stay :class:`yaml.YAMLError` so callers word them as before.

    Examples
    --------
    >>> load_yaml("period: 2026-10", where="run.yaml")
    {'period': '2026-10'}
    >>> load_yaml("a: &x [1]\nb: *x", where="run.yaml")
    Traceback (most recent call last):
    ...
    salesops_lib.errors.ConfigError: YAML anchors are not allowed (`&x`) at line 1, column 4
    ...
    """
    try:
        return yaml.load(text, Loader=StrictLoader)  # noqa: S506 - StrictLoader is a SafeLoader
    except AliasError as exc:
        mark = exc.problem_mark
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise error(
            f"{exc.problem}{at}",
            where=where,
            fix="write the values out in full: anchors (&name), aliases (*name) and `<<:` merges are not accepted",
        ) from None
    except RecursionError:
        raise error(
            "YAML nested too deeply", where=where, fix="flatten the file: nesting is a few levels at most"
        ) from None
    except ValueError as exc:  # int("9" * 5000) and the like, raised by the constructor
        raise error(f"YAML value cannot be read: {exc}", where=where, fix="shorten or quote the value") from None


class UniqueKeyLoader(StrictLoader):
    """:class:`StrictLoader` that also refuses a key written twice in one mapping (plain
    ``yaml.safe_load`` keeps the last one silently).
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        """Construct the mapping, refusing a key that is written twice."""
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} is written twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)

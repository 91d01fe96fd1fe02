"""Where each key of a YAML document is, so config errors can name the line to fix."""

from __future__ import annotations

from collections.abc import Sequence

import yaml


def key_lines(text: str) -> dict[tuple[str | int, ...], int]:
    """Path of every mapping key and list item -> its 1-based line number."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    lines: dict[tuple[str | int, ...], int] = {}

    def walk(node: yaml.Node | None, path: tuple[str | int, ...]) -> None:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key = (key_node.value,)
                lines[path + key] = key_node.start_mark.line + 1
                walk(value_node, path + key)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                lines[(*path, index)] = item.start_mark.line + 1
                walk(item, (*path, index))

    walk(root, ())
    return lines


def line_for(lines: dict[tuple[str | int, ...], int], loc: Sequence[str | int]) -> int | None:
    """The line of the deepest part of `loc` that appears in the document (None if nothing does)."""
    parts = tuple(str(part) if not isinstance(part, int) else part for part in loc)
    for end in range(len(parts), 0, -1):
        if parts[:end] in lines:
            return lines[parts[:end]]
        # YAML keys that look like numbers ("4": archived) are strings in the path
        alt = tuple(str(part) for part in parts[:end])
        if alt in lines:
            return lines[alt]
    return None

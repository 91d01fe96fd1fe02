"""Strict JSON text as every inbound path reads it: valid UTF-8, no NaN, no U+0000 (PostgreSQL cannot store it)."""

from __future__ import annotations

from typing import Any

import orjson

from connector.errors import InputError


def parse_json_bytes(text: bytes, *, check_nul: bool = True) -> Any:
    """Strict JSON (no NaN, valid UTF-8, no lone surrogates); with `check_nul`, refuse U+0000 too."""
    if not text.strip():
        raise InputError("invalid_json", "the body is empty; send a JSON object")
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise InputError("invalid_json", f"the body is not valid JSON: {exc}") from None
    if check_nul and b"\\u0000" in text:
        refuse_nul(data)
    return data


def refuse_nul(value: Any) -> None:
    """Raise if any key or string holds U+0000, which PostgreSQL cannot store."""
    where = find_nul(value)
    if where is not None:
        raise InputError(
            "invalid_character",
            f"{where} contains the NUL character (\\u0000), which cannot be stored; remove it",
        )


def find_nul(value: Any, path: str = "") -> str | None:
    """Path of the first key or string holding U+0000 (PostgreSQL cannot store it), else None."""
    if isinstance(value, str):
        return (path or "(value)") if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if "\x00" in str(key):
                return where
            found = find_nul(item, where)
            if found:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = find_nul(item, f"{path}[{index}]")
            if found:
                return found
    return None

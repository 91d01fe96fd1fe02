"""Read a request body safely: size limits (after decompression too), gzip, strict JSON."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

import orjson
from flask import Request

from connector.errors import InputError

JSON_TYPES = ("application/json", "text/json")


@dataclass(frozen=True, slots=True)
class JsonBody:
    raw: bytes
    """The bytes as sent (what signatures are computed over)."""
    data: Any
    size: int
    """Decompressed size in bytes."""
    may_hold_nul: bool
    """True when the text contains an escaped U+0000 somewhere; look closer before storing."""


def _too_large(limit: int) -> InputError:
    return InputError(
        "payload_too_large", f"the body is larger than {limit // 1024} KB; send smaller batches", status=413
    )


def read_raw(request: Request, limit: int) -> bytes:
    """The raw body, refused with 413 past `limit` bytes even when the length is not announced."""
    if request.content_length is not None and request.content_length > limit:
        raise _too_large(limit)
    raw = request.stream.read(limit + 1)
    if len(raw) > limit:
        raise _too_large(limit)
    return raw


def _gunzip(raw: bytes, limit: int) -> bytes:
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(raw, limit + 1)
    except zlib.error:
        raise InputError("invalid_encoding", "Content-Encoding is gzip but the body is not valid gzip") from None
    if len(data) > limit or inflater.unconsumed_tail:
        raise _too_large(limit)
    if not inflater.eof:
        raise InputError("invalid_encoding", "the gzip body is truncated")
    return data


def require_json_content_type(request: Request) -> None:
    mimetype = request.mimetype or ""
    if mimetype not in JSON_TYPES and not mimetype.endswith("+json"):
        raise InputError(
            "unsupported_media_type",
            f"Content-Type must be application/json (got {mimetype or 'none'!r})",
            status=415,
        )


def read_json(request: Request, limit: int) -> JsonBody:
    """Check the content type, read at most `limit` bytes (decompressed), parse strictly."""
    require_json_content_type(request)
    raw = read_raw(request, limit)
    encoding = (request.headers.get("Content-Encoding") or "identity").strip().lower()
    if encoding == "gzip":
        text = _gunzip(raw, limit)
    elif encoding in {"identity", ""}:
        text = raw
    else:
        raise InputError(
            "unsupported_encoding",
            f"Content-Encoding {encoding!r} is not supported; use gzip or none",
            status=415,
        )
    return JsonBody(
        raw=raw, data=parse_json_bytes(text, check_nul=False), size=len(text), may_hold_nul=b"\\u0000" in text
    )


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

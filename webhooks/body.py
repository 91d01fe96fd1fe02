"""Read a request body safely: size limits (after decompression too), gzip, strict JSON."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

from flask import Request

from connector.errors import InputError
from connector.ingest.json_text import parse_json_bytes

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

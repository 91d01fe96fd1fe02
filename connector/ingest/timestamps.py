"""Bounded time and number parsing for everything that arrives, in one place.

Segment timestamps, account traits, webhook fields and signed-timestamp headers all go through
these functions, so no input can reach `datetime` arithmetic or the database out of range: a
number must be finite, a moment must lie between `EARLIEST` and `LATEST` once converted to UTC,
and anything else is an `InputError` that names the field and what it expected.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

from connector.errors import InputError

EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2999, 12, 31, 23, 59, 59, tzinfo=UTC)
RANGE_TEXT = "between 1900-01-01 and 2999-12-31"
_EPOCH_MS_ABOVE = 1e11
"""A Unix time larger than this is taken as milliseconds (1e11 seconds is the year 5138)."""
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_LOWEST_SECONDS = (EARLIEST - _EPOCH).total_seconds()
_HIGHEST_SECONDS = (LATEST - _EPOCH).total_seconds()


def _error(code: str, field: str, message: str) -> InputError:
    return InputError(code, f"{field}: {message}")


def finite_number(value: Any, field: str, *, code: str = "invalid_field") -> float:
    """A finite number from a JSON number or numeric text; booleans, NaN and infinities are refused."""
    if isinstance(value, bool) or value is None or isinstance(value, dict | list):
        raise _error(code, field, f"expected a number, got {value!r}")
    if isinstance(value, int):
        if abs(value) > 1e300:  # float(value) would overflow
            raise _error(code, field, f"expected a finite number, got {value!r}")
        return float(value)
    try:
        number = float(str(value).strip())
    except (TypeError, ValueError, OverflowError):
        raise _error(code, field, f"expected a number, got {value!r}") from None
    if not math.isfinite(number):
        raise _error(code, field, f"expected a finite number, got {value!r}")
    return number


def bounded(moment: datetime, field: str, *, code: str = "invalid_field") -> datetime:
    """`moment` in UTC (naive means UTC), refused outside `EARLIEST`..`LATEST`."""
    try:
        utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (OverflowError, ValueError):
        raise _error(code, field, f"must be {RANGE_TEXT} (UTC)") from None
    if not EARLIEST <= utc <= LATEST:
        raise _error(code, field, f"{utc.date().isoformat()} is out of range; must be {RANGE_TEXT}")
    return utc


def epoch_to_datetime(value: Any, field: str, *, code: str = "invalid_field") -> datetime:
    """Unix seconds, or milliseconds when too large to be seconds (number or numeric text), in range."""
    try:
        seconds = finite_number(value, field, code=code)
    except InputError:
        raise _error(code, field, f"expected a Unix timestamp, got {value!r}") from None
    if abs(seconds) > _EPOCH_MS_ABOVE:
        seconds /= 1000
    if not _LOWEST_SECONDS <= seconds <= _HIGHEST_SECONDS:
        raise _error(code, field, f"Unix time {value!r} is out of range; must be {RANGE_TEXT}")
    return _EPOCH + timedelta(seconds=seconds)


def iso_to_datetime(value: Any, field: str, *, code: str = "invalid_field", expected: str = "") -> datetime:
    """ISO-8601 text (a date, or a date-time with `Z`, an offset or none for UTC), in range, in UTC."""
    expected = expected or "an ISO-8601 date-time"
    if not isinstance(value, str):
        raise _error(code, field, f"expected {expected}, got {value!r}")
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise _error(code, field, f"expected {expected}, got {value!r}") from None
    return bounded(parsed, field, code=code)


def within(moment: datetime, delta: timedelta, field: str, *, code: str = "invalid_field") -> datetime:
    """`moment + delta`, refused (not overflowed) when the result leaves the range."""
    try:
        return bounded(moment + delta, field, code=code)
    except OverflowError:
        raise _error(code, field, f"must be {RANGE_TEXT}") from None

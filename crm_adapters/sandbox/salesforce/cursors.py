"""Query cursors: the result sets a SOQL query left for `nextRecordsUrl` paging (the 50 newest stay open)."""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from crm_adapters.sandbox.salesforce.errors import SalesforceApiError

MAX_OPEN = 50


@dataclass
class Cursor:
    records: list[dict[str, Any]]
    page_size: int
    created: float = field(default_factory=time.monotonic)


class QueryCursors:
    """Open cursors by locator id, oldest first."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: OrderedDict[str, Cursor] = OrderedDict()

    def open(self, records: list[dict[str, Any]], page_size: int) -> str:
        """Keep a result set for paging; returns its locator id."""
        with self._lock:
            cursor = "01g" + secrets.token_hex(6).upper() + "AAA"
            self._open[cursor] = Cursor(records, page_size)
            while len(self._open) > MAX_OPEN:
                self._open.popitem(last=False)
            return cursor

    def get(self, cursor: str) -> Cursor:
        with self._lock:
            found = self._open.get(cursor)
            if found is None:
                raise SalesforceApiError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
            return found

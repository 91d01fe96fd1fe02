"""Which record holds each value of a unique property, per object type (contact email compared without case).

HubSpot refuses a second record with the same unique value and finds records by it (`idProperty`); an
archived record frees its values.
"""

from __future__ import annotations


def unique_key(name: str, value: str) -> str:
    return value.lower() if name == "email" else value


class UniqueIndex:
    """(object type, property) -> {value: record id} for the values live records hold."""

    def __init__(self) -> None:
        self._index: dict[tuple[str, str], dict[str, str]] = {}

    def holder(self, object_type: str, name: str, value: str) -> str | None:
        """The id of the record holding `value` of unique property `name`, if any."""
        return self._index.get((object_type, name), {}).get(unique_key(name, value))

    def move(self, object_type: str, name: str, old: str | None, new: str, record_id: str) -> None:
        """Record `record_id`'s value of `name` changing from `old` to `new` (`""` holds nothing)."""
        index = self._index.setdefault((object_type, name), {})
        if old is not None:
            index.pop(unique_key(name, old), None)
        if new != "":
            index[unique_key(name, new)] = record_id

    def release(self, object_type: str, record_id: str) -> None:
        """Free every value `record_id` held (it was archived)."""
        for (kind, _), index in self._index.items():
            if kind == object_type:
                for value in [v for v, holder in index.items() if holder == record_id]:
                    del index[value]

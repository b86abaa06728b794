"""SQL tables a projection declares for its view, besides its key rows.

A table has typed columns, a primary key and indexes, so a view can answer "the next N rows due
by now, in due order" or "the sums per hour for this app" with an index instead of a key scan.
The declarations are pure data; ``tracker.stores`` creates the tables and converts the values.

Column types, the same in every store:

- ``text``: ``str`` (compared and ordered by code point; no NUL character);
- ``integer``: ``int`` in the signed 64-bit range;
- ``decimal``: ``Decimal`` (or ``int``), exact, with at most ``DECIMAL_PLACES`` (6) decimal
  places: stored as an integer count of millionths, so ``0.10 + 0.20`` is ``0.30`` exactly and
  sums stay exact; a value with more places or beyond about +-9.2 * 10**12 is refused
  (``ValueError``); read back with exactly six places (``Decimal("0.300000")``);
- ``timestamp``: a timezone-aware ``datetime``, stored as UTC microseconds since the epoch (so it
  orders and compares as time in both engines); read back in UTC; naive datetimes are refused;
- ``blob``: any value the msgpack codec encodes (dicts, lists, ``Decimal``, ``UUID``...), stored
  as bytes; not usable in keys, indexes, conditions, ordering or sums.

Primary-key columns are never null; ``None`` in another column is SQL ``NULL`` and is allowed
only in columns declared ``nullable``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, get_args

ColumnType = Literal["text", "integer", "decimal", "timestamp", "blob"]
COLUMN_TYPES: tuple[str, ...] = get_args(ColumnType)
NUMERIC_TYPES = ("integer", "decimal")
DECIMAL_PLACES = 6

# Names go into SQL (quoted), so only lower-case letters, digits and single inner underscores:
# "v_<view>__<table>" can then name a view's table without two views' tables clashing.
_NAME = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*\Z")

Op = Literal["=", "<", "<=", ">", ">=", "in", "not in"]
OPS: tuple[str, ...] = get_args(Op)

Row = dict[str, Any]
# Every condition holds: column -> value (equality; None: IS NULL), column -> (op, value) ("in"
# and "not in" take a collection; "not in" leaves out NULLs too, as SQL does), or
# column -> [(op, value), ...] (a range: [(">=", lo), ("<", hi)]).
Where = Mapping[str, Any]


def check_name(kind: str, name: str) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(
            f"{kind} name {name!r}: use lower-case letters, digits and single underscores, "
            "starting with a letter"
        )
    return name


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    nullable: bool = False

    def __post_init__(self) -> None:
        check_name("column", self.name)
        if self.type not in COLUMN_TYPES:
            raise ValueError(
                f"column {self.name!r}: type {self.type!r} is not one of {COLUMN_TYPES}"
            )


@dataclass(frozen=True)
class Table:
    """``Table("outbox", columns=(Column("id", "text"), Column("due_at", "timestamp")),
    primary_key=("id",), indexes=(("due_at",),))``."""

    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    indexes: tuple[tuple[str, ...], ...] = ()

    def __post_init__(self) -> None:
        check_name("table", self.name)
        names = [c.name for c in self.columns]
        if not names:
            raise ValueError(f"table {self.name!r} has no columns")
        if len(set(names)) != len(names):
            raise ValueError(f"table {self.name!r}: a column name is used twice")
        if not self.primary_key:
            raise ValueError(f"table {self.name!r} needs a primary key")
        for key in (self.primary_key, *self.indexes):
            if not key or len(set(key)) != len(key):
                raise ValueError(f"table {self.name!r}: empty or repeated columns in {key}")
            for name in key:
                if self.column(name).type == "blob":
                    raise ValueError(f"table {self.name!r}: blob column {name!r} in {key}")
        for name in self.primary_key:
            if self.column(name).nullable:
                raise ValueError(f"table {self.name!r}: primary-key column {name!r} is nullable")

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise ValueError(f"table {self.name!r} has no column {name!r}")


class TableReader(Protocol):
    """Reads of one table. Rows are dicts of every column, in declaration order."""

    def get(self, key: Mapping[str, Any]) -> Row | None:
        """The row with this primary key (a dict naming every key column), or None."""

    def select(
        self,
        where: Where | None = None,
        *,
        order_by: Sequence[str] = (),
        limit: int | None = None,
    ) -> list[Row]:
        """Matching rows, ordered by ``order_by`` (a leading ``-`` orders a column descending;
        ties, and no ``order_by``, in primary-key order), at most ``limit``."""

    def sum(
        self,
        sums: Sequence[str],
        *,
        group_by: Sequence[str] = (),
        where: Where | None = None,
        floors: Mapping[str, tuple[str, int, int]] | None = None,
    ) -> list[Row]:
        """One row per group (ordered by the group columns) with the group's columns and the
        totals of the ``sums`` columns; without ``group_by``, one row. A sum of nothing is 0.
        ``floors`` also groups by a timestamp column floored to steps: alias -> (column,
        step seconds, offset seconds), e.g. local days of a zone at a fixed offset."""


class TableRows(TableReader, Protocol):
    """Reads and writes of one table inside a view's transaction."""

    def insert(self, row: Mapping[str, Any]) -> bool:
        """Add the row; False (and nothing changed) when its primary key is taken."""

    def upsert(self, row: Mapping[str, Any]) -> None:
        """Add the row or replace the one with its primary key (columns left out are NULL)."""

    def add(self, key: Mapping[str, Any], amounts: Mapping[str, Any]) -> None:
        """Add ``amounts`` (numeric columns) to the row with this key, creating it if need be:
        one statement; a new row's other numeric columns start at 0, the rest at NULL."""

    def add_many(self, items: Iterable[tuple[Mapping[str, Any], Mapping[str, Any]]]) -> None:
        """``add`` for each (key, amounts), same keys summed first; one batch per column set."""

    def update(self, where: Where, values: Mapping[str, Any]) -> int:
        """Set ``values`` in every matching row; the number of rows matched."""

    def delete(self, where: Where) -> int:
        """Delete every matching row; the number deleted."""

"""Table declarations are checked when they are made: names fit in SQL, keys are usable."""

from __future__ import annotations

import pytest

from tracker.projections.tables import Column, Table

ID = Column("id", "text")


def test_a_table_declares_typed_columns_a_primary_key_and_indexes() -> None:
    table = Table(
        "outbox",
        columns=(ID, Column("due_at", "timestamp"), Column("body", "blob", nullable=True)),
        primary_key=("id",),
        indexes=(("due_at",), ("due_at", "id")),
    )
    assert table.column("due_at").type == "timestamp"
    with pytest.raises(ValueError, match="no column 'nope'"):
        table.column("nope")


@pytest.mark.parametrize(
    "name", ["Outbox", "1st", "_x", "x_", "a__b", "a-b", "a b", 'a"b', "", "é"]
)
def test_names_are_lower_case_words_joined_by_single_underscores(name: str) -> None:
    with pytest.raises(ValueError, match="name"):
        Table(name, columns=(ID,), primary_key=("id",))
    with pytest.raises(ValueError, match="name"):
        Column(name, "text")


@pytest.mark.parametrize(
    ("columns", "primary_key", "indexes", "message"),
    [
        ((), ("id",), (), "no columns"),
        ((ID, ID), ("id",), (), "twice"),
        ((ID,), (), (), "primary key"),
        ((ID,), ("other",), (), "no column"),
        ((ID, Column("b", "blob")), ("id", "b"), (), "blob"),
        ((ID, Column("b", "blob")), ("id",), (("b",),), "blob"),
        ((ID, Column("n", "integer", nullable=True)), ("id", "n"), (), "nullable"),
        ((ID,), ("id",), ((),), "empty"),
        ((ID,), ("id", "id"), (), "repeated"),
        ((ID,), ("id",), (("nope",),), "no column"),
    ],
)
def test_unusable_tables_are_refused(
    columns: tuple[Column, ...],
    primary_key: tuple[str, ...],
    indexes: tuple[tuple[str, ...], ...],
    message: str,
) -> None:
    with pytest.raises(ValueError, match=message):
        Table("t", columns=columns, primary_key=primary_key, indexes=indexes)


def test_column_types_are_the_portable_five() -> None:
    with pytest.raises(ValueError, match="type"):
        Column("x", "float")  # type: ignore[arg-type]

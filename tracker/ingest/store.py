"""Batch reads and writes that eventsourcing's recorders only offer one event (or one object)
at a time: inserting a batch of new touchpoints (no notification ids wanted back), finding
which of many event ids are stored already, and reading a page of stored states for a
projection's facts (``select_states``, any stream). Same tables, same rows."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder
from psycopg.sql import SQL, Identifier


class WriteFailed(Exception):
    """The event was not stored: nothing may be answered as if it were."""


def _hex(originator_id: UUID | str) -> str:
    return originator_id.hex if isinstance(originator_id, UUID) else originator_id


def insert_stored_events(app: Application, events: list[StoredEvent]) -> None:
    """Insert events in one transaction. On SQLite, one ``executemany`` of the recorder's own
    statement: its ``insert_events`` runs one statement per event to collect notification
    ids, which a batch of new touchpoints does not need."""
    recorder = app.recorder
    if type(recorder) is not SQLiteApplicationRecorder:
        recorder.insert_events(events)
        return
    rows = [(_hex(e.originator_id), e.originator_version, e.topic, e.state) for e in events]
    with recorder.datastore.transaction(commit=True) as cursor:
        cursor.executemany(recorder.insert_events_statement, rows)


def stored_originator_ids(app: Application, ids: Iterable[UUID]) -> set[UUID]:
    """Which of ``ids`` have at least one stored event: one query on SQLite and PostgreSQL
    instead of one ``select_events`` per id."""
    wanted = list(dict.fromkeys(ids))
    recorder = app.recorder
    if type(recorder) is SQLiteApplicationRecorder:
        # One parameter per id: SQLite allows 32,766 (3.32 and later); a batch holds <= 100.
        with recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(
                f"SELECT DISTINCT originator_id FROM {recorder.events_table_name} "
                f"WHERE originator_id IN ({','.join('?' * len(wanted))})",
                [_hex(i) for i in wanted],
            )
            return {UUID(row["originator_id"]) for row in cursor.fetchall()}
    if isinstance(recorder, PostgresApplicationRecorder):
        statement = SQL(
            "SELECT DISTINCT originator_id FROM {schema}.{table} WHERE originator_id = ANY(%s)"
        ).format(
            schema=Identifier(recorder.datastore.schema),
            table=Identifier(recorder.events_table_name),
        )
        with recorder.datastore.get_connection() as conn, conn.cursor() as cursor:
            cursor.execute(statement, (wanted,))
            return {UUID(str(row["originator_id"])) for row in cursor.fetchall()}
    return {i for i in wanted if recorder.select_events(i, limit=1)}


def select_states(
    app: Application, *, start: int, limit: int, stop: int | None, topics: Sequence[str]
) -> list[tuple[int, str, bytes]]:
    """(notification id, topic, stored state) of up to ``limit`` events of ``topics`` from
    ``start`` (up to ``stop``), in order: ``select_notifications`` without the originator ids
    and the objects a rebuild of millions of events does not need. Same rows."""
    recorder = app.recorder
    if type(recorder) is not SQLiteApplicationRecorder:
        return [
            (n.id, n.topic, n.state)
            for n in recorder.select_notifications(
                start=start, limit=limit, stop=stop, topics=list(topics)
            )
        ]
    params: list[Any] = [start]
    statement = f"SELECT rowid, topic, state FROM {recorder.events_table_name} WHERE rowid>=?"
    if stop is not None:
        statement += " AND rowid<=?"
        params.append(stop)
    if topics:
        statement += f" AND topic IN ({','.join('?' * len(topics))})"
        params += topics
    statement += " ORDER BY rowid LIMIT ?"
    params.append(limit)
    with recorder.datastore.transaction(commit=False) as cursor:
        cursor.execute(statement, params)
        return [(row[0], row[1], row[2]) for row in cursor.fetchall()]

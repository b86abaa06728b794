"""Tables a view declares: created with their indexes on first use, exact numbers, indexed
selects and sums, written in the transaction that tracks the position, dumped and dropped with
the view; the same in memory, in SQLite and in PostgreSQL."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from tests.stores.conftest import Reopen
from tracker.application import CatalogApplication
from tracker.codec import MsgpackTranscoder
from tracker.domain.catalog import Partner
from tracker.projections.base import Projection, Rows
from tracker.projections.tables import Column, Table
from tracker.stores import (
    MemoryViewStore,
    PostgresViewStore,
    SqliteViewStore,
    ViewStore,
    catch_up,
)

T0 = datetime(2026, 11, 1, 12, tzinfo=UTC)

OUTBOX = Table(
    "outbox",
    columns=(
        Column("id", "text"),
        Column("due_at", "timestamp"),
        Column("attempts", "integer"),
        Column("state", "text"),
        Column("request", "blob"),
        Column("error", "text", nullable=True),
    ),
    primary_key=("id",),
    indexes=(("due_at",), ("state", "due_at")),
)
COUNTERS = Table(
    "counters",
    columns=(
        Column("bucket", "timestamp"),
        Column("app_id", "text"),
        Column("country", "text"),
        Column("event", "text"),
        Column("count", "integer"),
        Column("revenue", "decimal"),
    ),
    primary_key=("bucket", "app_id", "country", "event"),
    indexes=(("app_id", "bucket"),),
)


@pytest.fixture
def views(views: ViewStore) -> ViewStore:
    views.declare("post", (OUTBOX,))
    views.declare("report", (COUNTERS,))
    return views


def _sql(views: ViewStore, sql: str, params: tuple = ()) -> list[tuple]:
    """A query on the store's own connection, for looking at what it created."""
    if isinstance(views, MemoryViewStore):
        return views._database().execute(sql, params).fetchall()
    if isinstance(views, SqliteViewStore):
        return views._conn.execute(sql, params).fetchall()
    assert isinstance(views, PostgresViewStore)
    with views._conn.cursor() as c:
        c.execute(sql.replace("?", "%s"), params)
        return c.fetchall() if c.description else []


def _tables(views: ViewStore) -> set[str]:
    if isinstance(views, PostgresViewStore):
        rows = _sql(views, "SELECT tablename FROM pg_tables WHERE schemaname = ?", (views._schema,))
    else:
        rows = _sql(views, "SELECT name FROM sqlite_master WHERE type = 'table'")
    return {name for (name,) in rows if name.startswith("v_")}


def _indexes(views: ViewStore, table: str) -> dict[str, list[str]]:
    """Index name -> its columns, except the primary key's."""
    if isinstance(views, PostgresViewStore):
        rows = _sql(
            views,
            "SELECT i.relname, a.attname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
            "JOIN pg_class t ON t.oid = x.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace "
            "JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, ord) ON true "
            "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum "
            "WHERE t.relname = ? AND n.nspname = ? AND NOT x.indisprimary "
            "ORDER BY i.relname, k.ord",
            (table, views._schema),
        )
        found: dict[str, list[str]] = {}
        for name, column in rows:
            found.setdefault(name, []).append(column)
        return found
    names = [
        name
        for _, name, _, origin, *_ in _sql(views, f"PRAGMA index_list('{table}')")
        if origin == "c"
    ]
    return {
        name: [column for *_, column in _sql(views, f"PRAGMA index_info('{name}')")]
        for name in names
    }


def _message(seq: int, due: datetime, **extra: Any) -> dict[str, Any]:
    row = {
        "id": f"m{seq:03d}",
        "due_at": due,
        "attempts": 0,
        "state": "due",
        "request": {"url": f"https://p.example/{seq}", "payout": Decimal("0.25")},
        "error": None,
    }
    return row | extra


def test_tables_are_created_with_their_indexes_on_first_use(views: ViewStore) -> None:
    assert _tables(views) == set()  # declared only
    with views.transaction("post") as rows:
        rows.table("outbox")
    assert _tables(views) == {"v_post__outbox"}
    assert _indexes(views, "v_post__outbox") == {
        "v_post__outbox__i0": ["due_at"],
        "v_post__outbox__i1": ["state", "due_at"],
    }
    with views.transaction("report") as rows:
        rows.put("k", 1)  # key rows alone create no table
    assert _tables(views) == {"v_post__outbox"}
    with views.transaction("report") as rows:
        rows.table("counters")
    assert _tables(views) == {"v_post__outbox", "v_report__counters"}
    assert _indexes(views, "v_report__counters") == {"v_report__counters__i0": ["app_id", "bucket"]}


def test_a_store_refuses_names_too_long_for_postgresql_and_a_table_declared_twice() -> None:
    views = MemoryViewStore()
    table = Table("t" * 40, (Column("id", "text"),), primary_key=("id",), indexes=(("id",),))
    with pytest.raises(ValueError, match="longer than 63"):
        views.declare("v" * 20, (table,))
    views.declare("v" * 10, (table,))
    with pytest.raises(ValueError, match="twice"):
        views.declare("w", (table, table))
    with pytest.raises(ValueError, match="view name"):
        views.declare("Bad-View", ())


def test_rows_are_written_and_read_back_as_their_types(views: ViewStore) -> None:
    due = datetime(2026, 11, 1, 14, 30, 0, 123456, tzinfo=timezone(timedelta(hours=2)))
    with views.transaction("post") as rows:
        outbox = rows.table("outbox")
        assert outbox.insert(_message(1, due))
        assert not outbox.insert(_message(1, T0, attempts=9))  # the key is taken: unchanged
        assert outbox.get({"id": "m001"}) == _message(1, due)
        got = outbox.get({"id": "m001"})
        assert got is not None and got["due_at"].tzinfo == UTC and got["due_at"] == due
        outbox.upsert(_message(1, T0, attempts=1, error="timeout"))
        outbox.upsert(_message(2, T0))
    with views.transaction("post") as rows:
        outbox = rows.table("outbox")
        assert outbox.get({"id": "m001"}) == _message(1, T0, attempts=1, error="timeout")
        assert outbox.update({"id": "m001"}, {"attempts": 2, "error": None}) == 1
        assert outbox.update({"state": "gone"}, {"attempts": 5}) == 0
        assert outbox.get({"id": "m001"})["attempts"] == 2  # type: ignore[index]
        assert outbox.delete({"id": "m002"}) == 1
        assert outbox.get({"id": "m002"}) is None
        assert outbox.get({"id": "never"}) is None
        assert [r["id"] for r in outbox.select()] == ["m001"]


def test_add_increments_exactly(views: ViewStore) -> None:
    key = {"bucket": T0, "app_id": "a", "country": "DE", "event": "purchase"}
    with views.transaction("report") as rows:
        counters = rows.table("counters")
        counters.add(key, {"count": 1, "revenue": Decimal("0.10")})
        counters.add(key, {"count": 1, "revenue": Decimal("0.20")})
        counters.add(key | {"event": "install"}, {"count": 1})  # revenue starts at 0
    with views.transaction("report") as rows:
        counters = rows.table("counters")
        row = counters.get(key)
        assert row is not None
        assert row["count"] == 2 and row["revenue"] == Decimal("0.30")
        assert str(row["revenue"]) == "0.300000"  # always six places
        assert counters.get(key | {"event": "install"}) == key | {
            "event": "install",
            "count": 1,
            "revenue": Decimal(0),
        }
        counters.add_many(
            [
                (key, {"revenue": Decimal("0.000001")}),
                (key, {"revenue": Decimal("-0.000002"), "count": 3}),
                (key | {"country": "FR"}, {"count": 1}),
                (key, {"revenue": 7}),  # an int is an exact decimal too
            ]
        )
        row = counters.get(key)
        assert row is not None and row["count"] == 5
        assert row["revenue"] == Decimal("7.299999")
        assert counters.get(key | {"country": "FR"})["count"] == 1  # type: ignore[index]
        counters.add(key, {})  # nothing to add: the row stays
        assert counters.get(key) == row


def test_cells_of_many_buckets_and_odd_values_land_in_their_rows(views: ViewStore) -> None:
    # add_many takes plain text, whole numbers and a page's repeated bucket without the
    # encoders; every other value still goes through them.
    buckets = [T0 + timedelta(minutes=15 * i) for i in range(3)]
    items = []
    for n in range(30):
        bucket = buckets[n % 3] if n % 2 else buckets[n % 3] + timedelta(0)  # equal, not same
        items.append(
            ({"bucket": bucket, "app_id": f"a{n % 2}", "country": "DE", "event": "e"}, {"count": n})
        )
    with views.transaction("report") as rows:
        rows.table("counters").add_many(items)
    with views.read("report") as view:
        got = {(r["bucket"], r["app_id"]): r["count"] for r in view.table("counters").select()}
    expected: dict[tuple[datetime, str], int] = {}
    for key, amounts in items:
        k = (key["bucket"], key["app_id"])
        expected[k] = expected.get(k, 0) + amounts["count"]
    assert got == expected and len(got) == 6
    key = {"bucket": T0, "app_id": "a\x00", "country": "DE", "event": "e"}
    with views.transaction("report") as rows, pytest.raises(ValueError, match="NUL"):
        rows.table("counters").add_many([(key, {"count": 1})])
    key = {"bucket": T0, "app_id": 7, "country": "DE", "event": "e"}
    with views.transaction("report") as rows, pytest.raises(TypeError, match="app_id"):
        rows.table("counters").add_many([(key, {"count": 1})])
    key = {"bucket": T0, "app_id": "a", "country": "DE", "event": "e"}
    with views.transaction("report") as rows, pytest.raises(ValueError, match="count"):
        rows.table("counters").add_many([(key, {"count": 2**63})])


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (Decimal("0.0000001"), ValueError),
        (Decimal("1.23456789"), ValueError),
        (Decimal("9223372036854.775808"), ValueError),
        (Decimal("-9223372036854.775809"), ValueError),
        (Decimal("1e30"), ValueError),
        (Decimal("1e-30"), ValueError),
        (Decimal("NaN"), ValueError),
        (Decimal("Infinity"), ValueError),
        (10**13, ValueError),
        (0.1, TypeError),
        ("0.1", TypeError),
        (True, TypeError),
    ],
)
def test_decimals_that_do_not_fit_are_refused(views: ViewStore, value: Any, error: type) -> None:
    key = {"bucket": T0, "app_id": "a", "country": "DE", "event": "purchase"}
    with views.transaction("report") as rows:
        counters = rows.table("counters")
        with pytest.raises(error, match="revenue"):
            counters.add(key, {"count": 1, "revenue": value})
        with pytest.raises(error, match="revenue"):
            counters.add_many([(key, {"count": 1}), (key, {"revenue": value})])
        assert counters.select() == []


def test_the_decimal_range_edges_fit(views: ViewStore) -> None:
    key = {"bucket": T0, "app_id": "a", "country": "DE", "event": "purchase"}
    with views.transaction("report") as rows:
        counters = rows.table("counters")
        for value in (Decimal("9223372036854.775807"), Decimal("-9223372036854.775808")):
            counters.upsert(key | {"count": 0, "revenue": value})
            assert counters.get(key)["revenue"] == value  # type: ignore[index]
        counters.upsert(key | {"count": 0, "revenue": Decimal("1.5E+3")})
        assert counters.get(key)["revenue"] == Decimal(1500)  # type: ignore[index]
        with pytest.raises(ValueError, match="revenue"):
            counters.add_many([(key, {"revenue": Decimal("9223372036854")})] * 2)


def test_a_sum_beyond_the_range_fails_the_transaction(views: ViewStore) -> None:
    key = {"bucket": T0, "app_id": "a", "country": "DE", "event": "purchase"}
    with views.transaction("report") as rows:
        rows.table("counters").add(key, {"revenue": Decimal("-9223372036854.775808")})
    with pytest.raises(Exception, match=r"(?i)check|range"), views.transaction("report") as rows:
        rows.table("counters").add(key, {"revenue": Decimal("-0.000001")})
    with views.read("report") as view:
        row = view.table("counters").get(key)
        assert row is not None and row["revenue"] == Decimal("-9223372036854.775808")


def test_values_of_the_wrong_kind_are_refused(views: ViewStore) -> None:
    with views.transaction("post") as rows:
        outbox = rows.table("outbox")
        for bad, error in [
            ({"due_at": datetime(2026, 11, 1)}, ValueError),  # naive
            ({"due_at": "2026-11-01"}, TypeError),
            ({"attempts": 2**63}, ValueError),
            ({"attempts": True}, TypeError),
            ({"state": None}, ValueError),  # not nullable
            ({"state": "a\x00b"}, ValueError),
            ({"nope": 1}, ValueError),
        ]:
            with pytest.raises(error):
                outbox.insert(_message(1, T0) | bad)
        with pytest.raises(ValueError, match="key"):
            outbox.get({"id": "m001", "state": "due"})
        with pytest.raises(ValueError, match="blob"):
            outbox.select({"request": b"x"})
        with pytest.raises(ValueError, match="operator"):
            outbox.select({"attempts": ("!=", 1)})
        with pytest.raises(ValueError, match="numeric"):
            outbox.add({"id": "m001"}, {"state": 1})
        with pytest.raises(ValueError, match="summed"):
            outbox.sum(("state",))
        assert outbox.select() == []
    with pytest.raises(KeyError, match="nope"), views.transaction("post") as rows:
        rows.table("nope")


def test_due_rows_are_selected_in_due_order_and_limited(views: ViewStore) -> None:
    dues = [T0 + timedelta(minutes=m) for m in (5, -10, 0, 30, -10, 1)]
    with views.transaction("post") as rows:
        outbox = rows.table("outbox")
        for seq, due in enumerate(dues):
            outbox.insert(_message(seq, due, state="sent" if seq == 5 else "due"))
    with views.read("post") as view:
        outbox = view.table("outbox")
        due_now = outbox.select({"due_at": ("<=", T0)}, order_by=("due_at",), limit=2)
        assert [r["id"] for r in due_now] == ["m001", "m004"]  # a tie goes by primary key
        assert [r["id"] for r in outbox.select({"due_at": ("<=", T0)}, order_by=("due_at",))] == [
            "m001",
            "m004",
            "m002",
        ]
        by_state = outbox.select(
            {
                "state": "due",
                "due_at": [(">", T0 - timedelta(minutes=10)), ("<", T0 + timedelta(hours=1))],
            },
            order_by=("-due_at",),
        )
        assert [r["id"] for r in by_state] == ["m003", "m000", "m002"]
        assert [r["id"] for r in outbox.select({"id": ("in", ["m005", "m000", "x"])})] == [
            "m000",
            "m005",
        ]
        assert outbox.select({"id": ("in", [])}) == []
        everything = [r["id"] for r in outbox.select()]
        assert [r["id"] for r in outbox.select({"id": ("not in", ["m005", "m000", "x"])})] == [
            i for i in everything if i not in ("m005", "m000")
        ]
        assert [r["id"] for r in outbox.select({"id": ("not in", [])})] == everything
        with_error = [r["id"] for r in outbox.select() if r["error"] is not None]
        assert [r["id"] for r in outbox.select({"error": ("not in", ["nope"])})] == with_error
        assert [r["id"] for r in outbox.select({"error": None}, limit=1)] == ["m000"]
        assert outbox.select(limit=0) == []


def _counter_rows() -> list[tuple[dict[str, Any], dict[str, Any]]]:
    items = []
    for quarter in range(8):  # two hours of 15-minute buckets
        bucket = T0 + timedelta(minutes=15 * quarter)
        for app, country, event, revenue in [
            ("a", "DE", "install", None),
            ("a", "DE", "purchase", Decimal("0.10")),
            ("a", "FR", "purchase", Decimal("0.20")),
            ("b", "DE", "purchase", Decimal("1.05")),
        ]:
            key = {"bucket": bucket, "app_id": app, "country": country, "event": event}
            amounts: dict[str, Any] = {"count": quarter + 1}
            if revenue is not None:
                amounts["revenue"] = revenue
            items.append((key, amounts))
    return items


def test_sums_are_grouped_and_filtered_by_a_time_range(views: ViewStore) -> None:
    with views.transaction("report") as rows:
        rows.table("counters").add_many(_counter_rows())
    first_hour = [(">=", T0), ("<", T0 + timedelta(hours=1))]  # buckets 0..3: counts 1..4
    with views.read("report") as view:
        counters = view.table("counters")
        assert counters.sum(
            ("count", "revenue"), group_by=("app_id", "country"), where={"bucket": first_hour}
        ) == [
            {"app_id": "a", "country": "DE", "count": 20, "revenue": Decimal("0.40")},
            {"app_id": "a", "country": "FR", "count": 10, "revenue": Decimal("0.80")},
            {"app_id": "b", "country": "DE", "count": 10, "revenue": Decimal("4.20")},
        ]
        assert counters.sum(
            ("revenue",),
            group_by=("bucket",),
            where={"app_id": "a", "event": ("in", ["purchase"]), "bucket": first_hour},
        ) == [
            {"bucket": T0 + timedelta(minutes=15 * q), "revenue": Decimal("0.30")} for q in range(4)
        ]
        assert counters.sum(("count", "revenue")) == [
            {"count": 36 * 4, "revenue": Decimal("10.80")}
        ]
        assert counters.sum(("count", "revenue"), where={"app_id": "zzz"}) == [
            {"count": 0, "revenue": Decimal(0)}
        ]
        assert counters.sum(("count",), group_by=("app_id",), where={"app_id": "zzz"}) == []


def test_a_failed_transaction_leaves_neither_table_rows_nor_position(views: ViewStore) -> None:
    key = {"bucket": T0, "app_id": "a", "country": "DE", "event": "install"}
    with views.transaction("report") as rows:
        rows.table("counters").add(key, {"count": 1})
        rows.track(1)
    with pytest.raises(RuntimeError), views.transaction("report") as rows:
        counters = rows.table("counters")
        counters.add(key, {"count": 1})
        counters.add(key | {"app_id": "b"}, {"count": 1})
        rows.track(2)
        raise RuntimeError("projection bug")
    assert views.position("report") == 1
    with views.read("report") as view:
        assert view.table("counters").select() == [key | {"count": 1, "revenue": Decimal(0)}]
    # A failure in the transaction that would have created the tables leaves none.
    views.declare("fresh", (OUTBOX,))
    with pytest.raises(RuntimeError), views.transaction("fresh") as rows:
        rows.table("outbox").insert(_message(1, T0))
        raise RuntimeError("projection bug")
    assert "v_fresh__outbox" not in _tables(views)
    with views.transaction("fresh") as rows:
        assert rows.table("outbox").select() == []


def test_reads_see_key_rows_and_tables_without_writing(views: ViewStore) -> None:
    with views.read("post") as view:  # declared, not built yet: empty
        outbox = view.table("outbox")
        assert outbox.get({"id": "m001"}) is None
        assert outbox.select(order_by=("due_at",), limit=5) == []
        assert outbox.sum(("attempts",)) == [{"attempts": 0}]
        assert view.get("k") is None
        assert not hasattr(outbox, "insert")
    assert _tables(views) == set()
    with views.transaction("post") as rows:
        rows.put("k", {"v": 1})
        rows.table("outbox").insert(_message(1, T0))
        rows.track(4)
    with views.read("post") as view:
        assert view.get("k") == {"v": 1}
        assert list(view.scan("a", "z")) == [("k", {"v": 1})]
        assert [r["id"] for r in view.table("outbox").select()] == ["m001"]
        assert not hasattr(view, "put") and not hasattr(view, "track")
    assert views.position("post") == 4
    with pytest.raises(KeyError), views.read("undeclared") as view:
        view.table("outbox")


def test_another_process_reads_the_tables_without_declaring_them(reopen: Reopen) -> None:
    writer = reopen()
    if writer is None:
        pytest.skip("memory views live in one store object")
    writer.declare("post", (OUTBOX,))
    with writer.transaction("post") as rows:
        rows.table("outbox").insert(_message(1, T0))
    reader = reopen()
    assert reader is not None
    with reader.read("post") as view:
        assert view.table("outbox").get({"id": "m001"}) == _message(1, T0)
    assert list(reader.dump("post")) == list(writer.dump("post"))


def test_a_changed_declaration_is_refused(reopen: Reopen) -> None:
    views = reopen()
    if views is None:
        pytest.skip("memory views do not outlive their store object")
    views.declare("post", (OUTBOX,))
    with views.transaction("post") as rows:
        rows.table("outbox").insert(_message(1, T0))
    with pytest.raises(ValueError, match="already declared"):
        views.declare("post", (COUNTERS,))
    changed = Table("outbox", OUTBOX.columns, OUTBOX.primary_key, indexes=(("due_at",),))
    later = reopen()  # the next deployment, with the projection's table changed
    assert later is not None
    later.declare("post", (changed,))
    with pytest.raises(ValueError, match="drop the view"), later.transaction("post") as rows:
        rows.table("outbox")
    later.drop("post")
    with later.transaction("post") as rows:
        assert rows.table("outbox").select() == []


class PartnerStats(Projection):
    """A tiny projection with tables: one row per event seen, and counts per event type."""

    name = "partner_stats"
    application = "catalog"
    tables = (
        Table(
            "events",
            columns=(Column("partner_id", "text"), Column("version", "integer")),
            primary_key=("partner_id", "version"),
        ),
        Table(
            "counts",
            columns=(Column("kind", "text"), Column("n", "integer"), Column("dup", "integer")),
            primary_key=("kind",),
        ),
    )

    def apply(self, event: Any, rows: Rows) -> None:
        fresh = rows.table("events").insert(
            {"partner_id": str(event.originator_id), "version": event.originator_version}
        )
        rows.table("counts").add({"kind": type(event).__name__}, {"n": 1, "dup": int(not fresh)})
        rows.put("last", str(event.originator_id))


class SlowPartnerStats(PartnerStats):
    """The same view, applied slowly enough that two racing catch-ups overlap."""

    def apply(self, event: Any, rows: Rows) -> None:
        time.sleep(0.001)
        super().apply(event, rows)


def _partners(app: CatalogApplication, n: int) -> list[Partner]:
    partners = [
        Partner.create(title=f"P{i}", utm_sources=[f"p{i}"], macros={}, params={}) for i in range(n)
    ]
    app.save(*partners)
    for p in partners[: n // 2]:
        p.update(title=p.title + "!")
    app.save(*partners[: n // 2])
    return partners


def test_drop_then_catch_up_rebuilds_an_equal_dump(views: ViewStore) -> None:
    app = CatalogApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    _partners(app, 6)
    assert catch_up(app, PartnerStats(), views, batch=4) == 9
    before = list(views.dump("partner_stats"))
    keys = [k for k, _ in before]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    assert len(before) == 1 + 9 + 2  # "last", the event rows, two counts
    codec = MsgpackTranscoder()
    counts = [codec.decode(v) for k, v in before if k.startswith("\x00counts\x00")]
    assert counts == [
        {"kind": "Created", "n": 6, "dup": 0},
        {"kind": "Updated", "n": 3, "dup": 0},
    ]
    views.drop("partner_stats")
    assert list(views.dump("partner_stats")) == []
    assert views.position("partner_stats") == 0
    assert not any(t.startswith("v_partner_stats__") for t in _tables(views))
    catch_up(app, PartnerStats(), views, batch=1)
    assert list(views.dump("partner_stats")) == before


def test_a_dump_lists_table_rows_in_primary_key_order(views: ViewStore) -> None:
    stamps = [T0 - timedelta(days=30_000), T0, T0 + timedelta(microseconds=1)]
    with views.transaction("report") as rows:
        counters = rows.table("counters")
        for stamp in reversed(stamps):
            for app in ("b", "a", "a/b", "é", "Z"):
                counters.add(
                    {"bucket": stamp, "app_id": app, "country": "", "event": "e"},
                    {"revenue": Decimal("-1")},
                )
        rows.put("", "the one key row that sorts before table rows")
        rows.put("a", "a key row")
    dumped = list(views.dump("report"))
    assert [k for k, _ in dumped] == sorted(k for k, _ in dumped)
    assert (dumped[0][0], dumped[-1][0]) == ("", "a")
    codec = MsgpackTranscoder()
    order = [(row["bucket"], row["app_id"]) for row in (codec.decode(v) for _, v in dumped[1:-1])]
    assert len(order) == 15 and order == sorted(order)


@pytest.mark.parametrize("batch", [1, 3])
def test_catch_up_racing_in_two_threads_applies_each_event_once(
    kind: str, views: ViewStore, reopen: Reopen, batch: int
) -> None:
    app = CatalogApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    _partners(app, 20)  # 30 events
    stores = [views, reopen() or views]  # SQLite and PostgreSQL: a second connection
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(store: ViewStore) -> None:
        try:
            start.wait()
            catch_up(app, SlowPartnerStats(), store, batch=batch)
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(store,)) for store in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert views.position("partner_stats") == 30
    with views.read("partner_stats") as view:
        assert view.table("counts").sum(("n", "dup")) == [{"n": 30, "dup": 0}]
        assert len(view.table("events").select()) == 30


def test_the_due_time_select_uses_the_index(views: ViewStore) -> None:
    with views.transaction("post") as rows:
        outbox = rows.table("outbox")
        for seq in range(5000):
            outbox.insert(_message(seq, T0 + timedelta(seconds=(seq * 7919) % 5000 - 2500)))
    sql, params = views._tables.compiled("post", OUTBOX).select_query(  # type: ignore[attr-defined]
        {"due_at": ("<=", T0)}, ("due_at",), 10
    )
    if isinstance(views, PostgresViewStore):
        _sql(views, 'ANALYZE "v_post__outbox"')
        plan = "\n".join(line for (line,) in _sql(views, "EXPLAIN " + sql, tuple(params)))
        assert "Index Scan using v_post__outbox__i0" in plan, plan
    else:
        plan = "\n".join(row[-1] for row in _sql(views, "EXPLAIN QUERY PLAN " + sql, tuple(params)))
        assert "USING INDEX v_post__outbox__i0" in plan, plan
    with views.read("post") as view:
        due = view.table("outbox").select({"due_at": ("<=", T0)}, order_by=("due_at",), limit=10)
    assert [r["due_at"] for r in due] == sorted(r["due_at"] for r in due)
    assert len(due) == 10 and due[0]["due_at"] == T0 - timedelta(seconds=2500)


def test_sums_are_grouped_by_floors_of_a_timestamp(views: ViewStore) -> None:
    with views.transaction("report") as rows:
        rows.table("counters").add_many(_counter_rows())  # 12:00..14:00 UTC, counts 1..8 each
    with views.read("report") as view:
        counters = view.table("counters")
        # Hours of a zone at UTC+5:30: 12:00-12:30 UTC is the end of 17:00 local, and so on.
        by_hour = counters.sum(
            ("count",),
            group_by=("app_id",),
            where={"app_id": "b"},
            floors={"hour": ("bucket", 3600, 5 * 3600 + 1800)},
        )
        assert by_hour == [
            {"hour": T0 - timedelta(minutes=30), "app_id": "b", "count": 1 + 2},
            {"hour": T0 + timedelta(minutes=30), "app_id": "b", "count": 3 + 4 + 5 + 6},
            {"hour": T0 + timedelta(minutes=90), "app_id": "b", "count": 7 + 8},
        ]
        by_day = counters.sum(("count",), floors={"day": ("bucket", 86400, 0)})
        assert by_day == [{"day": T0 - timedelta(hours=12), "count": 36 * 4}]
    with pytest.raises(ValueError, match="cannot be floored"):
        counters.sum(("count",), floors={"x": ("app_id", 60, 0)})

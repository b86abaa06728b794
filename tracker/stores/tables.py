"""The SQL tables views declare (``tracker.projections.tables``), in SQLite and PostgreSQL.

A view's table ``t`` is the SQL table ``v_<view>__<t>``. ``view_tables`` records each created
table's declaration, so any process can read, dump or drop a view's tables, and a projection
whose declaration changed is refused instead of writing into a table of another shape.
Identifiers are checked names (``tracker.projections.tables.check_name``), quoted; every value
is a bound parameter.
"""

from __future__ import annotations

import heapq
import json
import operator
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from tracker.codec import MsgpackTranscoder
from tracker.projections.tables import (
    DECIMAL_PLACES,
    NUMERIC_TYPES,
    OPS,
    Column,
    Row,
    Table,
    Where,
    check_name,
)
from tracker.stores.sql import Dialect

# PostgreSQL's limit; the longest name made is an index's, "<table>__i<n>".
_MAX_IDENTIFIER = 63

# -- values ------------------------------------------------------------------------------------

_INT64 = 2**63
_SCALE = 10**DECIMAL_PLACES
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _in_int64(column: Column, n: int, shown: Any = None) -> int:
    if not -_INT64 <= n < _INT64:
        if column.type == "decimal":
            raise ValueError(
                f"column {column.name!r}: {shown if shown is not None else _units_text(n)} is "
                f"beyond the decimal range (+-{_units_text(_INT64 - 1)})"
            )
        raise ValueError(f"column {column.name!r}: {n} is beyond the 64-bit integer range")
    return n


def _units_text(units: int) -> str:
    return str(Decimal(f"{units}e-{DECIMAL_PLACES}"))


def _decimal_units(column: Column, value: Decimal | int) -> int:
    """``value`` as an exact whole number of 10**-DECIMAL_PLACES, or ValueError."""
    if isinstance(value, int):
        return _in_int64(column, value * _SCALE, value)
    if not value.is_finite():
        raise ValueError(f"column {column.name!r}: {value} is not a finite decimal")
    sign, digits, exponent = value.as_tuple()
    coefficient = int("".join(map(str, digits)))
    shift = exponent + DECIMAL_PLACES  # type: ignore[operator]
    if coefficient == 0:
        return 0
    if shift >= 0:
        # Past 10**19 the product is out of range anyway: do not compute a huge power.
        units = coefficient * 10 ** min(shift, 20)
    else:
        units, rest = divmod(coefficient, 10**-shift) if -shift <= len(digits) else (0, 1)
        if rest:
            raise ValueError(
                f"column {column.name!r}: {value} has more than {DECIMAL_PLACES} decimal places"
            )
    return _in_int64(column, -units if sign else units, value)


def _encoder(column: Column, codec: MsgpackTranscoder) -> Callable[[Any], Any]:
    name, kind = column.name, column.type

    def wrong(value: Any, expected: str) -> TypeError:
        return TypeError(f"column {name!r} ({kind}) takes {expected}, not {type(value).__name__}")

    if kind == "text":

        def encode(value: Any) -> Any:
            if not isinstance(value, str):
                raise wrong(value, "str")
            if "\x00" in value:
                raise ValueError(f"column {name!r}: text with a NUL character")
            return value

    elif kind == "integer":

        def encode(value: Any) -> Any:
            if not isinstance(value, int) or isinstance(value, bool):
                raise wrong(value, "int")
            return _in_int64(column, value)

    elif kind == "decimal":

        def encode(value: Any) -> Any:
            if not isinstance(value, Decimal | int) or isinstance(value, bool):
                raise wrong(value, "Decimal or int")
            return _decimal_units(column, value)

    elif kind == "timestamp":

        def encode(value: Any) -> Any:
            if not isinstance(value, datetime):
                raise wrong(value, "datetime")
            if value.utcoffset() is None:
                raise ValueError(f"column {name!r}: a naive datetime (timestamps are UTC-aware)")
            return (value - _EPOCH) // _MICROSECOND

    else:

        def encode(value: Any) -> Any:
            return codec.encode(value)

    def encode_or_null(value: Any) -> Any:
        if value is None:
            if not column.nullable:
                raise ValueError(f"column {name!r} is not nullable")
            return None
        return encode(value)

    return encode_or_null


def _decoder(column: Column, codec: MsgpackTranscoder) -> Callable[[Any], Any]:
    kind = column.type
    if kind == "decimal":
        return lambda v: None if v is None else Decimal(f"{int(v)}e-{DECIMAL_PLACES}")
    if kind == "timestamp":
        return lambda v: None if v is None else _EPOCH + timedelta(microseconds=v)
    if kind == "blob":
        return lambda v: None if v is None else codec.decode(bytes(v))
    if kind == "integer":
        # PostgreSQL sums bigints as numeric.
        return lambda v: None if v is None else int(v)
    return _same


def _same(value: Any) -> Any:
    return value


def _dump_part(column: Column, value: Any) -> str:
    """A primary-key value as text that sorts as the value does (NUL separates the parts)."""
    if column.type == "text":
        return value
    if column.type == "timestamp":
        stamp = _EPOCH + timedelta(microseconds=value)
        return stamp.isoformat(timespec="microseconds")
    return f"n{value + 10**19:019d}" if value < 0 else f"p{value:019d}"


# -- declarations ------------------------------------------------------------------------------


def spec_of(table: Table) -> str:
    return json.dumps(
        {
            "columns": [[c.name, c.type, c.nullable] for c in table.columns],
            "primary_key": list(table.primary_key),
            "indexes": [list(i) for i in table.indexes],
        },
        separators=(",", ":"),
    )


def table_of(name: str, spec: str) -> Table:
    data = json.loads(spec)
    return Table(
        name,
        columns=tuple(Column(n, t, nullable) for n, t, nullable in data["columns"]),
        primary_key=tuple(data["primary_key"]),
        indexes=tuple(tuple(i) for i in data["indexes"]),
    )


def sql_name(view: str, table: str) -> str:
    return f"v_{view}__{table}"


class TableSql:
    """One table of one view in one dialect: its statements and value conversions."""

    def __init__(self, view: str, table: Table, dialect: Dialect, codec: MsgpackTranscoder):
        self.view = view
        self.table = table
        self.dialect = dialect
        self.name = sql_name(view, table.name)
        self.q = f'"{self.name}"'
        self.columns = {c.name: c for c in table.columns}
        self.codec = codec
        self.encode = {c.name: _encoder(c, codec) for c in table.columns}
        self.decoders = {c.name: _decoder(c, codec) for c in table.columns}
        self.decode = list(self.decoders.values())
        self.numeric = [c.name for c in table.columns if c.type in NUMERIC_TYPES]
        self._pk_names = set(table.primary_key)
        self._add_plans: dict[tuple[str, ...], AddPlan] = {}
        ph = dialect.ph
        cols = ", ".join(f'"{c.name}"' for c in table.columns)
        values = ", ".join(ph for _ in table.columns)
        pk = ", ".join(f'"{k}"' for k in table.primary_key)
        self.key_where = " AND ".join(f'"{k}" = {ph}' for k in table.primary_key)
        self.pk_order = ", ".join(f'"{k}" ASC' for k in table.primary_key)
        self.select_sql = f"SELECT {cols} FROM {self.q}"
        self.insert_sql = f"INSERT INTO {self.q} ({cols}) VALUES ({values}) ON CONFLICT ({pk})"
        rest = [c.name for c in table.columns if c.name not in table.primary_key]
        replace = ", ".join(f'"{c}" = excluded."{c}"' for c in rest)
        self.upsert_sql = self.insert_sql + (f" DO UPDATE SET {replace}" if rest else " DO NOTHING")

    def ddl(self) -> list[str]:
        t = self.table
        columns = ", ".join(
            f"{q} {self.dialect.types[c.type].format(c=q)}{'' if c.nullable else ' NOT NULL'}"
            for c, q in ((c, f'"{c.name}"') for c in t.columns)
        )
        pk = ", ".join(f'"{k}"' for k in t.primary_key)
        statements = [f"CREATE TABLE {self.q} ({columns}, PRIMARY KEY ({pk}))"]
        for i, index in enumerate(t.indexes):
            cols = ", ".join(f'"{c}"' for c in index)
            statements.append(f'CREATE INDEX "{self.name}__i{i}" ON {self.q} ({cols})')
        return statements

    def column(self, name: str, *, usage: str) -> Column:
        column = self.columns.get(name)
        if column is None:
            raise ValueError(f"table {self.table.name!r} has no column {name!r}")
        if column.type == "blob":
            raise ValueError(f"table {self.table.name!r}: blob column {name!r} in {usage}")
        return column

    def row_params(self, row: Mapping[str, Any]) -> list[Any]:
        unknown = row.keys() - self.columns.keys()
        if unknown:
            raise ValueError(f"table {self.table.name!r} has no column {sorted(unknown)[0]!r}")
        return [encode(row.get(name)) for name, encode in self.encode.items()]

    def key_params(self, key: Mapping[str, Any]) -> list[Any]:
        if key.keys() != set(self.table.primary_key):
            raise ValueError(
                f"table {self.table.name!r}: a key names exactly {self.table.primary_key}, "
                f"not {tuple(key)}"
            )
        return [self.encode[k](key[k]) for k in self.table.primary_key]

    def where(self, where: Where | None) -> tuple[str, list[Any]]:
        if not where:
            return "", []
        parts: list[str] = []
        params: list[Any] = []
        for name, condition in where.items():
            self.column(name, usage="a condition")
            conditions = condition if isinstance(condition, list) else [condition]
            for one in conditions:
                sql, values = self._condition(name, one)
                parts.append(sql)
                params.extend(values)
        return (" WHERE " + " AND ".join(parts) if parts else ""), params

    def _condition(self, name: str, condition: Any) -> tuple[str, list[Any]]:
        ph = self.dialect.ph
        if isinstance(condition, tuple):
            if len(condition) != 2:
                raise ValueError(f"column {name!r}: a condition is (op, value), not {condition}")
            op, value = condition
        else:
            op, value = "=", condition
        if op not in OPS:
            raise ValueError(f"column {name!r}: operator {op!r} is not one of {OPS}")
        if op in ("in", "not in"):
            if isinstance(value, str | bytes) or not isinstance(value, Iterable):
                raise ValueError(f"column {name!r}: {op!r} takes a collection of values")
            values = [self._encode_present(name, v) for v in value]
            if not values:
                return ("1 = 0" if op == "in" else f'"{name}" IS NOT NULL'), []
            return f'"{name}" {op.upper()} ({", ".join(ph for _ in values)})', values
        if value is None:
            if op != "=":
                raise ValueError(f"column {name!r}: only '=' compares with None")
            return f'"{name}" IS NULL', []
        return f'"{name}" {op} {ph}', [self._encode_present(name, value)]

    def _encode_present(self, name: str, value: Any) -> Any:
        if value is None:
            raise ValueError(f"column {name!r}: None in 'in' or an order comparison")
        return self.encode[name](value)

    def order(self, terms: Sequence[str], *, usage: str, then_key: bool = False) -> str:
        """ORDER BY terms; ``then_key``: ties in primary-key order, so results are the same in
        every store."""
        if isinstance(terms, str):
            raise ValueError(f"{usage} takes a sequence of column names, not a string")
        named = {t.lstrip("-") for t in terms}
        if then_key:
            terms = [*terms, *(k for k in self.table.primary_key if k not in named)]
        parts = []
        for term in terms:
            descending = term.startswith("-")
            column = self.column(term.lstrip("-"), usage=usage)
            nulls = ""
            if column.nullable:  # SQLite's order for NULLs, spelled out for PostgreSQL
                nulls = " NULLS LAST" if descending else " NULLS FIRST"
            parts.append(f'"{column.name}" {"DESC" if descending else "ASC"}{nulls}')
        return ", ".join(parts)

    def add_plan(self, key: Mapping[str, Any], amounts: Mapping[str, Any]) -> AddPlan:
        """How ``add`` encodes and writes rows with this key's columns and these amounts."""
        if key.keys() != self._pk_names:
            self.key_params(key)  # raises, naming the key's columns
        names = tuple(amounts)
        plan = self._add_plans.get(names)
        if plan is None:
            for name in amounts:
                column = self.columns.get(name)
                if column is None or column.type not in NUMERIC_TYPES or name in key:
                    raise ValueError(
                        f"table {self.table.name!r}: add() adds to numeric non-key columns "
                        f"{tuple(n for n in self.numeric if n not in key)}, not {name!r}"
                    )
            plan = self._add_plans[names] = AddPlan(self, frozenset(amounts))
        return plan

    def select_query(
        self, where: Where | None, order_by: Sequence[str], limit: int | None
    ) -> tuple[str, list[Any]]:
        condition, params = self.where(where)
        order = self.order(order_by, usage="order_by", then_key=True)
        sql = f"{self.select_sql}{condition} ORDER BY {order}"
        if limit is not None:
            if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
                raise ValueError(f"limit {limit!r}: a count of rows")
            sql += f" LIMIT {self.dialect.ph}"
            params.append(limit)
        return sql, params

    def sum_query(
        self,
        sums: Sequence[str],
        group_by: Sequence[str],
        where: Where | None,
        floors: Mapping[str, tuple[str, int, int]] | None = None,
    ) -> tuple[str, list[Any], list[str], list[tuple[str, Callable[[Any], Any]]]]:
        """The statement, its parameters, the result's column names, and the decoder of each
        column whose value needs one.
        ``floors`` groups by a timestamp column floored to steps: alias -> (column, step
        seconds, offset seconds); a step starts where the column plus the offset is a
        multiple of the step (a local day: 86,400 and the zone's UTC offset)."""
        if isinstance(sums, str):
            raise ValueError("sums takes a sequence of column names, not a string")
        summed = [self.column(name, usage="sums") for name in sums]
        for column in summed:
            if column.type not in NUMERIC_TYPES:
                raise ValueError(f"column {column.name!r} ({column.type}) cannot be summed")
        if isinstance(group_by, str) or any(term.startswith("-") for term in group_by):
            raise ValueError(f"group_by takes a sequence of column names, not {group_by!r}")
        order = self.order(group_by, usage="group_by")
        groups = [self.columns[name] for name in group_by]
        names = [c.name for c in groups + summed]
        if len(set(names)) != len(names):
            raise ValueError(f"a column named twice in group_by and sums: {names}")
        floored: list[str] = []
        floor_params: list[Any] = []
        floor_decoders: list[Callable[[Any], Any]] = []
        for alias, (name, step, offset) in (floors or {}).items():
            check_name("floor", alias)
            column = self.column(name, usage="floors")
            if column.type != "timestamp":
                raise ValueError(f"column {name!r} ({column.type}) cannot be floored")
            ph = self.dialect.ph
            shifted = f'("{name}" + CAST({ph} AS BIGINT))'
            mod = "%%" if ph == "%s" else "%"  # psycopg reads a lone % as a placeholder
            cast = f"CAST({ph} AS BIGINT)"
            floored.append(f"({shifted} - ({shifted} {mod} {cast}) - {cast})")
            us_offset, us_step = int(offset) * 1_000_000, int(step) * 1_000_000
            floor_params += [us_offset, us_offset, us_step, us_offset]
            floor_decoders.append(self.decoders[name])
        names = list(floors or {}) + names
        condition, params = self.where(where)
        select = [
            *floored,
            *(f'"{c.name}"' for c in groups),
            *(f'COALESCE(SUM("{c.name}"), 0)' for c in summed),
        ]
        sql = f"SELECT {', '.join(select)} FROM {self.q}{condition}"
        keys = len(floored) + len(groups)
        if keys:
            ordinals = ", ".join(str(i) for i in range(1, keys + 1))
            sql += f" GROUP BY {ordinals} ORDER BY "
            sql += ", ".join(
                [*(str(i + 1) for i in range(len(floored))), order]
                if groups
                else [str(i + 1) for i in range(len(floored))]
            )
        decoders = [
            *floor_decoders,
            *(self.decoders[c.name] for c in groups),
            *(_sum_decoder(c, self.dialect) for c in summed),
        ]
        patches = [(n, d) for n, d in zip(names, decoders, strict=True) if d is not _same]
        return sql, floor_params + params, names, patches

    def decode_row(self, values: Sequence[Any]) -> Row:
        return {
            name: dec(v) for name, dec, v in zip(self.columns, self.decode, values, strict=True)
        }

    def dump(self, cursor: Any) -> list[tuple[str, bytes]]:
        cursor.execute(f"{self.select_sql} ORDER BY {self.pk_order}")
        positions = [list(self.columns).index(k) for k in self.table.primary_key]
        keys = [self.columns[k] for k in self.table.primary_key]
        out = []
        for values in cursor.fetchall():
            parts = [_dump_part(c, values[i]) for c, i in zip(keys, positions, strict=True)]
            key = "\x00" + self.table.name + "\x00" + "\x00".join(parts)
            out.append((key, self.codec.encode(self.decode_row(values))))
        return out


_KEY, _AMOUNT, _ZERO, _NULL = range(4)
_NOTHING = object()


class AddPlan:
    """The encoding and the statement of ``add`` for one set of amount columns. A projection
    adds thousands of cells per page, so the key's text columns (most of a counter's key) are
    taken as they come and checked at once, and the statement lists them first."""

    def __init__(self, sql: TableSql, amounts: frozenset[str]) -> None:
        table = sql.table
        self.amounts = tuple(name for name in sql.columns if name in amounts)
        self._texts = tuple(n for n in table.primary_key if sql.columns[n].type == "text")
        self._text_encoders = [sql.encode[n] for n in self._texts]
        self._rest = []
        for column in table.columns:
            name = column.name
            if name in self._texts:
                continue
            if name in table.primary_key:
                source = _KEY
            elif name in amounts:
                source = _AMOUNT
            else:
                source = _ZERO if column.type in NUMERIC_TYPES else _NULL
            self._rest.append((name, sql.encode[name], source, column.type == "integer"))
        order = [*self._texts, *(name for name, _, _, _ in self._rest)]
        at = {name: i for i, name in enumerate(order)}
        self.key_of = _tuple_getter([at[name] for name in table.primary_key])
        self.amount_at = [(at[name], sql.columns[name]) for name in self.amounts]
        ph = sql.dialect.ph
        increments = ", ".join(
            f'"{c}" = COALESCE({sql.q}."{c}", 0) + excluded."{c}"' for c in self.amounts
        )
        pk = ", ".join(f'"{k}"' for k in table.primary_key)
        columns = ", ".join(f'"{name}"' for name in order)
        self.statement = (
            f"INSERT INTO {sql.q} ({columns}) "
            f"VALUES ({', '.join(ph for _ in order)}) ON CONFLICT ({pk})"
            + (f" DO UPDATE SET {increments}" if self.amounts else " DO NOTHING")
        )
        self._get_texts = _tuple_getter(self._texts)
        self._last: tuple[Any, Any] = (_NOTHING, None)

    def params(self, key: Mapping[str, Any], amounts: Mapping[str, Any]) -> list[Any]:
        texts = self._get_texts(key)
        try:
            plain = "\x00" not in "".join(texts)
        except TypeError:  # a value that is not text
            plain = False
        if plain:
            params = list(texts)
        else:
            params = [encode(v) for encode, v in zip(self._text_encoders, texts, strict=True)]
        last = self._last  # read once: other threads write with the same plan
        for name, encode, source, integer in self._rest:
            if source == _KEY:
                value = key[name]
            elif source == _AMOUNT:
                value = amounts[name]
            else:
                params.append(0 if source == _ZERO else encode(None))
                continue
            if integer and type(value) is int and -_INT64 <= value < _INT64:
                params.append(value)
            elif value is last[0]:
                # The cells of one page mostly share their bucket (the same object).
                params.append(last[1])
            else:
                encoded = encode(value)
                params.append(encoded)
                if isinstance(value, datetime):
                    self._last = last = (value, encoded)
        return params


def _tuple_getter(items: Sequence[Any]) -> Callable[[Any], tuple[Any, ...]]:
    """``operator.itemgetter`` that gives a tuple whatever the number of items."""
    if not items:
        return lambda _: ()
    if len(items) == 1:
        (item,) = items
        return lambda obj: (obj[item],)
    return operator.itemgetter(*items)


# -- table handles -----------------------------------------------------------------------------


class SqlTableReader:
    """Reads of one table (``tracker.projections.tables.TableReader``)."""

    def __init__(self, cursor: Any, sql: TableSql, *, exists: bool = True) -> None:
        self._c = cursor
        self._sql = sql
        # A view read before any process has written it: its tables are not created yet.
        self._exists = exists

    def get(self, key: Mapping[str, Any]) -> Row | None:
        s = self._sql
        params = s.key_params(key)
        if not self._exists:
            return None
        self._c.execute(f"{s.select_sql} WHERE {s.key_where}", params)
        row = self._c.fetchone()
        return None if row is None else s.decode_row(row)

    def select(
        self,
        where: Where | None = None,
        *,
        order_by: Sequence[str] = (),
        limit: int | None = None,
    ) -> list[Row]:
        sql, params = self._sql.select_query(where, order_by, limit)
        if not self._exists:
            return []
        self._c.execute(sql, params)
        return [self._sql.decode_row(row) for row in self._c.fetchall()]

    def sum(
        self,
        sums: Sequence[str],
        *,
        group_by: Sequence[str] = (),
        where: Where | None = None,
        floors: Mapping[str, tuple[str, int, int]] | None = None,
    ) -> list[Row]:
        sql, params, names, patches = self._sql.sum_query(sums, group_by, where, floors)
        if self._exists:
            self._c.execute(sql, params)
            rows = self._c.fetchall()
        else:
            rows = [] if group_by or floors else [(0,) * len(sums)]
        # Reports read thousands of these: the columns that need no decoding are taken as
        # they come.
        found = [dict(zip(names, row, strict=True)) for row in rows]
        for name, decode in patches:
            for row in found:
                row[name] = decode(row[name])
        return found


_ZERO_UNITS = Decimal(f"0e-{DECIMAL_PLACES}")


def _sum_decoder(column: Column, dialect: Dialect) -> Callable[[Any], Any]:
    if column.type == "decimal":
        return lambda v: Decimal(int(v)).scaleb(-DECIMAL_PLACES) if v else _ZERO_UNITS
    return int if dialect.sums_integers_as_numeric else _same


class SqlTableWriter(SqlTableReader):
    """Reads and writes of one table in a view's transaction."""

    def insert(self, row: Mapping[str, Any]) -> bool:
        self._c.execute(self._sql.insert_sql + " DO NOTHING", self._sql.row_params(row))
        return self._c.rowcount == 1

    def upsert(self, row: Mapping[str, Any]) -> None:
        self._c.execute(self._sql.upsert_sql, self._sql.row_params(row))

    def add(self, key: Mapping[str, Any], amounts: Mapping[str, Any]) -> None:
        plan = self._sql.add_plan(key, amounts)
        self._c.execute(plan.statement, plan.params(key, amounts))

    def add_many(self, items: Iterable[tuple[Mapping[str, Any], Mapping[str, Any]]]) -> None:
        s = self._sql
        # plan -> encoded key -> encoded row: the same key's amounts are summed here.
        batches: dict[AddPlan, dict[Any, list[Any]]] = {}
        for key, amounts in items:
            plan = s.add_plan(key, amounts)
            params = plan.params(key, amounts)
            batch = batches.get(plan)
            if batch is None:
                batch = batches[plan] = {}
            k = plan.key_of(params)
            seen = batch.get(k)
            if seen is None:
                batch[k] = params
            else:
                for i, column in plan.amount_at:
                    seen[i] = _in_int64(column, seen[i] + params[i])
        for plan, rows in batches.items():
            self._c.executemany(plan.statement, list(rows.values()))

    def update(self, where: Where, values: Mapping[str, Any]) -> int:
        s = self._sql
        if not values:
            raise ValueError("update() needs values to set")
        unknown = values.keys() - s.columns.keys()
        if unknown:
            raise ValueError(f"table {s.table.name!r} has no column {sorted(unknown)[0]!r}")
        assignments = ", ".join(f'"{name}" = {s.dialect.ph}' for name in values)
        params = [s.encode[name](value) for name, value in values.items()]
        condition, where_params = s.where(where)
        self._c.execute(f"UPDATE {s.q} SET {assignments}{condition}", params + where_params)
        return self._c.rowcount

    def delete(self, where: Where) -> int:
        condition, params = self._sql.where(where)
        self._c.execute(f"DELETE FROM {self._sql.q}{condition}", params)
        return self._c.rowcount


# -- the tables of every view ------------------------------------------------------------------


class SqlTables:
    """The table declarations a store knows, and what it does with a view's tables."""

    def __init__(self, dialect: Dialect, codec: MsgpackTranscoder) -> None:
        self.dialect = dialect
        self._codec = codec
        self._declared: dict[str, tuple[Table, ...]] = {}
        self._compiled: dict[tuple[str, Table], TableSql] = {}

    def declare(self, view: str, tables: Iterable[Table]) -> None:
        check_name("view", view)
        tables = tuple(tables)
        names = [t.name for t in tables]
        if len(set(names)) != len(names):
            raise ValueError(f"view {view!r}: a table name is declared twice")
        for table in tables:
            longest = f"{sql_name(view, table.name)}__i{max(len(table.indexes) - 1, 0)}"
            if len(longest) > _MAX_IDENTIFIER:
                raise ValueError(
                    f"view {view!r}, table {table.name!r}: {longest!r} is longer than "
                    f"{_MAX_IDENTIFIER} characters; shorten the names"
                )
        known = self._declared.get(view)
        if known is not None and known != tables:
            raise ValueError(f"view {view!r} is already declared with other tables")
        self._declared[view] = tables

    def compiled(self, view: str, table: Table) -> TableSql:
        sql = self._compiled.get((view, table))
        if sql is None:
            sql = self._compiled[(view, table)] = TableSql(view, table, self.dialect, self._codec)
        return sql

    def _stored(self, cursor: Any, view: str) -> dict[str, str]:
        cursor.execute(
            f"SELECT name, spec FROM view_tables WHERE view = {self.dialect.ph}", (view,)
        )
        return dict(cursor.fetchall())

    def load(self, cursor: Any, view: str, *, write: bool) -> dict[str, tuple[TableSql, bool]]:
        """Each table of the view with whether it exists; creates the declared tables on the
        first write."""
        stored = self._stored(cursor, view)
        declared = self._declared.get(view)
        if declared is None:
            return {
                name: (self.compiled(view, table_of(name, spec)), True)
                for name, spec in stored.items()
            }
        wanted = {t.name: spec_of(t) for t in declared}
        if stored and stored != wanted:
            raise ValueError(
                f"view {view!r} was built with other tables ({sorted(stored)}) than its "
                f"projection declares now ({sorted(wanted)}, or their columns or indexes "
                "changed): drop the view to rebuild it from the events, or rename the projection"
            )
        if not stored and write and declared:
            ph = self.dialect.ph
            for table in declared:
                for statement in self.compiled(view, table).ddl():
                    cursor.execute(statement)
                cursor.execute(
                    f"INSERT INTO view_tables (view, name, spec) VALUES ({ph}, {ph}, {ph})",
                    (view, table.name, wanted[table.name]),
                )
        exists = bool(stored) or write
        return {t.name: (self.compiled(view, t), exists) for t in declared}

    def dump(
        self, cursor: Any, view: str, rows: Iterable[tuple[str, bytes]]
    ) -> Iterator[tuple[str, bytes]]:
        """The key rows (in key order) merged with every table row, all in key order."""
        entries: list[tuple[str, bytes]] = []
        for name, spec in sorted(self._stored(cursor, view).items()):
            entries.extend(self.compiled(view, table_of(name, spec)).dump(cursor))
        entries.sort(key=lambda e: e[0])
        return heapq.merge(rows, entries, key=lambda e: e[0])

    def drop(self, cursor: Any, view: str) -> None:
        for name in sorted(self._stored(cursor, view)):
            cursor.execute(f'DROP TABLE IF EXISTS "{sql_name(check_name("view", view), name)}"')
        cursor.execute(f"DELETE FROM view_tables WHERE view = {self.dialect.ph}", (view,))


class ViewTables:
    """The tables of one view as one transaction (or read) sees them, loaded on first use."""

    def __init__(self, engine: SqlTables, cursor: Any, view: str, *, write: bool) -> None:
        self._engine = engine
        self._c = cursor
        self._view = view
        self._write = write
        self._tables: dict[str, tuple[TableSql, bool]] | None = None
        self._handles: dict[str, SqlTableReader] = {}

    def _handle(self, name: str, cls: type[SqlTableReader]) -> Any:
        handle = self._handles.get(name)
        if handle is None:
            if self._tables is None:
                self._tables = self._engine.load(self._c, self._view, write=self._write)
            found = self._tables.get(name)
            if found is None:
                raise KeyError(
                    f"view {self._view!r} has no table {name!r} (a process that reads a view's "
                    "tables before it is built declares them: ViewStore.declare)"
                )
            handle = self._handles[name] = cls(self._c, found[0], exists=found[1])
        return handle

    def writer(self, name: str) -> SqlTableWriter:
        if not self._write:
            raise RuntimeError("a read() cannot write")
        return self._handle(name, SqlTableWriter)

    def reader(self, name: str) -> SqlTableReader:
        return self._handle(name, SqlTableWriter if self._write else SqlTableReader)

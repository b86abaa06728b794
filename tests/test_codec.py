"""The msgpack transcoder restores every value type events carry, untyped."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from uuid import uuid4

import msgspec
import pytest

from tracker.codec import MsgpackTranscoder, ext_decimal, ext_uuid


@pytest.fixture
def codec() -> MsgpackTranscoder:
    return MsgpackTranscoder()


def test_event_values_round_trip(codec: MsgpackTranscoder) -> None:
    value = {
        "id": uuid4(),
        "amount": Decimal("-12.50"),
        "tiny": Decimal("1E-9"),
        "day": date(2026, 2, 28),
        "at": datetime(2026, 11, 29, 10, 0, 0, 123456, tzinfo=UTC),
        "nested": {"ids": [uuid4(), uuid4()], "money": [Decimal("0.1")]},
        "text": "кириллица",
        "none": None,
        "flag": True,
        "big": 2**62,
    }
    assert codec.decode(codec.encode(value)) == value


def test_decimal_keeps_its_exact_digits(codec: MsgpackTranscoder) -> None:
    decoded = codec.decode(codec.encode(Decimal("1.50")))
    assert isinstance(decoded, Decimal)
    assert str(decoded) == "1.50"


def test_a_datetime_with_offset_comes_back_as_the_same_instant(codec: MsgpackTranscoder) -> None:
    moscow = datetime(2026, 1, 1, 3, 0, tzinfo=timezone(timedelta(hours=3)))
    decoded = codec.decode(codec.encode(moscow))
    assert decoded == moscow
    assert decoded.utcoffset() == timedelta(0)


def test_tuples_come_back_as_lists(codec: MsgpackTranscoder) -> None:
    assert codec.decode(codec.encode({"t": (1, "a")})) == {"t": [1, "a"]}


def test_naive_datetimes_are_refused(codec: MsgpackTranscoder) -> None:
    with pytest.raises(TypeError, match="naive"):
        codec.encode({"at": datetime(2026, 1, 1)})


def test_native_encoding_with_wrapped_values(codec: MsgpackTranscoder) -> None:
    id_ = uuid4()
    data = codec.encode_native({"id": ext_uuid(id_), "cost": ext_decimal(Decimal("0.25"))})
    assert codec.decode(data) == {"id": id_, "cost": Decimal("0.25")}
    assert data == codec.encode({"id": id_, "cost": Decimal("0.25")})


def test_unknown_extensions_are_an_error(codec: MsgpackTranscoder) -> None:
    data = msgspec.msgpack.encode(msgspec.msgpack.Ext(99, b"x"))
    with pytest.raises(ValueError, match="unknown msgpack extension 99"):
        codec.decode(data)

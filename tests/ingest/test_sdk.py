from datetime import UTC, datetime, timedelta
from decimal import Decimal

import msgspec
import pytest

from tracker.domain.errors import DomainError
from tracker.domain.ingest import SdkEventReceived
from tracker.ingest.sdk import EventIn, build_events, honoured_ts

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
INSTANCE = {"instance_id": "inst-1"}


def _events(*raw: dict) -> list[SdkEventReceived]:
    batch = msgspec.convert(list(raw), list[EventIn], strict=False)
    return build_events(batch, app_id="app-1", received=NOW, source="sdk", ip="1.2.3.4", ua="UA")


def test_a_time_beyond_the_calendar_in_utc_is_the_receive_time():
    for text in ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"):
        assert honoured_ts(datetime.fromisoformat(text), NOW) == NOW


def test_ts_rule():
    assert honoured_ts(None, NOW) == NOW
    assert honoured_ts(NOW - timedelta(days=6), NOW) == NOW - timedelta(days=6)
    assert honoured_ts(NOW - timedelta(days=7, seconds=1), NOW) == NOW
    assert honoured_ts(NOW + timedelta(minutes=1), NOW) == NOW + timedelta(minutes=1)
    assert honoured_ts(NOW + timedelta(hours=1), NOW) == NOW
    naive = datetime(2026, 11, 1, 11, 0)
    assert honoured_ts(naive, NOW) == datetime(2026, 11, 1, 11, 0, tzinfo=UTC)


def test_builds_events_with_defaults_from_the_request():
    (e,) = _events(
        {
            "event_id": "e1",
            "type": "purchase",
            "ts": "2026-11-01T10:00:00Z",
            "device": {"gaid": "38400000-8CF0-11BD-B23E-10B96E40000D", "instance_id": "i"},
            "revenue": "9.99",
            "currency": "EUR",
            "params": {"sku": "x"},
        }
    )
    assert e.originator_id == SdkEventReceived.id_for("app-1", "e1")
    assert e.timestamp == NOW
    assert e.event_ts == datetime(2026, 11, 1, 10, tzinfo=UTC)
    assert e.device == {"gaid": "38400000-8cf0-11bd-b23e-10b96e40000d", "instance_id": "i"}
    assert (e.ip, e.ua, e.revenue, e.currency) == ("1.2.3.4", "UA", Decimal("9.99"), "EUR")
    assert e.params == {"sku": "x"}


def test_event_ip_and_ua_win_over_the_request():
    (e,) = _events(
        {"event_id": "e", "type": "launch", "device": INSTANCE, "ip": "::1", "ua": "Own"}
    )
    assert (e.ip, e.ua) == ("::1", "Own")


@pytest.mark.parametrize(
    ("event", "field"),
    [
        ({"device": {"gaid": "nope", **INSTANCE}}, "events[1].device.gaid"),
        ({"device": {}}, "events[1].device"),
        (
            {"type": "install", "device": {"gaid": "38400000-8cf0-11bd-b23e-10b96e40000d"}},
            "events[1].device.instance_id",
        ),
        ({"type": "custom"}, "events[1].name"),
        ({"type": "purchase"}, "events[1].revenue"),
        ({"type": "purchase", "revenue": "-1", "currency": "USD"}, "events[1].revenue"),
        ({"type": "purchase", "revenue": "1"}, "events[1].currency"),
        ({"type": "purchase", "revenue": "1", "currency": "XQQ"}, "events[1].currency"),
        ({"ip": "300.1.1.1"}, "events[1].ip"),
        ({"params": {"p": "x" * 2000}}, "events[1].params.p"),
        ({"type": "purchase", "revenue": "1e10", "currency": "USD"}, "events[1].revenue"),
        ({"type": "custom", "name": "a\x00b"}, "events[1].name"),
        ({"device": {"instance_id": "i\x00"}}, "events[1].device.instance_id"),
        ({"params": {"p": "\x00"}}, "events[1].params.p"),
        ({"params": {"\x00": "v"}}, "events[1].params.\\u0000"),
    ],
)
def test_invalid_event_names_index_and_field(event, field):
    good = {"event_id": "ok", "type": "launch", "device": INSTANCE}
    bad = {"event_id": "bad", "type": "launch", "device": INSTANCE, **event}
    with pytest.raises(DomainError) as e:
        _events(good, bad)
    assert e.value.field == field


def test_zeroed_advertising_id_from_the_sdk_is_dropped():
    (e,) = _events(
        {
            "event_id": "e",
            "type": "launch",
            "device": {"idfa": "00000000-0000-0000-0000-000000000000", **INSTANCE},
        }
    )
    assert e.device == INSTANCE


def test_revenue_decodes_exactly_from_json_numbers_and_strings():
    decoder = msgspec.json.Decoder(list[EventIn])
    body = (
        b'[{"event_id": "a", "type": "purchase", "revenue": 0.1000000000000000055511151231, '
        b'"currency": "USD", "device": {"instance_id": "i"}},'
        b' {"event_id": "b", "type": "purchase", "revenue": "4.99", "currency": "USD",'
        b' "device": {"instance_id": "i"}}]'
    )
    a, b = build_events(
        decoder.decode(body), app_id="x", received=NOW, source="sdk", ip=None, ua=None
    )
    assert a.revenue == Decimal("0.1000000000000000055511151231")
    assert b.revenue == Decimal("4.99")
    with pytest.raises(msgspec.ValidationError, match=r"\$\[0\]\.revenue"):
        decoder.decode(b'[{"event_id": "a", "type": "purchase", "revenue": "abc"}]')

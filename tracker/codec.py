"""msgspec msgpack transcoder for the event store.

msgpack restores tz-aware datetimes natively (timestamp extension). UUID, Decimal and date
would come back as plain strings when decoded untyped, so they travel as extension types.
Tuples come back as lists.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID

import msgspec
from eventsourcing.persistence import Transcoder

T = TypeVar("T")

_EXT_UUID = 1
_EXT_DECIMAL = 2
_EXT_DATE = 3


def _tag(obj: Any) -> Any:
    kind = type(obj)
    if kind is dict:
        return {k: _tag(v) for k, v in obj.items()}
    if kind is list or kind is tuple:
        return [_tag(v) for v in obj]
    if kind is UUID:
        return msgspec.msgpack.Ext(_EXT_UUID, obj.bytes)
    if kind is Decimal:
        return msgspec.msgpack.Ext(_EXT_DECIMAL, str(obj).encode())
    if kind is date:
        return msgspec.msgpack.Ext(_EXT_DATE, obj.isoformat().encode())
    if kind is datetime and obj.tzinfo is None:
        raise TypeError("naive datetime in an event: times in events are UTC-aware")
    return obj


def _ext_hook(code: int, data: memoryview) -> Any:
    if code == _EXT_UUID:
        return UUID(bytes=bytes(data))
    if code == _EXT_DECIMAL:
        return Decimal(bytes(data).decode())
    if code == _EXT_DATE:
        return date.fromisoformat(bytes(data).decode())
    raise ValueError(f"unknown msgpack extension {code}")


class MsgpackTranscoder(Transcoder):
    def __init__(self) -> None:
        self._encoder = msgspec.msgpack.Encoder()
        self._decoder = msgspec.msgpack.Decoder(ext_hook=_ext_hook)

    def encode(self, obj: Any) -> bytes:
        return self._encoder.encode(_tag(obj))

    def encode_native(self, obj: Any) -> bytes:
        """Encode without the tagging walk, for hot paths whose values are all msgpack-native
        (str, int, bool, None, dict, list, aware datetime) or already wrapped by ``ext_*``."""
        return self._encoder.encode(obj)

    def decode(self, data: bytes) -> Any:
        return self._decoder.decode(data)

    def decoder_of(self, kind: type[T]) -> Callable[[bytes], T]:
        """Decode what ``encode`` made of an object into ``kind``, a msgspec Struct naming some
        of its fields (the others are skipped)."""
        return msgspec.msgpack.Decoder(kind, ext_hook=_ext_hook).decode


def ext_decimal(value: Decimal) -> msgspec.msgpack.Ext:
    return msgspec.msgpack.Ext(_EXT_DECIMAL, str(value).encode())


def ext_uuid(value: UUID) -> msgspec.msgpack.Ext:
    return msgspec.msgpack.Ext(_EXT_UUID, value.bytes)

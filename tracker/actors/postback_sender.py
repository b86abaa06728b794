"""The postback sender: plans the postbacks of attributed events, sends what is due over
HTTP, and records every attempt as an event. At least once: an attempt is recorded after it
is made, so a crash in between sends it again, with the same ``mt_postback_id``."""

from __future__ import annotations

import ipaddress
import logging
import ssl
from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import httpx
import trio

from tracker.domain.errors import DomainError
from tracker.domain.postbacks import (
    TIMEOUT_SECONDS,
    PostbackAttempted,
    attempt_id,
    next_due,
)
from tracker.domain.rules import check_url
from tracker.plugin_types import DeliveryOutcome, PostbackRequest, PostbackResponse
from tracker.services.postbacks import Due, PostbackService

log = logging.getLogger(__name__)

RESPONSE_KEPT = 2048  # characters of an answer kept in the attempt event
ANSWER_KEPT_BYTES = 65536  # bytes of an answer read for the partner's classify hook
RECORD_BATCH = 500


def is_private(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


async def resolve(host: str, port: int) -> list[str]:
    infos = await trio.socket.getaddrinfo(host, port, type=trio.socket.SOCK_STREAM)
    return [info[4][0] for info in infos]


async def _first_bytes(response: httpx.Response, limit: int) -> bytes:
    kept = bytearray()
    async for chunk in response.aiter_bytes():
        kept += chunk
        if len(kept) >= limit:
            break
    return bytes(kept[:limit])


class PostbackClient:
    """Performs postback requests: the private-address rule, the timeout, a bounded number of
    requests at once per receiving host, and the plugins' reading of the answer."""

    def __init__(
        self,
        service: PostbackService,
        *,
        allow_private: bool = False,
        concurrency: int = 256,
        host_concurrency: int = 64,
        timeout_seconds: float = TIMEOUT_SECONDS,
        transport: httpx.AsyncBaseTransport | None = None,
        resolver: Callable[[str, int], Awaitable[list[str]]] = resolve,
    ) -> None:
        self._service = service
        self._allow_private = allow_private
        self._concurrency = max(1, concurrency)
        self._host_concurrency = max(1, host_concurrency)
        self._timeout = timeout_seconds
        self._transport = transport
        self._resolve = resolver
        self._hosts: dict[str, trio.CapacityLimiter] = {}
        self._idle: dict[str, list[httpx.AsyncClient]] = {}
        self._tls = ssl.create_default_context()  # one for every client: each costs ~1 MB

    def _take(self, host: str) -> httpx.AsyncClient:
        idle = self._idle.get(host)
        if idle:
            return idle.pop()
        # One connection per client: httpx's pool slows down sharply with many requests in
        # flight on one client (docs/performance.md), so a host gets a stack of clients.
        return httpx.AsyncClient(
            timeout=self._timeout,
            transport=self._transport,
            follow_redirects=False,
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
            verify=self._tls,
        )

    def _give_back(self, host: str, client: httpx.AsyncClient) -> None:
        self._idle.setdefault(host, []).append(client)

    async def aclose(self) -> None:
        idle, self._idle = self._idle, {}
        for clients in idle.values():
            for client in clients:
                await client.aclose()

    async def perform(
        self, request: PostbackRequest, partner_id: str | None = None
    ) -> tuple[int | None, str, DeliveryOutcome]:
        """Send one request under the timeout: (status, body, outcome). Never raises: a URL
        no request can be made to, or anything else that goes wrong, is a failed outcome
        that says why."""
        try:
            return await self._perform(request, partner_id)
        except Exception as e:
            log.exception("postback request to %r failed unexpectedly", request.url)
            return None, "", DeliveryOutcome(verdict="failed", reason=f"cannot send: {e!r}")

    async def _perform(
        self, request: PostbackRequest, partner_id: str | None
    ) -> tuple[int | None, str, DeliveryOutcome]:
        try:
            # The URL rule of the API (a rendered URL may be longer than a configured one).
            check_url("url", request.url, max_length=None)
        except DomainError as e:
            return None, "", DeliveryOutcome(verdict="failed", reason=f"invalid URL: {e.detail}")
        url = urlsplit(request.url)
        host = url.hostname or ""
        refused = await self._refused(host, url.port or (443 if url.scheme == "https" else 80))
        if refused is not None:
            return None, "", refused
        limiter = self._hosts.setdefault(host, trio.CapacityLimiter(self._host_concurrency))
        response = None
        body = b""
        try:
            async with limiter:
                client = self._take(host)
                # httpx's timeout bounds each read, not the request: a receiver trickling its
                # answer a byte at a time would hold the attempt for as long as it likes.
                with trio.move_on_after(self._timeout):
                    try:
                        async with client.stream(
                            request.method,
                            request.url,
                            headers=request.headers,
                            content=request.body.encode() if request.body is not None else None,
                        ) as streamed:
                            # only the start of a long answer is kept, and read
                            body = await _first_bytes(streamed, ANSWER_KEPT_BYTES)
                        response = streamed
                    finally:
                        if response is not None:
                            self._give_back(host, client)
                        else:  # cut off or failed midway: its connection is not reused
                            with trio.CancelScope(shield=True):
                                await client.aclose()
        except httpx.TimeoutException:
            return None, "", DeliveryOutcome(verdict="retry", reason="timeout")
        except httpx.HTTPError as e:
            return None, "", DeliveryOutcome(verdict="retry", reason=f"network error: {e!r}")
        if response is None:
            return None, "", DeliveryOutcome(verdict="retry", reason="timeout")
        answer = PostbackResponse(
            status=response.status_code,
            body=body.decode(response.encoding or "utf-8", errors="replace"),
            headers=dict(response.headers),
        )
        outcome = self._service.classify(self._service.partner(partner_id), request, answer)
        return response.status_code, answer.body, outcome

    async def _refused(self, host: str, port: int) -> DeliveryOutcome | None:
        if self._allow_private:
            return None
        try:
            addresses = [str(ipaddress.ip_address(host.strip("[]")))]
        except ValueError:
            addresses = None
            try:
                with trio.move_on_after(self._timeout):
                    addresses = await self._resolve(host, port)
            except OSError as e:
                return DeliveryOutcome(verdict="retry", reason=f"cannot resolve {host}: {e}")
            if addresses is None:
                return DeliveryOutcome(verdict="retry", reason=f"cannot resolve {host}: timeout")
        private = [a for a in addresses if is_private(a)]
        if private:
            return DeliveryOutcome(
                verdict="failed",
                reason=f"refused: {host} is a loopback or private address ({private[0]}); "
                "set TRACKER_POSTBACK_ALLOW_PRIVATE=1 to allow",
            )
        return None


class PostbackSenderActor:
    """Runs in ``tracker serve`` and ``tracker worker``: one per deployment (see
    docs/postbacks.md). ``tick`` is one whole round (plan, send what is due, record), for
    tests and the bench; ``run`` pipelines the same steps."""

    def __init__(
        self,
        service: PostbackService,
        *,
        clock: Callable[[], datetime],
        allow_private: bool = False,
        concurrency: int = 256,
        host_concurrency: int = 64,
        poll_seconds: float = 1.0,
        timeout_seconds: float = TIMEOUT_SECONDS,
        transport: httpx.AsyncBaseTransport | None = None,
        resolver: Callable[[str, int], Awaitable[list[str]]] = resolve,
        run_sync: Callable[..., Awaitable[Any]] = trio.to_thread.run_sync,
    ) -> None:
        self.service = service
        self.client = PostbackClient(
            service,
            allow_private=allow_private,
            concurrency=concurrency,
            host_concurrency=host_concurrency,
            timeout_seconds=timeout_seconds,
            transport=transport,
            resolver=resolver,
        )
        self._clock = clock
        self._concurrency = max(1, concurrency)
        self._poll = poll_seconds
        self._run_sync = run_sync
        self._store = trio.CapacityLimiter(1)
        self._in_flight: set[str] = set()
        self._wakeup = trio.Event()

    def wake(self) -> None:
        self._wakeup.set()

    async def aclose(self) -> None:
        await self.client.aclose()

    async def _blocking(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await self._run_sync(partial(fn, *args), limiter=self._store)

    # -- one round, for tests and the bench ---------------------------------------------------

    async def tick(self) -> list[PostbackAttempted]:
        """Plan, make every due attempt (waiting for all of them), record them."""
        now = self._clock()
        await self._blocking(self.service.plan, now)
        due = await self._blocking(self.service.due, now, self._concurrency)
        attempts: list[PostbackAttempted] = []

        async def one(d: Due) -> None:
            attempts.append(await self.attempt(d))

        async with trio.open_nursery() as nursery:
            for d in due:
                nursery.start_soon(one, d)
        await self._blocking(self.service.record, attempts)
        await self._blocking(self.service.refresh)
        return attempts

    # -- the actor -----------------------------------------------------------------------------

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        send, receive = trio.open_memory_channel[PostbackAttempted](self._concurrency)
        try:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(self._record_loop, receive)
                task_status.started()
                while True:
                    self._wakeup = trio.Event()
                    try:
                        await self._round(nursery, send)
                    except Exception:
                        log.exception("postback round failed; trying again")
                    with trio.move_on_after(self._poll):
                        await self._wakeup.wait()
        finally:
            with trio.CancelScope(shield=True):
                await self.aclose()

    async def _round(self, nursery: trio.Nursery, send: trio.MemorySendChannel) -> None:
        now = self._clock()
        await self._blocking(self.service.plan, now)
        room = self._concurrency - len(self._in_flight)
        if room <= 0:
            return
        due = await self._blocking(self.service.due, now, room, set(self._in_flight))
        for d in due:
            self._in_flight.add(d.delivery_id)
            nursery.start_soon(self._deliver, d, send)

    async def _deliver(self, due: Due, send: trio.MemorySendChannel) -> None:
        try:
            attempted = await self.attempt(due)
        except Exception:
            # Not made: it stays due. Raising here would end every task of the nursery.
            log.exception("postback %s not attempted", due.delivery_id)
            self._in_flight.discard(due.delivery_id)
            return
        await send.send(attempted)

    async def _record_loop(self, receive: trio.MemoryReceiveChannel) -> None:
        async with receive:
            async for first in receive:
                batch = [first]
                while len(batch) < RECORD_BATCH:
                    try:
                        batch.append(receive.receive_nowait())
                    except trio.WouldBlock:
                        break
                try:
                    await self._blocking(self.service.record, batch)
                    await self._blocking(self.service.refresh)
                except Exception:
                    # Not recorded: the delivery stays due and is tried again (at least once).
                    log.exception("%d postback attempts not recorded", len(batch))
                for a in batch:
                    self._in_flight.discard(a.delivery_id)
                self.wake()

    # -- one attempt ---------------------------------------------------------------------------

    async def attempt(self, due: Due) -> PostbackAttempted:
        """Make one attempt and say how it went; a request that cannot even be built (a
        plugin's error) is a failed attempt too."""
        try:
            request = self.service.request_for(due)
        except Exception as e:
            log.exception("postback %s: request not built", due.delivery_id)
            request = PostbackRequest(method=due.template.method, url=due.template.url)
            failed = DeliveryOutcome(verdict="failed", reason=f"cannot build the request: {e!r}")
            return self._attempted(due, request, self._clock(), None, "", failed)
        at = self._clock()
        status, body, outcome = await self.client.perform(request, due.hook_partner_id)
        return self._attempted(due, request, at, status, body, outcome)

    def _attempted(
        self,
        due: Due,
        request: PostbackRequest,
        at: datetime,
        status: int | None,
        body: str,
        outcome: DeliveryOutcome,
    ) -> PostbackAttempted:
        verdict, reason = outcome.verdict, outcome.reason
        next_at = None
        if verdict == "retry":
            next_at = next_due(due.first_attempt_at or at, due.attempt, at)
            if next_at is None:
                verdict, reason = "failed", f"{reason}; gave up after 24 hours of retries"
        return PostbackAttempted(
            originator_id=attempt_id(due.delivery_id, due.attempt),
            originator_version=1,
            timestamp=at,
            delivery_id=due.delivery_id,
            attempt=due.attempt,
            at=at,
            method=request.method,
            url=request.url,
            status=status,
            verdict=verdict,
            reason=reason,
            response=body[:RESPONSE_KEPT],
            next_due_at=next_at,
        )

"""Postback throughput to a local receiver that answers every request after ``--delay`` s.

Queues ``--postbacks`` postbacks (``PostbackQueued`` events on the attribution stream, as the
planner writes them), runs the ``PostbackSenderActor`` as ``tracker worker`` runs it, and
prints the postbacks delivered per second, from the first attempt to the last recorded one,
with the process's peak RSS. The baseline is a bare httpx client sending the same number of
requests to the same receiver at the same concurrency, in the same run.

    .venv/bin/python -m bench.postbacks --postbacks 20000 --delay 0.1

The receiver runs in a child process (trio + h11), so it does not share the sender's core.
Run twice with different ``--postbacks`` to see that memory does not grow with the backlog.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import ssl
import tempfile
import time
from datetime import UTC, datetime
from uuid import uuid4

import httpx
import trio

from tests.receiver import Receiver
from tracker.actors.postback_sender import PostbackSenderActor
from tracker.bootstrap import bootstrap, settle_heap_for_serving
from tracker.domain.postbacks import PostbackQueued
from tracker.settings import load_settings


def serve_receiver(delay: float, port_out: multiprocessing.connection.Connection) -> None:
    async def main() -> None:
        receiver = Receiver(delay=delay)
        async with trio.open_nursery() as nursery:
            await receiver.start(nursery)
            port_out.send(receiver.port)
            await trio.sleep_forever()

    trio.run(main)


def queue(tracker, url: str, n: int) -> None:
    app = tracker.stores.attribution
    now = datetime.now(UTC)
    template = {"url": url + "/pb?id={mt_postback_id}", "method": "GET"}
    batch = []
    for i in range(n):
        id_ = uuid4()
        batch.append(
            PostbackQueued(
                originator_id=id_,
                originator_version=1,
                timestamp=now,
                source_id=f"bench-{i}",
                receiver="postback:bench",
                partner_id=None,
                postback_config_id="bench",
                app_id="bench",
                event_type="install",
                template=template,
                values={"mt_postback_id": str(id_)},
                due_at=now,
            )
        )
        if len(batch) == 1000:
            app.recorder.insert_events([app.mapper.to_stored_event(e) for e in batch])
            batch = []
    if batch:
        app.recorder.insert_events([app.mapper.to_stored_event(e) for e in batch])


def delivered(tracker) -> int:
    with tracker.views.read("outbox") as view:
        [row] = view.table("deliveries").sum(("attempts",), where={"state": "delivered"})
    return row["attempts"]


async def bare(url: str, n: int, concurrency: int) -> float:
    """httpx alone, as the sender uses it: one single-connection client per request in
    flight, kept alive."""
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    tls = ssl.create_default_context()
    clients = [httpx.AsyncClient(limits=limits, timeout=30, verify=tls) for _ in range(concurrency)]
    remaining = iter(range(n))
    start = time.perf_counter()

    async def worker(client: httpx.AsyncClient) -> None:
        for i in remaining:
            r = await client.get(f"{url}/pb?id=bare-{i}")
            assert r.status_code == 200

    async with trio.open_nursery() as nursery:
        for client in clients:
            nursery.start_soon(worker, client)
    rate = n / (time.perf_counter() - start)
    for client in clients:
        await client.aclose()
    return rate


async def sender(tracker, n: int, concurrency: int) -> float:
    actor = PostbackSenderActor(
        tracker.postbacks,
        clock=lambda: datetime.now(UTC),
        allow_private=True,
        concurrency=concurrency,
        host_concurrency=concurrency,
        poll_seconds=0.05,
    )
    await trio.to_thread.run_sync(tracker.postbacks.refresh)
    start = time.perf_counter()
    async with trio.open_nursery() as nursery:
        await nursery.start(actor.run)
        while await trio.to_thread.run_sync(delivered, tracker) < n:
            await trio.sleep(0.05)
        elapsed = time.perf_counter() - start
        nursery.cancel_scope.cancel()
    return n / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postbacks", type=int, default=20000)
    parser.add_argument("--delay", type=float, default=0.1)
    parser.add_argument("--concurrency", type=int, default=512)
    args = parser.parse_args()

    ours, theirs = multiprocessing.Pipe()
    child = multiprocessing.Process(target=serve_receiver, args=(args.delay, theirs), daemon=True)
    child.start()
    url = f"http://127.0.0.1:{ours.recv()}"
    with tempfile.TemporaryDirectory(prefix="bench-postbacks-") as tmp:
        tracker = bootstrap(load_settings({}, data_dir=tmp), load_entry_points=False)
        try:
            queue(tracker, url, args.postbacks)
            # As `tracker worker` and `tracker serve` do once started.
            settle_heap_for_serving()
            base = trio.run(bare, url, args.postbacks, args.concurrency)
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            rate = trio.run(sender, tracker, args.postbacks, args.concurrency)
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        finally:
            tracker.close()
    child.terminate()
    print(
        f"postbacks {args.postbacks}, receiver delay {args.delay * 1000:.0f} ms, "
        f"concurrency {args.concurrency}"
    )
    print(f"bare httpx client:  {base:8.0f} requests/s")
    print(f"postback sender:    {rate:8.0f} postbacks/s (ratio {rate / base:.2f})")
    print(f"peak RSS: {rss:.0f} MiB (before the sender ran: {rss_before:.0f} MiB)")


if __name__ == "__main__":
    main()

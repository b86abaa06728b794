"""The postback sender end to end: an attributed install and a purchase reach a real local
HTTP receiver, at least once, retried on 5xx with backoff (time from an injected clock),
across a restart, never to a private address unless allowed."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import trio

from tests.attribution_world import World, world_with_postback
from tests.receiver import Receiver, signed_get
from tracker import DeliveryOutcome, PartnerSpec, PostbackRequest, PostbackTemplate, hookimpl
from tracker.actors.postback_sender import PostbackSenderActor
from tracker.bootstrap import Tracker, bootstrap
from tracker.domain.catalog.postbacks import Postback
from tracker.replay import replay

GAID = "38400000-8CF0-11BD-B23E-10B96E40000D"


def _install(world: World, app_id: str, code: str, clock) -> str:
    world.touch(code, clock() - timedelta(minutes=5), params={"clickId": "abc 1"}, gaid=GAID)
    install = world.sdk(app_id, "install", clock(), instance_id="i1", gaid=GAID)
    world.tracker.attribution.refresh_touchpoints()
    world.tracker.attribution.handle(install)
    return str(install.originator_id)


def _sender(tracker: Tracker, clock, **options) -> PostbackSenderActor:
    return PostbackSenderActor(
        tracker.postbacks, clock=clock, allow_private=options.pop("allow_private", True), **options
    )


async def test_a_postback_fails_twice_then_is_delivered_once_with_one_postback_id(tracker, clock):
    answers = iter([(503, b"busy"), (500, b"oops"), (200, b"ok")])
    receiver = Receiver(answer=lambda _: next(answers))
    with trio.fail_after(30):
        async with trio.open_nursery() as nursery:
            url = await receiver.start(nursery)
            world, app_id, code = world_with_postback(
                tracker, url + "/pb?click={clickId}&gaid={mt_gaid_lc}&id={mt_postback_id}"
            )
            _install(world, app_id, code, clock)
            sender = _sender(tracker, clock)
            [first] = await sender.tick()
            assert (first.verdict, first.status, first.attempt) == ("retry", 503, 1)
            assert first.next_due_at - first.at <= timedelta(minutes=1)
            assert await sender.tick() == []  # not due yet
            clock.now = first.next_due_at
            [second] = await sender.tick()
            assert (second.verdict, second.attempt) == ("retry", 2)
            assert second.next_due_at - second.at > first.next_due_at - first.at
            clock.now = second.next_due_at
            [third] = await sender.tick()
            assert (third.verdict, third.status) == ("delivered", 200)
            clock.advance(days=2)
            assert await sender.tick() == []
            await sender.aclose()
            nursery.cancel_scope.cancel()
    assert len(receiver.requests) == 3
    queries = [parse_qs(urlsplit(r.target).query) for r in receiver.requests]
    assert {q["id"][0] for q in queries} == {third.delivery_id}
    assert queries[0]["click"] == ["abc 1"]
    assert queries[0]["gaid"] == [GAID.lower()]
    rows = tracker.postbacks.attempts()
    assert [(r["attempt"], r["verdict"]) for r in rows] == [
        (1, "retry"),
        (2, "retry"),
        (3, "delivered"),
    ]


async def test_queued_and_retrying_postbacks_survive_a_restart(settings, clock):
    answers = iter([(502, b""), (200, b"ok")])
    receiver = Receiver(answer=lambda _: next(answers))
    with trio.fail_after(30):
        async with trio.open_nursery() as nursery:
            url = await receiver.start(nursery)
            tracker = bootstrap(settings, clock=clock)
            try:
                world, app_id, code = world_with_postback(tracker, url + "/pb?id={mt_postback_id}")
                _install(world, app_id, code, clock)
                sender = _sender(tracker, clock)
                [first] = await sender.tick()
                await sender.aclose()
            finally:
                tracker.close()
            assert first.verdict == "retry"

            again = bootstrap(settings, clock=clock)  # a new process on the same store
            try:
                clock.now = first.next_due_at
                sender = _sender(again, clock)
                [second] = await sender.tick()
                assert await sender.tick() == []
                await sender.aclose()
            finally:
                again.close()
            nursery.cancel_scope.cancel()
    assert (second.verdict, second.attempt, second.delivery_id) == (
        "delivered",
        2,
        first.delivery_id,
    )
    ids = [parse_qs(urlsplit(r.target).query)["id"] for r in receiver.requests]
    assert ids == [[first.delivery_id], [first.delivery_id]]


async def test_a_private_address_is_refused_and_recorded_unless_allowed(tracker, clock):
    receiver = Receiver()
    with trio.fail_after(30):
        async with trio.open_nursery() as nursery:
            url = await receiver.start(nursery)
            world, app_id, code = world_with_postback(tracker, url + "/pb")
            _install(world, app_id, code, clock)
            sender = _sender(tracker, clock, allow_private=False)
            [refused] = await sender.tick()
            await sender.aclose()
            nursery.cancel_scope.cancel()
    assert refused.verdict == "failed"
    assert "private address" in refused.reason
    assert refused.status is None
    assert receiver.requests == []


async def test_a_4xx_is_not_retried(tracker, clock):
    receiver = Receiver(answer=lambda _: (404, b"no"))
    with trio.fail_after(30):
        async with trio.open_nursery() as nursery:
            url = await receiver.start(nursery)
            world, app_id, code = world_with_postback(tracker, url + "/pb")
            _install(world, app_id, code, clock)
            sender = _sender(tracker, clock)
            [failed] = await sender.tick()
            clock.advance(hours=1)
            assert await sender.tick() == []
            await sender.aclose()
            nursery.cancel_scope.cancel()
    assert (failed.verdict, failed.next_due_at) == ("failed", None)
    assert len(receiver.requests) == 1


async def test_organic_installs_reach_only_postbacks_for_all(tracker, clock):
    receiver = Receiver()
    with trio.fail_after(30):
        async with trio.open_nursery() as nursery:
            url = await receiver.start(nursery)
            world, app_id, _ = world_with_postback(tracker, url + "/attributed")
            tracker.catalog_service.configure_postback(
                title="All installs",
                event="install",
                event_name=None,
                partner_id=None,
                campaign_id=None,
                app_id=app_id,
                mode="all",
                method="POST",
                url=url + "/all",
                body='{"event": "{mt_event_type}", "id": "{mt_postback_id}"}',
            )
            tracker.refresh_directory()
            install = world.sdk(app_id, "install", clock(), instance_id="organic-1")
            tracker.attribution.handle(install)
            sender = _sender(tracker, clock)
            [attempt] = await sender.tick()
            await sender.aclose()
            nursery.cancel_scope.cancel()
    assert attempt.verdict == "delivered"
    [request] = receiver.requests
    assert (request.method, urlsplit(request.target).path) == ("POST", "/all")
    assert request.body == f'{{"event": "install", "id": "{attempt.delivery_id}"}}'.encode()


async def test_a_rebuilt_outbox_equals_the_live_one_and_sends_nothing_twice(tracker, clock):
    receiver = Receiver()
    with trio.fail_after(30):
        async with trio.open_nursery() as nursery:
            url = await receiver.start(nursery)
            world, app_id, code = world_with_postback(tracker, url + "/pb?id={mt_postback_id}")
            _install(world, app_id, code, clock)
            sender = _sender(tracker, clock)
            [delivered] = await sender.tick()
            tracker.update_views()
            report = replay(tracker)
            assert report.equal, report.summary()
            assert "outbox" in {v.name for v in report.views}

            tracker.views.drop("outbox")  # rebuilt from zero by the next round
            clock.advance(days=1)
            assert await sender.tick() == []
            await sender.aclose()
            nursery.cancel_scope.cancel()
    assert delivered.verdict == "delivered"
    assert len(receiver.requests) == 1
    assert [r["verdict"] for r in tracker.postbacks.attempts()] == ["delivered"]


async def test_a_postback_with_a_secret_arrives_signed(tracker, clock):
    receiver = Receiver()
    with trio.fail_after(30):
        async with trio.open_nursery() as nursery:
            url = await receiver.start(nursery)
            world, app_id, code = world_with_postback(
                tracker, url + "/pb?id={mt_postback_id}", secret="s" * 32
            )
            _install(world, app_id, code, clock)
            sender = _sender(tracker, clock)
            [attempt] = await sender.tick()
            await sender.aclose()
            nursery.cancel_scope.cancel()
    [got] = receiver.requests
    assert got.headers["x-tracker-signature"] == signed_get("s" * 32, attempt.url)
    assert got.headers["x-tracker-postback-id"] == attempt.delivery_id


class TokPlugin:
    """An integrated partner that builds its own requests (to its API) and reads its answers
    by its own rule: what an own postback filtered to it must not go through."""

    @hookimpl
    def tracker_register_partners(self) -> list[PartnerSpec]:
        return [PartnerSpec(id="tok", title="Tok", settings=("access_token",))]

    @hookimpl
    def tracker_build_postback(self, partner, template, values, secret):
        if partner is None or partner.id != "tok":
            return None
        return PostbackRequest(method="POST", url="https://api.tok.invalid/track", body="{}")

    @hookimpl
    def tracker_classify_response(self, partner, request, response):
        if partner is None or partner.id != "tok":
            return None
        return DeliveryOutcome(verdict="failed", reason="tok's rule")


async def test_an_own_postback_filtered_to_a_partner_is_not_that_partners_request(settings, clock):
    receiver = Receiver()
    tracker = bootstrap(settings, clock=clock, extra_plugins=[TokPlugin()])
    try:
        with trio.fail_after(30):
            async with trio.open_nursery() as nursery:
                url = await receiver.start(nursery)
                world, app_id, code = world_with_postback(
                    tracker, url + "/own?id={mt_postback_id}", partner_id="tok", secret="s" * 32
                )
                _install(world, app_id, code, clock)
                sender = _sender(tracker, clock)
                [attempt] = await sender.tick()
                await sender.aclose()
                nursery.cancel_scope.cancel()
        [row] = tracker.postbacks.attempts()
    finally:
        tracker.close()
    # Sent to its own URL, signed with its own secret, read by the default rule ...
    assert (attempt.verdict, attempt.reason) == ("delivered", "HTTP 200")
    [got] = receiver.requests
    assert urlsplit(got.target).path == "/own"
    assert got.headers["x-tracker-signature"] == signed_get("s" * 32, attempt.url)
    # ... and still the partner's delivery: its token lists it.
    assert row["partner_id"] == "tok"


async def test_an_answer_trickled_past_the_timeout_is_a_timeout_and_retried(tracker, clock):
    # Each byte comes well within the timeout; the whole answer would take 8 s.
    receiver = Receiver(answer=lambda _: (200, b"x" * 80), trickle=0.1)
    with trio.fail_after(30):
        async with trio.open_nursery() as nursery:
            url = await receiver.start(nursery)
            world, app_id, code = world_with_postback(tracker, url + "/pb")
            _install(world, app_id, code, clock)
            sender = _sender(tracker, clock, timeout_seconds=0.5)
            [attempt] = await sender.tick()
            await sender.aclose()
            nursery.cancel_scope.cancel()
    assert (attempt.verdict, attempt.reason, attempt.status) == ("retry", "timeout", None)
    assert attempt.next_due_at is not None
    assert len(receiver.requests) == 1


def stored_unchecked(tracker: Tracker, url: str, **fields) -> str:
    """A postback of every install to ``url`` written as its event, past the API's URL rule
    (as one stored before the rule was): its id."""
    postback = Postback(
        **{
            "title": "Stored before the rule",
            "event": "install",
            "event_name": None,
            "partner_id": None,
            "campaign_id": None,
            "app_id": None,
            "mode": "all",
            "method": "GET",
            "url": url,
            "body": None,
            **fields,
        }
    )
    tracker.stores.catalog.save(postback)
    tracker.refresh_directory()
    return str(postback.id)


async def _inline(fn, limiter=None):
    return fn()


BAD_URLS = ["http://example.com:99999/x", "http://a..b/x"]


async def test_a_stored_bad_url_is_a_failed_attempt_and_the_sender_keeps_running(tracker, clock):
    receiver = Receiver()
    recorded: list = []
    enough = trio.Event()
    want = [3]  # attempts to wait for
    record = tracker.postbacks.record

    def recording(batch):
        stored = record(batch)
        recorded.extend(batch)
        if len(recorded) >= want[0]:
            enough.set()
        return stored

    tracker.postbacks.record = recording  # type: ignore[method-assign]
    with trio.fail_after(30):
        async with trio.open_nursery() as nursery:
            url = await receiver.start(nursery)
            world, app_id, code = world_with_postback(tracker, url + "/good")
            bad = {stored_unchecked(tracker, u): u for u in BAD_URLS}
            _install(world, app_id, code, clock)
            # Store calls inline, so the test needs no thread (and no sleep) to wait on.
            sender = _sender(tracker, clock, run_sync=_inline, poll_seconds=60)
            await nursery.start(sender.run)
            await enough.wait()
            # Still running: the next install is planned and sent as well.
            want[0], enough = 6, trio.Event()
            world.touch(code, clock(), gaid="38400000-8cf0-11bd-b23e-10b96e400001")
            second = world.sdk(
                app_id,
                "install",
                clock(),
                instance_id="i2",
                gaid="38400000-8cf0-11bd-b23e-10b96e400001",
            )
            tracker.attribution.refresh_touchpoints()
            tracker.attribution.handle(second)
            sender.wake()
            await enough.wait()
            nursery.cancel_scope.cancel()
    by_url = {}
    for a in recorded:
        by_url.setdefault(a.url, []).append(a)
    assert [a.verdict for a in by_url[url + "/good"]] == ["delivered", "delivered"]
    for bad_url in BAD_URLS:
        attempts = by_url[bad_url]
        assert [(a.verdict, a.status, a.next_due_at) for a in attempts] == [
            ("failed", None, None)
        ] * 2
        assert attempts[0].reason.startswith("invalid URL: ")
    assert "port" in by_url[BAD_URLS[0]][0].reason
    assert "host name" in by_url[BAD_URLS[1]][0].reason
    assert len(receiver.requests) == 2
    clock.advance(days=1)
    assert tracker.postbacks.due(clock(), 10) == []  # nothing left to crash a restart
    rows = tracker.postbacks.attempts()
    assert {r["postback_config_id"] for r in rows if r["verdict"] == "failed"} == set(bad)


class BrokenPlugin:
    """An integrated partner whose plugin cannot build its request."""

    @hookimpl
    def tracker_register_partners(self) -> list[PartnerSpec]:
        return [
            PartnerSpec(
                id="broken",
                title="Broken",
                postbacks={"install": PostbackTemplate(url="https://broken.example/i")},
            )
        ]

    @hookimpl
    def tracker_build_postback(self, partner, template, values, secret):
        if partner is not None and partner.id == "broken":
            raise KeyError("access_token")
        return None


async def test_a_request_a_plugin_cannot_build_is_a_failed_attempt(settings, clock):
    tracker = bootstrap(settings, clock=clock, extra_plugins=[BrokenPlugin()])
    try:
        world = World(tracker)
        app_id = world.app()
        code = world.link(app_id, partner_id="broken")
        _install(world, app_id, code, clock)
        sender = _sender(tracker, clock)
        [attempt] = await sender.tick()
        await sender.aclose()
        assert (attempt.verdict, attempt.next_due_at) == ("failed", None)
        assert attempt.reason == "cannot build the request: KeyError('access_token')"
        assert attempt.url == "https://broken.example/i"
        assert tracker.postbacks.due(clock.advance(days=1), 10) == []
    finally:
        tracker.close()


async def test_only_the_start_of_a_long_answer_is_read_and_kept(tracker, clock):
    long_answer = b"x" * 3_000_000
    receiver = Receiver(answer=lambda _: (200, long_answer))
    with trio.fail_after(30):
        async with trio.open_nursery() as nursery:
            url = await receiver.start(nursery)
            world, app_id, code = world_with_postback(tracker, url + "/pb?id={mt_postback_id}")
            _install(world, app_id, code, clock)
            sender = _sender(tracker, clock)
            [attempt] = await sender.tick()
            status, body, _ = await sender.client.perform(
                PostbackRequest(method="GET", url=url + "/again")
            )
            await sender.aclose()
            nursery.cancel_scope.cancel()
    assert (attempt.verdict, attempt.status) == ("delivered", 200)
    assert attempt.response == "x" * 2048
    assert status == 200 and len(body) == 65536

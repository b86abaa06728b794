"""The composition root builds, per role, exactly the actors that role runs; a web process
and a worker process share only the store."""

from __future__ import annotations

import trio

from tests.web.ingest_support import served
from tests.web.test_attribution_api import GAID, _install, _sdk, _setup
from tracker.actors.attributor import AttributorActor
from tracker.actors.directory import DirectoryActor
from tracker.actors.ingest_writer import IngestWriterActor
from tracker.actors.postback_sender import PostbackSenderActor
from tracker.actors.projector import ProjectorActor
from tracker.bootstrap import Role, bootstrap, build_process


def _kinds(process) -> set[type]:
    return {type(a) for a in process.supervisor.actors}


def test_each_role_runs_exactly_its_actors(tracker):
    serve = build_process(tracker, Role.SERVE)
    assert _kinds(serve) == {
        DirectoryActor,
        ProjectorActor,
        PostbackSenderActor,
        IngestWriterActor,
        AttributorActor,
    }
    assert serve.web is not None and serve.web.owns_views
    assert serve.web.postback_client is serve.postback_sender.client  # one set of host limits

    web = build_process(tracker, Role.WEB)
    assert _kinds(web) == {DirectoryActor, IngestWriterActor, AttributorActor}
    assert web.projector is None
    assert web.web is not None and not web.web.owns_views

    worker = build_process(tracker, Role.WORKER)
    assert _kinds(worker) == {DirectoryActor, ProjectorActor, PostbackSenderActor}
    assert worker.ingest_writer is None and worker.attributor is None and worker.web is None


async def test_a_web_process_attributes_with_the_index_its_worker_keeps(tracker, settings, clock):
    with trio.fail_after(60):
        async with served(tracker, Role.WEB) as (client, _):
            s = await _setup(client)
            code, key = s["link"]["code"], s["app"]["sdk_key"]
            assert (await client.get(f"/c/{code}?mt_gaid={GAID}")).status_code == 302
            # The click is stored, but no web process writes the touchpoint index.
            assert tracker.views.position("touchpoints") == 0

            other = bootstrap(settings, clock=clock)  # the worker: its own process's objects
            worker = build_process(other, Role.WORKER)
            try:
                async with trio.open_nursery() as nursery:
                    await nursery.start(worker.supervisor.run)
                    clock.advance(minutes=3)
                    install = _install("e1", "inst-1", device={"gaid": GAID})
                    [result] = await _sdk(client, key, install)
                    await worker.supervisor.stop()
            finally:
                other.close()
    assert result["attribution"]["type"] == "click"
    assert result["attribution"]["link_code"] == code
    assert tracker.views.position("touchpoints") > 0

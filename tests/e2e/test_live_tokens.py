"""A token made with ``tracker token create`` while the server runs is accepted by that
server at once."""

from __future__ import annotations

import subprocess

import trio

from tests.e2e.server import free_port, server_env, serving, tracker_command
from tracker.settings import Settings


async def test_a_token_created_on_the_command_line_is_accepted_within_a_second(
    settings: Settings,
):
    with trio.fail_after(60):
        async with serving(settings) as (_, client):
            created = await trio.run_process(
                tracker_command("token", "create", "--role", "viewer"),
                env=server_env(settings, free_port()),
                capture_stdout=True,
                stderr=subprocess.DEVNULL,
            )
            token = created.stdout.decode().strip()
            headers = {"Authorization": f"Bearer {token}"}
            statuses = []
            with trio.fail_after(1):
                while True:
                    r = await client.get("/api/v1/apps", headers=headers)
                    statuses.append(r.status_code)
                    if r.status_code == 200:
                        break
                    await trio.sleep(0.05)
    assert set(statuses) <= {401, 200}

"""The quart-trio application factory."""

from __future__ import annotations

import trio
from quart import Response
from quart_schema import QuartSchema, document_response
from quart_trio import QuartTrio

from tracker.bootstrap import Process
from tracker.web.answers import HealthOut
from tracker.web.api import api
from tracker.web.attribution_api import attribution_api
from tracker.web.errors import install_error_handlers
from tracker.web.fx_api import fx_api
from tracker.web.ingest_api import ingest_api
from tracker.web.openapi import TrackerOpenAPIProvider
from tracker.web.postbacks_api import postbacks_api
from tracker.web.reports_api import reports_api
from tracker.web.responses import json_response

MAX_BODY_BYTES = 1024 * 1024
RECENT_FAILURE_SECONDS = 300.0


def create_app(process: Process) -> QuartTrio:
    """The HTTP face of a process that serves HTTP; its actors start and stop with it."""
    if process.web is None:
        raise ValueError(f"a {process.role} process serves no HTTP")
    app = QuartTrio("tracker")
    app.config["SERVICES"] = process.web
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    # The supervisor's own grace for draining comes first; this bounds it from outside.
    app.config["BACKGROUND_TASK_SHUTDOWN_TIMEOUT"] = process.supervisor.grace_seconds + 2
    QuartSchema(
        app,
        openapi_path="/openapi.json",
        swagger_ui_path="/docs",
        redoc_ui_path=None,
        scalar_ui_path=None,
        conversion_preference="msgspec",
        info={"title": "tracker", "version": "1"},
        openapi_provider_class=TrackerOpenAPIProvider,
    )
    install_error_handlers(app)
    app.register_blueprint(api)
    app.register_blueprint(ingest_api)
    app.register_blueprint(attribution_api)
    app.register_blueprint(postbacks_api)
    app.register_blueprint(reports_api)
    app.register_blueprint(fx_api)
    supervisor = process.supervisor

    @app.get("/healthz")
    @document_response(HealthOut)
    async def healthz() -> Response:
        """200 while the process serves; ``degraded`` names the actors that failed within the
        last ``RECENT_FAILURE_SECONDS`` (each is restarted; docs/deployment.md)."""
        now = trio.current_time()
        failing = {
            name: f"{f.error} ({f.count} failures)"
            for name, f in supervisor.failures.items()
            if now - f.at < RECENT_FAILURE_SECONDS
        }
        if failing:
            return json_response({"status": "degraded", "failing": failing})
        return json_response({"status": "ok"})

    @app.before_serving
    async def start_actors() -> None:
        await app.nursery.start(supervisor.run)

    @app.after_serving
    async def stop_actors() -> None:
        await supervisor.stop()

    return app

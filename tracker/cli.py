"""``tracker serve | web | worker | release | token | replay | partners | report``."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from datetime import date

import trio

from tracker.domain.catalog.vocabulary import TOKEN_ROLES
from tracker.settings import Settings, load_settings


def _serve(settings: Settings, role: str) -> None:
    from hypercorn.config import Config
    from hypercorn.trio import serve

    from tracker.bootstrap import Role, bootstrap, settle_heap_for_serving
    from tracker.web.asgi import build_asgi

    tracker = bootstrap(settings)
    asgi = build_asgi(tracker, Role(role))
    settle_heap_for_serving()
    config = Config()
    config.bind = [f"{settings.host}:{settings.port}"]
    config.accesslog = None
    config.graceful_timeout = 5
    logging.getLogger("hypercorn.error").propagate = False  # hypercorn has its own handler

    async def main() -> None:
        stop = trio.Event()

        async def on_signals() -> None:
            with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
                async for _ in signals:
                    stop.set()
                    return

        async with trio.open_nursery() as nursery:
            nursery.start_soon(on_signals)
            print(
                f"tracker serving on http://{settings.host}:{settings.port} "
                f"({'PostgreSQL' if settings.uses_postgres else 'SQLite in ' + settings.data_dir})",
                flush=True,
            )
            await serve(asgi, config, shutdown_trigger=stop.wait)
            nursery.cancel_scope.cancel()

    try:
        trio.run(main)
    finally:
        tracker.close()


def _token(settings: Settings, args: argparse.Namespace) -> int:
    from tracker.bootstrap import bootstrap
    from tracker.domain.errors import DomainError

    tracker = bootstrap(settings)
    service = tracker.catalog_service
    try:
        if args.token_command == "revoke":
            service.revoke_token(args.token_id)
            print(f"revoked {args.token_id}")
            return 0
        token = service.issue_token(role=args.role, partner_id=args.partner, label=args.label)
    except DomainError as e:
        print(f"error: {e.field}: {e.detail}", file=sys.stderr)
        return 2
    finally:
        tracker.close()
    print(token)
    return 0


def _replay(settings: Settings, args: argparse.Namespace) -> int:
    from tracker.bootstrap import bootstrap, settle_heap_for_serving
    from tracker.replay import replay

    tracker = bootstrap(settings)
    settle_heap_for_serving()
    try:
        report = replay(tracker, progress=not args.quiet)
    finally:
        tracker.close()
    print(report.summary())
    return 0 if report.equal else 1


def _partners() -> int:
    from tracker.plugin_manager import build_plugin_manager, loaded_plugins, plugin_partners

    plugins = build_plugin_manager()
    print("plugins:")
    for name, source in loaded_plugins(plugins):
        print(f"  {name}: {source}")
    print("partners:")
    for spec in plugin_partners(plugins).values():
        events = ", ".join(spec.supported_events) or "no postbacks"
        print(f"  {spec.id} ({spec.kind}): {spec.title}; events: {events}")
    return 0


REPORT_FILTERS = ("app_id", "campaign_id", "partner_id", "link_code")
REPORT_FIELDS = ("tz", "currency", "dimensions", "metrics", *REPORT_FILTERS)


def _day(field: str, value: str) -> date:
    from tracker.domain.errors import DomainError

    try:
        return date.fromisoformat(value)
    except ValueError:
        raise DomainError(field, f"{value!r} is not a date (YYYY-MM-DD)") from None


def _report(settings: Settings, args: argparse.Namespace) -> int:
    import msgspec

    from tracker.bootstrap import bootstrap
    from tracker.domain.errors import DomainError
    from tracker.services.reports import report_csv, report_query, report_table

    given = {k: v for k, v in vars(args).items() if v is not None}
    fields = {k: given[k] for k in REPORT_FIELDS if k in given}
    try:
        query = report_query(start=_day("from", args.from_), end=_day("to", args.to), **fields)
    except DomainError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    tracker = bootstrap(settings)
    try:
        tracker.reports.catch_up()
        built = tracker.reports.report(query)
    except DomainError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    finally:
        tracker.close()
    if args.format == "csv":
        print(report_csv(built, query), end="")
    elif args.format == "json":
        print(msgspec.json.encode(built).decode())
    else:
        print(report_table(built, query))
    return 0


def _release(settings: Settings) -> int:
    from tracker.bootstrap import bootstrap

    bootstrap(settings).close()  # creating the Applications and views creates their tables
    print("tables ready")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tracker", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the whole tracker in one process")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    web = sub.add_parser("web", help="run only ingest and the API (scale-out: many of these)")
    web.add_argument("--host")
    web.add_argument("--port", type=int)
    sub.add_parser("worker", help="run only the background actors (projections)")
    sub.add_parser("release", help="create the store's tables and exit")
    sub.add_parser("partners", help="list the loaded plugins and the partners they bring")
    report = sub.add_parser("report", help="a report, as GET /api/v1/reports answers it")
    report.add_argument("--from", dest="from_", required=True, help="first day, YYYY-MM-DD")
    report.add_argument("--to", required=True, help="last day (inclusive), YYYY-MM-DD")
    report.add_argument("--tz", help="IANA time zone (default UTC)")
    report.add_argument("--currency", help="ISO 4217 (default USD)")
    report.add_argument("--dimensions", help="e.g. day,campaign")
    report.add_argument("--metrics", help="e.g. clicks,installs,campaign_cost,roi")
    for name in REPORT_FILTERS:
        report.add_argument(f"--{name.replace('_', '-')}", dest=name)
    report.add_argument("--format", choices=["table", "csv", "json"], default="table")
    token = sub.add_parser("token", help="manage API tokens")
    token_sub = token.add_subparsers(dest="token_command", required=True)
    create = token_sub.add_parser("create", help="print a new token once")
    create.add_argument("--role", choices=TOKEN_ROLES, required=True)
    create.add_argument("--partner", help="partner id (partner tokens)")
    create.add_argument("--label", default="cli")
    revoke = token_sub.add_parser("revoke", help="revoke a token by its id (GET /api/v1/tokens)")
    revoke.add_argument("token_id")
    replay = sub.add_parser("replay", help="rebuild every projection and compare with the live one")
    replay.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    overrides = {
        k: v
        for k, v in (("host", getattr(args, "host", None)), ("port", getattr(args, "port", None)))
        if v
    }
    settings = load_settings(**overrides)
    if args.command == "serve":
        _serve(settings, "serve")
        return 0
    if args.command == "web":
        _serve(settings, "web")
        return 0
    if args.command == "worker":
        from tracker.worker import run_worker

        run_worker(settings)
        return 0
    if args.command == "release":
        return _release(settings)
    if args.command == "partners":
        return _partners()
    if args.command == "report":
        return _report(settings, args)
    if args.command == "token":
        return _token(settings, args)
    if args.command == "replay":
        return _replay(settings, args)
    return 2


if __name__ == "__main__":
    sys.exit(main())

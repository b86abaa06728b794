"""Raw export of the ingest stream (clicks, impressions, SDK events): pages of the stored
events of one kind that a filter accepts, in stream order. Blocking: run it in a thread."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tracker.application import IngestApplication
from tracker.ingest.export import KINDS
from tracker.projections.catalog import Catalog

EXPORT_PAGE = 500


class ExportService:
    def __init__(self, ingest: IngestApplication, catalog: Catalog) -> None:
        self._ingest = ingest
        self._catalog = catalog

    def partner_campaigns(self, partner_id: str) -> frozenset[str]:
        """The partner's campaigns now, as the reports resolve a ``partner_id`` filter: a
        record is the partner's through its campaign (none for an unknown partner)."""
        return frozenset(str(c.id) for c in self._catalog.campaigns() if c.partner_id == partner_id)

    def page(
        self, kind: str, after: int, accepts: Callable[[Any], bool]
    ) -> tuple[int | None, list[Any]]:
        """``(position to read after next, or None at the end; the accepted events)`` of the
        next ``EXPORT_PAGE`` stored events of the kind after position ``after``."""
        app = self._ingest
        notifications = app.recorder.select_notifications(
            start=after, limit=EXPORT_PAGE, topics=(KINDS[kind],), inclusive_of_start=False
        )
        if not notifications:
            return None, []
        events = [app.mapper.to_domain_event(n) for n in notifications]
        return notifications[-1].id, [e for e in events if accepts(e)]

"""HTTP: the quart-trio app (management API, SDK) behind an ASGI fast path for ingest."""

"""Pure ingest logic: query parameters, targets, stored-event encoding, SDK batches, export rows.

Nothing here does I/O or reads a clock; the web fast path and the writer actor call in.
"""

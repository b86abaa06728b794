"""Read models: pure projections of the event streams (tracker/stores keeps their views)."""

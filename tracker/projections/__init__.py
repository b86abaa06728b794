"""Read models: pure projections of the event streams, and the views they are kept in."""

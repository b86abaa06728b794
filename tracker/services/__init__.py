"""Use cases: synchronous, each one validates, loads and saves through an Application."""

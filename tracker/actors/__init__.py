"""Actors: the only code besides web handlers that does I/O. Each serves a bounded inbox."""

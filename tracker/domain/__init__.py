"""Pure domain: events, aggregates and rules. No I/O, no clock."""

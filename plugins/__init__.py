"""First-party plugins: built-in behaviour, implemented through the same hooks as partners."""

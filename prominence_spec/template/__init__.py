"""The sandboxed Jinja environment, its limits, errors and file access, and spec bodies
compiled once."""

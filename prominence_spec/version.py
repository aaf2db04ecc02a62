"""The version of promspec, in one place (the package, the CLI and the client agent read it)."""

__version__ = "0.1.0"

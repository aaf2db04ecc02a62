"""The server side of PROMINENCE, as promspec reproduces it: the production validator and
backend model, factory expansion as the backend and the worker run it, and the sandbox."""

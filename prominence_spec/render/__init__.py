"""Templated specs to API bodies: the jobs, workflow and factory modes behind one entry point."""

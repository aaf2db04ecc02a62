"""Bytes and files to documents with their source maps (YAML composer, scalars, JSON
positions)."""

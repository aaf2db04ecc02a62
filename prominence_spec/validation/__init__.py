"""Bundled schemas, schema errors in promspec's words, rules, documents, rendered points,
files and folders."""

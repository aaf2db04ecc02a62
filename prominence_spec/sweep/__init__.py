"""The sweep grammar, lazy spaces of points, row files and factory plans."""

"""Writing API bodies: compact JSON lines (exactly what is sent), pretty JSON, or a YAML
stream that means the same under YAML 1.2 and 1.1."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, TextIO

DOCUMENT_FORMATS = ("json", "jsonl", "yaml")


def api_json(document: Any) -> str:
    """The request body exactly as promspec sends it: compact, UTF-8, keys in spec order."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def write_documents(
    documents: Iterable[dict[str, Any]], stream: TextIO, fmt: str, *, single: bool
) -> None:
    """Write ``documents`` as ``fmt``; ``single``: one pretty JSON object, not a list."""
    if fmt == "jsonl":
        for document in documents:
            stream.write(api_json(document))
            stream.write("\n")
    elif fmt == "yaml":
        _write_yaml(documents, stream)
    else:
        _write_json(documents, stream, single)


def _pretty(document: Any) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2, allow_nan=False)


def _write_json(documents: Iterable[dict[str, Any]], stream: TextIO, single: bool) -> None:
    if single:
        for document in documents:
            stream.write(_pretty(document) + "\n")
        return
    stream.write("[")
    first = True
    for document in documents:
        stream.write("\n" if first else ",\n")
        stream.write(_pretty(document))
        first = False
    stream.write("\n]\n" if not first else "]\n")


def _write_yaml(documents: Iterable[dict[str, Any]], stream: TextIO) -> None:
    import yaml

    from prominence_spec.report.yaml_writer import Yaml12Dumper

    for document in documents:
        stream.write("---\n")
        stream.write(
            yaml.dump(
                document,
                Dumper=Yaml12Dumper,
                sort_keys=False,
                allow_unicode=True,
                default_flow_style=False,
            )
        )


__all__ = ["DOCUMENT_FORMATS", "api_json", "write_documents"]

"""Writing API bodies: compact JSON lines (exactly what is sent), pretty JSON, or a YAML
stream that means the same under YAML 1.2 and 1.1."""

from __future__ import annotations

import json
import json.encoder
import re
from collections.abc import Callable, Iterable
from typing import Any, Final, TextIO

import orjson

DOCUMENT_FORMATS = ("json", "jsonl", "yaml")


def api_json(document: Any) -> str:
    """The request body exactly as promspec sends it: compact, UTF-8, keys in spec order."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def compact_encoder(*, floats: bool = True) -> Callable[[Any], str]:
    """:func:`api_json` as one function for one stream of documents, written by one thread:
    the same bytes, without setting up a new encoder for every document. ``floats=False``
    promises that no document holds a float (see render.floats), which saves checking the
    bytes for what orjson writes differently: every such difference comes from a float."""
    settings = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    make_encoder = getattr(json.encoder, "c_make_encoder", None)
    if make_encoder is None:  # no C accelerator: the standard path
        return settings.encode
    # As JSONEncoder.iterencode sets it up (one_shot, no indent); the circular-reference
    # markers belong to this stream alone, so an encoder is never shared between threads.
    chunks = make_encoder(
        {}, settings.default, json.encoder.encode_basestring, None, ":", ",", False, False, False
    )
    join = "".join

    def encode(document: Any) -> str:
        if isinstance(document, str):
            return settings.encode(document)
        return join(chunks(document, 0))

    return _with_orjson(encode, floats)


#: orjson's options: anything but plain str, int, float, bool, None, dict and list (a
#: subclass, a dataclass, a datetime) is refused, so that the standard encoder decides.
_ORJSON_OPTIONS: Final = (
    orjson.OPT_PASSTHROUGH_SUBCLASS
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_DATETIME
)
#: A float exponent of one digit after a minus (the standard encoder writes ``1e-07``,
#: orjson ``1e-7``).
_SHORT_EXPONENT: Final = re.compile(rb"\de-\d(?!\d)")


def _with_orjson(standard: Callable[[Any], str], floats: bool) -> Callable[[Any], str]:
    """``standard`` (the standard library's bytes), computed by orjson where its bytes are
    the same, about ten times faster. orjson writes ``null`` for NaN and infinity (the
    standard encoder refuses them), ``0.00001`` and ``1e-7`` for the floats written
    ``1e-05`` and ``1e-07``, and refuses what the standard encoder may still write
    (integers beyond 64 bits, keys other than text, deep nesting): any of those, or
    anything that only looks like one in a string, goes to ``standard``. UUIDs, enums and
    numpy values, which orjson writes and the standard encoder refuses, are never in a
    loaded or rendered document (plain data only: see loading.plain)."""
    dumps, options, exponent = orjson.dumps, _ORJSON_OPTIONS, _SHORT_EXPONENT.search

    def encode_without_floats(document: Any) -> str:
        try:
            return dumps(document, option=options).decode()
        except TypeError:  # orjson.JSONEncodeError included
            return standard(document)

    if not floats:
        return encode_without_floats

    def encode(document: Any) -> str:
        try:
            data = dumps(document, option=options)
        except TypeError:  # orjson.JSONEncodeError included
            return standard(document)
        if b"null" in data or b"0.0000" in data or (b"e-" in data and exponent(data)):
            return standard(document)
        return data.decode()

    return encode


def write_documents(
    documents: Iterable[dict[str, Any]],
    stream: TextIO,
    fmt: str,
    *,
    single: bool,
    floats: bool = True,
) -> None:
    """Write ``documents`` as ``fmt``; ``single``: one pretty JSON object, not a list;
    ``floats=False``: no document holds a float (see :func:`compact_encoder`)."""
    if fmt == "jsonl":
        _write_jsonl(documents, stream, floats)
    elif fmt == "yaml":
        _write_yaml(documents, stream)
    else:
        _write_json(documents, stream, single)


#: JSON lines handed to the stream at once (a write per line costs as much as encoding a
#: small body); whatever is pending is written however the iteration ends.
_LINES_PER_WRITE = 64


def _write_jsonl(documents: Iterable[dict[str, Any]], stream: TextIO, floats: bool) -> None:
    encode = compact_encoder(floats=floats)
    pending: list[str] = []

    def write_pending() -> None:
        pending.append("")
        text = "\n".join(pending)
        pending.clear()  # before writing: a failed write is never repeated
        stream.write(text)

    try:
        for document in documents:
            pending.append(encode(document))
            if len(pending) == _LINES_PER_WRITE:
                write_pending()
    finally:
        if pending:
            write_pending()


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


__all__ = ["DOCUMENT_FORMATS", "api_json", "compact_encoder", "write_documents"]

"""SARIF 2.1.0, as GitHub code scanning accepts it.

Every diagnostic is a result, notes included (level ``note``). Locations are relative
POSIX URIs under ``%SRCROOT%``; an absolute path inside the working directory is made
relative to it, one outside it becomes a ``file://`` URI. GitHub requires
``startLine >= 1``, so a diagnostic without a line points at line 1.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
from pathlib import Path
from typing import TextIO
from urllib.parse import quote

from prominence_spec.codes import title
from prominence_spec.diagnostics import CheckReport, Diagnostic, FileReport
from prominence_spec.report.common import (
    STDIN_NAMES,
    ReportOptions,
    described,
    display_path,
    with_hint,
)

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/promspec/promspec"
SRCROOT = "%SRCROOT%"

JSON = dict[str, object]


def rule_name(code: str) -> str:
    """CamelCase of the code's title (``unknown key`` -> ``UnknownKey``); the code if none."""
    words = re.findall(r"[0-9A-Za-z]+", title(code).replace("'", ""))
    return "".join(w[:1].upper() + w[1:] for w in words) or code


def rule(code: str) -> JSON:
    return {
        "id": code,
        "name": rule_name(code),
        "shortDescription": {"text": title(code) or code},
    }


def _inside_cwd(path: str) -> str | None:
    """``path`` relative to the working directory, or None when it lies outside it."""
    try:
        relative = os.path.relpath(path, os.getcwd())
    except (OSError, ValueError):  # no working directory; another Windows drive
        return None
    return None if relative == ".." or relative.startswith(".." + os.sep) else relative


def artifact_location(path: str) -> JSON:
    """``{"uri", "uriBaseId"}`` for a reported path (percent-encoded, POSIX separators)."""
    if path in STDIN_NAMES:
        return {"uri": "stdin", "uriBaseId": SRCROOT}
    if os.path.isabs(path):
        relative = _inside_cwd(path)
        if relative is None:
            return {"uri": Path(path).as_uri()}
        path = relative
    posix = posixpath.normpath(path.replace(os.sep, "/"))
    return {"uri": quote(posix, safe="/", errors="surrogateescape"), "uriBaseId": SRCROOT}


def region(diagnostic: Diagnostic) -> JSON:
    if diagnostic.line is None:
        return {"startLine": 1}
    result: JSON = {"startLine": max(diagnostic.line, 1)}
    if diagnostic.column is not None:
        result["startColumn"] = max(diagnostic.column, 1)
    return result


def result(file: FileReport, diagnostic: Diagnostic, rule_index: int) -> JSON:
    location = {
        "physicalLocation": {
            "artifactLocation": artifact_location(display_path(file, diagnostic)),
            "region": region(diagnostic),
        }
    }
    return {
        "ruleId": diagnostic.code,
        "ruleIndex": rule_index,
        "level": diagnostic.severity,
        "message": {"text": with_hint(described(file, diagnostic), diagnostic)},
        "locations": [location],
    }


def sarif_log(report: CheckReport, options: ReportOptions) -> JSON:
    """The SARIF log as a JSON-ready dict."""
    codes = sorted({d.code for d in report.diagnostics})
    index = {code: i for i, code in enumerate(codes)}
    results = [result(f, d, index[d.code]) for f in report.files for d in f.diagnostics]
    driver = {
        "name": "promspec",
        "informationUri": INFORMATION_URI,
        "version": options.tool_version,
        "rules": [rule(code) for code in codes],
    }
    run = {"tool": {"driver": driver}, "columnKind": "unicodeCodePoints", "results": results}
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def write_sarif(report: CheckReport, stream: TextIO, options: ReportOptions) -> None:
    text = json.dumps(sarif_log(report, options), indent=2, ensure_ascii=False)
    # A lone surrogate (an undecodable file name in a message) cannot be encoded: replace it.
    stream.write(text.encode("utf-8", "replace").decode("utf-8") + "\n")

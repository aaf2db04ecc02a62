"""JUnit XML: one testsuite, one testcase per file, one ``<failure>`` per error.

``failures`` counts failing testcases (files), as JUnit consumers expect
``tests - failures - errors`` to be the passed ones. Warnings (and notes when verbose)
go into the testcase's ``<system-out>``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import TextIO

from prominence_spec.diagnostics import CheckReport, Diagnostic, FileReport
from prominence_spec.report.common import ReportOptions, diagnostic_lines, visible

XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
# Characters XML 1.0 cannot carry at all (C0 controls, lone surrogates, U+FFFE/U+FFFF).
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: str) -> str:
    """Text ElementTree can write as well-formed XML: forbidden characters as ``\\uXXXX``."""
    return _NOT_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _failure(parent: ET.Element, file: FileReport, diagnostic: Diagnostic) -> None:
    element = ET.SubElement(
        parent,
        "failure",
        message=xml_safe(f"{diagnostic.code}: {diagnostic.message}"),
        type=diagnostic.code,
    )
    element.text = xml_safe("\n".join(diagnostic_lines(file, diagnostic)))


def _testcase(suite: ET.Element, file: FileReport, options: ReportOptions) -> bool:
    """Add the file's testcase; return whether it failed."""
    case = ET.SubElement(suite, "testcase", classname="promspec", name=xml_safe(file.path))
    other: list[str] = []
    for diagnostic in visible(file.diagnostics, options):
        if diagnostic.is_error:
            _failure(case, file, diagnostic)
        else:
            other.extend(diagnostic_lines(file, diagnostic))
    if other:
        ET.SubElement(case, "system-out").text = xml_safe("\n".join(other) + "\n")
    return not file.valid


def write_junit(report: CheckReport, stream: TextIO, options: ReportOptions) -> None:
    suite = ET.Element("testsuite", name="promspec")
    failures = sum(_testcase(suite, file, options) for file in report.files)
    suite.set("tests", str(len(report.files)))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    ET.indent(suite)
    stream.write(XML_DECLARATION + ET.tostring(suite, encoding="unicode") + "\n")

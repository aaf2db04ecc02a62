"""The catalogue of diagnostic codes. Codes are stable: never renumber, only add.

PS1xx  loading (bytes, YAML/JSON syntax, safety limits)
PS2xx  schema (structure, types, ranges, patterns) -- what the server's validator rejects
PS3xx  rules a schema cannot say (cross-field) -- what the server's validator rejects
PS4xx  accepted by the server's validator, but the server then fails (HTTP 500, hang, 400)
PS5xx  deliberately stricter than the server (see docs/compatibility.md)
PS6xx  templates and sweeps
PS9xx  internal

Each code also has a long form in :mod:`.explanations` (what to do, why, an example);
:func:`entry` gives both, and ``docs/diagnostics.md`` is generated from them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from prominence_spec.codes.explanations import EXPLANATIONS, Example, Explanation

CODES: dict[str, str] = {
    # loading
    "PS100": "file cannot be read",
    "PS101": "YAML or JSON syntax error",
    "PS102": "file is not UTF-8 text",
    "PS103": "file too large",
    "PS104": "duplicate key",
    "PS105": "empty document",
    "PS106": "top level is not a mapping",
    "PS107": "nesting too deep",
    "PS108": "alias expansion too large",
    "PS109": "unsupported YAML tag",
    "PS110": "ambiguous plain scalar",
    "PS111": "mapping key is not a scalar",
    "PS112": "number not representable in JSON",
    "PS113": "unsupported file type",
    # schema
    "PS201": "unknown key",
    "PS202": "missing required key",
    "PS203": "wrong type",
    "PS204": "number written with a fraction or exponent where an integer is required",
    "PS205": "value out of range",
    "PS206": "value not allowed",
    "PS207": "value does not match the required pattern",
    "PS208": "value too long",
    "PS209": "invalid combination of keys",
    "PS210": "wrong number of items",
    "PS299": "schema constraint failed",
    # cross-field rules the server checks
    "PS301": "duplicate workflow job name",
    "PS302": "dependency names an undefined child job",
    "PS303": "factory names an undefined job",
    "PS304": "duplicate factory parameter name",
    "PS305": "zip parameters of unequal length",
    "PS306": "procsPerNode greater than cpus",
    "PS307": "only sidecar tasks",
    "PS308": "MPI cmd must not start with mpirun",
    "PS309": "MPI task without cmd",
    # server accepts, then fails
    "PS401": "missing resources.disk",
    "PS402": "parameterSweep parameter uses number instead of step",
    "PS403": "non-numeric parameterSweep value",
    "PS404": "parameterSweep step not positive",
    "PS405": "more than 4 parameterSweep parameters",
    "PS406": "zip factory without parameters",
    "PS407": "zip value the executor cannot pass",
    "PS408": "non-string value where the backend needs a string",
    "PS409": "non-numeric totalCpusRange element",
    "PS410": "invalid base64 in inputs content",
    "PS411": "value the server's validator crashes on",
    "PS412": "notification missing event or type",
    "PS413": "request body larger than 1 MiB",
    "PS414": "external artifact URL in a factory job",
    # stricter than the server
    "PS501": "dependency parent names no job",
    "PS502": "dependency cycle",
    "PS503": "non-canonical container value",
    "PS504": "name the backend cannot use",
    "PS505": "job name contained in another job name used in dependencies",
    "PS506": "empty workflow",
    "PS507": "job listed in several factories",
    # templates and sweeps
    "PS601": "template error",
    "PS602": "undefined template variable",
    "PS603": "unsafe template operation",
    "PS604": "sweep definition error",
    "PS605": "sweep file error",
    "PS606": "sweep has no points",
    "PS607": "spec settings error",
    "PS608": "cannot compile to a server-side factory",
    "PS609": "template file outside the repository",
    "PS610": "rendered value too large",
    "PS611": "Jinja in a spec that is not a template",
    "PS612": "value given that the spec does not use",
    "PS613": "float range stops short of its end",
    # internal
    "PS901": "internal error",
}


#: The heading of each family of codes (its first digit).
FAMILIES: dict[str, str] = {
    "1": "Loading (bytes, YAML/JSON syntax, safety limits)",
    "2": "Schema: what the server's validator rejects",
    "3": "Rules a schema cannot say: what the server's validator rejects",
    "4": "Accepted by the server's validator, but the server then fails",
    "5": "Deliberately stricter than the server (see compatibility.md)",
    "6": "Templates and sweeps",
    "9": "Internal",
}


@dataclass(frozen=True)
class Entry:
    """Everything the catalogue says about one code."""

    code: str
    meaning: str
    family: str
    hint: str
    text: str
    example: Example | None

    def parts(self) -> list[tuple[str, str]]:
        """The explanation below the title, in order, each with what it is: ``text``,
        ``label`` or ``yaml`` (what `promspec explain` prints and docs/diagnostics.md holds)."""
        found: list[tuple[str, str]] = []
        if self.text:
            found.append(("text", self.text))
        if self.hint:
            found.append(("text", f"What to do: {self.hint}."))
        if self.example is not None:
            found += [
                ("label", f"A spec that gets {self.code}:"),
                ("yaml", self.example.bad),
                ("label", "Fixed:"),
                ("yaml", self.example.fixed),
            ]
        return found


def title(code: str) -> str:
    return CODES.get(code, "")


def family(code: str) -> str:
    """The heading of the code's family ("Templates and sweeps" for PS604)."""
    return FAMILIES.get(code[2:3], "") if code.startswith("PS") else ""


def entry(code: str) -> Entry:
    """The catalogue's entry for a known ``code``."""
    explanation = EXPLANATIONS.get(code, Explanation(hint=""))
    return Entry(
        code,
        CODES[code],
        family(code),
        explanation.hint,
        explanation.text,
        explanation.example,
    )


def entries() -> list[Entry]:
    """Every code's entry, in code order."""
    return [entry(code) for code in sorted(CODES)]


_CODE_TEXT = re.compile(r"(?:ps)?(\d{3})", re.IGNORECASE)


def normalize(text: str) -> str:
    """``text`` as a code would be written: ``ps204`` and ``204`` give ``PS204``; anything
    else is only stripped and upper-cased."""
    stripped = text.strip()
    matched = _CODE_TEXT.fullmatch(stripped)
    return f"PS{matched.group(1)}" if matched else stripped.upper()


__all__ = [
    "CODES",
    "FAMILIES",
    "Entry",
    "Example",
    "entries",
    "entry",
    "family",
    "normalize",
    "title",
]

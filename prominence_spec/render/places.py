"""Where a rendered document's diagnostics belong in the spec: its body (in the spec or in
the template it names) or its settings, at their file, line and column."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from prominence_spec.diagnostics import Diagnostic, parts_of, pointer_of
from prominence_spec.loading.loader import Document
from prominence_spec.loading.locate import locate
from prominence_spec.spec.settings import SETTINGS_KEY, Origin, Spec

#: Gives a diagnostic about a rendered document its place in the spec.
Locator = Callable[[Diagnostic], Diagnostic]


@dataclass(frozen=True)
class Places:
    """Locates diagnostics in one templated spec."""

    spec: Spec
    has_name_template: bool
    #: body pointer -> what value a diagnostic there is about ("value 2.0 from --set cpus")
    notes: Mapping[str, str] = field(default_factory=dict)

    def in_body(self, diag: Diagnostic) -> Diagnostic:
        """Give a diagnostic about the body its file, line and column."""
        return _locate(diag, self.spec.body_origin)

    def in_spec(self, diag: Diagnostic) -> Diagnostic:
        """Same for a diagnostic about the settings (in the spec, or in its template)."""
        parts = parts_of(diag.pointer)
        if len(parts) >= 2 and parts[0] == SETTINGS_KEY:
            return _locate(diag, self.spec.origin_of(parts[1]))
        return _locate(diag, self.spec.origin)

    def body(self, strip: int = 0) -> Locator:
        """Locate a diagnostic about a rendered document (below ``strip`` leading pointer
        parts) in the spec's body; a name from the name template at ``promspec.name``."""

        def locate_in_body(diag: Diagnostic) -> Diagnostic:
            parts = parts_of(diag.pointer)[strip:]
            if self.has_name_template and parts[:1] == ("name",):
                return self.in_spec(moved(diag, (SETTINGS_KEY, "name")))
            return self.in_body(self.noted(moved(diag, tuple(parts))))

        return locate_in_body

    def noted(self, diag: Diagnostic) -> Diagnostic:
        """The diagnostic with the note on the value it is about, if it has one."""
        note = self.notes.get(diag.pointer) if self.notes else None
        if note is None:
            return diag
        return dataclasses.replace(diag, message=f"{diag.message} ({note})")

    def settings(self, *at: str, keep: bool = False) -> Locator:
        """Locate in the spec's settings at ``at`` (and, with ``keep``, the diagnostic's own
        pointer below it)."""

        def locate_in_settings(diag: Diagnostic) -> Diagnostic:
            rest = parts_of(diag.pointer) if keep else ()
            return self.in_spec(moved(diag, (SETTINGS_KEY, *at, *rest)))

        return locate_in_settings


def _locate(diag: Diagnostic, origin: Origin) -> Diagnostic:
    return locate(diag, Document(origin.data, origin.source, origin.path))


def moved(diag: Diagnostic, parts: tuple[str | int, ...]) -> Diagnostic:
    """The same diagnostic about another place (``parts``), not yet located."""
    return Diagnostic(
        diag.code,
        diag.message,
        diag.severity,
        pointer_of(parts),
        hint=diag.hint,
        context=diag.context,
    )


def under(diag: Diagnostic, prefix: tuple[str | int, ...]) -> Diagnostic:
    """The diagnostic with ``prefix`` put before its pointer."""
    parts = (*prefix, *parts_of(diag.pointer))
    return Diagnostic(diag.code, diag.message, diag.severity, pointer_of(parts), hint=diag.hint)


__all__ = ["Locator", "Places", "moved", "under"]

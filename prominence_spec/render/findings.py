"""What rendering finds: set-up problems, and diagnostics from many points grouped by
where they arise ("fails for 3 of 10 points, first at index 7: frame=8")."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from prominence_spec.diagnostics import Diagnostic, has_errors
from prominence_spec.render.places import Locator
from prominence_spec.render.progress import Progress


@dataclass
class _Group:
    first: Diagnostic
    locator: Locator
    index: int | None
    params: dict[str, Any] | None
    count: int = 1


@dataclass
class Groups:
    """Diagnostics from many points, one entry per (code, place, severity).

    Diagnostics are located (given file, line and column) once per group, at the end.
    """

    entries: dict[tuple[str, str, str, int, int], _Group] = field(default_factory=dict)

    def add(
        self,
        diag: Diagnostic,
        locator: Locator,
        index: int | None,
        params: dict[str, Any] | None,
        nth: int = 0,
    ) -> None:
        """``nth``: how many diagnostics of this code and place the same point gave before
        this one (two files a value reads that both fail are two groups)."""
        key = (diag.code, diag.pointer, diag.severity, id(locator), nth)
        group = self.entries.get(key)
        if group is None:
            self.entries[key] = _Group(diag, locator, index, params)
        else:
            group.count += 1

    def diagnostics(self, total: int | None) -> list[Diagnostic]:
        return [_summarise(g, total) for g in self.entries.values()]


@dataclass
class Findings:
    """Everything rendering a spec finds, in the order it is reported: the settings'
    problems and the set-up problems (already located), then one diagnostic per group of
    point diagnostics."""

    problems: list[Diagnostic] = field(default_factory=list)
    groups: Groups = field(default_factory=Groups)
    swept: bool = False  # the spec has a sweep: point diagnostics say how many points fail
    seen: int = 0  # points rendered so far
    #: what is wrong in the promspec: settings (read as defaults: the body is still checked)
    settings: list[Diagnostic] = field(default_factory=list)
    progress: Progress | None = None  # told how many points have been seen, now and then

    def record(
        self,
        found: list[Diagnostic],
        locator: Locator,
        index: int | None,
        params: dict[str, Any] | None,
    ) -> None:
        if len(found) == 1:  # the usual case
            self.groups.add(found[0], locator, index, params)
            return
        seen: dict[tuple[str, str, str], int] = {}
        for diag in found:
            place = (diag.code, diag.pointer, diag.severity)
            nth = seen.get(place, 0)
            seen[place] = nth + 1
            self.groups.add(diag, locator, index, params, nth)

    @property
    def ok(self) -> bool:
        """No set-up problem stops rendering (settings problems do not)."""
        return not has_errors(self.problems)

    def diagnostics(self) -> list[Diagnostic]:
        grouped = self.groups.diagnostics(self.seen if self.swept else None)
        return [*self.settings, *self.problems, *grouped]


def _summarise(group: _Group, total: int | None) -> Diagnostic:
    diag = group.locator(group.first)
    if group.index is None or total is None:
        return diag
    shown = ", ".join(f"{k}={_short(v)}" for k, v in (group.params or {}).items())
    where = f"index {group.index}" + (f": {shown}" if shown else "")
    if total == 1:
        note = f"at {where}"
    elif group.count == total:
        note = f"fails for all {total:,} points, first at {where}"
    else:
        note = f"fails for {group.count:,} of {total:,} points, first at {where}"
    context = (
        ("points", f"{group.count}/{total}"),
        ("first_index", str(group.index)),
        ("first_params", shown),
    )
    return Diagnostic(
        diag.code,
        f"{diag.message} ({note})",
        diag.severity,
        diag.pointer,
        diag.line,
        diag.column,
        diag.hint,
        diag.path,
        diag.document,
        context,
    )


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:37] + "..."


__all__ = ["Findings", "Groups"]

"""Shell completion of arguments whose values promspec knows: starter names, diagnostic
codes. Each reads its list only when the shell asks (so start-up pays nothing)."""

from __future__ import annotations


def starter_names(incomplete: str) -> list[tuple[str, str]]:
    """``promspec init <TAB>``: the starter templates, with their summaries."""
    from prominence_spec.spec.starters import starters

    return [
        (name, starter.summary)
        for name, starter in starters().items()
        if name.startswith(incomplete)
    ]


def code_names(incomplete: str) -> list[tuple[str, str]]:
    """``promspec explain <TAB>``: every diagnostic code, with its title."""
    from prominence_spec.codes import CODES

    return [(code, title) for code, title in CODES.items() if code.startswith(incomplete)]

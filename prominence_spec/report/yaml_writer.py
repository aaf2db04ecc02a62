"""Writing YAML that means the same under YAML 1.2 (promspec's reading) and YAML 1.1."""

from __future__ import annotations

from typing import Any

import yaml

from prominence_spec.loading.scalars import resolve_plain

_Base: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class Yaml12Dumper(_Base):  # type: ignore[misc]  # the C dumper when PyYAML has it
    """PyYAML quotes strings that YAML 1.1 would read as something else; this dumper also
    quotes those that YAML 1.2 would (``0o755``, ``1e3``)."""


def _represent_str(dumper: Any, data: str) -> Any:
    style = '"' if not isinstance(resolve_plain(data), str) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


Yaml12Dumper.add_representer(str, _represent_str)

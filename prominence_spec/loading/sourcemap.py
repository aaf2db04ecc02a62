"""Where each value of a loaded document came from (1-based line and column)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

Path = tuple[str | int, ...]
Position = tuple[int, int]


class SourceMap:
    """Positions of values and mapping keys, addressed by their path in the document."""

    __slots__ = ("_keys", "_values")

    def __init__(
        self,
        values: dict[Path, Position] | None = None,
        keys: dict[Path, Position] | None = None,
    ) -> None:
        self._values: dict[Path, Position] = values if values is not None else {}
        self._keys: dict[Path, Position] = keys if keys is not None else {}

    def value(self, path: Path) -> Position | None:
        return self._values.get(path)

    def key(self, path: Path) -> Position | None:
        return self._keys.get(path)

    def locate(self, path: Sequence[str | int], *, prefer_key: bool = False) -> Position | None:
        """Position of ``path``, or of its nearest ancestor that has one."""
        parts: Path = tuple(path)
        if prefer_key and parts in self._keys:
            return self._keys[parts]
        while True:
            if parts in self._values:
                return self._values[parts]
            if parts in self._keys:
                return self._keys[parts]
            if not parts:
                return None
            parts = parts[:-1]


class LazySourceMap(SourceMap):
    """A source map computed on first use (JSON documents are positioned only on failure)."""

    __slots__ = ("_build", "_built")

    def __init__(self, build: Callable[[], SourceMap]) -> None:
        super().__init__()
        self._build = build
        self._built = False

    def _ensure(self) -> None:
        if not self._built:
            self._built = True
            built = self._build()
            self._values, self._keys = built._values, built._keys

    def value(self, path: Path) -> Position | None:
        self._ensure()
        return super().value(path)

    def key(self, path: Path) -> Position | None:
        self._ensure()
        return super().key(path)

    def locate(self, path: Sequence[str | int], *, prefer_key: bool = False) -> Position | None:
        self._ensure()
        return super().locate(path, prefer_key=prefer_key)

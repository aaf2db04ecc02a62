"""Lazy parameter spaces: the nodes a sweep is built from, and the server's range arithmetic.

Every node is a finite, ordered sequence of points. A point is a ``dict`` of parameter
name to value. Nodes never build their points in advance: ``size`` is arithmetic and
``at(i)`` computes point ``i`` directly (mixed-radix decomposition for products, the same
index for zips, ``start + i*step`` for ranges), so a 10**9-point product costs nothing
until a point is asked for.

Order: a :class:`ProductSpace` varies its *last* child fastest, like nested ``for`` loops
written in key order (and like the PROMINENCE ``parameterSweep`` factory). A
:class:`ZipSpace` takes point ``i`` of every child. Worked example::

    product(a=[1, 2], b=[x, y, z])   ->  index 4 = (4 // 3, 4 % 3) = (1, 1) -> {a: 2, b: y}

Range values follow the PROMINENCE server (job-spec reference section 4.5.2): the count
is found by adding ``step`` in floating point while the value is ``<= end``; value ``i``
is ``start + i*step``; whole floats become ints. When start, end and step are all ints
promspec computes in exact integer arithmetic (identical to the server for magnitudes up
to 2**53, where floats are exact).
"""

from __future__ import annotations

import copy
import itertools
import math
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from prominence_spec.counting import server_count

Number = int | float

#: Float ranges are counted by simulating the server's loop up to this many additions;
#: beyond it the count is ``floor((end - start) / step) + 1`` (see :func:`range_count`).
MAX_SIMULATED_STEPS = 10**7
#: Integers up to this magnitude are exact in a float (the server computes in floats).
FLOAT_EXACT_INT = 2**53

_SCALARS = (str, int, float, bool, type(None))
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: Names every point carries besides its parameters.
RESERVED_NAMES = frozenset({"index"})


def name_problem(name: object) -> str | None:
    """Why ``name`` cannot be a parameter name, or None when it can."""
    if not isinstance(name, str):
        return f"parameter names must be strings, not {type(name).__name__} ({name!r})"
    if not _NAME.fullmatch(name):
        return f"{name!r} is not a valid parameter name (letters, digits, _; not a digit first)"
    if name in RESERVED_NAMES:
        return f"{name!r} is reserved: every point already has its {name}"
    return None


class RangeStallError(ValueError):
    """Adding ``step`` no longer changes the value: the server's counting loop never ends."""


def fresh(value: Any) -> Any:
    """The value itself when immutable, else a deep copy (callers may mutate points)."""
    return value if isinstance(value, _SCALARS) else copy.deepcopy(value)


def is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def same_value(a: object, b: object) -> bool:
    """Equality for matching points: ``1 == 1.0``, but a boolean only equals a boolean."""
    return isinstance(a, bool) == isinstance(b, bool) and a == b


def match_key(value: object) -> tuple[bool, object]:
    """A hashable stand-in with the equality of :func:`same_value` (for hashable values)."""
    return isinstance(value, bool), value


def whole_to_int(value: float) -> Number:
    """``3.0 -> 3``; any other float is returned unchanged (as the server formats it)."""
    return int(value) if math.isfinite(value) and value.is_integer() else value


def range_count(start: Number, end: Number, step: Number) -> tuple[int, bool]:
    """``(count, exact)`` of the server's range. ``step`` must be > 0.

    ``exact`` is False only for float ranges needing more than ``MAX_SIMULATED_STEPS``
    additions; their count is ``floor((end - start) / step) + 1``, which can differ from
    the server's accumulated float count by one near ``end``. Raises :class:`RangeStallError`
    when the server's loop would never finish.
    """
    if all(isinstance(v, int) for v in (start, end, step)):
        return max(0, (int(end) - int(start)) // int(step) + 1), True
    s, e, st = float(start), float(end), float(step)
    count = server_count(s, e, st, MAX_SIMULATED_STEPS)
    if count is None:
        raise RangeStallError(f"step {step} is below the floating-point resolution")
    if count > MAX_SIMULATED_STEPS:
        return math.floor((e - s) / st) + 1, False
    return count, True


def range_value(start: Number, step: Number, i: int) -> Number:
    """Value ``i`` of a range, typed as the server formats it."""
    if isinstance(start, int) and isinstance(step, int):
        return start + i * step
    return whole_to_int(float(start) + i * float(step))


def server_parameter_sweep_values(start: Number, end: Number, step: Number) -> list[Number]:
    """The values a PROMINENCE ``parameterSweep`` parameter produces, computed as the server
    does (all in floats; whole values as ints). Raises ``ValueError`` where the server would
    loop for ever (step <= 0 with start <= end, or a step below float resolution) or would
    need more than ``MAX_SIMULATED_STEPS`` additions."""
    s, e, st = float(start), float(end), float(step)
    count = server_count(s, e, st, MAX_SIMULATED_STEPS)
    if count is None:
        raise RangeStallError(f"step {step} never reaches end {end}")
    if count > MAX_SIMULATED_STEPS:
        raise RangeStallError(f"more than {MAX_SIMULATED_STEPS} additions of step {step}")
    return [whole_to_int(s + i * st) for i in range(count)]


def server_format(value: object) -> str:
    """The text the server substitutes for a factory value (``write_parameter_value``):
    ints, bools (``1``/``0``) and whole floats as integer text, other floats in Python's
    float form, ``None`` as ``None``, strings unchanged."""
    if isinstance(value, int):
        return str(int(value))  # bool -> "1" / "0"
    if isinstance(value, float):
        return str(int(value)) if math.isfinite(value) and value.is_integer() else str(value)
    return str(value)


class Space(ABC):
    """A finite, ordered, lazily indexed set of points.

    ``len()`` works up to ``sys.maxsize`` points (Python's limit); use ``size`` beyond.
    ``space[i]`` accepts negative indices like a sequence. Points are fresh dicts.
    """

    pointer: str
    names: tuple[str, ...]
    size: int

    @abstractmethod
    def at(self, i: int) -> dict[str, Any]:
        """Point ``i``, for ``0 <= i < size`` (not checked)."""

    def children(self) -> Sequence[Space]:
        return ()

    def __len__(self) -> int:
        return self.size

    def __bool__(self) -> bool:  # without it, truth testing calls __len__ (OverflowError)
        return self.size > 0

    def __getitem__(self, i: int) -> dict[str, Any]:
        if isinstance(i, bool) or not isinstance(i, int):
            raise TypeError(f"point indices must be integers, not {type(i).__name__}")
        j = i + self.size if i < 0 else i
        if not 0 <= j < self.size:
            raise IndexError(f"point {i} is out of range for {self.size} points")
        return self.at(j)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for i in range(self.size):
            yield self.at(i)

    def leaves(self) -> Iterator[Space]:
        """The axes and row tables under this node, in order."""
        kids = self.children()
        if not kids:
            yield self
        for child in kids:
            yield from child.leaves()

    def pointer_of(self, name: str) -> str:
        """Pointer of the leaf that defines parameter ``name``."""
        return next((leaf.pointer for leaf in self.leaves() if name in leaf.names), self.pointer)


class ListAxis(Space):
    """``name: [v0, v1, ...]`` or ``name: {values: [...]}``."""

    def __init__(self, name: str, values: Sequence[Any], pointer: str) -> None:
        self.name, self.values, self.pointer = name, tuple(values), pointer
        self.names, self.size = (name,), len(self.values)

    def at(self, i: int) -> dict[str, Any]:
        return {self.name: fresh(self.values[i])}


class RepeatAxis(Space):
    """``name: {repeat: N}``: the values ``0 .. N-1``."""

    def __init__(self, name: str, number: int, pointer: str) -> None:
        self.name, self.number, self.pointer = name, number, pointer
        self.names, self.size = (name,), number

    def at(self, i: int) -> dict[str, Any]:
        return {self.name: i}


class RangeAxis(Space):
    """``name: {start, end, step}``, end included, values as the server generates them."""

    def __init__(self, name: str, start: Number, end: Number, step: Number, pointer: str) -> None:
        self.name, self.start, self.end, self.step = name, start, end, step
        self.pointer, self.names = pointer, (name,)
        self.size, self.exact = range_count(start, end, step)

    @property
    def integral(self) -> bool:
        """Start, end and step are all integers (counted exactly)."""
        return all(isinstance(v, int) for v in (self.start, self.end, self.step))

    @property
    def last(self) -> Number | None:
        """The last value, or None when the range is empty."""
        return range_value(self.start, self.step, self.size - 1) if self.size else None

    def at(self, i: int) -> dict[str, Any]:
        return {self.name: range_value(self.start, self.step, i)}


class TableSpace(Space):
    """Rows: one point per row, the columns are the parameters (``rows:``)."""

    def __init__(
        self,
        names: Sequence[str],
        rows: Sequence[tuple[Any, ...]],
        pointer: str,
        source: str | None = None,
    ) -> None:
        self.names, self.rows, self.pointer = tuple(names), tuple(rows), pointer
        self.source, self.size = source, len(self.rows)

    def at(self, i: int) -> dict[str, Any]:
        return {name: fresh(value) for name, value in zip(self.names, self.rows[i], strict=True)}

    def column(self, name: str) -> tuple[Any, ...]:
        k = self.names.index(name)
        return tuple(row[k] for row in self.rows)


class ProductSpace(Space):
    """Cartesian product; the first child varies slowest."""

    def __init__(self, parts: Sequence[Space], pointer: str) -> None:
        self.parts, self.pointer = tuple(parts), pointer
        self.names = tuple(name for part in self.parts for name in part.names)
        strides, size = [], 1
        for part in reversed(self.parts):
            strides.append(size)
            size *= part.size
        self.strides, self.size = tuple(reversed(strides)), size

    def children(self) -> Sequence[Space]:
        return self.parts

    def at(self, i: int) -> dict[str, Any]:
        point: dict[str, Any] = {}
        for part, stride in zip(self.parts, self.strides, strict=True):
            digit, i = divmod(i, stride)
            point.update(part.at(digit))
        return point

    def __iter__(self) -> Iterator[dict[str, Any]]:
        """Same points as ``at(0)``, ``at(1)``, ...; several times faster for big products."""
        columns = _columns(self.parts)
        if columns is None:
            return super().__iter__()
        return _merged_product(columns)  # no generator of this method's own in between


def _merged_product(columns: list[list[dict[str, Any]]]) -> Iterator[dict[str, Any]]:
    """Each combination of one point per column, merged in column order (later keys win,
    as ``dict.update`` one after the other): one dict display per point, the loop written
    for this number of columns (only the count goes into the code)."""
    names = "".join(f"p{i}, " for i in range(len(columns)))
    spread = ", ".join(f"**p{i}" for i in range(len(columns)))
    source = (
        f"def merged(columns):\n    for {names}in product(*columns):\n        yield {{{spread}}}\n"
    )
    namespace: dict[str, Any] = {"product": itertools.product}
    exec(compile(source, "<promspec product>", "exec"), namespace)
    merged: Callable[[list[list[dict[str, Any]]]], Iterator[dict[str, Any]]]
    merged = namespace["merged"]
    return merged(columns)


#: Children up to this size are listed once to iterate a product quickly.
_LISTED_CHILD = 100_000


def _columns(parts: Sequence[Space]) -> list[list[dict[str, Any]]] | None:
    """Each child's points, when all are small and hold only immutable values."""
    if not parts or any(part.size > _LISTED_CHILD for part in parts):
        return None
    columns = [list(part) for part in parts]
    for column in columns:
        for point in column:
            if any(isinstance(v, (dict, list)) for v in point.values()):
                return None
    return columns


class ZipSpace(Space):
    """Element-wise combination of equally long children."""

    def __init__(self, parts: Sequence[Space], pointer: str) -> None:
        self.parts, self.pointer = tuple(parts), pointer
        self.names = tuple(name for part in self.parts for name in part.names)
        self.size = min((part.size for part in self.parts), default=0)

    def children(self) -> Sequence[Space]:
        return self.parts

    def at(self, i: int) -> dict[str, Any]:
        point: dict[str, Any] = {}
        for part in self.parts:
            point.update(part.at(i))
        return point


class EmptySpace(Space):
    """No generated points (a sweep given only by ``include``)."""

    def __init__(self, names: Sequence[str], pointer: str) -> None:
        self.names, self.pointer, self.size = tuple(names), pointer, 0

    def at(self, i: int) -> dict[str, Any]:
        raise IndexError(i)

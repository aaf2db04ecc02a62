"""Row files for sweeps: CSV/JSON/JSONL/YAML readers and path containment."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from prominence_spec.diagnostics import Diagnostic
from prominence_spec.sweep.rows import MAX_FILE_ERRORS, MAX_ROWS_BYTES, csv_value
from prominence_spec.sweep.sweep import Sweep, TableSpace, parse_sweep

from support import write

ROWS = "/promspec/sweep/rows"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "specs").mkdir(parents=True)
    return root


def load(repo: Path, rows: str, **extra: Any) -> tuple[Sweep | None, list[Diagnostic]]:
    return parse_sweep({"rows": rows, **extra}, base_dir=repo / "specs", root=repo)


def rows_of(repo: Path, name: str) -> list[dict[str, Any]]:
    sweep, diags = load(repo, name)
    assert diags == []
    assert sweep is not None
    return [p for _, p in sweep.points()]


def problems(repo: Path, name: str) -> list[str]:
    sweep, diags = load(repo, name)
    assert sweep is None
    assert {(d.code, d.pointer) for d in diags} == {("PS605", ROWS)}
    return [d.message for d in diags]


class TestCsv:
    def test_typed_cells(self, repo: Path) -> None:
        write(repo, 'a,b,c\n1,2.5,cg\n-3,1e3,"x, y"\n+4,.5,nan\n007,5.,1_000\n', "specs/points.csv")
        assert rows_of(repo, "points.csv") == [
            {"a": 1, "b": 2.5, "c": "cg"},
            {"a": -3, "b": 1000.0, "c": "x, y"},
            {"a": 4, "b": 0.5, "c": "nan"},
            {"a": 7, "b": 5.0, "c": "1_000"},
        ]

    @pytest.mark.parametrize(
        ("cell", "value"),
        [
            ("12", 12),
            ("-0", 0),
            ("1.0", 1.0),
            ("1E-2", 0.01),
            ("inf", "inf"),
            ("0x10", "0x10"),
            ("1.2.3", "1.2.3"),
            ("true", "true"),
            (" 1", " 1"),
            ("٣", "٣"),
        ],
    )
    def test_csv_value(self, cell: str, value: object) -> None:
        got = csv_value(cell)
        assert got == value and type(got) is type(value)

    def test_float_overflow_is_an_error(self, repo: Path) -> None:
        write(repo, "a\n1e999\n", "specs/p.csv")
        assert problems(repo, "p.csv") == [
            "p.csv:2: row 1: column 'a': 1e999 is too large for a float"
        ]

    def test_spaces_after_commas_and_blank_lines_and_crlf_and_bom(self, repo: Path) -> None:
        write(repo, b"\xef\xbb\xbfa, b\r\n\r\n1, x\r\n2,  y\r\n", "specs/p.csv")
        assert rows_of(repo, "p.csv") == [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]

    def test_empty_cell_names_row_and_line(self, repo: Path) -> None:
        write(repo, "a,b\n1,2\n\n3,\n", "specs/p.csv")
        sweep, diags = load(repo, "p.csv")
        assert sweep is None
        assert [d.message for d in diags] == ["p.csv:4: row 2: column 'b' is empty"]
        assert diags[0].hint

    def test_ragged_row(self, repo: Path) -> None:
        write(repo, "a,b\n1,2,3\n", "specs/p.csv")
        assert problems(repo, "p.csv") == ["p.csv:2: row 1 has 3 cells; the header has 2"]

    def test_bad_header(self, repo: Path) -> None:
        write(repo, "a,a,b c,index\n1,2,3,4\n", "specs/p.csv")
        assert problems(repo, "p.csv") == [
            "p.csv:1: header: column 'a' appears twice",
            "p.csv:1: header: 'b c' is not a valid parameter name (letters, digits, _; not a "
            "digit first)",
            "p.csv:1: header: 'index' is reserved: every point already has its index",
        ]

    def test_empty_file(self, repo: Path) -> None:
        write(repo, "", "specs/p.csv")
        assert problems(repo, "p.csv") == [
            "p.csv: the file is empty; the first row must name the columns"
        ]

    def test_header_only_has_no_points(self, repo: Path) -> None:
        write(repo, "a,b\n", "specs/p.csv")
        sweep, diags = load(repo, "p.csv")
        assert sweep is None
        assert [(d.code, d.pointer, d.message) for d in diags] == [
            ("PS606", ROWS, "rows 'p.csv' has no rows, so the sweep has no points")
        ]

    def test_problems_are_capped(self, repo: Path) -> None:
        write(repo, "a\n" + "\n".join(['""'] * 50) + "\n", "specs/p.csv")
        messages = problems(repo, "p.csv")
        assert len(messages) == MAX_FILE_ERRORS + 1
        assert messages[-1] == "30 more problems in the same rows were not listed"

    def test_not_utf8(self, repo: Path) -> None:
        write(repo, b"a\n\xff\n", "specs/p.csv")
        assert problems(repo, "p.csv") == [
            "rows file 'p.csv' is not UTF-8 text (invalid byte 0xff on line 2)"
        ]

    def test_rows_in_a_product(self, repo: Path) -> None:
        write(repo, "a,b\n1,x\n2,y\n", "specs/p.csv")
        sweep, diags = parse_sweep(
            {"product": [{"rows": "p.csv"}, {"seed": {"repeat": 2}}]},
            base_dir=repo / "specs",
            root=repo,
        )
        assert diags == [] and sweep is not None
        assert [p for _, p in sweep.points()] == [
            {"a": 1, "b": "x", "seed": 0},
            {"a": 1, "b": "x", "seed": 1},
            {"a": 2, "b": "y", "seed": 0},
            {"a": 2, "b": "y", "seed": 1},
        ]
        table = sweep.space.children()[0]
        assert isinstance(table, TableSpace) and table.source == "p.csv"


class TestDocuments:
    def test_json(self, repo: Path) -> None:
        write(repo, '[{"a": 1, "b": [1, 2]}, {"b": null, "a": 2.5}]', "specs/p.json")
        assert rows_of(repo, "p.json") == [{"a": 1, "b": [1, 2]}, {"a": 2.5, "b": None}]

    def test_yaml_uses_yaml_1_2(self, repo: Path) -> None:
        write(repo, "- {a: 1, b: no, c: 2024-01-02}\n- {a: 2, b: yes, c: x}\n", "specs/p.yaml")
        assert rows_of(repo, "p.yaml") == [
            {"a": 1, "b": "no", "c": "2024-01-02"},
            {"a": 2, "b": "yes", "c": "x"},
        ]

    def test_yml_suffix_and_case(self, repo: Path) -> None:
        write(repo, "- a: 1\n", "specs/P.YML")
        assert rows_of(repo, "P.YML") == [{"a": 1}]

    def test_jsonl(self, repo: Path) -> None:
        write(repo, '{"a": 1}\n\n{"a": "x"}\n', "specs/p.jsonl")
        assert rows_of(repo, "p.jsonl") == [{"a": 1}, {"a": "x"}]

    def test_jsonl_errors_name_the_line(self, repo: Path) -> None:
        write(repo, '{"a": 1}\n{"a": NaN}\n{"a": 1, "a": 2}\n{"b": 1}\n', "specs/p.jsonl")
        messages = problems(repo, "p.jsonl")
        assert messages == ["p.jsonl:2: NaN is not a JSON number", "p.jsonl:3: duplicate key 'a'"]

    def test_jsonl_row_keys_name_the_line(self, repo: Path) -> None:
        write(repo, '{"a": 1}\n\n{"b": 1}\n', "specs/p.jsonl")
        assert problems(repo, "p.jsonl") == [
            "p.jsonl:3: row 1 lacks a and has unexpected b; every row needs exactly the keys "
            "of row 0: a"
        ]

    def test_row_keys_differ_with_position(self, repo: Path) -> None:
        write(repo, "- a: 1\n  b: 2\n- a: 3\n", "specs/p.yaml")
        assert problems(repo, "p.yaml") == [
            "p.yaml:3:3: row 1 lacks b; every row needs exactly the keys of row 0: a, b"
        ]

    @pytest.mark.parametrize(
        ("name", "text", "message"),
        [
            pytest.param(
                "p.json",
                '{"a": 1}',
                "p.json:1:1: rows must be a list of mappings, not dict",
                id="json object",
            ),
            pytest.param(
                "p.json",
                "[1]",
                "p.json:1:2: row 0 is a int, not a mapping",
                id="json list of numbers",
            ),
            pytest.param(
                "p.json",
                '[{"a": 1}',
                "p.json:1:10: JSON syntax error: Expecting ',' delimiter",
                id="json syntax",
            ),
            pytest.param(
                "p.yaml",
                "- {a: [1, .nan]}\n",
                "p.yaml:1:11: .nan is not a finite number and cannot be sent as JSON",
                id="yaml nan",
            ),
            pytest.param(
                "p.yaml",
                "- {a: 1}\n---\n- {a: 2}\n",
                "p.yaml: has 2 documents; a rows file holds one list",
                id="two documents",
            ),
            pytest.param(
                "p.yaml",
                "- {1: 1}\n",
                "p.yaml:1:3: '1' is not a valid parameter name "
                "(letters, digits, _; not a digit first)",
                id="int key",
            ),
        ],
    )
    def test_document_problems(self, repo: Path, name: str, text: str, message: str) -> None:
        write(repo, text, f"specs/{name}")
        assert problems(repo, name)[-1] == message

    def test_yaml_duplicate_key_comes_from_the_loader(self, repo: Path) -> None:
        write(repo, "- {a: 1, a: 2}\n", "specs/p.yaml")
        sweep, diags = load(repo, "p.yaml")
        assert sweep is None
        assert diags[0].code == "PS605" and diags[0].message.startswith("p.yaml:1:")
        assert dict(diags[0].context)["cause"] == "PS104"


class TestPaths:
    def test_relative_to_the_spec_directory(self, repo: Path) -> None:
        write(repo, "a\n1\n", "data/p.csv")
        assert rows_of(repo, "../data/p.csv") == [{"a": 1}]
        write(repo, "a\n2\n", "specs/sub/q.csv")
        assert rows_of(repo, "sub/./q.csv") == [{"a": 2}]

    def test_absolute_path(self, repo: Path) -> None:
        target = write(repo, "a\n1\n", "specs/p.csv")
        assert problems(repo, str(target)) == [
            f"rows file {str(target)!r} is an absolute path; name it relative to the spec's "
            "directory"
        ]

    @pytest.mark.parametrize("name", ["C:/x.csv", "\\\\server\\share\\x.csv", "\\x.csv"])
    def test_windows_absolute_paths(self, repo: Path, name: str) -> None:
        assert "absolute path" in problems(repo, name)[0]

    def test_dotdot_escape(self, repo: Path) -> None:
        write(repo.parent, "a\n1\n", "outside.csv")
        [message] = problems(repo, "../../outside.csv")
        assert "leads outside the repository root" in message

    def test_symlink_to_outside(self, repo: Path) -> None:
        outside = write(repo.parent, "a\n1\n", "secret.csv")
        (repo / "specs/link.csv").symlink_to(outside)
        [message] = problems(repo, "link.csv")
        assert "resolves through a symbolic link" in message

    def test_symlinked_directory_to_outside(self, repo: Path) -> None:
        write(repo.parent, "a\n1\n", "elsewhere/p.csv")
        (repo / "specs/dir").symlink_to(repo.parent / "elsewhere")
        [message] = problems(repo, "dir/p.csv")
        assert "symbolic link" in message

    def test_symlink_inside_the_root_is_fine(self, repo: Path) -> None:
        target = write(repo, "a\n1\n", "data/p.csv")
        (repo / "specs/link.csv").symlink_to(target)
        assert rows_of(repo, "link.csv") == [{"a": 1}]

    def test_root_reached_through_a_symlink(self, repo: Path, tmp_path: Path) -> None:
        write(repo, "a\n1\n", "specs/p.csv")
        alias = tmp_path / "alias"
        alias.symlink_to(repo)
        sweep, diags = parse_sweep({"rows": "p.csv"}, base_dir=alias / "specs", root=repo)
        assert diags == [] and sweep is not None and sweep.size == 1

    @pytest.mark.parametrize(
        ("name", "message"),
        [
            ("missing.csv", "rows file 'missing.csv' does not exist"),
            ("", "rows file '' is an empty path"),
            ("p.txt", "rows file 'p.txt' has the unsupported type '.txt'"),
            ("p", "rows file 'p' has the unsupported type '(none)'"),
            ("a\x00.csv", "rows file 'a\\x00.csv' contains a NUL character"),
        ],
    )
    def test_unusable_names(self, repo: Path, name: str, message: str) -> None:
        write(repo, "a\n1\n", "specs/p.txt")
        assert problems(repo, name) == [message]

    def test_directory(self, repo: Path) -> None:
        (repo / "specs/d.csv").mkdir()
        assert problems(repo, "d.csv") == ["rows file 'd.csv' is not a regular file"]

    @pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
    def test_fifo_is_refused_without_blocking(self, repo: Path) -> None:
        os.mkfifo(repo / "specs/p.csv")
        assert problems(repo, "p.csv") == ["rows file 'p.csv' is not a regular file"]

    def test_too_large(self, repo: Path) -> None:
        with open(repo / "specs/big.csv", "wb") as handle:
            handle.truncate(MAX_ROWS_BYTES + 1)
        [message] = problems(repo, "big.csv")
        assert message == (
            f"rows file 'big.csv' is {MAX_ROWS_BYTES + 1} bytes; the limit is "
            f"{MAX_ROWS_BYTES} (50 MiB)"
        )

"""What each diagnostic code means at length: what usually causes it, what to do, and for
the codes users commonly hit a small example (a spec that gets the code, and the same spec
fixed). ``promspec explain CODE`` prints these, and ``docs/diagnostics.md`` is generated
from them (``python -m prominence_spec.codes.markdown > docs/diagnostics.md``).

Every example is a whole spec: the tests validate ``bad`` (it must report the code) and
``fixed`` (it must be valid, with no diagnostic at all).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Example:
    """A spec that gets the code, and the same spec fixed."""

    bad: str
    fixed: str


@dataclass(frozen=True)
class Explanation:
    """The long form of a code: what to do (``hint``), why it happens (``text``, may be
    empty) and an example where one makes sense."""

    hint: str
    text: str = ""
    example: Example | None = None


_RESOURCES = "resources: {cpus: 1, memory: 1, disk: 10}\n"
_TASKS = "tasks: [{image: centos:7, runtime: singularity}]\n"


def _job(middle: str = _RESOURCES + _TASKS, name: str = "demo") -> str:
    """A small job spec: ``name:`` then ``middle``."""
    return f"name: {name}\n{middle}"


def _templated(settings: str, cmd: str) -> str:
    """A small templated job spec: its ``promspec:`` block, and the task's cmd."""
    task = f"tasks: [{{image: centos:7, runtime: singularity, cmd: {cmd}}}]\n"
    return f"promspec:\n{settings}name: demo\n{_RESOURCES}{task}"


_LOADING: dict[str, Explanation] = {
    "PS100": Explanation(
        "check the path, and that it names a regular file you can read",
        "The file does not exist, cannot be opened (permissions), or is not a regular file "
        "(a directory given where a file is expected, a FIFO, a device). Nothing in it is "
        "checked; the command exits with 2.",
    ),
    "PS101": Explanation(
        "fix the syntax at the line and column given (an unclosed bracket or quote, a tab "
        "used for indentation, a missing space after a colon)",
        "The file is not well-formed YAML (or JSON, for a .json file), so it has no data to "
        "check. The position is where the parser gave up, which may be just after the real "
        "mistake.",
        Example(
            _job("resources: {cpus: 1, memory: 1, disk: 10\n" + _TASKS),
            _job(),
        ),
    ),
    "PS102": Explanation(
        "save the file as UTF-8",
        "Spec files are UTF-8 text. The file holds an invalid UTF-8 byte (the position says "
        "where), is UTF-16 or UTF-32, or is binary data (it contains a NUL byte).",
    ),
    "PS103": Explanation(
        "split the spec, or move large data into files that a template reads",
        "promspec reads spec files of at most 4 MiB; a bigger one is refused unread. The "
        "server accepts at most 1 MiB per request anyway (PS413).",
    ),
    "PS104": Explanation(
        "remove one of the two keys",
        "A mapping has the same key twice. YAML parsers disagree on which value wins (the "
        "server's JSON parser keeps the last one), so promspec refuses to guess.",
        Example(_job(name="demo\nname: demo2"), _job()),
    ),
    "PS105": Explanation(
        "write the job or workflow, or remove the empty document",
        "The file, or one document of a multi-document YAML stream, has no content: it is "
        "empty, holds only comments, or is null.",
        Example("# name: demo\n", _job()),
    ),
    "PS106": Explanation(
        "make the top level a mapping of keys (name:, resources:, tasks:, ...)",
        "A job or workflow description is a mapping. The file's top level is a list, a "
        "string or a number instead; a list of jobs belongs under a workflow's jobs: key.",
        Example("- " + _job().replace("\n", "\n  ").rstrip() + "\n", _job()),
    ),
    "PS107": Explanation(
        "flatten the data: no spec needs 64 levels",
        "Lists and mappings are nested more than 64 levels deep. The limit keeps hostile "
        "files from exhausting the loader; no real spec comes near it.",
    ),
    "PS108": Explanation(
        "write the values out instead of expanding aliases of aliases",
        "YAML aliases (*name) expand to more values than promspec allows. This is the shape "
        "of a 'billion laughs' file, which would take a parser all of its memory.",
    ),
    "PS109": Explanation(
        "remove the tag; for a merge key (<<), write the keys out",
        "The YAML uses a tag promspec does not read (!!python/..., a custom !tag, !!binary, "
        "...), or a merge key (<<), which is YAML 1.1 only. Specs are plain data: strings, "
        "numbers, booleans, null, lists and mappings.",
        Example(
            "base: &base {cpus: 1, memory: 1}\n"
            "name: demo\n"
            "resources: {<<: *base, disk: 10}\n" + _TASKS,
            _job(),
        ),
    ),
    "PS110": Explanation(
        "quote the value if you mean the text",
        "A warning: an unquoted value is read as something it may not mean. promspec reads "
        "YAML 1.2, so 1.10 is the number 1.1 (the trailing zero is lost) and 0777 is the "
        "decimal 777 (no implicit octal). Quoting keeps the text as written.",
        Example(
            _job(
                _RESOURCES + "tasks:\n  - {image: centos:7, runtime: singularity, "
                "cmd: run, env: {VERSION: 1.10}}\n"
            ),
            _job(
                _RESOURCES + "tasks:\n  - {image: centos:7, runtime: singularity, "
                "cmd: run, env: {VERSION: '1.10'}}\n"
            ),
        ),
    ),
    "PS111": Explanation(
        "use a string key",
        "A mapping key is a list or a mapping (YAML allows ? [a, b]: ... and {[a, b]: x}). "
        "JSON object keys are strings, so such a key cannot be sent.",
        Example(
            _job(_RESOURCES + _TASKS + "labels: {[study, run]: pi}\n"),
            _job(_RESOURCES + _TASKS + "labels: {study: pi}\n"),
        ),
    ),
    "PS112": Explanation(
        "write a finite number of reasonable size, or quote it if it is text",
        "JSON has no infinity or NaN, and the server cannot take integers of hundreds of "
        "digits: the value cannot be sent as written.",
        Example(
            _job("resources: {cpus: 1, memory: 1, disk: 10, walltime: .inf}\n" + _TASKS),
            _job("resources: {cpus: 1, memory: 1, disk: 10, walltime: 1440}\n" + _TASKS),
        ),
    ),
    "PS113": Explanation(
        "name spec files *.yaml, *.yml or *.json",
        "A file named on the command line is not a spec file by its name (spec.txt), or a "
        "folder holds no spec file at all. The command exits with 2.",
    ),
}

_SCHEMA: dict[str, Explanation] = {
    "PS201": Explanation(
        "remove the key, or fix its spelling (the hint names the nearest known key)",
        "The server's validator rejects keys it does not know, so a typo is never silently "
        "ignored: the job would not be submitted at all.",
        Example(
            _job("resources: {cpu: 1, memory: 1, disk: 10}\n" + _TASKS),
            _job(),
        ),
    ),
    "PS202": Explanation(
        "add the key",
        "A key the server requires is missing: a job needs resources and tasks, a task "
        "needs image and runtime, a workflow needs jobs.",
        Example(_job(_RESOURCES), _job()),
    ),
    "PS203": Explanation(
        "write a value of the expected type (quote text, leave numbers unquoted)",
        "The value has the wrong JSON type: text where a number is expected (memory: 1GB; "
        "memory is in GB and a plain integer), a number where a list is expected, and so on.",
        Example(
            _job("resources: {cpus: 1, memory: 1GB, disk: 10}\n" + _TASKS),
            _job(),
        ),
    ),
    "PS204": Explanation(
        "write the number without a fraction or exponent: 2, not 2.0 or 2e0",
        "The server tests integers by how they are written, not by their value: 2.0 is a "
        "float and is rejected where an integer is required (cpus, memory, disk, nodes, "
        "walltime, ...). A template that computes a value must render a whole number too "
        "({{ n // 2 }}, not {{ n / 2 }}).",
        Example(
            _job("resources: {cpus: 2.0, memory: 1, disk: 10}\n" + _TASKS),
            _job("resources: {cpus: 2, memory: 1, disk: 10}\n" + _TASKS),
        ),
    ),
    "PS205": Explanation(
        "use a value within the range the message gives",
        "A number is below its minimum or above its maximum: cpus, memory and nodes are at "
        "least 1, for example.",
        Example(
            _job("resources: {cpus: 0, memory: 1, disk: 10}\n" + _TASKS),
            _job(),
        ),
    ),
    "PS206": Explanation(
        "use one of the values the message lists",
        "The key takes one of a fixed set of values: a task's runtime is singularity or "
        "udocker (not docker), a notification's event and type are fixed words.",
        Example(
            _job(_RESOURCES + "tasks: [{image: centos:7, runtime: docker}]\n"),
            _job(),
        ),
    ),
    "PS207": Explanation(
        "use only the characters the message allows",
        "A string does not match the form the server requires: job names allow ASCII "
        "letters, digits, '-', '_', '/', '.' and spaces; label names only letters and digits.",
        Example(_job(name="my:demo"), _job(name="my-demo")),
    ),
    "PS208": Explanation(
        "give a non-empty value, or shorten it to the limit",
        "A string is empty where the server needs text (a task's image), or longer than "
        "the server allows (names and labels: 512 characters).",
        Example(
            _job(_RESOURCES + "tasks: [{image: '', runtime: singularity}]\n"),
            _job(),
        ),
    ),
    "PS209": Explanation(
        "keep exactly one of the alternatives the message names",
        "Some keys come in alternatives, of which exactly one must be given: cpus, "
        "cpusRange or cpusOptions; memory or memoryPerCpu.",
        Example(
            _job("resources: {cpus: 1, cpusRange: [1, 4], memory: 1, disk: 10}\n" + _TASKS),
            _job(),
        ),
    ),
    "PS210": Explanation(
        "give the number of items the message asks for",
        "A list or mapping has too few or too many items: cpusRange is [min, max], two "
        "items exactly.",
        Example(
            _job("resources: {cpusRange: [1], memory: 1, disk: 10}\n" + _TASKS),
            _job("resources: {cpusRange: [1, 4], memory: 1, disk: 10}\n" + _TASKS),
        ),
    ),
    "PS299": Explanation(
        "compare the value with the forms in docs/spec-format.md; -v shows every "
        "alternative that was tried",
        "The value fails a schema rule that has no code of its own, most often a value "
        "that may take several forms and matches none of them.",
    ),
}

_RULES: dict[str, Explanation] = {
    "PS301": Explanation("give each job of the workflow its own name"),
    "PS302": Explanation("name only jobs of the workflow as dependency children"),
    "PS303": Explanation("name only jobs of the workflow in the factory's jobs"),
    "PS304": Explanation("give each factory parameter its own name"),
    "PS305": Explanation("give every zip parameter the same number of values"),
    "PS306": Explanation("make procsPerNode at most cpus"),
    "PS307": Explanation("add a task without type (or with type: basic)"),
    "PS308": Explanation("leave mpirun out: the MPI runtime starts it for you"),
    "PS309": Explanation("give the MPI task a cmd to run"),
}

_SERVER_FAILS: dict[str, Explanation] = {
    "PS401": Explanation(
        "add disk: 10 (GB; the official CLI's default)",
        "The server's validator accepts a job without resources.disk, but the backend "
        "reads it unconditionally and the submission fails with HTTP 500.",
        Example(
            _job("resources: {cpus: 1, memory: 1}\n" + _TASKS),
            _job(),
        ),
    ),
    "PS402": Explanation("give each parameterSweep parameter start, end and step"),
    "PS403": Explanation("write start, end and step as numbers"),
    "PS404": Explanation("use a step greater than 0 (and large enough to change start)"),
    "PS405": Explanation("sweep at most 4 parameters in one parameterSweep factory"),
    "PS406": Explanation("give the zip factory its parameters, each with values"),
    "PS407": Explanation("use zip values without whitespace, quotes, '=' or '\\'"),
    "PS408": Explanation("quote the value: the backend needs a string here"),
    "PS409": Explanation("write totalCpusRange as two integers"),
    "PS410": Explanation("encode the content as base64 (read_file_b64 in a template)"),
    "PS411": Explanation("write the value in the documented form (see the message)"),
    "PS412": Explanation("give the notification both event and type"),
    "PS413": Explanation("make the request smaller: move data into artifacts or files"),
    "PS414": Explanation("fetch external artifacts in a job outside the factory"),
}

_STRICTER: dict[str, Explanation] = {
    "PS501": Explanation("name only jobs of the workflow as dependency parents"),
    "PS502": Explanation("break the cycle: a job cannot depend on itself, even indirectly"),
    "PS503": Explanation("write the canonical form (an object, or leave the key out)"),
    "PS504": Explanation("rename it: no whitespace, line breaks or reserved names"),
    "PS505": Explanation("rename one of the jobs so that neither name contains the other"),
    "PS506": Explanation("add jobs to the workflow"),
    "PS507": Explanation("list each job in one factory only"),
}

_TEMPLATES: dict[str, Explanation] = {
    "PS601": Explanation(
        "fix the Jinja expression at the position given",
        "A template string has a Jinja syntax error, or fails when it is rendered (an "
        "unknown filter or function, a type error, two keys that render to the same name). "
        "For a sweep, the message says how many points fail and the first one.",
        Example(
            _templated("  params: {n: 1}\n", "'run {{ n + }}'"),
            _templated("  params: {n: 1}\n", "'run {{ n + 1 }}'"),
        ),
    ),
    "PS602": Explanation(
        "define the variable in promspec.params, the sweep, --set or --values, or fix "
        "its spelling (the hint names the nearest defined one)",
        "A template uses a variable that no parameter defines. promspec renders strictly: "
        "an undefined value is an error, never an empty string.",
        Example(
            _templated("  params: {digits: 100}\n", "'run {{ digit }}'"),
            _templated("  params: {digits: 100}\n", "'run {{ digits }}'"),
        ),
    ),
    "PS603": Explanation(
        "use data, filters and the documented functions only",
        "Templates run in a sandbox: no attributes starting with _, no Python internals, "
        "and limits on what a template may build (strings and lists of more than 1 MiB). "
        "The message says which rule was broken.",
        Example(
            _templated("  params: {n: 1}\n", "\"{{ ''.__class__ }}\""),
            _templated("  params: {n: 1}\n", "'run {{ n }}'"),
        ),
    ),
    "PS604": Explanation(
        "fix the sweep as the message says; docs/sweeps.md has the grammar",
        "The sweep under promspec.sweep is not valid: a range with a step of 0 or less, a "
        "bare scalar where a list of values belongs, zip items of unequal length, more points "
        "than max_points allows, a where expression that fails. As a warning it also says "
        "that a sweep parameter is used nowhere in the spec (every point would render the "
        "same job).",
        Example(
            _templated("  sweep:\n    x: {start: 0, end: 1, step: 0}\n", "'run {{ x }}'"),
            _templated("  sweep:\n    x: {start: 0, end: 1, step: 0.5}\n", "'run {{ x }}'"),
        ),
    ),
    "PS605": Explanation(
        "fix the rows file: it must be inside the repository, UTF-8, and every row must "
        "have the same columns",
        "A rows: file of the sweep (CSV, JSON or YAML rows) is missing, outside the "
        "repository, too large, or its rows are not a table of parameter values.",
    ),
    "PS606": Explanation(
        "give every axis at least one value, and check that filters leave points",
        "The sweep has no points at all: an axis with an empty list, a range whose start is "
        "past its end, rows files without rows, or exclude/where filters that drop every "
        "point. Nothing would be submitted.",
        Example(
            _templated("  sweep:\n    x: []\n", "'run {{ x }}'"),
            _templated("  sweep:\n    x: [1]\n", "'run {{ x }}'"),
        ),
    ),
    "PS607": Explanation(
        "fix the setting (the hint names the nearest known one)",
        "The promspec: block has an unknown setting, or a setting of the wrong form: expand "
        "must be jobs, workflow or factory, params a mapping, max_points a positive integer, "
        "and so on. --set and --values problems are reported with this code too.",
        Example(
            _templated("  sweeps:\n    x: [1, 2]\n", "'run {{ x }}'"),
            _templated("  sweep:\n    x: [1, 2]\n", "'run {{ x }}'"),
        ),
    ),
    "PS608": Explanation(
        "use expand: jobs (one job per point) or workflow, or change the sweep to what a "
        "factory can say",
        "expand: factory compiles the sweep into a server-side factory, which can generate "
        "ranges (parameterSweep), zipped lists (zip) and repeats only. include, exclude, "
        "where, rows of mixed values and products with lists cannot be compiled.",
        Example(
            _templated(
                "  expand: factory\n  sweep:\n    x: [1, 2, 3]\n    where: x != 2\n",
                "'run {{ x }}'",
            ),
            _templated("  expand: factory\n  sweep:\n    x: [1, 3]\n", "'run {{ x }}'"),
        ),
    ),
    "PS609": Explanation(
        "keep templates and the files they read inside the repository (--root DIR sets it)",
        "A template: file or a read_file() path is outside the repository root, is not a "
        "regular file, or is not UTF-8 text. The root is the nearest folder with .git "
        "unless --root says otherwise.",
    ),
    "PS610": Explanation(
        "make the value smaller: the server accepts at most 1 MiB per request",
        "A rendered value, or a file a template reads, is larger than promspec allows, or "
        "rendering took too long or ran out of memory.",
    ),
    "PS611": Explanation(
        "add a promspec: block (promspec: {} is enough) to render the spec; for literal "
        "braces, add the block and write them as {{ '{{' }}",
        "A string looks like Jinja ({{ ... }} or {% ... %}), but the spec has no promspec: "
        "block, so it is sent as it is: the server would get the braces literally.",
        Example(
            _job(_RESOURCES + "tasks: [{image: '{{ image }}', runtime: singularity}]\n"),
            "promspec: {params: {image: centos:7}}\n"
            + _job(_RESOURCES + "tasks: [{image: '{{ image }}', runtime: singularity}]\n"),
        ),
    ),
    "PS612": Explanation(
        "check the name against the spec's variables (the hint names the nearest one)",
        "A warning: --set or a --values file gives a value that nothing in the spec uses "
        "(often a typo: --set imag=centos:7), or one that a sweep parameter of the same "
        "name overrides at every point.",
    ),
    "PS613": Explanation(
        "set end a little past the last value you want (end: 0.35 for 0, 0.1, 0.2, 0.3)",
        "A warning: a float range is expanded as the server does, by repeated addition, and "
        "0.1 + 0.1 + 0.1 is 0.30000000000000004, which is past end: 0.3. So {start: 0, end: "
        "0.3, step: 0.1} gives 0, 0.1, 0.2 on the server, one value fewer than it seems to "
        "say. The message names the last value the range really reaches.",
        Example(
            _templated("  sweep:\n    x: {start: 0, end: 0.3, step: 0.1}\n", "'run {{ x }}'"),
            _templated("  sweep:\n    x: {start: 0, end: 0.35, step: 0.1}\n", "'run {{ x }}'"),
        ),
    ),
}

_INTERNAL: dict[str, Explanation] = {
    "PS901": Explanation(
        "please report it at https://github.com/promspec/promspec/issues",
        "Something went wrong inside promspec: a bug, not a problem with the spec.",
    ),
}

EXPLANATIONS: dict[str, Explanation] = {
    **_LOADING,
    **_SCHEMA,
    **_RULES,
    **_SERVER_FAILS,
    **_STRICTER,
    **_TEMPLATES,
    **_INTERNAL,
}

__all__ = ["EXPLANATIONS", "Example", "Explanation"]

"""The static-typing corpus: realistic programs checked by mypy with typedprop's plugin and by
basedpyright.

``tests/corpus/good/*.py`` are correct programs: each runs, and neither checker may report an
error in them (mypy in the portable spelling ``Vec[Literal[20]]`` and in the plugin's own
``Vec[20]``, generated from the same files). ``tests/corpus/bad/*.py`` each hold one realistic
mistake, marked ``# mistake: ...`` (mypy with the plugin must report an error on that line or the
next) or ``# mistake(runtime): ...`` (not statically decidable: running it must raise a
``TypedpropError`` from that line or the next). Each checker runs once over all the files.

The programs are written in the portable spelling of docs/static-typing.md (``Model`` records,
``lens_of`` paths and generic fields, checked constructors such as ``Vec[Literal[8]](array)``),
which mypy with the plugin and pyright both type. The good programs named ``*_mypy_only.py`` are
not: they keep, on purpose, spellings only the plugin understands (class-level field lenses
composed with ``>>``, class-level fields of a generic record, ``@model`` record arithmetic), so
that mypy keeps checking them; each has a portable counterpart of the same name without the
suffix. pyright is not asked to accept them, and
``test_pyright_rejects_mypy_only`` checks that it indeed does not.

A check that fails today because the plugin or the library's typing is not yet right is listed
in ``KNOWN_FAILURES`` and marked ``xfail(strict=True)``: when it starts passing, the test fails
until the entry is removed. ``python tests/corpus/tally.py`` prints the same findings as a table.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import re
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType

import pytest
from mypy import api

from typedprop import TypedpropError

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus"
GOOD = sorted((CORPUS / "good").glob("*.py"))
BAD = sorted((CORPUS / "bad").glob("*.py"))
MYPY_ONLY = "_mypy_only"  # the stem suffix of a good program in spellings only the plugin types
MYPY_CONFIG = ROOT / "tests" / "mypy" / "mypy.ini"
BARE = "bare_"  # the prefix of a program's bare-int copy
MARK = re.compile(r"#\s*mistake(\(runtime\))?:\s*(.*)$")
CHECKS = ("mypy", "mypy-bare", "pyright")
MYPY_LINE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): error: (?P<msg>.*)$")

# Checks that fail today, by "<check>:<file name>"; check is "mypy" (portable spelling),
# "mypy-bare" (the plugin's Vec[20] spelling) or "pyright". Each is a strict xfail: remove the
# entry when the plugin or the library's typing is fixed.
KNOWN_FAILURES: dict[str, str] = {}

# Mistakes basedpyright reports today (on the marked line or the next); they must stay caught.
# The static ones it misses, and why: elementwise arithmetic between BVars accepts any
# operand (batch_size_mismatch, residual_across_sizes, wrong_bias); cross_entropy takes a
# BVar[Any] (cross_entropy_sizes); a class-level field is its value to pyright, so the lens of
# another record's field is not told apart (lens_of_other_model); split gives Vec[Any]
# (split_wrong_part).
PYRIGHT_CATCHES: frozenset[str] = frozenset(
    {
        "attention_no_transpose.py",
        "attention_values_wrong.py",
        "batch_forgot_transpose.py",
        "batch_generic_wrong_data.py",
        "chol_of_data.py",
        "cross_wrong_size.py",
        "det_nonsquare.py",
        "dot_lengths.py",
        "eigen_of_data.py",
        "encoder_gets_decoder.py",
        "generic_layer_bad_bias.py",
        "generic_vjoin_weight.py",
        "gru_wrong_hidden.py",
        "heads_vstacked.py",
        "hstack_rows.py",
        "inv_nonsquare.py",
        "lens_wrong_submodel.py",
        "lstm_gate_on_input.py",
        "make_layer_swapped.py",
        "mean_cov_wrong_use.py",
        "model_field_size.py",
        "optimizer_state_other_model.py",
        "outer_wrong_side.py",
        "polymorphic_wrong_call.py",
        "rnn_wrong_weight.py",
        "row_vector_times_weight.py",
        "skipped_layer.py",
        "swapped_init_dims.py",
        "swapped_matmul.py",
        "unrow_batch.py",
        "vjoin_wrong_parts.py",
        "vstack_cols.py",
        "wrong_checkpoint_type.py",
        "wrong_return_size.py",
    }
)

Report = dict[str, list[tuple[int, str]]]  # file name -> [(line, message)], errors only


@dataclass(frozen=True)
class Mistake:
    """The one marked mistake of a bad program."""

    line: int
    runtime: bool
    text: str


def mistake(path: Path) -> Mistake:
    """The ``# mistake: ...`` (or ``# mistake(runtime): ...``) line of a bad program."""
    found = [
        Mistake(n, m[1] is not None, m[2])
        for n, line in enumerate(path.read_text().splitlines(), start=1)
        if (m := MARK.search(line))
    ]
    assert len(found) == 1, f"{path.name}: expected one mistake marker, found {len(found)}"
    return found[0]


def mypy_only(path: Path) -> bool:
    """A good program kept in spellings only the plugin understands (``*_mypy_only.py``)."""
    return path.stem.endswith(MYPY_ONLY)


def static_bad() -> list[Path]:
    return [p for p in BAD if not mistake(p).runtime]


def runtime_bad() -> list[Path]:
    return [p for p in BAD if mistake(p).runtime]


def bare_spelling(source: str) -> str:
    """``source`` with every ``Literal[<int>]`` inside an annotation's brackets written as the
    bare int (``Vec[Literal[20]]`` becomes ``Vec[20]``), the plugin's own spelling."""
    tree = ast.parse(source)
    annotations: list[ast.expr] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.arg | ast.AnnAssign) and node.annotation is not None:
            annotations.append(node.annotation)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.returns:
            annotations.append(node.returns)
    spans: set[tuple[int, int, int, str]] = set()
    for annotation in annotations:
        for outer in ast.walk(annotation):
            if not isinstance(outer, ast.Subscript):
                continue
            args = outer.slice.elts if isinstance(outer.slice, ast.Tuple) else [outer.slice]
            for arg in args:
                if (
                    isinstance(arg, ast.Subscript)
                    and isinstance(arg.value, ast.Name)
                    and arg.value.id == "Literal"
                    and isinstance(arg.slice, ast.Constant)
                    and type(arg.slice.value) is int
                    and arg.end_col_offset is not None
                ):
                    spans.add(
                        (arg.lineno, arg.col_offset, arg.end_col_offset, str(arg.slice.value))
                    )
    lines = source.splitlines(keepends=True)
    for lineno, start, end, text in sorted(spans, reverse=True):
        line = lines[lineno - 1].encode()
        lines[lineno - 1] = (line[:start] + text.encode() + line[end:]).decode()
    return "".join(lines)


def run_mypy(paths: list[Path], cache_dir: Path) -> Report:
    """mypy --strict with the plugin (tests/mypy/mypy.ini) over ``paths``, errors by file."""
    stdout, stderr, status = api.run(
        [
            "--config-file",
            str(MYPY_CONFIG),
            "--hide-error-context",
            "--no-error-summary",
            "--cache-dir",
            str(cache_dir),
            *map(str, paths),
        ]
    )
    assert status in (0, 1) and "INTERNAL ERROR" not in stdout + stderr, stdout + stderr
    report: Report = {p.name: [] for p in paths}
    for line in stdout.splitlines():
        if m := MYPY_LINE.match(line):
            report.setdefault(Path(m["file"]).name, []).append((int(m["line"]), m["msg"].strip()))
    return report


def start_pyright(paths: list[Path]) -> subprocess.Popen[str]:
    """Start basedpyright (``[tool.basedpyright]`` of pyproject.toml, standard mode) on
    ``paths``; it runs while mypy does."""
    exe = Path(sys.executable).with_name("basedpyright")
    return subprocess.Popen(
        [str(exe), "--outputjson", "--pythonpath", sys.executable, *map(str, paths)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )


def pyright_result(process: subprocess.Popen[str], paths: list[Path]) -> Report:
    """basedpyright's errors by file, once it is done."""
    stdout, stderr = process.communicate(timeout=600)
    try:
        data = json.loads(stdout)
    except json.JSONDecodeError:
        raise AssertionError(f"basedpyright gave no report: {stdout}{stderr}") from None
    assert process.returncode in (0, 1), f"basedpyright failed: {stdout}{stderr}"
    assert data["summary"]["filesAnalyzed"] == len(paths), data["summary"]
    report: Report = {p.name: [] for p in paths}
    for d in data["generalDiagnostics"]:
        if d["severity"] == "error":
            text = " ".join(d["message"].split())
            line = d["range"]["start"]["line"] + 1
            report.setdefault(Path(d["file"]).name, []).append((line, text))
    return report


@cache
def pyright_process() -> subprocess.Popen[str]:
    return start_pyright([*GOOD, *BAD])


@cache
def mypy_reports() -> tuple[Report, Report]:
    """mypy with the plugin over every program as written and over its bare-int copy (named
    ``bare_<name>``), in one run."""
    pyright_process()  # basedpyright runs meanwhile
    with tempfile.TemporaryDirectory() as tmp:
        copies = []
        for path in [*GOOD, *BAD]:
            copy = Path(tmp) / f"{BARE}{path.name}"
            copy.write_text(bare_spelling(path.read_text()))
            copies.append(copy)
        both = run_mypy([*GOOD, *BAD, *copies], Path(tmp) / "cache")
    portable = {name: errors for name, errors in both.items() if not name.startswith(BARE)}
    bare = {name[len(BARE) :]: errors for name, errors in both.items() if name.startswith(BARE)}
    return portable, bare


@cache
def pyright_report() -> Report:
    return pyright_result(pyright_process(), [*GOOD, *BAD])


def report_for(check: str) -> Report:
    """The cached report of ``check`` ("mypy", "mypy-bare" or "pyright")."""
    if check == "pyright":
        return pyright_report()
    portable, bare = mypy_reports()
    return bare if check == "mypy-bare" else portable


def catches(errors: list[tuple[int, str]], m: Mistake) -> bool:
    """An error on the mistake's line or the line after it."""
    return any(line in (m.line, m.line + 1) for line, _ in errors)


def load_program(path: Path) -> ModuleType:
    """Import a corpus program by its path, under a name of its own."""
    name = f"_corpus_{path.parent.name}_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def cases(check: str, paths: list[Path]) -> list[object]:
    """``paths`` as parameters, the known failures of ``check`` marked strict xfail; pyright is
    not asked about the mypy-only programs (``test_pyright_rejects_mypy_only`` is)."""
    out: list[object] = []
    for path in paths:
        if check == "pyright" and mypy_only(path):
            continue
        reason = KNOWN_FAILURES.get(f"{check}:{path.name}")
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        out.append(pytest.param(path, id=path.name, marks=marks))
    return out


@pytest.fixture(scope="module", autouse=True)
def _collect_pyright() -> Iterator[None]:
    """Wait for a basedpyright run started alongside mypy, even if no test read it."""
    yield
    if pyright_process.cache_info().currsize:
        pyright_report()


def test_the_corpus_is_big_enough() -> None:
    """At least 17 correct programs and 32 mistakes, 25 of them statically decidable."""
    assert len(GOOD) >= 17
    assert len(BAD) >= 32
    assert len(static_bad()) >= 25
    names = [p.name for p in GOOD + BAD]
    assert len(names) == len(set(names)), "mypy needs unique module names across good and bad"
    assert not any(name.startswith(BARE) for name in names), f"{BARE} names the bare copies"


def test_mypy_only_programs_have_portable_counterparts() -> None:
    """Only correct programs are mypy-only, at most three (that way out must not grow), and
    each has a portable twin."""
    assert not any(mypy_only(p) for p in BAD)
    only = [p for p in GOOD if mypy_only(p)]
    assert 1 <= len(only) <= 3
    for path in only:
        twin = path.with_name(path.name.replace(MYPY_ONLY, ""))
        assert twin in GOOD, f"{path.name} has no portable counterpart {twin.name}"


def test_the_lists_name_corpus_files() -> None:
    """Every KNOWN_FAILURES and PYRIGHT_CATCHES entry names a file of the corpus."""
    names = {p.name for p in GOOD + BAD}
    for key in KNOWN_FAILURES:
        check, _, name = key.partition(":")
        assert check in CHECKS and name in names, key
    assert {p.name for p in static_bad()} >= PYRIGHT_CATCHES


def test_bare_spelling_rewrites_annotations_only() -> None:
    """Literal ints inside annotation brackets become bare; aliases and run-time calls stay."""
    source = (
        "N = Literal[3]\n"
        "def f(x: Vec[Literal[3]], y: Mat[N, Literal[12]]) -> Layer[Literal[4], Literal[5]]:\n"
        "    v: list[Vec[Literal[8]]] = [Vec[Literal[8]](a)]\n"
        "    k: Literal[2] = 2\n"
    )
    assert bare_spelling(source) == (
        "N = Literal[3]\n"
        "def f(x: Vec[3], y: Mat[N, 12]) -> Layer[4, 5]:\n"
        "    v: list[Vec[8]] = [Vec[Literal[8]](a)]\n"
        "    k: Literal[2] = 2\n"
    )


@pytest.mark.parametrize("path", GOOD, ids=lambda p: p.name)
def test_good_program_runs(path: Path) -> None:
    """Every correct program's main() runs."""
    load_program(path).main()


@pytest.mark.parametrize("path", runtime_bad(), ids=lambda p: p.name)
def test_runtime_mistake_raises(path: Path) -> None:
    """A mistake no checker can see raises a typed error from its line (or the next)."""
    m = mistake(path)
    program = load_program(path)
    with pytest.raises(TypedpropError) as info:
        program.main()
    frames = traceback.extract_tb(info.tb)
    lines = {f.lineno or 0 for f in frames if Path(f.filename) == path}
    assert lines & {m.line, m.line + 1}, f"raised from lines {sorted(lines)}: {info.value}"


@pytest.mark.parametrize("path", cases("mypy", GOOD))
def test_mypy_good(path: Path) -> None:
    """mypy --strict with the plugin reports nothing in a correct program (portable spelling)."""
    assert report_for("mypy")[path.name] == []


@pytest.mark.parametrize("path", cases("mypy-bare", GOOD))
def test_mypy_bare_good(path: Path) -> None:
    """The same program written with bare-int dimensions (Vec[20]) checks clean too."""
    assert report_for("mypy-bare")[path.name] == []


@pytest.mark.parametrize("path", cases("mypy", static_bad()))
def test_mypy_catches(path: Path) -> None:
    """mypy with the plugin reports the marked mistake, on its line or the next, and nothing
    else (no error cascades from it)."""
    m = mistake(path)
    errors = report_for("mypy")[path.name]
    assert catches(errors, m), f"line {m.line} ({m.text}) not reported; got {errors}"
    assert len(errors) == 1, f"one mistake is one error, nothing cascades; got {errors}"


@pytest.mark.parametrize("path", cases("mypy-bare", static_bad()))
def test_mypy_bare_catches(path: Path) -> None:
    """The same, with the program's dimensions written as bare ints."""
    m = mistake(path)
    errors = report_for("mypy-bare")[path.name]
    assert catches(errors, m), f"line {m.line} ({m.text}) not reported; got {errors}"
    assert len(errors) == 1, f"one mistake is one error, nothing cascades; got {errors}"


@pytest.mark.parametrize("path", cases("pyright", GOOD))
def test_pyright_good(path: Path) -> None:
    """basedpyright (standard mode) reports nothing in a correct program."""
    assert report_for("pyright")[path.name] == []


@pytest.mark.parametrize("path", cases("pyright", static_bad()))
def test_pyright_nothing_away_from_the_mistake(path: Path) -> None:
    """basedpyright reports nothing in a bad program away from its mistake: the rest of it is
    correct portable code, where an error would be a false one."""
    m = mistake(path)
    errors = report_for("pyright")[path.name]
    assert [(n, msg) for n, msg in errors if n not in (m.line, m.line + 1)] == []


def runtime_cases() -> list[object]:
    """(check, program) for every checker and run-time mistake, known failures strict xfail."""
    out: list[object] = []
    for check in CHECKS:
        for path in runtime_bad():
            reason = KNOWN_FAILURES.get(f"{check}:{path.name}")
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            out.append(pytest.param(check, path, id=f"{check}:{path.name}", marks=marks))
    return out


@pytest.mark.parametrize(("check", "path"), runtime_cases())
def test_runtime_mistake_is_no_static_error(check: str, path: Path) -> None:
    """A mistake no checker can see leaves a program that checks clean: any error a checker
    reports there is a false one."""
    assert report_for(check)[path.name] == []


@pytest.mark.parametrize("path", [p for p in GOOD if mypy_only(p)], ids=lambda p: p.name)
def test_pyright_rejects_mypy_only(path: Path) -> None:
    """A mypy-only program is so named because pyright cannot type it: when pyright accepts
    one, it is portable and loses the suffix."""
    assert report_for("pyright")[path.name], f"pyright accepts {path.name}: rename it"


@pytest.mark.parametrize(
    "path", [p for p in BAD if p.name in PYRIGHT_CATCHES], ids=lambda p: p.name
)
def test_pyright_still_catches(path: Path) -> None:
    """Mistakes basedpyright catches today stay caught."""
    m = mistake(path)
    errors = report_for("pyright")[path.name]
    assert catches(errors, m), f"line {m.line} ({m.text}) not reported; got {errors}"

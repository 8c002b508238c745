"""The mypy plugin, case by case: each line of ``tests/mypy/cases/*.py`` that ends in
``# E: <message>  [code]`` must get exactly that error, each ``# N: <note>`` that note, and no
other line may get anything. Also: the examples and the north-star program check clean, a
one-dimension change to the north star is one ``[dim-mismatch]``, the incremental cache gives
the same answers on a second run, and the daemon (dmypy) agrees."""

from __future__ import annotations

import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest
from mypy import api

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "mypy" / "cases"
CONFIG = ROOT / "tests" / "mypy" / "mypy.ini"
EXPECT = re.compile(r"#\s*([EN]):\s*(.*?)\s*(?=#\s*[EN]:|$)")
REPORT = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): (?P<kind>error|note): (?P<msg>.*)$")

Message = tuple[str, int, str, str]  # file name, line, "E"/"N", text


def case_files() -> list[Path]:
    return sorted(CASES.glob("*.py"))


def expectations() -> list[Message]:
    """Every ``# E:``/``# N:`` comment in the case files."""
    found = []
    for path in case_files():
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if "#" not in line:
                continue
            comment = line[line.index("#") :]
            for kind, text in EXPECT.findall(comment):
                found.append((path.name, number, kind, text))
    return found


def parse(stdout: str) -> list[Message]:
    out = []
    for line in stdout.splitlines():
        m = REPORT.match(line)
        if m:
            kind = "E" if m["kind"] == "error" else "N"
            out.append((Path(m["file"]).name, int(m["line"]), kind, m["msg"].strip()))
    return out


def run_mypy(*extra: str) -> list[Message]:
    stdout, stderr, _ = api.run(
        ["--config-file", str(CONFIG), "--hide-error-context", *extra]
        + [str(p) for p in case_files()]
    )
    assert "INTERNAL ERROR" not in stdout + stderr, stdout + stderr
    return parse(stdout)


@cache
def reported() -> tuple[Message, ...]:
    return tuple(run_mypy("--no-incremental"))


@pytest.mark.parametrize(
    "expected", expectations(), ids=lambda e: f"{e[0]}:{e[1]}:{e[2]}:{e[3][:40]}"
)
def test_case(expected: Message) -> None:
    """mypy with the plugin reports exactly this message on this line."""
    assert expected in reported()


def test_nothing_unexpected() -> None:
    """No line gets an error or note its case does not expect."""
    unexpected = sorted(set(reported()) - set(expectations()))
    assert not unexpected, "\n".join(f"{f}:{n}: {k}: {m}" for f, n, k, m in unexpected)


def test_there_are_enough_cases() -> None:
    """At least 80 cases, about half of them errors."""
    found = expectations()
    errors = [e for e in found if e[2] == "E"]
    assert len(found) >= 80
    assert len(errors) >= 0.4 * len(found)


def check(paths: list[Path], *extra: str) -> str:
    stdout, stderr, _ = api.run(
        ["--config-file", str(ROOT / "mypy.ini"), "--no-incremental", *extra, *map(str, paths)]
    )
    return stdout + stderr


def test_examples_and_north_star_check_clean() -> None:
    """Every example, and the north-star program of DESIGN.md, passes mypy --strict."""
    out = check([*sorted((ROOT / "examples").glob("*.py"))])
    assert "Success: no issues found" in out, out


def test_north_star_with_one_dimension_changed(tmp_path: Path) -> None:
    """Changing weight1 to Mat[20, 99] is one [dim-mismatch], on the line that multiplies it."""
    source = (ROOT / "examples" / "north_star.py").read_text()
    changed = source.replace("weight1: Mat[20, 100]", "weight1: Mat[20, 99]", 1)
    assert changed != source
    target = tmp_path / "north_star_changed.py"
    target.write_text(changed)
    out = check([target])
    errors = [m for m in parse(out) if m[2] == "E"]
    line = next(
        n for n, text in enumerate(changed.splitlines(), 1) if "Network.weight1) @ x" in text
    )
    assert errors == [
        (
            target.name,
            line,
            "E",
            "Dimension mismatch in @: Mat[20, 99] @ Vec[100]  [dim-mismatch]",
        )
    ]


def test_incremental_cache_gives_the_same_answers(tmp_path: Path) -> None:
    """A second run from the cache reports what the first did."""
    cache_dir = str(tmp_path / "cache")
    first = run_mypy("--cache-dir", cache_dir)
    second = run_mypy("--cache-dir", cache_dir)
    assert sorted(first) == sorted(second) == sorted(reported())


def test_daemon_agrees(tmp_path: Path) -> None:
    """dmypy with the plugin reports what mypy does."""
    dmypy = str(Path(sys.executable).with_name("dmypy"))
    status = str(tmp_path / "status.json")
    files = [str(p) for p in case_files()]
    try:
        result = subprocess.run(
            [
                dmypy,
                "--status-file",
                status,
                "run",
                "--timeout",
                "120",
                "--",
                "--config-file",
                str(CONFIG),
                "--hide-error-context",
                *files,
            ],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=ROOT,
        )
    finally:
        subprocess.run([dmypy, "--status-file", status, "stop"], capture_output=True, timeout=60)
    assert sorted(parse(result.stdout)) == sorted(reported()), result.stdout + result.stderr


def test_the_plugin_module_imports_on_its_own() -> None:
    """Importing the plugin first (as a doctest collector or mypy's loader may) works."""
    done = subprocess.run(
        [sys.executable, "-c", "import typedprop.mypy_plugin"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def test_the_static_typing_pages_examples_check_clean(tmp_path: Path) -> None:
    """Every python block of docs/static-typing.md passes mypy --strict with the plugin."""
    page = (ROOT / "docs" / "static-typing.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", page, re.S)
    assert len(blocks) >= 3
    paths = []
    for i, block in enumerate(blocks):
        path = tmp_path / f"static_typing_block_{i}.py"
        path.write_text(block)
        paths.append(path)
    out = check(paths)
    assert "Success: no issues found" in out, out

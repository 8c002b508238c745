"""pyright (Pylance's checker, from PyPI as basedpyright) in the project's standard mode, in one
run: ``typedprop/``, the portable-spelling programs (tests/pyright/portable.py) and the example
of docs/static-typing.md's pyright section get no error at all, and each deliberate mistake in
tests/pyright/mistakes.py gets the error its ``# E:`` comment names, and nothing else does. The
portable programs also run, and pass plain mypy (the docs example runs in tests/test_docs.py)."""

from __future__ import annotations

import json
import re
import runpy
import shutil
import subprocess
import sys
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
PORTABLE = ROOT / "tests" / "pyright" / "portable.py"
MISTAKES = ROOT / "tests" / "pyright" / "mistakes.py"
DOCS = ROOT / "docs" / "static-typing.md"
EXPECT = re.compile(r"#\s*E:\s*(.*?)\s*$")


def _pyright() -> str | None:
    here = Path(sys.executable).parent / "basedpyright"
    return str(here) if here.exists() else shutil.which("basedpyright")


def docs_example() -> str:
    """The python blocks of the docs' pyright section, as one program."""
    text = DOCS.read_text()
    section = text[text.index("## pyright / VS Code") :]
    section = section[: section.index("\n## ", 1)]
    return "\n".join(re.findall(r"^```python\n(.*?)^```", section, re.S | re.M))


def _where(path: str, docs: Path) -> str:
    p = Path(path).resolve()
    return "docs example" if p == docs.resolve() else str(p.relative_to(ROOT))


@cache
def diagnostics() -> tuple[tuple[str, int, str, str], ...]:
    """(file, line, severity, message) of one basedpyright run over the library and the cases."""
    exe = _pyright()
    if exe is None:
        pytest.fail("basedpyright is not installed: pip install -e '.[test]'")
    with tempfile.TemporaryDirectory() as tmp:
        docs = Path(tmp) / "docs_example.py"
        docs.write_text(docs_example())
        out = subprocess.run(
            [exe, "--outputjson", "typedprop", str(PORTABLE), str(MISTAKES), str(docs)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
        )
        report: dict[str, Any] = json.loads(out.stdout)
        return tuple(
            (
                _where(d["file"], docs),
                d["range"]["start"]["line"] + 1,
                d["severity"],
                d["message"],
            )
            for d in report["generalDiagnostics"]
        )


def errors_in(prefix: str) -> list[str]:
    return [
        f"{f}:{n}: {m}" for f, n, s, m in diagnostics() if s == "error" and f.startswith(prefix)
    ]


def test_the_library_has_no_pyright_error() -> None:
    """typedprop/ passes pyright's standard mode (what VS Code users' Pylance runs)."""
    assert errors_in("typedprop/") == []


def test_portable_programs_have_no_pyright_error_and_run() -> None:
    """Model records, lens_of, the operators and the checked constructors type-check with no
    error (every assert_type holds) and the program runs."""
    assert errors_in("tests/pyright/portable.py") == []
    runpy.run_path(str(PORTABLE))


def test_portable_programs_pass_plain_mypy() -> None:
    """The same programs pass mypy --strict without the plugin: "portable" means every checker
    (the repository's own mypy run checks them with the plugin)."""
    from mypy import api

    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "mypy.ini"
        config.write_text("[mypy]\nstrict = True\npython_version = 3.11\n")
        stdout, stderr, status = api.run(
            ["--config-file", str(config), "--cache-dir", str(Path(tmp) / "cache"), str(PORTABLE)]
        )
    assert status == 0, stdout + stderr


def test_the_docs_pyright_example_has_no_pyright_error() -> None:
    """The example docs/static-typing.md shows pyright users type-checks clean."""
    assert "class Network(Model)" in docs_example()
    assert errors_in("docs example") == []


def test_each_mistake_gets_its_error_and_nothing_else_does() -> None:
    """Every deliberate mistake is caught with the expected message, on its line."""
    expected = {
        number: hit.group(1)
        for number, line in enumerate(MISTAKES.read_text().splitlines(), start=1)
        if (hit := EXPECT.search(line))
    }
    got: dict[int, list[str]] = {}
    for f, n, s, m in diagnostics():
        if f == "tests/pyright/mistakes.py" and s == "error":
            got.setdefault(n, []).append(m)
    assert len(expected) >= 10
    missing = {n: e for n, e in expected.items() if not any(e in m for m in got.get(n, []))}
    unexpected = {n: ms for n, ms in got.items() if n not in expected}
    assert not missing, missing
    assert not unexpected, unexpected

"""Tally the static-typing corpus: for mypy with the plugin (portable and bare-int spelling) and
for basedpyright, the false errors on correct programs and the mistakes caught and missed.
pyright's false errors count the portable programs only: the ``*_mypy_only.py`` ones are not
its to check (their errors are listed apart).

Run it from anywhere: ``python tests/corpus/tally.py`` (``--quiet`` for the table alone). It uses
the machinery of ``tests/test_corpus.py``, so it sees what the tests see.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.test_corpus import (
    BAD,
    CHECKS,
    GOOD,
    Report,
    mistake,
    mypy_only,
    mypy_reports,
    pyright_report,
    static_bad,
)


def reports() -> dict[str, Report]:
    """Each checker's report over the whole corpus."""
    portable, bare = mypy_reports()
    return {"mypy": portable, "mypy-bare": bare, "pyright": pyright_report()}


def checked_good(check: str) -> list[Path]:
    """The correct programs ``check`` must accept: pyright skips the mypy-only ones."""
    return [p for p in GOOD if check != "pyright" or not mypy_only(p)]


def false_errors(report: Report, check: str) -> dict[str, list[tuple[int, str]]]:
    """The errors reported on the correct programs ``check`` must accept, by file."""
    return {p.name: report[p.name] for p in checked_good(check) if report[p.name]}


def caught(report: Report) -> dict[str, str]:
    """For each statically decidable mistake: "line", "line+1" or "missed"."""
    out = {}
    for path in static_bad():
        m = mistake(path)
        lines = {line for line, _ in report[path.name]}
        out[path.name] = (
            "line" if m.line in lines else "line+1" if m.line + 1 in lines else "missed"
        )
    return out


def stray(report: Report) -> dict[str, list[tuple[int, str]]]:
    """Errors in bad programs away from their mistake (false errors there, or cascades)."""
    out = {}
    for path in BAD:
        m = mistake(path)
        other = [(n, msg) for n, msg in report[path.name] if n not in (m.line, m.line + 1)]
        if other:
            out[path.name] = other
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quiet", action="store_true", help="print the table only")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    found = reports()
    seconds = time.perf_counter() - start
    n_static = len(static_bad())
    n_only = sum(mypy_only(p) for p in GOOD)
    print(
        f"corpus: {len(GOOD)} correct programs ({n_only} mypy-only), "
        f"{len(BAD)} mistakes ({n_static} static)"
    )
    print(f"{'checker':<10} {'false errors':>12} {'in files':>9} {'caught':>7} {'missed':>7}")
    for check in CHECKS:
        fe = false_errors(found[check], check)
        c = caught(found[check])
        hits = sum(v != "missed" for v in c.values())
        count = sum(len(v) for v in fe.values())
        print(f"{check:<10} {count:>12} {len(fe):>9} {hits:>7} {n_static - hits:>7}")
    print(f"(checkers ran in {seconds:.1f} s)")
    if args.quiet:
        return
    for check in CHECKS:
        print(f"\n== {check}: false errors on correct programs")
        for name, errors in false_errors(found[check], check).items():
            for line, msg in errors:
                print(f"  {name}:{line}: {msg}")
        if check == "pyright":
            print("== pyright: errors in the mypy-only programs (not its to check)")
            for path in GOOD:
                if mypy_only(path):
                    for line, msg in found[check][path.name]:
                        print(f"  {path.name}:{line}: {msg}")
        c = caught(found[check])
        print(f"== {check}: mistakes missed")
        for path in static_bad():
            if c[path.name] == "missed":
                m = mistake(path)
                print(f"  {path.name}:{m.line}: {m.text}")
        print(f"== {check}: mistakes caught (where, message)")
        for path in static_bad():
            if c[path.name] != "missed":
                m = mistake(path)
                at = m.line if c[path.name] == "line" else m.line + 1
                msgs = "; ".join(msg for n, msg in found[check][path.name] if n == at)
                print(f"  {path.name}:{at} [{c[path.name]}]: {msgs}")
        print(f"== {check}: other errors in bad programs (away from the mistake)")
        for name, errors in stray(found[check]).items():
            for line, msg in errors:
                print(f"  {name}:{line}: {msg}")


if __name__ == "__main__":
    main()

"""Every Python code block in the README and in docs/ runs, so the docs cannot drift."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def blocks() -> list[tuple[str, int, str]]:
    """(page, index, source) of each python block."""
    found = []
    for page in PAGES:
        for i, m in enumerate(BLOCK.finditer(page.read_text())):
            found.append((page.name, i, m.group(1)))
    return found


@pytest.mark.parametrize(("page", "index", "source"), blocks())
def test_code_block_runs(
    page: str, index: int, source: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The block executes without error (its asserts are the test), as a script with no args."""
    monkeypatch.setattr(sys, "argv", [page])
    code = compile(source, f"{page}[{index}]", "exec", dont_inherit=True)  # no __future__ of ours
    exec(code, {"__name__": "docs"})


def test_docs_have_code_blocks() -> None:
    """The README and the getting-started page have runnable examples to check."""
    names = {page for page, _, _ in blocks()}
    assert {"README.md", "getting-started.md"} <= names


# what ``pip install -e '.[examples]'`` brings besides the standard library
INSTALLED = {"typedprop", "numpy", "attrs", "attr", "sklearn", "matplotlib", "tqdm"}


@pytest.mark.parametrize(("page", "index", "source"), blocks())
def test_code_block_needs_only_the_examples_install(page: str, index: int, source: str) -> None:
    """A reader who installed ``.[examples]`` can run the block: no pytest; any other package
    it imports (hypothesis, to test your own rules) has its install line on the page."""
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            imported.add(node.module.split(".")[0])
    extra = imported - INSTALLED - sys.stdlib_module_names
    text = (ROOT / "docs" / page).read_text() if page != "README.md" else ""
    assert extra == set() or {f"pip install {name}" in text for name in extra} == {True}


def shell_commands(page: Path) -> list[str]:
    """The commands of a page's bash blocks."""
    return re.findall(r"^```bash\n(.*?)^```", page.read_text(), re.S | re.M)


def test_docs_home_gives_the_readme_commands() -> None:
    """docs/index.md's demo and test commands are the README's (the demo prints a result)."""
    readme = shell_commands(ROOT / "README.md")
    assert readme[0].strip().endswith("examples/mnist.py")
    assert shell_commands(ROOT / "docs" / "index.md")[:2] == readme[:2]


def test_getting_started_trains_and_saves_a_model() -> None:
    """One getting-started block shows a typed @model, an optimizer loop and a checkpoint."""
    page = (ROOT / "docs" / "getting-started.md").read_text()
    shown = ("@model", "Mat[", "Vec[", "from typedprop.optim import", "for ", "save(", "load(")
    assert any(all(part in m.group(1) for part in shown) for m in BLOCK.finditer(page))


def test_static_typing_says_how_to_install_mypy() -> None:
    """The static-typing page has the install line and the plugin setting, in that order."""
    page = (ROOT / "docs" / "static-typing.md").read_text()
    assert page.index("pip install mypy") < page.index("plugins = typedprop.mypy_plugin")


# what Numeric.Backprop exports (its Haddock export list), lower-case names only
BACKPROP_EXPORTS = {
    "backprop",
    "evalBP",
    "gradBP",
    "backpropWith",
    "evalBP0",
    "backprop2",
    "evalBP2",
    "gradBP2",
    "backpropWith2",
    "backpropN",
    "evalBPN",
    "gradBPN",
    "backpropWithN",
    "constVar",
    "auto",
    "coerceVar",
    "viewVar",
    "setVar",
    "overVar",
    "sequenceVar",
    "collectVar",
    "previewVar",
    "toListOfVar",
    "isoVar",
    "isoVar2",
    "isoVar3",
    "isoVarN",
    "liftOp",
    "liftOp1",
    "liftOp2",
    "liftOp3",
    "op0",
    "opConst",
    "idOp",
    "bpOp",
    "op1",
    "op2",
    "op3",
    "opCoerce",
    "opTup",
    "opIso",
    "opIsoN",
    "opLens",
    "noGrad1",
    "noGrad",
    "splitBV",
    "joinBV",
    "zero",
    "add",
    "one",
}


def test_comparisons_names_only_what_backprop_exports() -> None:
    """Every backprop function named in the comparisons table exists in backprop."""
    page = (ROOT / "docs" / "comparisons.md").read_text()
    table = page[page.index("| backprop | typedprop |") :].split("\n\n")[0]
    named = {
        name
        for row in table.splitlines()[2:]
        for name in re.findall(r"`([a-z]\w*)`", row.split("|")[1])
    }
    assert {"opIso", "noGrad", "liftOp1"} <= named
    assert named - BACKPROP_EXPORTS - {"makeLenses"} == set()  # makeLenses: from lens


def test_performance_page_speaks_to_users() -> None:
    """Results first, commit hashes only where the runs are attributed, every target marked met
    or missed, every script it names present; the development log lives in bench/HISTORY.md."""
    page = (ROOT / "docs" / "performance.md").read_text()
    body, runs = page.split("\n## The measured runs\n")
    assert re.findall(r"\b[0-9a-f]{7}\b", body) == []
    assert re.findall(r"`[0-9a-f]{7}`", runs)
    section = body.split("\n## Targets\n")[1].split("\n## ")[0]
    rows = [line for line in section.splitlines() if line.startswith("| ")][2:]
    assert len(rows) >= 10
    assert all(re.search(r"\bmet\b|\*\*missed\*\*", row.split("|")[3]) for row in rows), rows
    for script in set(re.findall(r"bench/\w+\.py", page)):
        assert (ROOT / script).is_file(), script
    assert "## Where the time goes" in (ROOT / "bench" / "HISTORY.md").read_text()


# every export of backprop 0.2.7 and hmatrix-backprop 0.1.3 (functions, operators, classes,
# types, instances' helpers), from their export lists
ALL_EXPORTS = (
    "#",
    "#>",
    "$>",
    "%~~",
    "&",
    "**.",
    "*.",
    "+.",
    "-.",
    ".~~",
    "/.",
    "<$",
    "<$>",
    "<.>",
    "<>",
    "<·>",
    "===",
    "BV",
    "BVGroup",
    "GAdd",
    "GOne",
    "GZero",
    "Reifies",
    "T2",
    "T3",
    "W",
    "^^.",
    "^^..",
    "^^?",
    "^^?!",
    "absOp",
    "acosOp",
    "acoshOp",
    "addAsList",
    "addFunc",
    "addFuncs",
    "addIsList",
    "addNum",
    "addVec",
    "afNum",
    "afNums",
    "app",
    "asinOp",
    "asinhOp",
    "atanOp",
    "atanhOp",
    "auto",
    "backprop",
    "backprop2",
    "backpropN",
    "backpropWith",
    "backpropWith2",
    "backpropWithN",
    "chol",
    "coerce",
    "coerceVar",
    "col",
    "collectVar",
    "complex",
    "composeOp",
    "composeOp1",
    "constVar",
    "cosOp",
    "coshOp",
    "cov",
    "create",
    "cross",
    "det",
    "diag",
    "diagR",
    "dmmap",
    "dot",
    "dvmap",
    "dzipWithVector",
    "eigensystem",
    "eigenvalues",
    "evalBP",
    "evalBP0",
    "evalBP2",
    "evalBPN",
    "evalOp",
    "expOp",
    "extractM",
    "extractV",
    "fmap",
    "fmapConst",
    "foldl'",
    "foldr",
    "fromColumns",
    "fromComplex",
    "fromIntegral",
    "fromIntegral'",
    "fromRows",
    "genericAdd",
    "genericOne",
    "genericZero",
    "gradBP",
    "gradBP2",
    "gradBPN",
    "gradOp",
    "gradOpWith",
    "headTail",
    "idOp",
    "imag",
    "inv",
    "invlndet",
    "isoVar",
    "isoVar2",
    "isoVar3",
    "isoVarN",
    "joinBV",
    "konst",
    "length",
    "liftA2",
    "liftA3",
    "liftOp",
    "liftOp1",
    "liftOp2",
    "liftOp3",
    "linspace",
    "lndet",
    "logBaseOp",
    "logOp",
    "mTm",
    "magnitude",
    "mapAccumL",
    "mapAccumR",
    "matrix",
    "maximum",
    "mean",
    "meanCov",
    "meanL",
    "minimum",
    "mmap",
    "mmap'",
    "mul",
    "negateOp",
    "noGrad",
    "noGrad1",
    "norm_0",
    "norm_1M",
    "norm_1V",
    "norm_2M",
    "norm_2V",
    "norm_InfM",
    "norm_InfV",
    "ofFunctor",
    "ofNum",
    "ofNums",
    "oneFunc",
    "oneFuncs",
    "oneFunctor",
    "oneNum",
    "oneVec",
    "oneVecNum",
    "op0",
    "op1",
    "op2",
    "op3",
    "opCoerce",
    "opConst",
    "opIso",
    "opIso2",
    "opIso3",
    "opIsoN",
    "opLens",
    "opTup",
    "outer",
    "overVar",
    "previewVar",
    "product",
    "pure",
    "real",
    "realToFrac",
    "recipOp",
    "round",
    "row",
    "runOp",
    "runOpWith",
    "sequenceVar",
    "setVar",
    "signumOp",
    "sinOp",
    "sinhOp",
    "split",
    "splitBV",
    "splitCols",
    "splitRows",
    "sqMagnitude",
    "sqrtOp",
    "sum",
    "sumElements",
    "svd",
    "svd_",
    "sym",
    "takeDiag",
    "tanOp",
    "tanhOp",
    "toColumns",
    "toComplex",
    "toList",
    "toListOfVar",
    "toRows",
    "tr",
    "traverse",
    "unSym",
    "uncol",
    "unrow",
    "vec2",
    "vec3",
    "vec4",
    "vector",
    "viewVar",
    "vmap",
    "vmap'",
    "zeroFunc",
    "zeroFuncs",
    "zeroFunctor",
    "zeroNum",
    "zeroVec",
    "zeroVecNum",
    "zfFunctor",
    "zfNum",
    "zfNums",
    "zipWithVector",
    "zipWithVector'",
    "~.",
)


def test_comparisons_table_covers_every_export() -> None:
    """The complete table names every export of both libraries, each in a row that gives its
    typedprop counterpart or the idiom that replaces it."""
    page = (ROOT / "docs" / "comparisons.md").read_text()
    section = page[page.index("## Every export") : page.index("## autograd")]
    rows = [row for row in section.splitlines() if row.startswith("| `")]
    named = {n for row in rows for n in re.findall(r"`([^`]+)`", row.split(" | ")[0])}
    words = {w for n in named for w in re.split(r"[ ,]+", n)}
    assert sorted(set(ALL_EXPORTS) - named - words) == []
    assert all(row.count(" | ") >= 1 and row.rstrip().endswith("|") for row in rows)

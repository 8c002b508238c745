"""The documentation site (mkdocs.yml, docs/, the API reference from the docstrings) builds
with ``mkdocs build --strict``: no broken link or anchor, no docstring mkdocstrings cannot read;
and it works offline: code is highlighted at build time and no page loads a script or a
stylesheet from another host."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# a script or a stylesheet from a URL with a host: http://, https:// or protocol-relative //
EXTERNAL_TAG = re.compile(
    r"<(?:script[^>]*\ssrc|link[^>]*\shref)\s*=\s*[\"']?(?:https?:)?//", re.IGNORECASE
)
EXTERNAL_CSS = re.compile(r"(?:@import|url\()\s*[\"']?(?:https?:)?//", re.IGNORECASE)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built once for this module's tests with ``mkdocs build --strict``."""
    out = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def test_site_builds_strictly(site: Path) -> None:
    """``mkdocs build --strict`` succeeds (warnings are errors), API reference included."""
    assert (site / "index.html").is_file()
    api = (site / "api" / "index.html").read_text()
    assert 'id="typedprop.grad_bp"' in api  # mkdocstrings rendered the docstrings


def test_site_loads_nothing_from_another_host(site: Path) -> None:
    """No page has a script or stylesheet with an http(s) URL, and no stylesheet imports one."""
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 10
    external = [
        f"{page.relative_to(site)}: {m.group(0)}"
        for page in pages
        for m in EXTERNAL_TAG.finditer(page.read_text())
    ]
    external += [
        f"{css.relative_to(site)}: {m.group(0)}"
        for css in site.rglob("*.css")
        for m in EXTERNAL_CSS.finditer(css.read_text())
    ]
    assert external == []


def test_code_is_highlighted_when_the_site_is_built(site: Path) -> None:
    """Python blocks arrive as pygments spans (``kn`` for import, ``nd`` for a decorator)."""
    page = (site / "getting-started" / "index.html").read_text()
    assert '<div class="language-python highlight">' in page
    assert '<span class="kn">import</span>' in page and '<span class="nd">@model</span>' in page
    assert "highlight.js" not in page and "hljs" not in page

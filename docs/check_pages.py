"""Open every page of the built documentation in headless Chromium and check its width.

Not part of the test suite (it needs a browser): ``apt-get install chromium``, then

    python docs/check_pages.py                    # builds the site into a temporary directory
    python docs/check_pages.py --site site --shots shots --shot performance --shot linalg

Each page is served from a local HTTP server and opened in a frame 1280 and 390 pixels wide
(Chromium's own windows are at least 500 wide). A script beside the frame measures the page once
it has loaded, and Chromium's ``--dump-dom`` hands the measurement back. A page passes when it
never scrolls sideways: ``document.documentElement.scrollWidth`` is at most ``window.innerWidth``
(and at most ``clientWidth``, the width left beside a vertical scrollbar). Wide tables and code
may scroll inside their own boxes. Screenshots of the chosen pages go to ``--shots``. Exit
status 1 if any page overflows.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

ROOT = Path(__file__).resolve().parent.parent
WIDTHS = (1280, 390)
HEIGHT = 900
SHOT_HEIGHT = 2400
# Chromium's windows are at least 500 pixels wide, so each page is opened in an iframe of the
# width under test, whose window is then exactly that wide; the frame page measures it.
FRAME = """<!doctype html>
<html><head><style>
html, body {{ margin: 0; overflow: hidden }} iframe {{ border: 0; display: block }}
</style></head>
<body><iframe id="page" src="/{page}" width="{width}" height="{height}"></iframe>
<script>
const frame = document.getElementById("page");
frame.addEventListener("load", () => setTimeout(() => {{
  const win = frame.contentWindow, root = win.document.documentElement;
  const wide = [...win.document.body.querySelectorAll("*")]
    .filter((e) => e.getBoundingClientRect().right > root.clientWidth + 1)
    .filter((e) => !e.parentElement.closest("pre, table, .md-typeset__scrollwrap"))
    .slice(0, 5)
    .map((e) => e.tagName.toLowerCase() + "." + [...e.classList].join(".")
      + " right=" + Math.round(e.getBoundingClientRect().right));
  const out = document.createElement("pre");
  out.id = "width-check";
  out.textContent = JSON.stringify({{
    inner: win.innerWidth, client: root.clientWidth, scroll: root.scrollWidth, wide: wide}});
  document.body.appendChild(out);
}}, 500));
</script></body></html>"""
RESULT = re.compile(r'<pre id="width-check">(.*?)</pre>', re.S)


def chromium() -> str:
    """The Chromium executable, or exit with how to install it."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    sys.exit("check_pages.py needs Chromium: apt-get update && apt-get install -y chromium")


def browse(url: str, width: int, profile: Path, *extra: str, height: int = HEIGHT) -> str:
    """Run headless Chromium on one URL at one window size; its standard output."""
    result = subprocess.run(
        [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            f"--user-data-dir={profile}",
            f"--window-size={width},{height}",
            "--virtual-time-budget=5000",
            *extra,
            url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return result.stdout


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves the site, and at ``/__frame__?page=P&width=W&height=H`` page P in a frame."""

    def send_head(self) -> io.BytesIO | BinaryIO | None:
        url = urllib.parse.urlsplit(self.path)
        if url.path != "/__frame__":
            return super().send_head()
        query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        body = FRAME.format(**query).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the report is the table."""


def framed(base: str, page: str, width: int, height: int = HEIGHT) -> str:
    """The URL of ``page`` shown in a frame ``width`` pixels wide."""
    query = urllib.parse.urlencode({"page": page, "width": width, "height": height})
    return f"{base}__frame__?{query}"


@contextmanager
def serve(site: Path) -> Iterator[str]:
    """The site on a local port for the duration of the block; its base URL."""
    handler = functools.partial(_Handler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def pages(site: Path) -> list[str]:
    """Every built page, as a path relative to the site root ('' for the home page)."""
    found = []
    for page in sorted(site.rglob("*.html")):
        rel = page.relative_to(site).as_posix()
        found.append(rel.removesuffix("index.html"))
    return found


def build(into: Path) -> Path:
    """``mkdocs build --strict`` into a directory."""
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(into)],
        cwd=ROOT,
        check=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    return into


def main(argv: list[str] | None = None) -> int:
    """Check every page at both widths; take the screenshots; 0 if every page fits."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--site", type=Path, help="a built site (default: build one now)")
    parser.add_argument(
        "--page", action="append", help="check only this page, e.g. linalg/ (default: every page)"
    )
    parser.add_argument("--shots", type=Path, help="a directory for the screenshots")
    parser.add_argument(
        "--shot",
        action="append",
        default=None,
        help="a page to photograph, e.g. performance or linalg/#batches (default: home, "
        "getting-started, performance, static-typing)",
    )
    args = parser.parse_args(argv)
    shots = args.shot or ["", "getting-started", "performance", "static-typing"]
    with tempfile.TemporaryDirectory() as tmp:
        site = args.site or build(Path(tmp) / "site")
        profile = Path(tmp) / "profile"
        failures = 0
        with serve(site) as base:
            print(f"{'page':32} {'width':>5} {'inner':>5} {'client':>6} {'scroll':>6}  result")
            for page in args.page or pages(site):
                for width in WIDTHS:
                    dom = browse(framed(base, page, width), 1280, profile, "--dump-dom")
                    found = RESULT.search(dom)
                    if found is None:
                        print(f"{page or '/':32} {width:5}  no measurement (page did not load)")
                        failures += 1
                        continue
                    m = json.loads(found.group(1).replace("&quot;", '"'))
                    fits = m["inner"] == width and m["scroll"] <= min(m["inner"], m["client"])
                    failures += not fits
                    verdict = "ok" if fits else "OVERFLOWS " + "; ".join(m["wide"])
                    print(
                        f"{page or '/':32} {width:5} {m['inner']:5} {m['client']:6} "
                        f"{m['scroll']:6}  {verdict}"
                    )
            if args.shots:
                args.shots.mkdir(parents=True, exist_ok=True)
                for page in shots:
                    for width in WIDTHS:
                        name = re.sub(r"\W+", "-", page).strip("-") or "home"
                        target = (args.shots / f"{name}-{width}.png").resolve()
                        path = (
                            page if not page or page.endswith("/") or "#" in page else page + "/"
                        )
                        url = framed(base, path.lstrip("/"), width, SHOT_HEIGHT)
                        # the window is as wide as the frame (at least Chromium's 500 px)
                        shot = f"--screenshot={target}"
                        browse(url, max(width, 500), profile, shot, height=SHOT_HEIGHT)
                        print(f"screenshot {target}")
    print("every page fits its window" if not failures else f"{failures} page/width overflows")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

"""A griffe extension for the API reference: read ``Example:`` as an ``Examples:`` section.

typedprop's docstrings head their doctests ``Example:``. Google style only knows ``Examples:``
as a section and would render ``Example:`` as an admonition whose ``>>>`` lines Markdown turns
into nested block quotes; renamed, the doctests render as Python code. Used by ``mkdocs.yml``
(the mkdocstrings ``extensions`` option); excluded from the built site.
"""

from __future__ import annotations

import re
from typing import Any

from griffe import Extension, Object

_HEADING = re.compile(r"^(\s*)Example:\s*$", re.MULTILINE)


class ExampleSections(Extension):
    """Rename every ``Example:`` heading to ``Examples:`` before the docstring is parsed."""

    def on_object(self, *, obj: Object, **kwargs: Any) -> None:
        docstring = obj.docstring
        if docstring is not None and "Example:" in docstring.value:
            docstring.value = _HEADING.sub(r"\1Examples:", docstring.value)

"""A quarantine reason never quotes the file's content (docs/table.md).

Decoding errors name what was wrong with a file; some of their texts (and the texts of the
libraries a value goes through) quote the bytes or values they met. The worker passes every
reason through `without_content` before it reaches the quarantine table, the ledger or a log.
"""

from __future__ import annotations

import ast
import re

_BYTES = re.compile(r"\bb'(?:[^'\\]|\\.)*'" + r'|\bb"(?:[^"\\]|\\.)*"')
_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'" + r'|"(?:[^"\\]|\\.)*"')
_KEPT = {repr(b"Obj\x01")}  # constants of the format, not of the file


def without_content(message: str, *, quoted: bool = False) -> str:
    """A quarantine reason never quotes the file's bytes (docs/table.md): every bytes
    literal becomes its length; with `quoted`, every quoted string too (a library's error
    text about a value)."""

    def length(match: re.Match[str]) -> str:
        text = match.group(0)
        if text in _KEPT:
            return text
        try:
            return f"<{len(ast.literal_eval(text))} bytes not shown>"
        except (ValueError, SyntaxError):
            return "<bytes not shown>"

    message = _BYTES.sub(length, message)
    return _QUOTED.sub("<value not shown>", message) if quoted else message

"""Text a server sent (certificate names, reason phrases, URLs, document values), made safe to show.

Every such value passes `server_text` before it enters a problem, the report, a log field, the CLI
or the alert: characters that could forge lines or hide text are escaped visibly (`\\n`, `\\x1b`,
`\\u202e`) and the field is capped, noting how much was left out. `ServerText` is the type of what
comes out, so mypy flags a raw `str` where a sanitized one is expected. Pure: no I/O.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any, Final, NewType

ServerText = NewType("ServerText", str)

FIELD_LIMIT: Final = 256  # characters of one server value: a name, a reason, a URL, an issuer
LINE_LIMIT: Final = 1024  # characters of one composed line (our words around capped values)
TEXT_LIMIT: Final = 4096  # characters of any string of the report (defence in depth)
ELLIPSIS: Final = "\u2026"
# Unicode categories escaped besides the explicit list: controls (C0, C1, DEL), format characters
# (bidi overrides and isolates, zero-width and soft-hyphen characters), lone surrogates (not
# encodable as UTF-8), and the line and paragraph separators.
_ESCAPED_CATEGORIES: Final = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_SHORT_ESCAPES: Final = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# The code points the issue names; all fall in the categories above, listed so the rule is explicit.
FORBIDDEN_RANGES: Final = (
    (0x00, 0x1F),
    (0x7F, 0x9F),
    (0x2028, 0x2029),
    (0x202A, 0x202E),
    (0x2066, 0x2069),
)


def is_forbidden(character: str) -> bool:
    """Whether a character must never reach a reader unescaped."""
    code = ord(character)
    if any(low <= code <= high for low, high in FORBIDDEN_RANGES):
        return True
    return unicodedata.category(character) in _ESCAPED_CATEGORIES


def _escape(character: str) -> str:
    if character in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[character]
    code = ord(character)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def escape_controls(text: str) -> str:
    """`text` with every forbidden character escaped visibly; everything else unchanged."""
    if text.isprintable() and text.isascii():  # the common case, in one C-level scan
        return text
    return "".join(_escape(character) if is_forbidden(character) else character for character in text)


def server_text(value: object, limit: int = FIELD_LIMIT) -> ServerText:
    """The one way to turn a server's value into displayable text: escaped, at most `limit` characters
    of it kept, and the number of characters left out noted (`…[+299744 chars]`).

    Bytes are decoded as UTF-8 with undecodable bytes shown as escapes; anything else goes through str().
    Idempotent for any limit at least as large as the one applied first.
    """
    if isinstance(value, bytes | bytearray):
        text = bytes(value).decode("utf-8", errors="backslashreplace")
    else:
        text = value if isinstance(value, str) else str(value)
    if len(text) <= limit and text.isprintable() and text.isascii():
        return ServerText(text)
    pieces: list[str] = []
    shown = 0
    for index, character in enumerate(text):
        piece = _escape(character) if is_forbidden(character) else character
        if shown + len(piece) > limit:
            return ServerText("".join(pieces) + f"{ELLIPSIS}[+{len(text) - index} chars]")
        pieces.append(piece)
        shown += len(piece)
    return ServerText("".join(pieces))


def quoted(value: object, limit: int = FIELD_LIMIT) -> str:
    """A server value inside our own sentence, in single quotes, sanitized and capped."""
    return f"'{server_text(value, limit)}'"


def sanitized_tree(value: Any, limit: int = TEXT_LIMIT) -> Any:
    """A copy of a JSON-like structure (dicts, lists, tuples) with every string, keys too, passed through
    `server_text` with `limit`: what the report carries can never hold a raw control character."""
    if isinstance(value, str):
        return server_text(value, limit)
    if isinstance(value, Mapping):
        return {
            (server_text(key, limit) if isinstance(key, str) else key): sanitized_tree(item, limit)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [sanitized_tree(item, limit) for item in value]
    return value

"""Text a server sent (certificate names, reason phrases, URLs, document values), made safe to show.

Every such value passes `server_text` before it enters a problem, the report, a log field, the CLI
or the alert: characters that could forge lines or hide text are escaped visibly (`\\n`, `\\x1b`,
`\\u202e`) and the field is capped, noting how much was left out. `ServerText` is the type of what
comes out, so mypy flags a raw `str` where a sanitized one is expected. Pure: no I/O.
"""

from __future__ import annotations

import itertools
import re
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
# The code points that must never pass, named explicitly; all fall in the categories above.
FORBIDDEN_RANGES: Final = (
    (0x00, 0x1F),
    (0x7F, 0x9F),
    (0x2028, 0x2029),
    (0x202A, 0x202E),
    (0x2066, 0x2069),
)


def _forbidden_pattern() -> re.Pattern[str]:
    # Format characters live in planes 0, 1 and 14 only; the other categories in plane 0.
    category = unicodedata.category
    found = {
        code
        for code in itertools.chain(range(0x20000), range(0xE0000, 0xE1000))
        if category(chr(code)) in _ESCAPED_CATEGORIES
    }
    found.update(code for low, high in FORBIDDEN_RANGES for code in range(low, high + 1))
    codes = sorted(found)
    ranges: list[list[int]] = []
    for code in codes:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return re.compile("[" + "".join(f"\\U{low:08x}-\\U{high:08x}" for low, high in ranges) + "]")


_FORBIDDEN: Final = _forbidden_pattern()


def is_forbidden(character: str) -> bool:
    """Whether a character must never reach a reader unescaped."""
    return _FORBIDDEN.fullmatch(character) is not None


def _escape(match: re.Match[str]) -> str:
    character = match.group()
    if character in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[character]
    code = ord(character)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _escaped(text: str) -> str:
    return _FORBIDDEN.sub(_escape, text)


def server_text(value: object, limit: int = FIELD_LIMIT) -> ServerText:
    """The one way to turn a server's value into displayable text: escaped, and at most `limit` characters
    long; a longer value keeps its start and says how many characters were left out (`…[+299760 chars]`).

    Bytes are decoded as UTF-8 with undecodable bytes shown as escapes; anything else goes through str().
    Idempotent: sanitized text passes unchanged.
    """
    if isinstance(value, bytes | bytearray):
        text = bytes(value).decode("utf-8", errors="backslashreplace")
    else:
        text = value if isinstance(value, str) else str(value)
    # isprintable() is false for every forbidden character (and a few harmless ones): one C-level scan.
    if len(text) <= limit and text.isprintable():
        return ServerText(text)
    head = text[: limit + 1]  # every character shows as one or more: no more than these can be kept
    if len(text) <= limit:
        escaped = _escaped(text)
        if len(escaped) <= limit:
            return ServerText(escaped)
    # Room for the note, sized for the most that could be left out.
    keep = max(limit - len(f"{ELLIPSIS}[+{len(text)} chars]"), 0)
    if head.isprintable():
        return ServerText(text[:keep] + f"{ELLIPSIS}[+{len(text) - keep} chars]")
    # The longest start whose escaped form fits beside the note; an escape is never split.
    pieces: list[str] = []
    shown = position = 0
    for match in _FORBIDDEN.finditer(head):
        plain = head[position : match.start()]
        if shown + len(plain) > keep:
            break
        pieces.append(plain)
        shown, position = shown + len(plain), match.start()
        escape = _escape(match)
        if shown + len(escape) > keep:
            return _cut(pieces, text, position)
        pieces.append(escape)
        shown, position = shown + len(escape), match.end()
    room = keep - shown
    pieces.append(head[position : position + room])
    return _cut(pieces, text, min(position + room, len(head)))


def _cut(pieces: list[str], text: str, kept: int) -> ServerText:
    return ServerText("".join(pieces) + f"{ELLIPSIS}[+{len(text) - kept} chars]")


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

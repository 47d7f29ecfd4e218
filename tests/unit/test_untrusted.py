"""The sanitizer every server value passes: escaped visibly, capped, identity on plain text."""

from __future__ import annotations

import json
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from thumbprint_remediator.domain.untrusted import quoted, sanitized_tree, server_text

# Written out here, apart from the module: what the issue forbids, plus what Unicode calls controls,
# format characters, surrogates and line or paragraph separators.
NAMED_RANGES = ((0x00, 0x1F), (0x7F, 0x9F), (0x2028, 0x2029), (0x202A, 0x202E), (0x2066, 0x2069))


def _forbidden(character: str) -> bool:
    code = ord(character)
    named = any(low <= code <= high for low, high in NAMED_RANGES)
    return named or unicodedata.category(character) in ("Cc", "Cf", "Cs", "Zl", "Zp")


# Text biased towards the characters that matter: controls, bidi, separators, surrogates, multi-byte.
hostile_characters = st.one_of(
    st.characters(min_codepoint=0, max_codepoint=0x9F),
    st.sampled_from(["\u2028", "\u2029", "\u202a", "\u202e", "\u2066", "\u2069", "\u200b", "\ufeff", "\u00ad"]),
    st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),  # lone surrogates, as json.loads can make
    st.characters(),
)
hostile_text = st.text(alphabet=hostile_characters, max_size=600)
printable_text = st.text(alphabet=st.characters(codec="utf-8").filter(str.isprintable), max_size=256)


@given(hostile_text, st.integers(min_value=16, max_value=400))
def test_output_never_holds_a_forbidden_character_and_is_bounded(text: str, limit: int) -> None:
    # Given any text  When it is sanitized with any cap
    shown = server_text(text, limit)
    # Then no forbidden character remains, it encodes as UTF-8, and it is at most the cap plus the note
    assert not any(_forbidden(character) for character in shown)
    shown.encode("utf-8")
    assert len(shown) <= limit


@given(printable_text)
def test_plain_printable_text_is_left_as_it_is(text: str) -> None:
    assert server_text(text) == text


@given(hostile_text, st.integers(min_value=16, max_value=400))
def test_sanitizing_twice_changes_nothing(text: str, limit: int) -> None:
    once = server_text(text, limit)
    assert server_text(once, limit) == once


def test_controls_are_escaped_visibly_and_cannot_start_a_line() -> None:
    forged = "CN=evil\n\n[OK] token.actions.githubusercontent.com\r\x1b[2J\x7f\x85\u2028\u202egnp.exe\u2066"
    assert server_text(forged) == (
        "CN=evil\\n\\n[OK] token.actions.githubusercontent.com\\r\\x1b[2J\\x7f\\x85\\u2028\\u202egnp.exe\\u2066"
    )


def test_a_long_value_is_cut_and_says_how_much_was_left_out() -> None:
    issuer = "https://" + "a" * 299_992
    shown = server_text(issuer)
    assert shown == "https://" + "a" * 232 + "…[+299760 chars]"
    assert len(shown) == 256


def test_an_escape_is_never_split_by_the_cap() -> None:
    # 20 characters, 21 once escaped: 8 fit beside the note, and half an escape is never kept
    assert server_text("abcdefg\njklmnopqrstu", 20) == "abcdefg…[+13 chars]"


def test_bytes_are_decoded_and_undecodable_bytes_shown() -> None:
    assert server_text(b"ok \xff\x1b") == "ok \\xff\\x1b"


def test_quoted_wraps_the_sanitized_value() -> None:
    assert quoted("a\nb") == "'a\\nb'"


def test_every_string_of_a_report_tree_is_sanitized_keys_included() -> None:
    tree = {"a\n": ["x\x1b", {"k": ("\u202e", 3, None, True)}], "n": 1.5}
    assert sanitized_tree(tree) == {"a\\n": ["x\\x1b", {"k": ["\\u202e", 3, None, True]}], "n": 1.5}
    json.dumps(sanitized_tree(tree))

"""The one rule for one-line names people choose and others read: display names, community
names, item, chapter and community post titles, collection names, uploaded file names.

Bidirectional controls are removed: a right-to-left override makes `"\u202etxt.exe"` read as
"exe.txt", so a name could show others something it is not (docs/decisions.md, Hostile input)."""

from __future__ import annotations

# U+202A-U+202E embeddings and overrides, U+2066-U+2069 isolates, the LRM, RLM and ALM marks.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
_WITHOUT_BIDI = str.maketrans(dict.fromkeys(map(ord, BIDI_CONTROLS)))


def one_line_name(value: str | None) -> str:
    """`value` without bidirectional controls, each run of whitespace (line breaks
    included) one space, none at either end."""
    return " ".join((value or "").translate(_WITHOUT_BIDI).split())

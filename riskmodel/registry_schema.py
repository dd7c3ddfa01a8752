"""The JSON Schema of a source registry (``schema: riskmodel-sources/1``), for editor completion.

The registry is read and checked by :func:`riskmodel.sources.load_registry`;
this schema describes the same keys (``_ENTRY_KEYS`` there) so an editor can
complete them. A key that the reader accepts but this module does not
describe is an error of this module (the test suite checks they agree).
"""

from __future__ import annotations

import json

from . import sources as _sources

__all__ = ["FIELD_DOCS", "json_schema"]

#: What each key of a registry entry means (README, "Sources and citations", repeats this table).
FIELD_DOCS = {
    "id": "The id scenarios cite (`cite: [{source: <id>, quote: ...}]`); unique in the registry.",
    "title": "The text's title as it states it, or a descriptive one (say so in `note`).",
    "publisher": "Who published the text, when the text names it.",
    "date": "Publication date as the text states it: YYYY-MM-DD, YYYY-MM or YYYY.",
    "date_not_after": "YYYY-MM-DD: for an undated text known only to be no later than that day (not with `date`).",
    "url": "Where the text was published; a reference (an entry without `file`) needs it.",
    "file": "The stored text, relative to the registry file, kept byte for byte; without it the entry is a "
            "reference, its quotes recorded but not checked against a text.",
    "sha256": "SHA-256 of the stored file (lower-case hex); `riskmodel sources check` compares it.",
    "note": "Free text: provenance, what the text says about its own date, why a field is missing.",
}


def json_schema(indent: int = 2) -> str:
    """The registry's JSON Schema (draft 2020-12) as text."""
    keys = _sources._ENTRY_KEYS
    missing = [k for k in keys if k not in FIELD_DOCS]
    if missing:  # a programming error, not a user's: the schema would be silently incomplete
        raise RuntimeError(f"registry keys without a description: {', '.join(missing)}")
    props = {k: {"type": "string", "description": FIELD_DOCS[k]} for k in keys}
    props["sha256"]["pattern"] = "^[0-9a-fA-F]{64}$"
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "riskmodel source registry",
        "type": "object",
        "additionalProperties": False,
        "required": list(_sources._TOP_KEYS),
        "properties": {
            "schema": {"const": _sources.SCHEMA, "description": "Always `riskmodel-sources/1`."},
            "sources": {"type": "array", "description": "One entry per registered text.",
                        "items": {"type": "object", "additionalProperties": False,
                                  # a stored text (file, sha256) or a reference (url, no file)
                                  "required": ["id", "title"],
                                  "oneOf": [{"required": ["file", "sha256"]},
                                            {"required": ["url"], "not": {"required": ["file"]}}],
                                  "properties": props}},
        },
    }
    return json.dumps(schema, indent=indent, ensure_ascii=False)

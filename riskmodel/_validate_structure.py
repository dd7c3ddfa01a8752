"""The structure check of :func:`riskmodel.validate.validate`: pydantic's errors as ``file:line: key`` problems.

:class:`_Checker` is the state one validation shares: the loaded document, the problems gathered
so far, and the position (file and line) of every key path. Its :meth:`_Checker.structure` runs
the pydantic models of :mod:`riskmodel.schema` and reports each error at the line of its key, in
words (what came, what is allowed, a did-you-mean for a misspelt key).
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Iterable, Mapping

from pydantic import ValidationError

from . import distributions as _dist
from .errors import Position, ProblemCollector, did_you_mean
from .load import LoadedDocument
from .model import Month
from .schema import MODEL_FOR_SECTION, CiteModel, ScenarioModel, field_names, parameter_keys
from .yamlio import position_of


_TYPE_WORDS = {
    "float_type": "a number", "int_type": "a whole number", "string_type": "text", "bool_type": "true or false",
    "dict_type": "a mapping of keys", "list_type": "a list", "model_type": "a mapping of keys",
    "int_from_float": "a whole number", "float_parsing": "a number", "literal_error": None,
}
_CONTAINER_TYPES = {"dict_type", "model_type", "list_type"}
#: The lists of fixed length (as the schema sets them) and what they hold, for the error when one has too
#: few or too many items (pydantic's names only the limit it crossed).
_FIXED_LISTS = {
    "ci90": (2, "write ci90: [low, high], the 5th and 95th percentiles"),
    "bounds": (2, "write bounds: [low, high] (null for no bound on one side)"),
    "correlations": (3, "write [parameter, parameter, rank correlation], e.g. [a, b, 0.5]"),
}


class _Checker:
    def __init__(self, doc: LoadedDocument):
        self.doc = doc
        self.tree = doc.tree
        self.pc = ProblemCollector()
        self.file_pos = Position(doc.path)

    # -- positions and problems -------------------------------------------------
    def pos(self, key_path: Iterable[object]) -> Position:
        return position_of(self.tree, tuple(key_path), self.file_pos) or self.file_pos

    def add(self, key_path: Iterable[object], message: str, hint: str = "") -> None:
        key_path = tuple(key_path)
        self.pc.add(self.pos(key_path), key_path, message, hint)

    # -- structure (pydantic) ---------------------------------------------------
    def structure(self) -> None:
        try:
            ScenarioModel.model_validate(self.tree)
        except ValidationError as exc:
            grouped: dict[tuple, list[dict]] = {}
            for err in exc.errors():
                loc = self._clean_loc(err["loc"])
                grouped.setdefault(loc, []).append(err)
            for loc, errs in grouped.items():
                if self._matched_deeper(loc, errs, grouped):
                    continue
                self._report_pydantic(loc, errs)

    def _matched_deeper(self, loc: tuple, errs: list[dict], grouped: dict) -> bool:
        """A union's other branch rejected the value's type (``ci90: [twenty, 80]`` is not the mapping
        form), while the branch of its type has errors inside it: those say what is wrong; this does not."""
        node = self._node(loc)
        if not isinstance(node, (list, dict)) or any(e["type"] not in _CONTAINER_TYPES for e in errs):
            return False
        return any(len(other) > len(loc) and other[:len(loc)] == loc for other in grouped)

    def _clean_loc(self, loc: tuple) -> tuple:
        """Drop pydantic's union-branch and validator entries that are not keys of the file."""
        out: list = []
        node: Any = self.tree
        for part in loc:
            if isinstance(node, dict) and part in node:
                out.append(part)
                node = node[part]
            elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
                out.append(part)
                node = node[part]
            elif isinstance(node, dict) and isinstance(part, str) and not any(c in part for c in "[]()-"):
                out.append(part)  # a missing or unknown key
                node = None
            else:
                continue
        return tuple(out)

    def _model_for(self, loc: tuple):
        """The pydantic model owning the mapping at loc (for did-you-mean hints)."""
        if "cite" in loc:
            return CiteModel
        if len(loc) == 0:
            return ScenarioModel
        if loc[0] in MODEL_FOR_SECTION and len(loc) >= 2:
            return MODEL_FOR_SECTION[loc[0]]
        return ScenarioModel

    def _keys_for(self, loc: tuple) -> list:
        """The keys the mapping at loc takes; a parameter's are those of its own ``dist`` (or ``formula``)."""
        model = self._model_for(loc)
        if model is MODEL_FOR_SECTION["parameters"] and len(loc) == 2:
            item = self._node(loc)
            if isinstance(item, Mapping):
                dist = item.get("dist")
                if isinstance(dist, str) or (dist is None and "formula" in item):
                    return parameter_keys(dist)
        return field_names(model)

    def _node(self, loc: tuple):
        node: Any = self.tree
        for part in loc:
            if isinstance(node, Mapping) and part in node:
                node = node[part]
            elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
                node = node[part]
            else:
                return None
        return node

    def _report_pydantic(self, loc: tuple, errs: list[dict]) -> None:
        types = {e["type"] for e in errs}
        err = errs[0]
        value = err.get("input")
        if "extra_forbidden" in types:
            key = loc[-1]
            choices = self._keys_for(loc[:-1])
            hint = (_dist.key_hint(key, choices) if loc[0] == "parameters" else did_you_mean(key, choices)) \
                or "allowed keys: " + ", ".join(choices)
            self.add(loc, f"unknown key '{key}'", hint)
        elif "missing" in types:
            self.add(loc, "required key missing", f"add `{loc[-1]}:`")
        elif "literal_error" in types:
            expected = err.get("ctx", {}).get("expected", "")
            choices = [c.strip(" '") for c in expected.replace(" or ", ",").split(",") if c.strip(" '")]
            self.add(loc, f"{value!r} is not allowed", (did_you_mean(str(value), choices) + " " if did_you_mean(str(value), choices) else "")
                     + f"expected one of {', '.join(choices)}")
        elif "string_pattern_mismatch" in types:
            pattern = err.get("ctx", {}).get("pattern", "")
            if "(0[1-9]|1[0-2])" in pattern:
                if isinstance(value, str) and value[:4] == "0000" and self.month("0001" + value[4:]):
                    self.add(loc, f"{value!r} is not a month of the calendar: there is no year 0000",
                             "write a month from 0001-01 to 9999-12, e.g. 2025-01")
                else:
                    self.add(loc, f"{value!r} is not a month", "write YYYY-MM, e.g. 2025-01")
            else:
                self.add(loc, f"{value!r} is not a valid name", "use letters, digits, _ and -, starting with a letter")
        elif types & {"greater_than_equal", "less_than_equal", "greater_than", "less_than"}:
            self.add(loc, f"{_brief(value)} is out of range", err["msg"].lower().replace("input should be", "must be"))
        elif "string_too_long" in types:
            limit = err.get("ctx", {}).get("max_length")
            self.add(loc, f"a name of {len(value)} characters is too long",
                     f"use at most {limit} characters (names become file and folder names)")
        elif types & {"too_short", "too_long"}:
            n = len(value) if hasattr(value, "__len__") else value
            fixed = _FIXED_LISTS.get(next((k for k in reversed(loc) if isinstance(k, str)), ""))
            if fixed is not None:
                self.add(loc, f"{n} item{'s' if n != 1 else ''}, where {fixed[0]} are needed", fixed[1])
            else:
                self.add(loc, f"wrong number of items ({n})", err["msg"].lower().replace("list should have", "expected"))
        else:
            wanted = sorted({_TYPE_WORDS.get(e["type"]) or e["msg"] for e in errs if e["type"] in _TYPE_WORDS}
                            ) or [errs[0]["msg"]]
            shown = type(value).__name__ if not isinstance(value, (str, int, float, bool)) or value is None else _brief(value)
            per_element = (loc[:1] == ("parameters",) and "a mapping of keys" in wanted and len(wanted) == 2
                           and ("a number" in wanted or "a list" in wanted))
            if per_element:  # a distribution argument: as written for one element, or a mapping element -> it
                wanted = [w for w in wanted if w != "a mapping of keys"]
            if isinstance(value, (_dt.date, _dt.datetime)):
                self.add(loc, f"{value.isoformat()} reads as a date, not {' or '.join(wanted)}",
                         "write a month as YYYY-MM (e.g. 2024-01), and put text in quotes")
                return
            if value is None:
                shown = "nothing (the key has no value)"
            elif isinstance(value, dict):
                shown = "a mapping"
            elif isinstance(value, list):
                shown = "a list"
            self.add(loc, f"must be {' or '.join(wanted)}, got {shown}",
                     f"or, for a parameter with over:, a mapping element -> {wanted[0][2:]}" if per_element else "")

    # -- helpers --------------------------------------------------------------
    def section(self, name: str) -> Mapping:
        value = self.tree.get(name)
        return value if isinstance(value, dict) else {}

    def item_list(self, name: str) -> list:
        value = self.tree.get(name)
        return value if isinstance(value, list) else []

    def parse_item(self, model, raw):
        try:
            return model.model_validate(raw)
        except ValidationError:
            return None

    def month(self, text: Any) -> Month | None:
        try:
            return Month.parse(str(text))
        except (ValueError, TypeError):
            return None


def _brief(value: Any) -> str:
    """repr of a value as a message shows it: a very long number or text is cut."""
    if isinstance(value, int) and not isinstance(value, bool) and len(str(abs(value))) > 24:
        return f"a number of {len(str(abs(value)))} digits"
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:60]}... ({len(str(value))} characters)"

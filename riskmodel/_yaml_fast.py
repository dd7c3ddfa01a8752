"""A scenario file read by libyaml's C parser, when that gives what ruamel.yaml's loader would.

ruamel.yaml's round-trip loader (:mod:`riskmodel.yamlio`) is pure Python: 0.11-0.13 s for the
Mali baseline (58 kB), paid on every ``run``, ``validate`` and save under ``watch``. PyYAML's
libyaml binding composes the same file in 5 ms, with the line of every node. But PyYAML reads
YAML 1.1, where ``yes`` is true and U+2028 breaks a line, and ruamel reads YAML 1.2. So this
module takes only what both read alike and declines everything else (:data:`DECLINED`):

- The caller then reads the file with ruamel as before. Every message about a malformed file
  stays ruamel's.
- The text is declined if it holds ``!!``, a byte-order mark, a character that YAML 1.1 and 1.2
  break lines at differently, or a ``%`` directive.
- The tree is declined if it holds more than one document, a node with an explicit tag, an
  alias, a duplicate or complex key, or a merge key.
- A plain scalar is declined if it looks like anything typed that is not plainly one of a
  decimal integer, a decimal float, true/false, null or a YYYY-MM-DD date. That covers octal,
  hex, underscores, ``.inf``, ``yes``, timestamps and leading zeros.
- A value past a loading limit is declined, so ruamel's path names the limit.

Plain scalars are typed here by YAML 1.2's core schema, never by PyYAML's 1.1 resolver. Quoted
and block scalars are text. A test reads every YAML file of the project both ways and compares
values, types and positions (``tests/test_yaml_fast.py``).
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any

__all__ = ["parse", "DECLINED"]

DECLINED = object()  # "read it with ruamel"

_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)\Z")
_FLOAT = re.compile(r"[-+]?[0-9]+\.[0-9]*(?:[eE][-+]?[0-9]+)?\Z|[-+]?[0-9]+[eE][-+]?[0-9]+\Z")
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})\Z")
_NULL = frozenset({"", "~", "null", "Null", "NULL"})
_TRUE = frozenset({"true", "True", "TRUE"})
_FALSE = frozenset({"false", "False", "FALSE"})
#: Whole values that YAML 1.1 or 1.2 (or ruamel's reading of them) might type, beyond the forms typed
#: above: each a full match, wider than the resolvers' own patterns.
_DOUBTFUL = re.compile(
    r"(?:[-+]?[0-9_]+"  # leading zeros, underscores
    r"|[-+]?0[boxBOX][0-9a-fA-F_]*"  # binary, octal, hex
    r"|[-+]?[0-9_]*\.[0-9_]*(?:[eE][-+]?[0-9_]*)?"  # floats with underscores, .5, 1.e5
    r"|[-+]?[0-9][0-9_]*[eE][-+]?[0-9_]*"  # exponents in other spellings
    r"|[-+]?\.(?:inf|Inf|INF|nan|NaN|NAN)"
    r"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?"  # sexagesimal (1.1)
    r"|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:[Tt]|[ \t]+).*)?"  # dates and timestamps in other spellings
    r"|<<|="  # merge and value keys
    r"|y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)\Z"
)
_LINE_BREAKS_1_1 = ("\x85", "\u2028", "\u2029")


class _Decline(Exception):
    pass


def _loader():
    try:
        import yaml
    except ImportError:  # pragma: no cover - PyYAML is a dependency
        return None
    return getattr(yaml, "CSafeLoader", None)  # None where PyYAML was built without libyaml


def parse(text: str, file: str, converter) -> Any:
    """``text`` as YMap/YList/scalars with every key's and item's position, or :data:`DECLINED`.

    ``converter`` is the caller's :class:`riskmodel.yamlio._Converter`. It supplies the file's
    positions, the text check (no NUL, no unpaired surrogate), and the limits.
    """
    if "!!" in text or "\ufeff" in text or text.lstrip().startswith("%") \
            or any(c in text for c in _LINE_BREAKS_1_1):
        return DECLINED
    loader = _loader()
    if loader is None:
        return DECLINED
    import yaml

    try:
        node = yaml.compose(text, Loader=loader)
    except Exception:  # noqa: BLE001 - whatever libyaml makes of it, ruamel's message is the one shown
        return DECLINED
    if node is None:
        return DECLINED
    from .errors import ScenarioError

    try:
        return _Tree(converter).convert(node, 0, 0, ())
    except (_Decline, ScenarioError):  # a text ruamel's path refuses too, but maybe for an earlier reason
        return DECLINED


class _Tree:
    def __init__(self, converter):
        self.c = converter
        self.seen: set = set()
        from .yamlio import LIMITS, YList, YMap, _FLOAT_MAX

        self.limits, self.YMap, self.YList, self.float_max = LIMITS, YMap, YList, _FLOAT_MAX
        import yaml

        self.yaml = yaml
        self.resolver = yaml.resolver.Resolver()

    def scalar(self, node, line0: int, key_path: tuple) -> Any:
        value = node.value
        plain = not node.style  # libyaml gives "" for a plain scalar, PyYAML's own parser None
        # the tag libyaml gave is the implicit one (PyYAML's, for this style) unless the file wrote one
        implicit = (self.resolver.resolve(self.yaml.ScalarNode, value, (True, False)) if plain
                    else "tag:yaml.org,2002:str")
        if node.tag != implicit:
            raise _Decline
        if not plain:  # quoted, literal or folded: text, whatever it spells
            return self.c.text(value, line0, key_path)
        if value in _NULL:
            return None
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        if _INT.match(value):
            if len(value) > 400:  # past the range of numbers (and of int() at 4,300 digits): ruamel's message
                raise _Decline
            number = int(value)
            if abs(number) > self.float_max:
                raise _Decline
            return number
        if _FLOAT.match(value):
            return float(value)
        m = _DATE.match(value)
        if m:
            try:
                return _dt.date(*map(int, m.groups()))
            except ValueError:  # 2023-02-30: ruamel's path gives the message
                raise _Decline from None
        if _DOUBTFUL.match(value):
            raise _Decline
        return self.c.text(value, line0, key_path)

    def convert(self, node, line0: int, depth: int, key_path: tuple) -> Any:
        yaml, c = self.yaml, self.c
        c.nodes += 1
        if c.nodes > self.limits["max_nodes"] or depth > self.limits["max_depth"]:
            raise _Decline
        if id(node) in self.seen:  # an alias: ruamel's path expands it under its budget
            raise _Decline
        self.seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node, line0, key_path)
        if isinstance(node, yaml.MappingNode):
            if node.tag != "tag:yaml.org,2002:map":
                raise _Decline
            out = self.YMap(pos=c.pos(line0))
            raw_keys: set = set()  # as read (1, 1.0 and true are one key to a dict, as to ruamel's)
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode) or id(key_node) in self.seen:
                    raise _Decline
                self.seen.add(id(key_node))
                kline = key_node.start_mark.line
                key = self.scalar(key_node, kline, key_path)
                if key is None or not isinstance(key, (str, int, float, bool)):
                    raise _Decline  # ruamel's path names the key that cannot be a name
                if key in raw_keys or str(key) in out:
                    raise _Decline  # a duplicate key (or two that read alike): ruamel's path reports it
                raw_keys.add(key)
                key = c.text(str(key), kline, key_path)
                out.key_pos[key] = c.pos(kline)
                out[key] = self.convert(value_node, kline, depth + 1, key_path + (key,))
            return out
        if isinstance(node, yaml.SequenceNode):
            if node.tag != "tag:yaml.org,2002:seq":
                raise _Decline
            out = self.YList(pos=c.pos(line0))
            for i, item in enumerate(node.value):
                iline = item.start_mark.line
                out.item_pos.append(c.pos(iline))
                out.append(self.convert(item, iline, depth + 1, key_path + (i,)))
            return out
        raise _Decline

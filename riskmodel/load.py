"""Stage 1, load: read a scenario file, merge its ``extends`` chain, apply ``--set``.

The result keeps the position (file and line) of every key, so that later
validation errors point at the line the user has to change, in the parent
file or in the child. Nothing here knows what the keys mean beyond the few
merge rules of the contract:

- a child overrides its parent key by key, recursively through mappings;
- ``risks`` merge by ``id``, ``interventions`` by ``name``, ``correlations``
  by their pair of parameter names; other lists are replaced whole;
- a parameter that sets ``dist`` or ``formula`` in the child replaces the
  parent's distribution keys (so a child may switch a parameter from ``pert``
  to ``lognormal`` without inheriting ``mode``);
- a key set to ``null`` in the child is removed.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from .errors import Position, Problem, ScenarioError
from .yamlio import YList, YMap, env_int, parse_yaml_text, read_yaml, resolve_named

__all__ = ["LoadedDocument", "load", "parse_override", "MAX_EXTENDS_DEPTH"]

MAX_EXTENDS_DEPTH = env_int("RISKMODEL_MAX_EXTENDS_DEPTH", 16, example="16")

#: Lists merged item by item, keyed by these fields.
_LIST_KEYS = {"risks": "id", "interventions": "name"}

#: Parameter keys that describe its distribution; a child's `dist`/`formula` replaces them.
DISTRIBUTION_KEYS = frozenset({
    "dist", "formula", "low", "mode", "high", "lamb", "ci90", "mu", "sigma", "a", "b",
    "shape", "scale", "p", "values", "weights", "value", "bounds",
})


@dataclass(frozen=True)
class LoadedDocument:
    """A merged scenario document, still YAML-shaped, with positions.

    Attributes
    ----------
    tree : YMap
        The merged document (``extends`` removed, overrides applied).
    path : str
        The file the user named.
    files : tuple of str
        The ``extends`` chain, child first.
    sources_path : str or None
        The source registry, resolved against the file that names it.
    sha256 : str
        SHA-256 of the canonical JSON of ``tree``.
    """

    tree: YMap
    path: str
    files: tuple
    sources_path: str | None
    sha256: str
    canonical: str
    overrides: tuple = ()  # ((key path as written, resolved value, value before), ...), in the order applied
    file_sha256: tuple = ()  # SHA-256 of each file of ``files``, as bytes on disk


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def canonical_json(tree: Any) -> str:
    """Key-sorted compact JSON of a document (dates as ISO strings)."""
    return json.dumps(_plain(tree), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _merge_key(item: Any, key: str) -> Any:
    """The id (or name) a list item merges by, or None: a list or mapping there is no id (validation says so)."""
    ident = item.get(key) if isinstance(item, dict) else None
    return ident if isinstance(ident, (str, int, float, bool)) else None


def _merge_list_by(parent: YList, child: YList, key: str) -> YList:
    out = YList(parent, pos=child.pos, item_pos=list(parent.item_pos))
    index = {_merge_key(item, key): i for i, item in enumerate(out) if _merge_key(item, key) is not None}
    for item, pos in zip(child, child.item_pos):
        ident = _merge_key(item, key)
        if ident is not None and ident in index:
            i = index[ident]
            out[i] = _merge(out[i], item) if isinstance(out[i], YMap) and isinstance(item, YMap) else item
            out.item_pos[i] = pos
        else:
            if ident is not None:
                index[ident] = len(out)
            out.append(item)
            out.item_pos.append(pos)
    return out


def _correlation_pair(item: Any) -> tuple | None:
    if isinstance(item, list) and len(item) == 3 and all(isinstance(x, str) for x in item[:2]):
        return tuple(sorted(item[:2]))
    return None


def _merge_correlations(parent: YList, child: YList) -> YList:
    out = YList(parent, pos=child.pos, item_pos=list(parent.item_pos))
    index = {_correlation_pair(item): i for i, item in enumerate(out) if _correlation_pair(item)}
    for item, pos in zip(child, child.item_pos):
        pair = _correlation_pair(item)
        if pair is not None and pair in index:
            out[index[pair]] = item
            out.item_pos[index[pair]] = pos
        else:
            out.append(item)
            out.item_pos.append(pos)
    return out


def _merge(parent: Any, child: Any, key_path: tuple = ()) -> Any:
    """Child over parent, key by key (see module docstring)."""
    if not (isinstance(parent, YMap) and isinstance(child, YMap)):
        return child
    base = parent
    if len(key_path) == 2 and key_path[0] == "parameters" and ({"dist", "formula"} & set(child)):
        base = YMap({k: v for k, v in parent.items() if k not in DISTRIBUTION_KEYS}, pos=parent.pos,
                    key_pos={k: p for k, p in parent.key_pos.items() if k not in DISTRIBUTION_KEYS})
    out = YMap(base, pos=base.pos, key_pos=base.key_pos)
    for key, value in child.items():
        if value is None:
            out.pop(key, None)
            out.key_pos.pop(key, None)
            continue
        here = key_path + (key,)
        old = out.get(key)
        if len(here) == 1 and key in _LIST_KEYS and isinstance(old, YList) and isinstance(value, YList):
            out[key] = _merge_list_by(old, value, _LIST_KEYS[key])
        elif here == ("correlations",) and isinstance(old, YList) and isinstance(value, YList):
            out[key] = _merge_correlations(old, value)
        else:
            out[key] = _merge(old, value, here) if isinstance(old, YMap) else value
        out.key_pos[key] = child.key_pos.get(key, child.pos)
    return out


def _read_chain(path: Path) -> list[tuple[Path, YMap]]:
    """The extends chain, child first; cycles and depth are errors naming the files."""
    chain: list[tuple[Path, YMap]] = []
    seen: dict[Path, str] = {}
    current, shown = path, str(path)
    while True:
        resolved = Path(os.path.realpath(current))  # a symlink loop is named by read_yaml below
        if resolved in seen:
            cycle = " -> ".join([s for _, s in [(p, seen[p]) for p in seen]] + [shown])
            child_file, child_tree = chain[-1]
            raise ScenarioError.at(str(child_file), child_tree.key_pos["extends"].line, ("extends",),
                                   f"extends forms a cycle: {cycle}", "a scenario may not extend itself, directly or through others")
        if len(chain) >= MAX_EXTENDS_DEPTH:
            child_file, child_tree = chain[-1]
            raise ScenarioError.at(str(child_file), child_tree.key_pos["extends"].line, ("extends",),
                                   f"extends chain deeper than {MAX_EXTENDS_DEPTH} files",
                                   "flatten the chain, or raise RISKMODEL_MAX_EXTENDS_DEPTH")
        seen[resolved] = shown
        tree = read_yaml(current)
        chain.append((current, tree))
        parent = tree.get("extends")
        if parent is None:
            return chain
        if not isinstance(parent, str) or not parent.strip():
            raise ScenarioError.at(str(current), tree.key_pos["extends"].line, ("extends",),
                                   f"extends must name a scenario file, got {parent!r}", "e.g. extends: baseline.yaml")
        nxt = resolve_named(current, parent, line=tree.key_pos["extends"].line, key_path=("extends",),
                            what="parent scenario")
        if nxt.is_dir():
            raise ScenarioError.at(str(current), tree.key_pos["extends"].line, ("extends",),
                                   f"parent scenario '{parent}' is a folder, not a scenario file",
                                   "name the YAML file itself; the path is relative to this file")
        if not nxt.is_file():
            raise ScenarioError.at(str(current), tree.key_pos["extends"].line, ("extends",),
                                   f"parent scenario '{parent}' not found (looked for {nxt})",
                                   "the path is relative to this file")
        current, shown = nxt, os.path.relpath(nxt) if not nxt.is_absolute() else str(nxt)


def parse_override(text: str) -> tuple[tuple, Any, Position]:
    """``"parameters.x.low=2"`` -> (("parameters", "x", "low"), 2, position)."""
    pos = Position(f"--set {text}")
    if "=" not in text:
        raise ScenarioError.at(pos.file, None, (), "an override must read key.path=value", "e.g. --set samples=5000")
    key, _, raw = text.partition("=")
    parts = tuple(p.strip() for p in key.strip().split("."))
    if not key.strip() or any(not p for p in parts):
        raise ScenarioError.at(pos.file, None, (), f"'{key}' is not a key path", "e.g. parameters.wagner_fighters.ci90")
    parts = tuple(int(p) if p.isascii() and p.isdigit() else p for p in parts)  # "²" and "٠" are names, not indices
    try:
        value = parse_yaml_text(raw if raw.strip() else "null", pos.file)
    except ScenarioError as exc:  # the value's own line (always 1) means nothing on a command line
        raise ScenarioError([Problem(pos, parts + tuple(p.key_path), p.message, p.hint) for p in exc.problems]) from None
    return parts, _relocate(value, pos), pos


def _relocate(value: Any, pos: Position) -> Any:
    """Give every node of an override value the override's own position."""
    if isinstance(value, YMap):
        return YMap({k: _relocate(v, pos) for k, v in value.items()}, pos=pos, key_pos={k: pos for k in value})
    if isinstance(value, YList):
        return YList([_relocate(v, pos) for v in value], pos=pos, item_pos=[pos] * len(value))
    return value


def _apply_override(tree: YMap, parts: tuple, value: Any, pos: Position) -> YMap:
    if parts[0] == "extends":  # the chain is already merged: an override here would be silently ignored
        raise ScenarioError.at(pos.file, None, parts, "extends cannot be overridden",
                               "name the parent in the file, or run the parent file itself")
    node: Any = tree
    for depth, part in enumerate(parts[:-1]):
        here = parts[: depth + 1]
        nxt = None
        if isinstance(node, YMap):
            nxt = node.get(part)
        elif isinstance(node, YList):
            if isinstance(part, int) and 0 <= part < len(node):
                nxt = node[part]
            else:  # list items by id / name
                nxt = next((it for it in node if isinstance(it, dict) and part in (it.get("id"), it.get("name"))), None)
        if not isinstance(nxt, (YMap, YList)):
            raise ScenarioError.at(pos.file, None, here, "no such key in the scenario",
                                   "an override may change or add the last key of a path whose parents exist")
        node = nxt
    last = parts[-1]
    if isinstance(node, YMap):
        if value is None:
            node.pop(last, None)
        else:
            node[str(last)] = value
            node.key_pos[str(last)] = pos
    elif isinstance(node, YList) and isinstance(last, int) and 0 <= last < len(node):
        node[last] = value
        node.item_pos[last] = pos
    else:
        raise ScenarioError.at(pos.file, None, parts, "no such item in the list", "name an existing index, id or name")
    return tree


def load(path: str | os.PathLike, overrides: Sequence[str] = ()) -> LoadedDocument:
    """Read a scenario file, merge its ``extends`` chain and apply overrides.

    Parameters
    ----------
    path : path-like
        The scenario file.
    overrides : sequence of str
        ``key.path=value`` strings; values are parsed as YAML scalars (or flow
        lists) and validated like file content.

    Returns
    -------
    LoadedDocument

    Raises
    ------
    ScenarioError
        Unreadable or invalid YAML, duplicate keys, an ``extends`` cycle, a
        missing parent, or a malformed override; each names file, line, key.
    """
    path = Path(path)
    chain = _read_chain(path)
    sources_path = None
    for file, tree in chain:  # the nearest file that names sources wins
        if isinstance(tree.get("sources"), str):
            sources_path = str(resolve_named(file, tree["sources"], line=tree.key_pos["sources"].line,
                                             key_path=("sources",), what="source registry"))
            break
    merged: Any = chain[-1][1]
    for file, tree in reversed(chain[:-1]):
        merged = _merge(merged, tree)
    merged = YMap(merged, pos=merged.pos, key_pos=merged.key_pos)
    merged.pop("extends", None)
    applied = []
    for text in overrides:
        parts, value, pos = parse_override(text)
        applied.append((".".join(str(p) for p in parts), _plain(value), _plain(_lookup(merged, parts))))
        merged = _apply_override(merged, parts, value, pos)
        if parts == ("sources",) and isinstance(value, str):  # relative to the scenario file, as in the file
            try:
                sources_path = str(resolve_named(path, value, line=None, key_path=("sources",),
                                                 what="source registry"))
            except ScenarioError as exc:
                raise ScenarioError([Problem(pos, p.key_path, p.message, p.hint) for p in exc.problems]) from None
    canonical = canonical_json(merged)
    return LoadedDocument(
        tree=merged,
        path=str(path),
        files=tuple(str(f) for f, _ in chain),
        sources_path=sources_path,
        sha256=hashlib.sha256(canonical.encode()).hexdigest(),
        canonical=canonical,
        overrides=tuple(applied),
        file_sha256=tuple(_file_sha256(f) for f, _ in chain),
    )


def _file_sha256(path: Path) -> str:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return ""


def _lookup(tree: Any, parts: tuple) -> Any:
    """The value at a key path before an override (list items by index, id or name); None where missing."""
    node = tree
    for part in parts:
        if isinstance(node, dict):
            node = node.get(part) if part in node else node.get(str(part))
        elif isinstance(node, list):
            if isinstance(part, int) and 0 <= part < len(node):
                node = node[part]
            else:
                node = next((it for it in node if isinstance(it, dict) and part in (it.get("id"), it.get("name"))),
                            None)
        else:
            return None
        if node is None:
            return None
    return node

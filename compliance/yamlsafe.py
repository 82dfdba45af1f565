"""YAML for untrusted input: safe constructors only, bounded size, aliases and nesting.

Model cards are hostile input and rule files are reviewed but still user-written. PyYAML's
safe loader already refuses ``!!python/...`` tags; on top of it this loader refuses anchors
used as a "billion laughs" amplifier, deep nesting, and duplicate mapping keys (which PyYAML
would otherwise resolve silently, last one wins).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode
from yaml.reader import Reader
from yaml.resolver import Resolver

from compliance.errors import InputError

MAX_BYTES = 2 * 1024 * 1024
MAX_ALIASES = 64
MAX_DEPTH = 64


# Typed as a SafeLoader (which it always extends) so the checker knows the methods it overrides.
if TYPE_CHECKING:
    _LoaderBase = yaml.SafeLoader
else:
    _LoaderBase = object


class _Bounds(_LoaderBase):
    """The bounds on top of PyYAML's safe loading: counts aliases and depth while composing,
    rejects duplicate keys and lone surrogates, and makes scalars PyYAML cannot construct
    marked errors. Mixed into a loader before its composer and constructor."""

    _aliases = 0
    _depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise yaml.YAMLError(f"more than {MAX_ALIASES} aliases (possible YAML bomb)")
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise yaml.YAMLError(f"nesting deeper than {MAX_DEPTH}")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def compose_scalar_node(self, anchor: Any) -> ScalarNode:
        node = super().compose_scalar_node(anchor)
        if not node.value.isascii():
            try:
                node.value.encode("utf-8")
            except UnicodeEncodeError:
                # PyYAML leaves "\ud83d\ude42" (JSON's spelling of one emoji) as two halves of a
                # surrogate pair: join them. A half on its own ("\ud800") is no character, and no
                # UTF-8 text (a stored report, a JSON answer, a database row) can hold it.
                try:
                    node.value = node.value.encode("utf-16", "surrogatepass").decode("utf-16")
                except UnicodeDecodeError:
                    raise yaml.composer.ComposerError(
                        None, None, "an escape gives a lone surrogate, not a character", node.start_mark
                    ) from None
        return node

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        # PyYAML's scalar constructors raise plain Python errors for a value that matches a
        # type's pattern but is not one: ``2025-13-45`` (ValueError: month must be in 1..12),
        # ``!!int x``, ``!!bool maybe`` (KeyError), an integer of more digits than Python
        # converts. Each becomes a marked error, so the message names the line.
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, KeyError, AttributeError, TypeError, OverflowError) as exc:
            raise yaml.constructor.ConstructorError(None, None, _bad_scalar(node, exc), node.start_mark) from None

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, MappingNode):
            seen: set[Any] = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                try:
                    duplicate = key in seen
                except TypeError:
                    raise yaml.constructor.ConstructorError(
                        None, None, "unhashable mapping key", key_node.start_mark
                    ) from None
                if duplicate:
                    raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


class _BoundedLoader(_Bounds, yaml.SafeLoader):
    """PyYAML's pure-Python safe loader, bounded."""


_LOADERS: dict[str, Any] = {"python": _BoundedLoader}

try:
    from yaml._yaml import CParser
except ImportError:  # PyYAML built without libyaml
    pass
else:

    class _CBoundedLoader(_Bounds, Composer, CParser, SafeConstructor, Resolver):
        """libyaml scans and parses (in C, several times faster); composing stays in Python, so
        the alias, depth and surrogate bounds run on every node exactly as in :class:`_BoundedLoader`
        (libyaml's own composer recurses in C without a depth limit)."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)
            Composer.__init__(self)

    _LOADERS = {"libyaml": _CBoundedLoader, **_LOADERS}


def _bad_scalar(node: Node, exc: Exception) -> str:
    kind = str(node.tag).rsplit(":", 1)[-1]
    what = "date" if kind == "timestamp" else kind
    value = node.value if isinstance(node.value, str) else ""
    shown = f" {value[:40]!r}" if value else ""
    # Only a ValueError's text explains the value ("month must be in 1..12"); the others
    # (a KeyError, a failed regex match) describe PyYAML's internals.
    reason = f" ({str(exc)[:120]})" if isinstance(exc, ValueError | OverflowError) and str(exc) else ""
    return f"not a valid {what}{shown}{reason}"


_NON_PRINTABLE = Reader.NON_PRINTABLE

ENGINES = tuple(_LOADERS)
"""The parsers :func:`load_yaml` can use, the default first."""


def load_yaml(text: str, *, source: str, max_bytes: int = MAX_BYTES, engine: str | None = None) -> Any:
    """Parse one YAML document from untrusted text.

    Raises :class:`InputError` naming ``source`` and the line for any defect: too large, not
    YAML, a non-safe tag, too many aliases, too deep, or a duplicate key. ``engine``: one of
    :data:`ENGINES` (default: libyaml's C parser when PyYAML has it); both give the same data, the
    same bounds and the same errors.
    """
    if len(text) > max_bytes:
        raise InputError(f"YAML larger than {max_bytes} bytes", source=source)
    loader = _LOADERS[engine or ENGINES[0]]
    if loader is not _BoundedLoader and "\t" not in text and _NON_PRINTABLE.search(text) is None:
        try:
            return yaml.load(text, Loader=loader)  # safe constructors only (SafeConstructor)
        except (yaml.YAMLError, RecursionError):
            # Told in PyYAML's words, parsed again below: libyaml words its errors differently and
            # refuses an escaped surrogate pair that PyYAML joins. A defect is rare and the text
            # small, so the second parse costs little.
            pass
    # Text with a tab or a character PyYAML's reader refuses goes to PyYAML alone: libyaml takes
    # a tab for a separator where PyYAML refuses it, a NUL for the end of the text, and cannot
    # be handed a lone surrogate at all.
    try:
        return yaml.load(text, Loader=_BoundedLoader)  # safe constructors only (SafeConstructor)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}" if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise InputError(f"invalid YAML: {problem}", source=source, where=where) from None
    except yaml.YAMLError as exc:
        raise InputError(f"invalid YAML: {exc}", source=source) from None
    except RecursionError:
        raise InputError("invalid YAML: nesting too deep", source=source) from None

"""Fuzzing of the parsers of untrusted input: settings profiles, hostile-input strategies and the oracle.

Every fuzz test feeds generated input to one parser through :func:`feed`, which asserts the one
property they share: the parser returns, or raises one of the project's own errors
(:class:`compliance.errors.ComplianceError`) with a printable one-line message, within a time
bound. Any other exception is an internal error: the CLI would print "internal error" and exit
2, the API would answer 500, a worker would fail the check.

Profiles (``HYPOTHESIS_PROFILE``):

* unset, or ``fuzz-bounded``: what ``make test`` runs, a fixed number of examples per parser,
  derandomized so that a run is reproducible and cannot fail on an unrelated change;
* ``fuzz``: what ``make fuzz`` runs, random and ``FUZZ_EXAMPLES`` (default 1000) examples each.

``FUZZ_KEEP_GOING=1`` records internal errors without failing, to count them all in one run.

The strategies make near-valid inputs, not only noise: a real-looking structure (a safetensors
header whose offsets tile its data, a config of a known family, a card with front matter and
training prose, a shipped rule set) with a few mutations (:func:`mutated`, :func:`text_mutations`)
drawing on :data:`HOSTILE_NUMBERS`, :data:`HOSTILE_STRINGS` and :data:`HOSTILE_YAML`: wrong
types, huge and negative numbers, NaN and infinities, unicode and lone surrogates, deep
nesting, duplicate keys, truncation. Trees may hold :class:`Raw`, :class:`Pairs` and
:class:`Deep` nodes for what a Python value cannot say; :func:`as_text` writes them as JSON,
without recursion.
"""

from __future__ import annotations

import copy
import json
import math
import os
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from compliance.errors import ComplianceError, ExitCode

T = TypeVar("T")

# ----------------------------------------------------------------------------- profiles

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "fuzz-bounded")
LONG = PROFILE == "fuzz"
LONG_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "1000"))
# Survey mode: record every internal error and carry on, to count them all (figures, not a gate).
KEEP_GOING = os.environ.get("FUZZ_KEEP_GOING") == "1"
_QUIET_CHECKS = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]

settings.register_profile(
    "fuzz-bounded", deadline=None, derandomize=True, database=None, suppress_health_check=_QUIET_CHECKS
)
settings.register_profile("fuzz", deadline=None, suppress_health_check=_QUIET_CHECKS, report_multiple_bugs=True)


def fuzz_settings(examples: int) -> settings:
    """The settings of one fuzz test: ``examples`` in the bounded profile, :data:`LONG_EXAMPLES` in ``fuzz``."""
    name = "fuzz" if LONG else "fuzz-bounded"
    return settings(settings.get_profile(name), max_examples=LONG_EXAMPLES if LONG else examples)


# ----------------------------------------------------------------------------- the oracle


@dataclass
class ParserStats:
    """What the fuzz tests fed one parser, and what came out."""

    inputs: int = 0
    rejected: int = 0  # inputs answered with the project's own error
    slowest: float = 0.0  # CPU seconds of the slowest input
    first: float | None = None  # perf_counter of the first input
    last: float = 0.0
    internal: dict[str, str] = field(default_factory=dict)  # signature -> first message seen
    found_after: dict[str, float] = field(default_factory=dict)  # signature -> seconds after the first input
    witness: dict[str, str] = field(default_factory=dict)  # signature -> the input, to reproduce it

    def record(self, signature: str, message: str, witness: Any = None) -> None:
        """Count an internal error (once per signature), with the input that raised it."""
        if signature not in self.internal:
            self.internal[signature] = message[:300]
            self.found_after[signature] = round(time.perf_counter() - (self.first or 0.0), 2)
            self.witness[signature] = repr(witness)[:4000]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        wall = self.last - self.first if self.first is not None else 0.0
        return {
            "inputs": self.inputs,
            "rejected": self.rejected,
            "seconds": round(wall, 2),
            "inputs_per_second": round(self.inputs / wall, 1) if wall > 0 else None,
            "slowest_seconds": round(self.slowest, 4),
            "internal_errors": len(self.internal),
            "signatures": {
                k: {"message": v, "found_after_seconds": self.found_after[k], "input": self.witness[k]}
                for k, v in self.internal.items()
            },
        }


STATS: dict[str, ParserStats] = {}
DEFAULT_SECONDS = 2.0
# The parsers are linear but not fast: pure-Python YAML reads about 60 KB/s here and card prose
# 60-120 KB/s, so the bound grows with the input at a third of the slowest measured rate. What
# it catches is super-linear work (regex backtracking, quadratic loops, huge-number arithmetic).
MIN_BYTES_PER_SECOND = 20_000


class InternalAnswer(Exception):
    """A server's answer that stands for an internal error (a 500, a check failed as "internal error")."""


def _signature(exc: BaseException) -> str:
    """Exception type and the innermost frame in the project's code: one entry per distinct bug."""
    if isinstance(exc, InternalAnswer):
        return f"{exc}"[:160]  # the answer names the exception behind it
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if ("/compliance/" in f.filename or "/web/" in f.filename)]
    where = ours[-1] if ours else (frames[-1] if frames else None)
    place = f"{where.filename.rsplit('/', 2)[-2]}/{where.filename.rsplit('/', 1)[-1]}:{where.lineno}" if where else "?"
    return f"{type(exc).__name__} at {place}"


def check_error(exc: ComplianceError) -> None:
    """A project error must be printable on one line, in UTF-8, with a documented exit code."""
    line = exc.one_line()
    assert isinstance(line, str) and line.strip(), f"{type(exc).__name__} with an empty message"
    line.encode("utf-8")  # a lone surrogate here breaks the database and the JSON answer
    assert exc.exit_code in set(ExitCode), exc.exit_code


def feed(
    parser: str, call: Callable[[], T], *, size: int = 0, seconds: float = DEFAULT_SECONDS, witness: Any = None
) -> T | Exception:
    """Run ``call`` (one parser on one input of ``size`` bytes): its result, or the project error it raised.

    Fails the test on any other exception (recorded under ``parser`` in :data:`STATS`), on an
    error whose message cannot be printed, and on an input that took more CPU time than
    ``seconds`` plus ``size`` at :data:`MIN_BYTES_PER_SECOND`. With ``FUZZ_KEEP_GOING=1`` failures are
    only recorded, and the exception is returned.
    """
    stats = STATS.setdefault(parser, ParserStats())
    stats.inputs += 1
    if stats.first is None:
        stats.first = time.perf_counter()
    # This thread's CPU time, not wall time: other processes on a busy machine (a CI neighbour)
    # or the suite's own server threads must not make a parser look slow.
    started = time.thread_time()
    try:
        outcome: T | Exception = call()
        failure: Exception | None = None
    except ComplianceError as exc:
        outcome, failure = exc, None
        try:
            check_error(exc)
            stats.rejected += 1
        except Exception as bad:
            stats.record(f"unprintable {type(exc).__name__}: {_signature(exc)}", repr(bad), witness)
            failure = bad
    except Exception as exc:  # the property under test: nothing else may come out
        stats.record(_signature(exc), f"{type(exc).__name__}: {exc}", witness)
        exc.add_note(f"fuzzing {parser}: not a project error (internal error)")
        outcome = failure = exc
    elapsed = time.thread_time() - started
    stats.last = time.perf_counter()
    stats.slowest = max(stats.slowest, elapsed)
    bound = seconds + size / MIN_BYTES_PER_SECOND
    if failure is None and elapsed > bound:
        stats.record(f"slow input ({parser})", f"{elapsed:.2f} s for {size} bytes", witness)
        failure = AssertionError(f"{parser} took {elapsed:.2f} s of CPU on {size} bytes (bound {bound:.1f} s)")
    if failure is not None and not KEEP_GOING:
        raise failure
    return outcome


def feed_file(parser: str, name: str, text: str, load: Callable[[Path], T]) -> T | Exception:
    """:func:`feed` ``load(path)`` for a file ``name`` holding ``text``, in a directory of its own."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(as_bytes(text))
        return feed(parser, lambda: load(path), size=len(text), witness=text)


# ----------------------------------------------------------------------------- trees and their JSON


class Raw(str):
    """A JSON fragment written as is (``NaN``, a 5000-digit number)."""

    def __repr__(self) -> str:
        return f"Raw({str(self)[:40]!r}{'...' if len(self) > 40 else ''})"


class Pairs(list):  # type: ignore[type-arg]
    """A JSON object written from ``(key, value)`` pairs, so that a key can appear twice."""

    def __repr__(self) -> str:
        return f"Pairs({list.__repr__(self)})"


@dataclass(frozen=True)
class Deep:
    """``depth`` levels of ``[`` (or ``{"a":``) around ``inner``: nesting no recursive writer survives."""

    depth: int
    kind: str = "list"
    inner: Any = 0


def as_text(tree: Any, *, ascii_only: bool = True) -> str:
    """The JSON text of a tree (iterative: a :class:`Deep` of 100,000 levels is fine)."""
    out: list[str] = []
    stack: list[Any] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, _Literal):
            out.append(node.text)
        elif isinstance(node, Raw):
            out.append(str(node))
        elif isinstance(node, Deep):
            opener, closer = ("[", "]") if node.kind == "list" else ('{"a":', "}")
            out.append(opener * node.depth)
            stack.append(_Literal(closer * node.depth))
            stack.append(node.inner)
        elif isinstance(node, Pairs | dict):
            items = list(node) if isinstance(node, Pairs) else list(node.items())
            parts: list[Any] = [_Literal("{")]
            for index, (key, value) in enumerate(items):
                if index:
                    parts.append(_Literal(","))
                parts.append(_Literal(json.dumps(str(key), ensure_ascii=ascii_only) + ":"))
                parts.append(value)
            parts.append(_Literal("}"))
            stack.extend(reversed(parts))
        elif isinstance(node, list | tuple):
            parts = [_Literal("[")]
            for index, value in enumerate(node):
                if index:
                    parts.append(_Literal(","))
                parts.append(value)
            parts.append(_Literal("]"))
            stack.extend(reversed(parts))
        else:
            out.append(json.dumps(node, ensure_ascii=ascii_only))
    return "".join(out)


@dataclass(frozen=True)
class _Literal:
    text: str


def as_bytes(text: str) -> bytes:
    """UTF-8, keeping lone surrogates as the (invalid) bytes they would be."""
    return text.encode("utf-8", "surrogatepass")


# ----------------------------------------------------------------------------- hostile leaves

HUGE_DIGITS = 5000  # past Python's 4300-digit limit on int <-> str conversion

HOSTILE_NUMBERS: list[Any] = [
    0, -1, 1, 2, 7, 255, 2**31 - 1, 2**31, 2**32, 2**53 + 1, 2**62, 2**63 - 1, 2**63, 2**64 - 1, 2**64, 2**64 + 1,
    10**18, 10**30, 10**100, -(2**63), -(2**64), 0.5, -0.0, 1e-300, 5e-324, 1e308, -1e308, 1.7976931348623157e308,
]  # fmt: skip
SPECIAL_NUMBERS: list[Raw] = [
    Raw(text)
    for text in ("NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1" + "0" * HUGE_DIGITS, "-" + "9" * HUGE_DIGITS,
                 "1" + "0" * 400)
]  # fmt: skip
HOSTILE_STRINGS: list[str] = [
    "", " ", "\x00", "\t\r\n", "\udc80", "\ud800x", "\ufeff", "\u202e", "\u200b", "🙂" * 3, "ＡＢＣ１２３", "٣٤",
    "../../etc/passwd", "/etc/passwd", "C:\\x", "..", ".", "--", "a" * 300, "x" * 70000, "%s%n{0}", "${HOME}",
    "<script>alert(1)</script>", "nan", "inf", "-1", "1e400", "9" * HUGE_DIGITS, "7B", "15T", "0x1F", "true",
    "null", "2025-13-45", "F32", "BF16", "model.safetensors", "llama", "apache-2.0", "org/name", "a/b@main",
]  # fmt: skip


# YAML a mapping cannot produce once dumped: each line or block is one hostile front matter.
HOSTILE_YAML = [
    "release_date: 2025-13-45",
    "license: 2025-02-30",
    "x: !!timestamp 2020-99-99",
    "x: !!timestamp 2020-01-01T25:61:61",
    "x: !!python/object/apply:os.system ['true']",
    "x: !!binary 'zz'",
    "x: !!set {a, b}",
    "x: !!omap [a: 1, a: 2]",
    "x: !!int '" + "9" * HUGE_DIGITS + "'",
    "x: " + "9" * HUGE_DIGITS,
    "x: 0x" + "f" * HUGE_DIGITS,
    "x: " + "9:" * 2000 + "9",
    "x: 1e99999",
    "x: .nan",
    "? [a, b]\n: 1",
    "? {a: 1}\n: 1",
    "<<: *undefined",
    "<<: [1, 2]",
    "a: &a [x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b, *b, *b, *b]",
    "license: mit\nlicense: apache-2.0",
    "x: " + "[" * 100_000,
    "x: " + "{a: " * 2000,
    "%YAML 1.1\n---\na: 1",
    "a: 1\n---\nb: 2",
    "  bad:\n indent",
    "x: '\x00'",
    'license: "\\ud800"',
    'base_model: ["\\udc80x", "org/\\ud83d\\ude42"]',
    "base_model: [" + ", ".join(["org/m"] * 2000) + "]",
    "co2_eq_emissions:\n  duration: 1e400\n  hardware_used: " + "H100 " * 1000,
    "co2_eq_emissions:\n  training_hours: -5\n  duration: " + "9" * 4000 + " hours",
]

YAML_LEAVES = st.one_of(
    st.sampled_from([n for n in HOSTILE_NUMBERS if not isinstance(n, int) or abs(n) < 10**4000]),
    st.sampled_from(HOSTILE_STRINGS),  # safe_dump writes a lone surrogate as a "\uDC80" escape
    st.sampled_from([True, False, None, [], {}, math.nan, math.inf]),
    st.dates(),
    st.lists(st.sampled_from(["org/base", "", "a" * 400, "lora", "gguf"]), max_size=3),
)


def hostile_scalars() -> st.SearchStrategy[Any]:
    """Numbers, strings and constants that parsers mishandle, plus hypothesis' own."""
    return st.one_of(
        st.sampled_from(HOSTILE_NUMBERS),
        st.sampled_from(SPECIAL_NUMBERS),
        st.sampled_from(HOSTILE_STRINGS),
        st.sampled_from([True, False, None]),
        st.integers(),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=30),
    )


def _containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4))


def hostile_json() -> st.SearchStrategy[Any]:
    """Hostile scalars, containers of them, and deep nesting."""
    small = st.recursive(hostile_scalars(), _containers, max_leaves=8)
    return st.one_of(
        small,
        st.builds(Deep, st.sampled_from([64, 1000, 100_000]), st.sampled_from(["list", "object"])),
    )


# ----------------------------------------------------------------------------- mutation of trees


def _slots(tree: Any) -> Iterator[tuple[Any, Any]]:
    """Every (container, key) of a tree of dicts and lists, the root's parent excluded."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                yield node, key
                stack.append(value)
        elif isinstance(node, list) and not isinstance(node, Pairs):
            for index, value in enumerate(node):
                yield node, index
                stack.append(value)


MUTATIONS = ("replace", "replace", "delete", "insert", "wrap", "retype", "duplicate")


@st.composite
def mutated(
    draw: st.DrawFn,
    base: st.SearchStrategy[Any],
    leaves: st.SearchStrategy[Any] | None = None,
    keys: st.SearchStrategy[str] | None = None,
    max_mutations: int = 3,
    duplicates: bool = True,
    ops: tuple[str, ...] = MUTATIONS,
    at: Callable[[Any], bool] | None = None,
) -> Any:
    """A tree from ``base`` with up to ``max_mutations`` hostile edits.

    Edits: replace a value by a hostile leaf, delete an entry, insert a key (from ``keys``),
    wrap a value in a list, turn a number into a string or back, or (``duplicates``) write a
    key twice through :class:`Pairs`; ``ops`` narrows the choice, ``at`` the values edited.
    """
    tree = copy.deepcopy(draw(base))
    leaf_strategy = leaves if leaves is not None else hostile_json()
    keys = keys if keys is not None else st.text(max_size=12)

    def fresh() -> Any:
        # A copy: sampled_from hands out the same list or dict every time, and a later edit of
        # the tree must not change the strategy's own examples.
        return copy.deepcopy(draw(leaf_strategy))

    for _ in range(draw(st.integers(0, max_mutations))):
        slots = [(c, k) for c, k in _slots(tree) if at is None or at(c[k])]
        if not slots:
            break
        container, key = draw(st.sampled_from(slots))
        op = draw(st.sampled_from([m for m in ops if duplicates or m != "duplicate"]))
        if op == "replace":
            container[key] = fresh()
        elif op == "delete":
            del container[key]
        elif op == "insert":
            if isinstance(container, dict):
                container[draw(keys)] = fresh()
            else:
                container.insert(key, fresh())
        elif op == "wrap":
            container[key] = [container[key]]
        elif op == "retype":
            value = container[key]
            container[key] = str(value) if not isinstance(value, str) else _number_or_text(value)
        elif op == "duplicate" and isinstance(container, dict):
            pairs = Pairs(container.items())
            pairs.append((key, fresh()))
            _replace_node(tree, container, pairs)
            if tree is container:
                tree = pairs
    return tree


def _number_or_text(text: str) -> Any:
    try:
        return float(text)
    except ValueError:
        return len(text)


def _replace_node(tree: Any, old: Any, new: Any) -> None:
    for container, key in list(_slots(tree)):
        if container[key] is old:
            container[key] = new
            return


@st.composite
def text_mutations(draw: st.DrawFn, text: str) -> str:
    """``text`` truncated, spliced with hostile characters, or with a line repeated."""
    op = draw(st.sampled_from(["none", "truncate", "splice", "repeat", "crlf", "bom"]))
    if not text or op == "none":
        return text
    at = draw(st.integers(0, len(text)))
    if op == "truncate":
        return text[:at]
    if op == "splice":
        return (
            text[:at]
            + draw(st.sampled_from(["\x00", "\udc80", "\t", "\r", '"', "'", "{", "[", "&a", "*a", "!!"]))
            + text[at:]
        )
    if op == "repeat":
        line = text[:at].rsplit("\n", 1)[-1]
        return text[:at] + ("\n" + line) * draw(st.integers(1, 2000)) + text[at:]
    if op == "crlf":
        return text.replace("\n", "\r\n")
    return "\ufeff" + text

"""libyaml's C parser and PyYAML's pure-Python one, behind the same bounds, agree."""

from __future__ import annotations

import random
from typing import Any

import pytest

from compliance.errors import InputError
from compliance.rules.loader import default_rules_dir
from compliance.yamlsafe import ENGINES, MAX_ALIASES, MAX_DEPTH, load_yaml

pytestmark = pytest.mark.skipif("libyaml" not in ENGINES, reason="PyYAML built without libyaml")

HOSTILE = [
    "a: 1\na: 2\n",
    "a: { b: 1, b: 2 }\n",
    "a: [1\n",
    "a: !!python/object/apply:os.system ['true']\n",
    "x: &a [1]\ny: [" + ", ".join(["*a"] * (MAX_ALIASES + 1)) + "]\n",
    "[" * 200 + "]" * 200,
    "[" * 100_000 + "]" * 100_000,  # past libyaml's own depth limit too
    "{a: " * 100_000 + "1" + "}" * 100_000,
    "".join("  " * depth + "k:\n" for depth in range(MAX_DEPTH + 5)),
    "{[1, 2]: x}\n",
    "a: 2025-13-45\n",
    "a: !!int x\n",
    "a: !!bool maybe\n",
    "a: " + "9" * 5000 + "\n",
    'a: "\\ud800"\n',
    'a: "\\ud83d\\ude42"\n',  # a pair libyaml refuses and PyYAML joins
    "a: 1\x00b: 2\n",  # libyaml would stop at the NUL
    "a: \x07\n",
    "a:\tb\n",  # libyaml takes the tab for a separator
    "\t- a\n",
    "a: b: c\n",
    "- a\nb: c\n",
    "a: 'x\n",
    "a: *nope\n",
    "--- a\n--- b\n",
    "%YAML 2.0\n--- a\n",
    "a: !custom x\n",
    "a: |\n  x\n b\n",
    "]",
    "{a: 1}}",
    "\ufeffa: 1\n",
    "a: \u2028b\n",
    "<<: {a: 1}\nb: 2\n",
    "a: !!set {x, y}\n",
    "a: [&x 1, *x]\n",
    "",
    "# only a comment\n",
]


def _outcome(text: str, engine: str) -> tuple[str, Any, Any]:
    try:
        return ("data", repr(load_yaml(text, source="in.yaml", max_bytes=10**6, engine=engine)), None)
    except InputError as exc:
        return ("error", exc.message, exc.where)


def _shipped_texts() -> list[str]:
    return [p.read_text("utf-8") for p in sorted(default_rules_dir().glob("*.yaml"))]


def test_libyaml_is_the_default() -> None:
    assert ENGINES[0] == "libyaml"


def test_the_shipped_rule_files_read_the_same() -> None:
    texts = _shipped_texts()
    assert len(texts) >= 10
    for text in texts:
        assert load_yaml(text, source="r.yaml", engine="libyaml") == load_yaml(text, source="r.yaml", engine="python")


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_inputs_give_the_same_data_or_the_same_error(text: str) -> None:
    assert _outcome(text, "libyaml") == _outcome(text, "python")


def test_the_nesting_bound_holds_with_libyaml() -> None:
    for text in ("[" * 100_000 + "]" * 100_000, "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)):
        with pytest.raises(InputError, match="nesting deeper"):
            load_yaml(text, source="in.yaml", max_bytes=10**6, engine="libyaml")


def test_mutated_rule_files_agree_wherever_pure_python_accepts_or_both_refuse() -> None:
    # libyaml is a little more lenient than PyYAML (it reads "{a?b: 1}", which PyYAML
    # refuses); everything PyYAML reads, libyaml reads the same, and a text both refuse gets
    # PyYAML's error, line and all.
    rnd = random.Random(15)
    seeds = [text[:1500] for text in _shipped_texts()]
    pieces = [*":-[]{},&*!|>'\"#?% \n\\0.e1", "  ", "\n  ", ": ", "- ", "!!str ", "&a ", "*a", "---\n", "é", "\\u00e9"]
    compared = 0
    for _ in range(400):
        text = rnd.choice(seeds)
        for _ in range(rnd.randint(1, 6)):
            at = rnd.randrange(len(text) + 1)
            if rnd.random() < 0.6:
                text = text[:at] + rnd.choice(pieces) + text[at:]
            else:
                text = text[:at] + text[at + rnd.randint(1, 5) :]
        fast, pure = _outcome(text, "libyaml"), _outcome(text, "python")
        if pure[0] == "data" or fast[0] == "error":
            assert fast == pure, text
            compared += 1
    assert compared > 300


def test_a_card_front_matter_reads_the_same() -> None:
    text = "license: apache-2.0\nbase_model: [org/a, org/b]\ndatasets:\n  - x\nmodel-index:\n  - name: m\n"
    assert load_yaml(text, source="README.md", engine="libyaml") == load_yaml(text, source="README.md", engine="python")

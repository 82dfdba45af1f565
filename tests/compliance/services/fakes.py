"""Fakes for service tests: a rule book text and an inspector that never touches a hub."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from compliance.facts.model import Evidence, Fact, FactSet
from compliance.inspection import Inspection, ModelRef
from compliance.settings import Settings

RULESET_ID = "test-policy"


def policy_yaml(threshold: float, *, effective_from: str = "2020-01-01", version: str = "1") -> str:
    """A one-set rule book: ``test.params.large`` triggers above ``threshold`` parameters."""
    return f"""\
ruleset:
  id: {RULESET_ID}
  version: "{version}"
  title: Test policy
  jurisdiction: ORG
  markets: []
  scope: {{selected_by: always}}
rules:
  - id: test.params.large
    title: Large model
    citation: "Test policy, section 1"
    link: https://example.com/policy
    status: in_force
    effective_from: {effective_from}
    severity: high
    effect: {{type: info}}
    message: The model is large.
    sourcing: V
    when: {{fact: parameters, op: gt, value: {threshold:g}}}
  - id: test.license.unknown
    title: Licence unknown
    citation: "Test policy, section 2"
    link: https://example.com/policy
    status: in_force
    effective_from: 2020-01-01
    severity: medium
    effect: {{type: info}}
    message: No licence.
    sourcing: V
    when: {{fact: license, op: unknown}}
"""


class Crash(BaseException):
    """What a killed worker looks like from inside: nothing after it runs, no handler sees it."""


@dataclass
class FakeInspector:
    """An :class:`~compliance.services.ports.Inspector` over a dict of parameter counts.

    ``crash_after``: raise :class:`Crash` on that call (1-based) to simulate a killed worker.
    ``fail``: model ids mapped to the exception to raise for them.
    """

    parameters: dict[str, float] = field(default_factory=dict)
    default: float = 5e8
    crash_after: int | None = None
    fail: dict[str, BaseException] = field(default_factory=dict)
    calls: list[tuple[str, str | None]] = field(default_factory=list)
    # Called with the 1-based call number before each inspection (to act in the middle of a batch).
    hook: Callable[[int], None] | None = None

    def __call__(
        self, model_id: str, *, revision: str | None, declared: Sequence[Fact], settings: Settings, use_exact: bool
    ) -> Inspection:
        self.calls.append((model_id, revision))
        if self.hook is not None:
            self.hook(len(self.calls))
        if self.crash_after is not None and len(self.calls) >= self.crash_after:
            self.crash_after = None
            raise Crash(f"worker killed while inspecting {model_id}")
        if model_id in self.fail:
            raise self.fail[model_id]
        facts = FactSet()
        value = self.parameters.get(model_id, self.default)
        evidence = [Evidence("safetensors-header", "model.safetensors", f"{value:g} parameters")]
        facts.set(Fact("parameters", value, method="safetensors-header", evidence=evidence))
        facts.set(Fact("license", "apache-2.0", evidence=[Evidence("card-metadata", "README.md", "license")]))
        for fact in declared:
            facts.set(fact)
        sha = revision if revision and len(revision) == 40 else "f" * 40
        return Inspection(ModelRef(id=model_id, source="hub", revision=revision, sha=sha), facts)

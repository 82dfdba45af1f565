"""A chip question without a model: which chip rules does shipping these accelerators trigger?

A compliance officer asking about a shipment of chips has no model. The question is a check
like any other (same service, findings, outputs and exit codes) whose only facts are the
deployment context: the accelerators, their count and the destination. Only the rules that ask
about a target accelerator are evaluated (a rule needs a ``hardware*`` fact, itself or through
its rule set's scope): a model rule would be uncertain for want of a model that does not exist.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from compliance.errors import UsageError
from compliance.facts.model import FactSet
from compliance.inspection import Inspection, ModelRef

if TYPE_CHECKING:
    from compliance.check import CheckOptions
    from compliance.report.model import Report

SOURCE = "hardware"  # the report's model.source: there is no model, only a hardware declaration


def _names_hardware(needs: Any) -> bool:
    return any(str(name).startswith("hardware") for entry in needs or () for name in entry)


def asks_about_chips(meta: Any, spec: Any) -> bool:
    """Whether a rule needs a target accelerator: its own ``needs`` or its set's scope names a
    ``hardware*`` fact."""
    return _names_hardware(meta.scope.needs) or _names_hardware(spec.needs)


def chip_rulebook(book: Any) -> Any:
    """The rules of ``book`` that ask about a target accelerator; :class:`UsageError` when none do."""
    chips = book.where(asks_about_chips)
    if not chips.rulesets:
        chosen = ", ".join(s.id for s in book.rulesets)
        raise UsageError(f"no rule about chips in the selected rule sets ({chosen}); the chip rules are in "
                         "us-bis-advanced-computing and us-bis-ai-diffusion")  # fmt: skip
    return chips


def hardware_inspection(spec: str) -> Inspection:
    """The inspection of a hardware question: no model and no model facts, named by the spec."""
    from compliance.hardware.catalog import load_catalog, parse_hardware_spec

    accelerator, count = parse_hardware_spec(spec, load_catalog())
    return Inspection(ModelRef(f"{count}x {accelerator.id}", SOURCE), FactSet({}))


def run_hardware_check(options: CheckOptions, *, rulebook: Any = None) -> Report:
    """Evaluate the chip rules for ``options.hardware`` shipped to ``options.destination``.

    The same service as :func:`compliance.check.run_check`, narrowed to the chip rules."""
    from compliance.check import run_check

    if not options.hardware:
        raise UsageError("a hardware question needs NAME[xCOUNT], e.g. H100x8")
    if not options.destination:
        raise UsageError("a hardware question needs a destination country, e.g. --destination CN")
    return run_check(hardware_inspection(options.hardware), options, rulebook=rulebook, narrow=chip_rulebook)

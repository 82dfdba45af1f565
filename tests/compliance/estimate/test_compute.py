from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compliance.estimate.compute import (
    MAX_PLAUSIBLE_TOKENS,
    OPERATION_COUNT_SPREAD,
    Peak,
    estimate_compute,
)
from compliance.facts.model import Confidence, Evidence, Fact, FactSet

H100 = Peak(989.5e12, "H100 dense BF16")


def _fact(name: str, value: object, confidence: Confidence = Confidence.CONFIDENT, **kw: object) -> Fact:
    return Fact(name, value, confidence=confidence, evidence=[Evidence("declared", "test", name)], **kw)  # type: ignore[arg-type]


def _facts(*facts: Fact) -> FactSet:
    return FactSet({f.name: f for f in facts})


def _total(facts: FactSet, **kw: object) -> Fact:
    result = {
        f.name: f for f in estimate_compute(facts, peak_lookup=lambda name: H100 if "H100" in name else None, **kw)
    }  # type: ignore[arg-type]
    return result["training_compute_flop"]


def test_operation_counting_matches_the_published_llama_405b_figure() -> None:
    total = _total(_facts(_fact("parameters", 4.05e11), _fact("training_tokens", 1.56e13, Confidence.LIKELY)))
    assert total.method == "operation-counting"
    assert total.value == pytest.approx(3.79e25, rel=0.01)
    assert total.low == pytest.approx(total.value * OPERATION_COUNT_SPREAD[0])
    assert total.high == pytest.approx(total.value * OPERATION_COUNT_SPREAD[1])
    assert total.confidence is Confidence.LIKELY  # only as good as its weakest input
    assert "6 × 4.05e+11 parameters × 1.56e+13 tokens" in total.evidence[0].detail


def test_mixture_of_experts_uses_active_parameters() -> None:
    facts = _facts(_fact("parameters", 6.71e11), _fact("active_parameters", 3.7e10), _fact("training_tokens", 1.48e13))
    total = _total(facts)
    assert total.value == pytest.approx(6 * 3.7e10 * 1.48e13)
    assert "active parameters" in total.evidence[0].detail


def test_token_interval_widens_compute_interval() -> None:
    tokens = _fact("training_tokens", 2e12, low=2e12, high=2.5e12)
    total = _total(_facts(_fact("parameters", 7e9), tokens))
    assert total.high == pytest.approx(6 * 7e9 * 2.5e12 * OPERATION_COUNT_SPREAD[1])


def test_hardware_method_with_assumed_utilisation() -> None:
    facts = _facts(_fact("training_gpu_hours", 3.08e7), _fact("training_hardware", "H100-80GB"))
    total = _total(facts)
    assert total.method == "hardware"
    assert total.value == pytest.approx(3.08e7 * 3600 * 989.5e12 * 0.30)
    assert total.low < total.value < total.high
    assert total.confidence is Confidence.LIKELY
    assert any(e.kind == "catalog" for e in total.evidence)


def test_hardware_method_from_chip_count_and_duration() -> None:
    facts = _facts(
        _fact("training_hardware", "H100"),
        _fact("training_hardware_count", 1000),
        _fact("training_duration_hours", 100),
        _fact("training_utilization", 0.4),
    )
    total = _total(facts)
    assert total.value == pytest.approx(1000 * 100 * 3600 * 989.5e12 * 0.4)


def test_unknown_hardware_gives_no_hardware_estimate() -> None:
    facts = _facts(_fact("training_gpu_hours", 1e6), _fact("training_hardware", "Mystery-9000"))
    assert _total(facts).method == "none"


def test_agreeing_methods_keep_operation_counting_and_show_the_other() -> None:
    n, d = 4.05e11, 1.56e13
    hours = 6 * n * d / (3600 * 989.5e12 * 0.30)
    facts = _facts(_fact("parameters", n), _fact("training_tokens", d), _fact("training_gpu_hours", hours),
                   _fact("training_hardware", "H100"))  # fmt: skip
    total = _total(facts)
    assert total.method == "operation-counting"
    assert [a.method for a in total.alternatives] == ["hardware"]
    assert "agrees" in (total.note or "")
    assert total.confidence is Confidence.CONFIDENT


def test_disagreeing_methods_widen_the_interval_and_lower_confidence() -> None:
    facts = _facts(_fact("parameters", 7e9), _fact("training_tokens", 1e12), _fact("training_gpu_hours", 1e7),
                   _fact("training_hardware", "H100"))  # fmt: skip
    total = _total(facts)
    hardware = total.alternatives[0]
    assert total.method == "operation-counting"
    assert total.high == pytest.approx(hardware.high)
    assert total.confidence is Confidence.LIKELY
    assert "widened" in (total.note or "")


def test_parameter_bound_when_tokens_are_unknown() -> None:
    total = _total(_facts(_fact("parameters", 7e9)))
    assert total.value is None
    assert total.low is None
    assert total.high == pytest.approx(6 * 7e9 * MAX_PLAUSIBLE_TOKENS * OPERATION_COUNT_SPREAD[1])
    assert total.high < 1e25  # a 7B model can be cleared of the 1e25 presumption, speculatively
    assert total.confidence is Confidence.SPECULATIVE


def test_nothing_known_is_unknown() -> None:
    total = _total(FactSet())
    assert total.value is None and total.high is None
    assert total.confidence is Confidence.UNKNOWN


def test_declared_compute_wins_but_estimates_are_shown() -> None:
    declared = Fact("training_compute_flop", 1e24, method="declared", evidence=[Evidence("declared", "--fact", "x")])
    facts = _facts(_fact("parameters", 4.05e11), _fact("training_tokens", 1.56e13), declared)
    total = _total(facts)
    assert total.value == 1e24 and total.method == "declared"
    assert total.alternatives[0].method == "operation-counting"
    assert "outside the declared interval" in (total.note or "")


def test_a_declared_total_keeps_the_lineage_parts_held_below_it() -> None:
    # Declaring the total must not make the modification unknown: a rule on the modification alone
    # would turn uncertain because another fact was settled.
    declared = Fact("training_compute_flop", 5e23, method="declared", evidence=[Evidence("declared", "--fact", "x")])
    facts = _facts(
        _fact("base_model", "org/base"), _fact("parameters", 8e9), _fact("training_tokens", 1.5e13), declared
    )
    result = {f.name: f for f in estimate_compute(facts)}
    assert result["training_compute_flop"] is declared
    modification = result["finetune_compute_flop"]
    assert modification.value is None and modification.high == 5e23
    assert "at most the declared total" in (modification.note or "")
    assert "cumulative" not in (declared.alternatives[0].note or "")  # the lineage notes stay on its copy


def test_a_declared_total_leaves_a_declared_part_as_it_is() -> None:
    facts = _facts(
        _fact("base_model", "org/base"),
        _fact("base_model_relation", "finetune"),
        Fact("training_compute_flop", 1e24, method="declared"),
        _fact("finetune_compute_flop", 1e22),
    )
    result = {f.name: f for f in estimate_compute(facts)}
    assert result["finetune_compute_flop"].value == 1e22
    assert "base_model_compute_flop" not in result


def test_lineage_sums_declared_parts() -> None:
    facts = _facts(
        _fact("base_model", "meta-llama/Llama-3.1-8B"),
        _fact("base_model_relation", "finetune"),
        _fact("base_model_compute_flop", 1.2e24),
        _fact("finetune_compute_flop", 1e22),
    )
    result = {f.name: f for f in estimate_compute(facts)}
    assert result["training_compute_flop"].value == pytest.approx(1.21e24)
    assert result["finetune_compute_flop"].value == 1e22
    assert result["training_compute_flop"].method == "lineage"


def test_lineage_takes_base_compute_from_the_resolved_base() -> None:
    facts = _facts(_fact("base_model", "org/base"), _fact("base_model_relation", "quantized"), _fact("parameters", 8e9))
    base = Fact("training_compute_flop", 1.2e24, 1e24, 1.5e24, Confidence.LIKELY, "operation-counting")
    result = {f.name: f for f in estimate_compute(facts, base_compute=base)}
    assert result["finetune_compute_flop"].value == 0.0  # quantizing is not training
    assert result["training_compute_flop"].value == pytest.approx(1.2e24)
    assert result["base_model_compute_flop"].method == "lineage"


def test_finetune_with_unknown_base_is_bounded_not_guessed() -> None:
    facts = _facts(_fact("base_model", "org/base"), _fact("parameters", 8e9), _fact("finetune_compute_flop", 1e21))
    total = {f.name: f for f in estimate_compute(facts)}["training_compute_flop"]
    assert total.value is None
    assert total.low == pytest.approx(1e21)
    assert total.high is not None and total.high < 1e25
    assert "base model's compute is unknown" in (total.note or "")


def test_card_tokens_of_a_finetune_with_an_unknown_base_are_a_floor_not_the_total() -> None:
    # With the base's compute unknown, the card's figure may measure the fine-tune alone or the
    # whole lineage: either way the total is not below it, but its value is not known.
    facts = _facts(_fact("base_model", "org/base"), _fact("parameters", 8e9), _fact("training_tokens", 1.5e13))
    total = {f.name: f for f in estimate_compute(facts)}["training_compute_flop"]
    assert total.value is None
    assert total.low == pytest.approx(6 * 8e9 * 1.5e13 * 0.8)
    assert total.high is not None and total.high > total.low
    assert total.alternatives[0].value == pytest.approx(6 * 8e9 * 1.5e13)
    assert "cumulative compute is unknown" in (total.note or "")
    assert "base + modification" not in (total.note or "")


def test_card_estimate_not_below_the_base_is_read_as_cumulative_without_a_sum() -> None:
    facts = _facts(_fact("base_model", "org/base"), _fact("parameters", 8e9), _fact("training_tokens", 1.5e13))
    base = Fact("training_compute_flop", 6e23, 5e23, 7e23, Confidence.LIKELY, "operation-counting")
    result = {f.name: f for f in estimate_compute(facts, base_compute=base)}
    total = result["training_compute_flop"]
    assert total.value == pytest.approx(6 * 8e9 * 1.5e13)
    assert "finetune_compute_flop" not in result
    assert "no separate modification compute was added" in (total.note or "")


def test_base_share_is_derived_when_only_the_modification_is_declared() -> None:
    facts = _facts(
        _fact("base_model", "org/base"),
        _fact("parameters", 8e9),
        _fact("training_tokens", 1.5e13),
        _fact("finetune_compute_flop", 4e20),
    )
    result = {f.name: f for f in estimate_compute(facts)}
    base = result["base_model_compute_flop"]
    assert base.value == pytest.approx(6 * 8e9 * 1.5e13 - 4e20)
    assert base.low is not None and base.low >= 0
    assert result["finetune_compute_flop"].value == 4e20


def test_a_card_estimate_below_the_base_is_the_modification() -> None:
    facts = _facts(
        _fact("base_model", "org/base"),
        _fact("parameters", 8e9),
        _fact("training_gpu_hours", 340),
        _fact("training_hardware", "H100"),
    )
    base = Fact("training_compute_flop", 7.2e23, 5.8e23, 9.4e23, Confidence.LIKELY, "operation-counting")
    result = {f.name: f for f in estimate_compute(facts, peak_lookup=lambda n: H100, base_compute=base)}
    modification = result["finetune_compute_flop"]
    assert modification.method == "hardware"
    assert modification.value == pytest.approx(340 * 3600 * 989.5e12 * 0.3)
    assert result["training_compute_flop"].value == pytest.approx(7.2e23 + modification.value)


# --- which parameter count 6·N·D uses ---------------------------------------------------------


def _declared(name: str, value: object) -> Fact:
    return Fact(name, value, confidence=Confidence.CONFIDENT, method="declared",
                evidence=[Evidence("declared", "--fact", f"{name}={value}")])  # fmt: skip


def _from_config(name: str, value: float) -> Fact:
    return Fact(name, value, confidence=Confidence.CONFIDENT, method="architecture",
                evidence=[Evidence("config", "config.json", "llama formula")])  # fmt: skip


def test_a_declared_total_outranks_an_active_count_from_the_files() -> None:
    facts = _facts(
        _declared("parameters", 7e9),
        _from_config("active_parameters", 1.82e6),  # a tiny test config next to a declared 7B model
        _fact("training_tokens", 2e12),
    )
    total = _total(facts)
    assert total.method == "operation-counting"
    assert total.value == pytest.approx(6 * 7e9 * 2e12)
    assert "× 7e+09 parameters" in total.evidence[0].detail


def test_a_declared_active_count_is_used_with_a_declared_total() -> None:
    facts = _facts(
        _declared("parameters", 4.67e10), _declared("active_parameters", 1.29e10), _fact("training_tokens", 1e12)
    )
    total = _total(facts)
    assert total.value == pytest.approx(6 * 1.29e10 * 1e12)
    assert "active parameters" in total.evidence[0].detail


@pytest.mark.parametrize("declared_kind", ["MixtralForCausalLM", "qwen3_moe", "deepseek_v3", "some_new_moe"])
def test_a_declared_moe_architecture_keeps_the_active_count(declared_kind: str) -> None:
    name = "architecture" if declared_kind[0].isupper() else "model_type"
    facts = _facts(
        _declared("parameters", 4.67e10),
        _declared(name, declared_kind),
        _from_config("active_parameters", 1.29e10),
        _fact("training_tokens", 1e12),
    )
    assert _total(facts).value == pytest.approx(6 * 1.29e10 * 1e12)


def test_a_declared_dense_architecture_does_not_keep_the_active_count() -> None:
    facts = _facts(
        _declared("parameters", 7e9),
        _declared("architecture", "LlamaForCausalLM"),
        _from_config("active_parameters", 1.82e6),
        _fact("training_tokens", 1e12),
    )
    assert _total(facts).value == pytest.approx(6 * 7e9 * 1e12)


def test_an_active_count_from_the_files_is_used_when_nothing_is_declared() -> None:
    facts = _facts(
        _from_config("parameters", 4.67e10), _from_config("active_parameters", 1.29e10), _fact("training_tokens", 1e12)
    )
    assert _total(facts).value == pytest.approx(6 * 1.29e10 * 1e12)


def test_an_active_count_above_the_total_is_not_used() -> None:
    facts = _facts(
        _from_config("parameters", 1e9), _from_config("active_parameters", 5e9), _fact("training_tokens", 1e12)
    )
    total = _total(facts)
    assert total.value == pytest.approx(6 * 1e9 * 1e12)
    assert "active" not in total.evidence[0].detail


def test_an_active_count_alone_is_used() -> None:
    total = _total(_facts(_from_config("active_parameters", 3e9), _fact("training_tokens", 1e12)))
    assert total.value == pytest.approx(6 * 3e9 * 1e12)


_flops = st.floats(min_value=1e15, max_value=1e27, allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(
    params=st.floats(min_value=1e6, max_value=2e12),
    tokens=st.floats(min_value=1e9, max_value=5e13),
    base=st.one_of(st.none(), _flops),
)
def test_a_derived_model_never_reports_a_cumulative_below_what_it_knows(
    params: float, tokens: float, base: float | None
) -> None:
    # Whatever the card's estimate and the base's compute, the cumulative compute is a sum that
    # was made, an estimate at least the base's, or unknown with the parts known as its floor.
    facts = _facts(_fact("base_model", "org/base"), _fact("parameters", params), _fact("training_tokens", tokens))
    base_fact = None if base is None else Fact("training_compute_flop", base, base * 0.8, base * 1.2,
                                               Confidence.LIKELY, "operation-counting")  # fmt: skip
    result = {f.name: f for f in estimate_compute(facts, base_compute=base_fact)}
    total = result["training_compute_flop"]
    own = 6 * params * tokens
    note = total.note or ""
    assert "base + modification" not in note
    if base is None:
        assert total.value is None and total.low == pytest.approx(own * OPERATION_COUNT_SPREAD[0])
        assert "cumulative compute is unknown" in note
        assert result["finetune_compute_flop"].high == pytest.approx(own * OPERATION_COUNT_SPREAD[1])
    else:
        assert total.value is not None and total.value >= min(own, base) * (1 - 1e-9)
        assert total.high is not None and total.high >= base * 0.8
        if total.method == "lineage":  # a sum: both parts are reported
            assert result["base_model_compute_flop"].value == pytest.approx(base)
            assert total.value == pytest.approx(base + result["finetune_compute_flop"].value)


# --- stages after pretraining stated in the card (finetune_tokens) ---------------------------


def test_continued_pretraining_tokens_are_the_modification_and_the_card_tokens_the_base() -> None:
    # "The base was pretrained on 2T tokens; we kept pre-training it on 250B more": nothing read from a hub.
    facts = _facts(
        _fact("parameters", 7e9),
        _fact("base_model", "org/base-7b"),
        _fact("training_tokens", 2e12, Confidence.LIKELY),
        _fact("finetune_tokens", 2.5e11, Confidence.LIKELY),
    )
    result = {f.name: f for f in estimate_compute(facts)}
    assert result["finetune_compute_flop"].value == pytest.approx(6 * 7e9 * 2.5e11)
    assert result["base_model_compute_flop"].value == pytest.approx(6 * 7e9 * 2e12)
    total = result["training_compute_flop"]
    assert total.value == pytest.approx(6 * 7e9 * 2.25e12)
    assert "plus the modification" in (total.note or "")


def test_continued_pretraining_tokens_add_to_a_resolved_base() -> None:
    base = _fact("training_compute_flop", 1e24, low=8e23, high=1.3e24)
    facts = _facts(_fact("parameters", 8e9), _fact("base_model", "org/base"), _fact("finetune_tokens", 5e11))
    result = {f.name: f for f in estimate_compute(facts, base_compute=base)}
    assert result["finetune_compute_flop"].value == pytest.approx(6 * 8e9 * 5e11)
    assert result["training_compute_flop"].value == pytest.approx(1e24 + 6 * 8e9 * 5e11)


@settings(max_examples=60, deadline=None)
@given(
    params=st.floats(min_value=1e8, max_value=1e12),
    pretrain=st.floats(min_value=1e10, max_value=4e13),
    later=st.floats(min_value=1e9, max_value=2e12),
)
def test_stages_after_pretraining_never_lower_the_total(params: float, pretrain: float, later: float) -> None:
    plain = _facts(_fact("parameters", params), _fact("base_model", "b"), _fact("training_tokens", pretrain))
    staged = _facts(*plain, _fact("finetune_tokens", later))
    without = {f.name: f for f in estimate_compute(plain)}["training_compute_flop"]
    with_stages = {f.name: f for f in estimate_compute(staged)}["training_compute_flop"]
    assert with_stages.value is not None
    assert with_stages.low is not None and without.low is not None
    assert with_stages.low >= without.low


def _finite_everywhere(fact: Fact) -> bool:
    numbers = [x for x in (fact.value, fact.low, fact.high) if x is not None]
    return all(abs(float(x)) < float("inf") for x in numbers) and all(_finite_everywhere(a) for a in fact.alternatives)


@pytest.mark.parametrize(
    "facts",
    [
        # Found by fuzzing the API: 6 × 1e308 × 7e9 is infinite; the report then failed to store
        # (JSON has no Infinity) and describing a comparison with it raised OverflowError.
        (_fact("parameters", 1e308), _fact("training_tokens", 7e9)),
        (
            _fact("parameters", 1e308),
            _fact("training_tokens", 7e9),
            _fact("training_compute_flop", 1e308, method="declared"),
        ),
        (_fact("parameters", 1e308),),  # the parameter-bound ceiling overflows too
        (_fact("training_hardware", "H100"), _fact("training_gpu_hours", 1e300)),
    ],
)
def test_inputs_near_the_largest_float_give_no_infinite_estimate(facts: tuple[Fact, ...]) -> None:
    results = estimate_compute(_facts(*facts), peak_lookup=lambda name: H100)
    assert all(_finite_everywhere(fact) for fact in results)

"""Generated cluster descriptions: nodes times accelerators per node, the count being the product."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compliance.facts.card import parse_card
from compliance.facts.card.node_counts import node_products
from tests.compliance.facts.spelling import words
from tests.compliance.facts.test_card_phrasings import EXAMPLES, MODEL_NAME

HARDWARE = ["A100 80GB", "H100", "NVIDIA H800", "TPU v4", "AMD MI250X", "A100-SXM4-40GB"]
NODE_WORDS = ["nodes", "hosts", "servers", "machines"]
# {n}: node count, {p}: accelerators per node, {hw}: the accelerator, {node}: the machine word.
FRAMES = [
    "We trained on {n} {node} with {p} × {hw} each.",
    "Pre-training ran on {n} {node} of {p} {hw} GPUs.",
    "The model was trained on {n} {node} x {p} {hw} chips.",
    "Training used {p} {hw} accelerators per node across {n} {node}.",
    "Pretraining was done on {n} {node}, each with {p} {hw} GPUs.",
    "TRAINING-LIST:- Nodes: {n} ({p} × {hw} per node)",
    # A line keyed by the cluster counts as a training statement under any heading but a usage one.
    "OVERVIEW-LIST:- Cluster: {n} {node} × {p} {hw}",
]
DISTRACTORS = [
    "Inference runs on a single node with 8 GPUs.",
    "The context length is 4,096 tokens.",
    "Each GPU has 80 GB of memory.",
    "It was trained on 2T tokens.",
]


@st.composite
def clusters(draw: st.DrawFn) -> tuple[str, int]:
    """A card fragment describing a training cluster by its nodes, and the accelerator count."""
    nodes = draw(st.integers(min_value=2, max_value=512))
    per = draw(st.sampled_from([4, 8, 16]))
    spelled = draw(st.booleans()) and nodes < 100
    frame = draw(st.sampled_from(FRAMES))
    statement = frame.format(
        n=words(nodes) if spelled else f"{nodes:,}",
        p=per,
        hw=draw(st.sampled_from(HARDWARE)),
        node=draw(st.sampled_from(NODE_WORDS)),
    )
    for marker, heading in (("TRAINING-LIST:", "## Training details"), ("OVERVIEW-LIST:", "## Overview")):
        if statement.startswith(marker):
            statement = f"{heading}\n\n" + statement.removeprefix(marker)
    if draw(st.booleans()):
        statement = f"{statement[:-1]}, {nodes * per:,} accelerators in total." if frame.endswith(".") else statement
    distractor = draw(st.none() | st.sampled_from(DISTRACTORS))
    text = statement if distractor is None else f"{statement}\n\n{distractor}"
    return "# Heron\n\n" + text + "\n", nodes * per


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(clusters())
def test_accelerator_count_is_nodes_times_per_node(case: tuple[str, int]) -> None:
    text, count = case
    fact = parse_card(text, model_name=MODEL_NAME).fact("training_hardware_count")
    assert fact is not None, f"no count read from:\n{text}"
    assert fact.value == count, f"count {fact.value} for:\n{text}"


def test_a_per_node_count_far_from_any_node_count_is_no_product() -> None:
    assert node_products("We used 8 GPUs for the ablations and 64 nodes for the main run.") == []
    assert node_products("We trained on 2 nodes, 16 GPUs in total.") == []

"""Accelerator counts stated as nodes times accelerators per node.

Cards describe a cluster by its machines as often as by its total: "64 nodes with 8 × A100 80GB
each", "48 nodes of 8 H100s", "128 hosts x 4 TPU v4 chips", "8 H800 GPUs per node across 60
nodes", "Nodes: 32 (8 × A100 per node)". The accelerator count is the product. A card that also
states the total ("2,048 GPUs across 256 nodes with 8 GPUs each") gives the same figure twice,
which the chooser keeps as one value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from compliance.facts.card.quantities import HW_COUNT, canonical_hw, parse_number

_NODE_WORD = r"(?i:nodes?|hosts?|servers?|machines?|instances?|pods?)"
# At most a billion machines: longer runs of digit groups are not counts (and would overflow).
_COUNT = r"\d{1,3}(?:,\d{3}){1,2}|\d{1,6}"

# "48 nodes", "32 DGX H100 nodes", "sixteen servers" (words are digits by now), "Nodes: 32".
NODES = re.compile(
    r"(?<![\w.,])(?P<n>" + _COUNT + r")[\s-](?:[A-Za-z0-9-]{1,20}\s){0,2}?" + _NODE_WORD + r"\b"
    r"|\b" + _NODE_WORD + r"\s?[:=]\s?(?P<k>" + _COUNT + r")(?![\w.,])"
)
# What may stand between the node count and a per-node count that follows it: "with", "of", "x",
# "(", ", each with", "each having".
_LINK = re.compile(
    r"(?:\s|,|\(|:|[x×*]|each\b|with\b|of\b|having\b|containing\b|hosting\b|holding\b|equipped\b|featuring\b|an?\b)*"
)
_MAX_LINK = 30
# A bare comma is no link: in "2 nodes, 16 GPUs in total" the second figure is the total. One of these must be there.
_LINK_WORD = re.compile(r"[x×*(]|\b(?:each|with|of|having|containing|hosting|holding|equipped|featuring)\b")
_TOTAL_AFTER = re.compile(r"\s?(?:in total|in all|total|overall|combined|altogether)\b", re.IGNORECASE)
# A per-node count that precedes the node count says so: "8 GPUs per node", "4 chips/host".
_PER_NODE = re.compile(r"\s?(?:each\s)?(?:per|/|in each|on each|for each|a)\s?" + _NODE_WORD + r"\b")
_MAX_GAP = 40
# Accelerators in one machine: a DGX holds 8, a TPU host 4 or 8, a few designs up to 64.
MAX_PER_NODE = 64


@dataclass(frozen=True)
class NodeProduct:
    """A cluster stated as ``nodes`` machines of ``per_node`` accelerators each."""

    nodes: int
    per_node: int
    hardware: str | None
    start: int  # where the statement starts in the text

    @property
    def count(self) -> int:
        """The number of accelerators."""
        return self.nodes * self.per_node


def node_products(text: str) -> list[NodeProduct]:
    """Every nodes-times-accelerators statement in ``text`` (one clause or sentence)."""
    nodes = [(m.start(), m.end(), int(parse_number(m.group("n") or m.group("k")))) for m in NODES.finditer(text)]
    if not nodes:
        return []
    out: list[NodeProduct] = []
    for per in HW_COUNT.finditer(text):
        stated = parse_number(per.group("count"))
        if not 1 <= stated <= MAX_PER_NODE:
            continue
        per_node = int(stated)
        if _TOTAL_AFTER.match(text, per.end()):
            continue
        hw = canonical_hw(per.group("hw")) if per.group("hw") else None
        for start, end, n in nodes:
            if n < 1:
                continue
            if start < per.start() and per.end() <= end:
                # "64 8-GPU nodes": the per-node count describes the nodes.
                out.append(NodeProduct(n, per_node, hw, start))
                break
            if end <= per.start() and _links(text[end : per.start()]):
                out.append(NodeProduct(n, per_node, hw, start))
                break
            if per.end() <= start and _per_node_before(text, per.end(), start):
                out.append(NodeProduct(n, per_node, hw, per.start()))
                break
    return out


def _links(gap: str) -> bool:
    return len(gap) <= _MAX_LINK and _LINK.fullmatch(gap) is not None and _LINK_WORD.search(gap) is not None


def _per_node_before(text: str, per_end: int, nodes_start: int) -> bool:
    mark = _PER_NODE.match(text, per_end)
    return mark is not None and nodes_start - mark.end() <= _MAX_GAP and ";" not in text[mark.end() : nodes_start]

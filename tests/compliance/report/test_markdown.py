"""Markdown step summary: headline, tables that stay tables, hostile text kept inert, size bound."""

from __future__ import annotations

import re
from typing import Any

import pytest

from compliance.report import markdown
from compliance.report.markdown import escape, link
from compliance.report.render import render
from tests.compliance.report import factories as F

OUR_HTML = re.compile(r"^(<details><summary>[A-Za-z ]+ \(\d+\)</summary>|</details>|<sub>|</sub>)$")


def _tokens(text: str) -> list[Any]:
    markdown_it = pytest.importorskip("markdown_it")
    parser = markdown_it.MarkdownIt("commonmark").enable("table")
    flat: list[Any] = []
    for tok in parser.parse(text):
        flat.append(tok)
        flat.extend(tok.children or [])
    return flat


def _tables(text: str) -> list[list[list[str]]]:
    """Each table as rows of cell texts, as a CommonMark+tables parser sees it."""
    tables: list[list[list[str]]] = []
    row: list[str] = []
    in_cell = False
    for tok in _tokens(text):
        if tok.type == "table_open":
            tables.append([])
        elif tok.type == "tr_open":
            row = []
        elif tok.type == "tr_close":
            tables[-1].append(row)
        elif tok.type in ("th_open", "td_open"):
            in_cell = True
            row.append("")
        elif tok.type in ("th_close", "td_close"):
            in_cell = False
        elif in_cell and tok.type == "inline":
            row[-1] = tok.content
    return tables


def test_headlines() -> None:
    assert render(F.failing(), "markdown").startswith("## Compliance check: **FAIL**\n")
    assert render(F.passing(), "markdown").startswith("## Compliance check: **PASS**\n")
    assert render(F.inconclusive(), "markdown").startswith("## Compliance check: **INCONCLUSIVE**\n")


def test_failing_summary_structure() -> None:
    text = render(F.failing(), "markdown")
    assert "**Model:** acme/llama\\-70b" not in text  # a hyphen mid-text needs no escape
    assert "**Model:** acme/llama-70b" in text
    assert "**Exit code 1** — fail: a triggered finding at or above the fail-on severity." in text
    tables = _tables(text)
    findings, facts, rulesets = tables
    assert findings[0] == ["Verdict", "Rule", "Jurisdiction", "Severity", "What was compared", "Citation"]
    assert len(findings) == 3  # header + two triggered findings; not triggered / not applicable are collapsed
    first = findings[1]
    assert first[0].startswith("**TRIGGERED** (blocks: fail)")
    assert first[4] == "training\\_compute\\_flop 3.8e25 \\[3e25 – 4.9e25\\] &gt; 1e25"
    assert first[5].startswith("[Regulation \\(EU\\) 2024/1689, Art. 21](https://eur-lex.europa.eu/")
    assert findings[2][0] == "**TRIGGERED**"  # low severity: shown, but it does not block
    assert [r[0] for r in facts[1:]] == [
        "parameters",
        "active\\_parameters",
        "training\\_tokens",
        "training\\_compute\\_flop",
        "license",
    ]
    compute = facts[4]
    assert compute[1:] == ["6\\.35e24", "\\[4.4e24 – 8.9e24\\]", "likely", "operation-counting"]
    assert rulesets[1] == ["eu-ai-act (Rules eu-ai-act)", "2025\\.08", "0123456789ab"]
    assert F.SHA not in text
    assert "<details><summary>Not triggered (1)</summary>" in text
    assert "<details><summary>Not applicable (1)</summary>" in text
    assert "no destination given" in text


def test_rendered_text_means_what_it_says() -> None:
    text = render(F.failing(), "markdown")
    links = [t for t in _tokens(text) if t.type == "link_open"]
    assert [t.attrs["href"] for t in links] == ["https://eur-lex.europa.eu/eli/reg/2024/1689/oj"] * 2
    inline = " ".join(t.content for t in _tokens(text) if t.type == "text")
    assert "training_compute_flop 3.8e25 [3e25 – 4.9e25] > 1e25" in inline


def test_waived_findings_are_listed_with_the_waiver() -> None:
    text = render(F.waived(), "markdown")
    assert "No triggered or uncertain findings." in text
    assert "<details><summary>Waived (1)</summary>" in text
    assert "waived: notified the AI Office (legal@acme.example, until 2026\\-06\\-30)" not in text
    assert "waived: notified the AI Office (legal@acme.example, until 2026-06-30)" in _plain(text)


def _plain(text: str) -> str:
    return " ".join(t.content for t in _tokens(text) if t.type == "text")


def test_inconclusive_row_explains_the_uncertainty() -> None:
    text = render(F.inconclusive(), "markdown")
    row = _tables(text)[0][1]
    assert row[0] == "**UNCERTAIN** (blocks: inconclusive)"
    assert "straddles the threshold" in row[4]
    assert "uncertain ones at that severity make it inconclusive" in text


def test_hostile_strings_cannot_break_tables_open_html_or_make_links() -> None:
    text = render(F.hostile(), "markdown")
    tokens = _tokens(text)
    html = [t.content.strip() for t in tokens if t.type in ("html_inline", "html_block")]
    for chunk in html:
        for line in chunk.splitlines():
            assert OUR_HTML.match(line.strip()), line
    assert not [t for t in tokens if t.type == "link_open" and "evil" in t.attrs.get("href", "")]
    assert not [t for t in tokens if t.type == "code_inline"]
    for table in _tables(text):
        assert len({len(row) for row in table}) == 1  # a pipe in card text did not add a column
    row = _tables(text)[0][1]
    assert len(row) == 6
    plain = _plain(text)
    assert "x | y `rm -rf` <script>alert(1)</script> [click](https://evil.example)" in plain
    assert "\x00" not in text
    # The citation link had a space and parentheses: they are encoded, the link stays one link.
    hrefs = [t.attrs["href"] for t in tokens if t.type == "link_open"]
    assert hrefs == ["https://example.org/a%20b%29%28c"]


def test_escape_and_link() -> None:
    assert escape("a|b") == "a\\|b"
    assert escape("<b>&") == "&lt;b&gt;&amp;"
    assert escape("# title") == "\\# title"
    assert escape("- item") == "\\- item"
    assert escape("1. first") == "1\\. first"
    assert escape("line\nbreak") == "line break"
    assert link("x", "javascript:alert(1)") == "x"
    assert link("x", None) == "x"
    assert link("see", "https://a.example/p?q=1") == "[see](https://a.example/p?q=1)"


def test_facts_only_report() -> None:
    report = F.report([], outcome="not_checked", rulesets=[])
    text = render(report, "markdown")
    assert text.startswith("## Compliance check: **FACTS ONLY**")
    assert "Facts only: no rule sets were evaluated." in text
    assert "### Key facts" in text and "Findings that need attention" not in text


def test_model_revision_is_shown() -> None:
    report = F.failing()
    report["model"] = {"id": "acme/m", "source": "hub", "revision": "main", "sha": F.SHA}
    assert "**revision:** main @ 0123456789ab" in render(report, "markdown")


def test_huge_reports_are_cut_to_fit_the_step_summary_limit() -> None:
    long_title = "very long rule title " * 40
    findings = [F.finding(f"r{i}", "triggered", title=long_title, reason="x" * 400) for i in range(3000)]
    findings += [F.finding(f"n{i}", "not_triggered", title=long_title) for i in range(3000)]
    report = F.report(findings, outcome="fail")
    report["warnings"] = ["<w> " * 300] * 2000
    text = markdown.render(report)
    assert len(text.encode("utf-8")) <= markdown.MAX_BYTES
    assert re.search(r"\*… \d+ more findings left out to keep this summary under GitHub's size limit\.\*", text)
    assert re.search(r"\*… \d+ more not triggered left out", text)


def test_the_summary_names_what_decided_it_its_caveats_and_the_flags_that_settle_it() -> None:
    report = F.inconclusive()
    report["findings"][0]["settle"] = [
        {"fact": "training_compute_flop", "question": "What is the training compute?", "answers": ["5e24", "2e25"]}
    ]
    report["summary"]["caveats"] = [{"kind": "sources_disagree", "message": "parameter counts disagree"}]
    text = markdown.render(report)
    summary = text.split("### Findings that need attention")[0]
    assert "**Decided by:**" in summary and "**eu-gpai-systemic-risk** (high, uncertain)" in summary.replace("\\", "")
    assert "- sources disagree: parameter counts disagree" in summary
    assert "`--fact training_compute_flop=5e24` or `--fact training_compute_flop=2e25`" in summary


def test_not_triggered_comparisons_show_their_outcome() -> None:
    report = F.passing()
    report["findings"][0]["comparisons"][0]["value"] = 3.05e24
    text = markdown.render(report)
    not_triggered = text.split("Not triggered (1)</summary>")[1].split("</details>")[0]
    assert "3.05e24 \\[3e25 – 4.9e25\\] is not &gt; 1e25" in not_triggered


def test_settle_flags_cannot_break_a_table() -> None:
    report = F.inconclusive()
    report["findings"][0]["settle"] = [{"fact": "license", "question": "?", "answers": ["a|b`c"]}]
    rows = _tables(markdown.render(report))[0]
    assert all(len(row) == 6 for row in rows)

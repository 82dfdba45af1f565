"""Load rule-set files into a :class:`~compliance.rules.book.RuleBook`, all or nothing.

Any defect in any file (not YAML, a python tag, a YAML bomb, an unknown key, operator or fact,
an operator that does not fit the fact's kind, a duplicate rule id across files, a missing or
circular named condition, inverted dates) stops the load with a :class:`RuleSetError` naming
the file and the place. A bad rule is never skipped: a skipped rule would quietly weaken the
gate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from compliance.errors import InputError, RuleSetError
from compliance.regularfile import read_regular
from compliance.rules.book import CompiledRule, CompiledSet, RuleBook, RuleSetInfo
from compliance.rules.cache import entry_key, file_digest, read_entry, write_entry
from compliance.rules.compiler import ConditionCompiler, GroupResolver, has_numeric_leaf
from compliance.rules.describe import describe
from compliance.rules.plain import condition_from, meta_from, rule_from, to_plain
from compliance.rules.problems import RAISE, Problems

if TYPE_CHECKING:
    from pydantic import ValidationError

# PyYAML, pydantic and the schema are imported only when a file must be validated (it is new or
# changed since it was cached): a warm check never pays for them.

CASES_SUFFIXES = (".cases.yaml", ".cases.yml")
RULESET_SUFFIXES = (".yaml", ".yml")
# Each rule-set, cases or waiver file is read up to this size (the shipped ones are about 10 kB).
MAX_RULES_FILE_BYTES = 4 * 1024 * 1024


def default_rules_dir() -> Path:
    """The shipped rules directory.

    In a source checkout that is the top-level ``rules/`` beside the ``compliance`` package; in
    an installed wheel it is ``compliance/_rules`` (the wheel force-includes ``rules/`` there).
    """
    package = Path(__file__).resolve().parent.parent  # importlib.resources would cost an import
    checkout = package.parent / "rules"
    if checkout.is_dir() and (package.parent / "pyproject.toml").is_file():
        return checkout
    bundled = package / "_rules"
    if bundled.is_dir():
        return bundled
    raise RuleSetError("no shipped rules directory found", source=str(checkout))


def is_cases_file(path: Path) -> bool:
    """True for ``<id>.cases.yaml`` files, which hold test cases rather than rules."""
    return path.name.endswith(CASES_SUFFIXES)


def rule_set_files(paths: Sequence[Path] | None = None, *, problems: Problems = RAISE) -> list[Path]:
    """The rule-set files named by ``paths`` (directories are expanded, cases files skipped);
    a path that names none goes to ``problems``."""
    roots = [default_rules_dir()] if paths is None else [Path(p) for p in paths]
    files: list[Path] = []
    for root in roots:
        if root.is_dir():
            found = sorted(
                p for p in root.iterdir() if p.is_file() and p.suffix in RULESET_SUFFIXES and not is_cases_file(p)
            )
            if not found:
                problems.add(RuleSetError("no rule-set files (*.yaml) in this directory", source=str(root)))
            files.extend(found)
        elif root.is_file():
            files.append(root)
        elif root.exists():
            problems.add(RuleSetError("cannot read: not a regular file or a directory", source=str(root)))
        else:
            problems.add(RuleSetError("no such file or directory", source=str(root)))
    return files


def load_rulesets(
    paths: Sequence[Path] | None = None,
    *,
    group_resolver: GroupResolver | None = None,
    cache_dir: Path | None = None,
    problems: Problems = RAISE,
) -> RuleBook:
    """Load, validate and compile rule sets into one book.

    ``paths``: files or directories; None loads the shipped rules directory
    (:func:`default_rules_dir`). ``group_resolver`` maps a country-group name to its ISO codes
    for values written as ``{group: D5}``; a rule that uses a group without a resolver is an
    error. ``cache_dir``: where validated files are kept (:mod:`compliance.rules.cache`), so
    an unchanged file is not parsed and validated again; None validates every file. Raises
    :class:`RuleSetError` on the first defect, unless ``problems`` collects them: then every
    defect is kept there and a file with any is left out of the book.
    """
    sets: list[CompiledSet] = []
    set_paths: dict[str, Path] = {}
    rule_paths: dict[str, Path] = {}
    loaded: set[Path] = set()
    for path in rule_set_files(paths, problems=problems):
        resolved = path.resolve()
        if resolved in loaded:
            continue
        loaded.add(resolved)
        before = problems.count()
        try:
            compiled = load_ruleset_file(path, group_resolver=group_resolver, cache_dir=cache_dir, problems=problems)
        except RuleSetError as exc:  # unreadable or not YAML: nothing further to check in it
            problems.add(exc)
            continue
        if compiled is None:
            continue
        if compiled.info.id in set_paths:
            problems.add(
                RuleSetError(
                    f"duplicate rule set id {compiled.info.id!r} (also in {set_paths[compiled.info.id]})",
                    source=str(path),
                    where="ruleset.id",
                )
            )
        for rule in compiled.rules:
            if rule.id in rule_paths:
                where = f"rule {rule.id}"
                problems.add(
                    RuleSetError(f"duplicate rule id (also in {rule_paths[rule.id]})", source=str(path), where=where)
                )
            rule_paths.setdefault(rule.id, path)
        if problems.count() == before:
            set_paths[compiled.info.id] = path
            sets.append(compiled)
    _check_superseded_links(sets, rule_paths, problems)
    faulty = {p.source for p in problems.found}
    return RuleBook([s for s in sets if str(s.info.path) not in faulty])


def _check_superseded_links(sets: list[CompiledSet], rule_paths: dict[str, Path], problems: Problems) -> None:
    for s in sets:
        for rule in s.rules:
            target = rule.spec.superseded_by
            if target is not None and target not in rule_paths:
                problems.add(
                    RuleSetError(
                        f"superseded_by names {target!r}, which no loaded rule set defines",
                        source=str(s.info.path),
                        where=f"rule {rule.id}: superseded_by",
                    )
                )


def read_document(path: Path) -> tuple[Any, str]:
    """Parse one YAML file safely; returns the document and the sha256 of its bytes."""
    data = read_regular(path, limit=MAX_RULES_FILE_BYTES, error=RuleSetError)
    return parse_document(data, str(path)), file_digest(data)


def parse_document(data: bytes, source: str) -> Any:
    """Parse the bytes of one YAML file safely; any defect is a RuleSetError naming ``source``."""
    from compliance.yamlsafe import load_yaml

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise RuleSetError("not UTF-8 text", source=source) from None
    try:
        return load_yaml(text, source=source, max_bytes=MAX_RULES_FILE_BYTES)
    except RuleSetError:
        raise
    except InputError as exc:
        raise RuleSetError(exc.message, source=exc.source, where=exc.where) from None


def validation_error(exc: ValidationError, raw: Any, source: str) -> RuleSetError:
    """The first pydantic error as a RuleSetError naming the place; counts the rest."""
    first, *rest = validation_errors(exc, raw, source)
    if not rest:
        return first
    more = f" (and {len(rest)} more problem{'s' if len(rest) > 1 else ''})"
    return RuleSetError(first.message + more, source=source, where=first.where)


def validation_errors(exc: ValidationError, raw: Any, source: str) -> list[RuleSetError]:
    """Every pydantic error as a RuleSetError naming its place."""
    from compliance.rules.schema import describe_error, format_location

    return [
        RuleSetError(describe_error(dict(e)), source=source, where=format_location(e["loc"], raw))
        for e in exc.errors(include_url=False)
    ]


def validate_ruleset(data: bytes, source: str, *, problems: Problems = RAISE) -> dict[str, Any] | None:
    """Parse and validate the bytes of one rule-set file; its plain form (see
    :func:`compliance.rules.plain.to_plain`), or None when ``problems`` collected its defects."""
    from pydantic import ValidationError

    from compliance.rules.schema import RuleSetFile

    raw = parse_document(data, source)
    if not isinstance(raw, dict):
        raise RuleSetError("a rule-set file must be a mapping with 'ruleset' and 'rules'", source=source)
    try:
        doc = RuleSetFile.model_validate(raw)
    except ValidationError as exc:
        if not problems.collect:
            raise validation_error(exc, raw, source) from None
        for error in validation_errors(exc, raw, source):
            problems.add(error)
        return None
    return to_plain(doc)


def load_ruleset_file(
    path: Path,
    *,
    group_resolver: GroupResolver | None = None,
    cache_dir: Path | None = None,
    problems: Problems = RAISE,
) -> CompiledSet | None:
    """Load, validate and compile one rule-set file (validation is skipped when ``cache_dir``
    holds this file's bytes validated); None when ``problems`` collected its schema defects."""
    source = str(path)
    data = read_regular(path, limit=MAX_RULES_FILE_BYTES, error=RuleSetError)
    digest = file_digest(data)
    key = entry_key(digest) if cache_dir is not None else ""
    plain = read_entry(cache_dir, key) if cache_dir is not None else None
    cached = plain is not None
    before = problems.count()
    if plain is None:
        plain = validate_ruleset(data, source, problems=problems)
        if plain is None:
            return None
    compiled = compile_ruleset(plain, path, digest, group_resolver=group_resolver, problems=problems)
    if not cached and cache_dir is not None and problems.count() == before:
        # Written only once the file compiled: a file that fails is validated (and fails) each run.
        write_entry(cache_dir, key, plain)
    return compiled


def compile_ruleset(
    plain: Mapping[str, Any],
    path: Path,
    digest: str,
    *,
    group_resolver: GroupResolver | None = None,
    problems: Problems = RAISE,
) -> CompiledSet:
    """Compile a validated rule set (its plain form) loaded from ``path``, whose bytes have
    sha256 ``digest``. A rule or named condition that does not compile goes to ``problems``
    (and, when they are collected, is left out)."""
    source = str(path)
    meta = meta_from(plain["ruleset"])
    stem = path.name.removesuffix(path.suffix)
    if stem != meta.id:
        problems.add(
            RuleSetError(
                f"rule set id {meta.id!r} must match the file name {path.name!r}", source=source, where="ruleset.id"
            )
        )
    info = RuleSetInfo(
        id=meta.id,
        version=meta.version,
        title=meta.title,
        jurisdiction=meta.jurisdiction,
        markets=tuple(meta.markets),
        selected_by=meta.scope.selected_by,
        sha256=digest,
        path=path,
        description=meta.description.strip(),
        sources=tuple({"title": s["title"], "link": s["link"]} for s in meta.sources),
    )
    named = {name: condition_from(c) for name, c in plain["conditions"].items()}
    compiler = ConditionCompiler(named, source=source, group_resolver=group_resolver)
    compiler.compile_named(problems)
    rules: list[CompiledRule] = []
    seen: set[str] = set()
    for spec in map(rule_from, plain["rules"]):
        where = f"rule {spec.id}"
        if spec.id in seen:
            problems.add(RuleSetError("duplicate rule id in this file", source=source, where=where))
            continue
        seen.add(spec.id)
        try:
            when = compiler.compile(spec.when, part="when", where=f"{where}: when")
            unless = (
                None if spec.unless is None else compiler.compile(spec.unless, part="unless", where=f"{where}: unless")
            )
        except RuleSetError as exc:
            problems.add(exc)
            continue
        rules.append(
            CompiledRule(
                spec=spec,
                ruleset=info,
                named=named,
                when=when,
                unless=unless,
                exemption=describe(spec.unless, named) if spec.unless is not None else "",
                numeric=has_numeric_leaf(spec.when, named)
                or (spec.unless is not None and has_numeric_leaf(spec.unless, named)),
            )
        )
    return CompiledSet(info=info, meta=meta, named=named, rules=rules)

"""Fuzzing of every parser of untrusted input, longer than ``make test`` runs it.

``python -m bench.fuzz`` (``make fuzz``) runs the property-based fuzz tests (``tests/**/
test_fuzz_*.py``) under the ``fuzz`` hypothesis profile, then, when ``atheris`` is installed,
coverage-guided harnesses (:mod:`bench.fuzz.targets`) for a bounded time each, and prints per
parser the inputs tried, the inputs refused with the project's own error and the internal
errors found. The figures go to ``bench/out/fuzz.json``.
"""

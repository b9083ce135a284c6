"""The examples in docstrings run: every module of ``salesops_lib`` through :mod:`doctest`.

Modules are found by walking the package's files (:func:`pkgutil.walk_packages`), so a new module
is covered without a list to keep. An example that needs data or a running service is marked
``# doctest: +SKIP``. This replaces ``pytest --doctest-modules``, which would change the options
every other test run shares.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import salesops_lib

#: ``...`` in an expected output matches anything; runs of blanks compare equal (frames, reprs)
OPTIONS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _module_names() -> list[str]:
    names = [salesops_lib.__name__]
    errors: list[str] = []
    for info in pkgutil.walk_packages(salesops_lib.__path__, prefix=f"{salesops_lib.__name__}.", onerror=errors.append):
        names.append(info.name)
    assert not errors, f"packages that could not be imported while walking salesops_lib: {errors}"
    return sorted(names)


MODULES = _module_names()


def test_every_module_is_walked() -> None:
    assert {"salesops_lib.core.periods", "salesops_lib.data.sql_guard", "salesops_lib.metrics.grain"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=OPTIONS)
    failures: list[str] = []
    for test in finder.find(module, name):
        if not test.examples:
            continue
        report: list[str] = []
        result = runner.run(test, out=report.append, clear_globs=True)
        if result.failed:
            failures.append("".join(report))
    assert not failures, "\n".join(failures)

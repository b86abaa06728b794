"""The plugin contract stays honest: every hook is documented and every hook has a test."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from tracker import hookspecs

TESTS = Path(__file__).resolve().parent.parent
THIS_FILE = Path(__file__).resolve()


def _hook_names() -> list[str]:
    return [
        name
        for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
        if getattr(fn, "tracker_spec", None) is not None
    ]


def test_there_are_hooks() -> None:
    assert "tracker_register_partners" in _hook_names()


def test_every_function_in_hookspecs_is_a_hook_spec() -> None:
    functions = [
        name
        for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
        if fn.__module__ == hookspecs.__name__
    ]
    assert sorted(functions) == sorted(_hook_names())


@pytest.mark.parametrize("name", _hook_names())
def test_every_hook_is_documented(name: str) -> None:
    doc = inspect.getdoc(getattr(hookspecs, name)) or ""
    assert len(doc.split()) >= 15, f"{name} needs a docstring saying what it returns and when"


@pytest.mark.parametrize("name", _hook_names())
def test_every_hook_has_a_test(name: str) -> None:
    users = [
        path
        for path in TESTS.rglob("test_*.py")
        if path.resolve() != THIS_FILE and name in path.read_text(encoding="utf-8")
    ]
    assert users, f"no test mentions the hook {name}"


@pytest.mark.parametrize("name", _hook_names())
def test_every_hook_is_called_with_keyword_arguments_only(name: str) -> None:
    signature = inspect.signature(getattr(hookspecs, name))
    positional = [
        p.name
        for p in signature.parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.VAR_POSITIONAL)
    ]
    assert positional == []

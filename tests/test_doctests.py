"""The ``Examples`` sections of the public docstrings run and give what they show."""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import pkgutil
from pathlib import Path

import pytest

import dashboard
import layers

ROOTS = {"layers": layers, "dashboard": dashboard}


def _modules_with_examples() -> list[str]:
    names = []
    for prefix, package in ROOTS.items():
        for info in pkgutil.walk_packages(package.__path__, f"{prefix}."):
            spec = importlib.util.find_spec(info.name)
            if spec and spec.origin and ">>>" in Path(spec.origin).read_text(encoding="utf-8"):
                names.append(info.name)
    return sorted(names)


@pytest.mark.parametrize("name", _modules_with_examples())
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0

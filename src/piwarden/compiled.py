"""Compiled copies of the PI detector's hot modules, used only while they match their source.

``setup.py`` compiles the modules in ``MODULES`` with Cython when the machine has a C compiler
(the install works without one) and records the SHA-256 of the source each was built from in
``compiled.json``. They are the same Python source either way, with the same results
(``tests/discovery/test_compiled.py``); compiled, ``discovery.scan`` runs about 1.6 times
faster. Python imports an extension module in preference to the ``.py`` beside it, so a module
edited since it was compiled would run its old code: ``install`` (run when ``piwarden`` is
imported) makes such a module, or all of them under ``PIWARDEN_PURE_PYTHON=1``, load from
its source instead.
"""

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import sys
from pathlib import Path

MODULES = ("piwarden.identifiers", "piwarden.discovery.prefilter", "piwarden.discovery.detect")
_PACKAGE = Path(__file__).parent


def _source(name: str) -> Path:
    return _PACKAGE.joinpath(*name.split(".")[1:]).with_suffix(".py")


def _recorded() -> dict[str, str]:
    try:
        return json.loads(_PACKAGE.joinpath("compiled.json").read_text())
    except (OSError, ValueError):
        return {}


class _FromSource(importlib.abc.MetaPathFinder):
    def __init__(self, names: set[str]):
        self.names = names

    def find_spec(self, name, path=None, target=None):
        if name in self.names:
            return importlib.util.spec_from_file_location(name, _source(name))
        return None


def source_hash(name: str) -> str:
    return hashlib.sha256(_source(name).read_bytes()).hexdigest()


def stale(recorded: dict[str, str]) -> set[str]:
    """The modules whose recorded source hash is not that of their source now."""
    return {name for name in MODULES if recorded.get(name) != source_hash(name)}


def install() -> None:
    """Load from source each module whose compiled copy is missing or out of date."""
    modules = stale({} if os.environ.get("PIWARDEN_PURE_PYTHON") else _recorded())
    if modules:
        sys.meta_path.insert(0, _FromSource(modules))


def in_use() -> bool:
    """Whether every one of ``MODULES`` runs compiled (imports them)."""
    suffixes = tuple(importlib.machinery.EXTENSION_SUFFIXES)
    return all(importlib.import_module(name).__file__.endswith(suffixes) for name in MODULES)

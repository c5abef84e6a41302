"""Compiles the PI detector's hot modules with Cython where the machine can (see
``src/piwarden/compiled.py``); the package metadata is in pyproject.toml.

Without a C compiler the install still succeeds: the same modules run as Python source, with
the same results, slower.
"""

import hashlib
import json
from pathlib import Path

from setuptools import setup
from setuptools.command.build_ext import build_ext

SOURCES = {  # module -> its source, the same list as piwarden.compiled.MODULES
    "piwarden.identifiers": "src/piwarden/identifiers.py",
    "piwarden.discovery.prefilter": "src/piwarden/discovery/prefilter.py",
    "piwarden.discovery.detect": "src/piwarden/discovery/detect.py",
}
MANIFEST = "compiled.json"  # next to piwarden/__init__: module -> sha256 of its source


class BuildCompiled(build_ext):
    """Builds what it can and records, for each module built, the source it was built from."""

    def run(self):
        self.built = {}
        try:
            super().run()
        except Exception as error:  # no compiler at all: the source runs instead
            self.warn(f"the detector is not compiled ({error}); its Python source runs")
        if self.extensions:
            manifest = self._manifest()
            manifest.parent.mkdir(parents=True, exist_ok=True)
            manifest.write_text(json.dumps(self.built, indent=1, sort_keys=True) + "\n")

    def build_extension(self, ext):
        try:
            super().build_extension(ext)
        except Exception as error:
            self.warn(f"{ext.name} is not compiled ({error}); its Python source runs")
            return
        source = Path(SOURCES[ext.name]).read_bytes()
        self.built[ext.name] = hashlib.sha256(source).hexdigest()

    def get_outputs(self):
        return [*super().get_outputs(), str(self._manifest())]

    def _manifest(self) -> Path:
        return Path(self.get_ext_fullpath("piwarden.identifiers")).with_name(MANIFEST)


def extensions():
    try:
        from Cython.Build import cythonize
    except ImportError:
        return []
    return cythonize(list(SOURCES.values()), build_dir="build/cython", quiet=True,
                     compiler_directives={"language_level": 3, "annotation_typing": False,
                                          "binding": False})


setup(ext_modules=extensions(), cmdclass={"build_ext": BuildCompiled})

"""The detector's compiled modules (Cython, ``piwarden.compiled``) find exactly what their
Python source finds, and a module edited since it was compiled runs from its source."""

import json
import os
import subprocess
import sys

from piwarden import compiled
from piwarden.discovery import corpus, scan

from .test_prefilter import EXTRA

SCRIPT = """
import json, sys
from piwarden import compiled
from piwarden.discovery import scan
texts = json.load(sys.stdin)
print(json.dumps({"compiled": compiled.in_use(), "found": [scan(text) for text in texts]}))
"""


def _scan_in_a_process(texts: list[str], **env) -> dict:
    done = subprocess.run([sys.executable, "-c", SCRIPT], input=json.dumps(texts), text=True,
                          capture_output=True, check=True, env={**os.environ, **env})
    return json.loads(done.stdout)


def test_the_compiled_detector_finds_what_its_source_finds():
    """On 3,000 generated documents and the edge cases, the same findings with the same
    spans, confidences and categories. CI's machine has a C compiler: there it must be the
    compiled code that ran."""
    texts = [doc.text for doc in corpus.generate(3000, seed=29)] + EXTRA
    here = [[list(finding) for finding in scan(text)] for text in texts]
    source = _scan_in_a_process(texts, PIWARDEN_PURE_PYTHON="1")
    assert source["compiled"] is False
    assert source["found"] == here
    if os.environ.get("CI") == "true":
        assert compiled.in_use(), "setup.py did not compile the detector (see its output)"
        # setup.py builds exactly the modules the guard watches, from their current source.
        assert compiled.stale(compiled._recorded()) == set()
        assert set(compiled._recorded()) == set(compiled.MODULES)


def test_a_module_edited_since_it_was_compiled_is_loaded_from_its_source():
    recorded = {name: "0" * 64 for name in compiled.MODULES}
    assert compiled.stale(recorded) == set(compiled.MODULES)
    spec = compiled._FromSource({"piwarden.discovery.detect"}).find_spec(
        "piwarden.discovery.detect")
    assert spec.origin.endswith(os.path.join("discovery", "detect.py"))
    assert compiled._FromSource(set()).find_spec("piwarden.discovery.detect") is None


def test_a_fresh_compiled_module_is_used():
    sources = {name: compiled.source_hash(name) for name in compiled.MODULES}
    assert compiled.stale(sources) == set()

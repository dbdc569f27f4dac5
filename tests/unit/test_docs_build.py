"""The documentation builds strictly: ``python -m sphinx -W -n`` (every warning an error,
every cross-reference resolved, from the inventories kept in doc/_inventories: no network),
and the API pages name public base classes only."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def built_docs(tmp_path_factory) -> str:
    out = str(tmp_path_factory.mktemp("docs-html"))
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-n", "-q", "-b", "html",
         os.path.join(REPO, "doc"), out],
        capture_output=True, text=True, timeout=600, cwd=REPO,
    )  # fmt: skip
    assert result.returncode == 0, "strict Sphinx build failed:\n" + result.stderr[-20000:]
    return out


def test_strict_build_passes(built_docs):
    assert os.path.isfile(os.path.join(built_docs, "index.html"))


def test_new_pages_are_built(built_docs):
    for page in ("migration", "parallel-ssh-2x", "scaling", "troubleshooting", "logging",
                 "design", "api/clients"):  # fmt: skip
        assert os.path.isfile(os.path.join(built_docs, page + ".html")), page


def test_api_pages_show_public_bases_only(built_docs):
    api = os.path.join(built_docs, "api")
    shown = []
    for name in sorted(os.listdir(api)):
        with open(os.path.join(api, name), encoding="utf-8") as fh:
            html = fh.read()
        for bases in re.findall(r"<p>Bases: (.*?)</p>", html, re.S):
            for title in re.findall(r'title="([^"]+)"', bases) + re.findall(
                r'<span class="pre">([^<]+)</span>', bases
            ):
                shown.append((name, title))
    assert shown, "no 'Bases:' line found: the check would pass vacuously"
    private = [
        (page, base) for page, base in shown if any(p.startswith("_") for p in base.split("."))
    ]
    assert not private, private
    assert ("native_parallel.html", "pssh.clients.base_pssh.BaseParallelSSHClient") in shown

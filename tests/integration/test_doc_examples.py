"""Every Python example of the user pages (tests/doc_examples.PAGES) runs as written
against the embedded OpenSSH servers: the native client's examples here, the paramiko
client's in tests/miko/test_doc_examples_miko.py."""

from __future__ import annotations

import pytest
from doc_examples import (
    MAX_NOT_RUN,
    PAGES,
    all_examples,
    examples,
    run_page,
)

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("page", PAGES)
def test_page_examples_run(page, example_env):
    run_page(page, "native")


def test_every_page_has_run_examples():
    """Each page shows code, and a page whose blocks all stopped being found (a changed
    directive) would pass the test above without running anything."""
    for page in PAGES:
        assert any(e.not_run is None for e in examples(page)), page


def test_examples_not_run_are_few_and_say_why():
    not_run = [e for e in all_examples() if e.not_run is not None]
    assert len(not_run) <= MAX_NOT_RUN, [e.where for e in not_run]
    for example in not_run:
        assert len(example.not_run) >= 15, "%s: give the reason it is not run" % example.where


def test_the_harness_finds_blocks_and_marks(tmp_path):
    """The extraction itself: options skipped, indentation kept, marks and families read."""
    page = tmp_path / "page.rst"
    page.write_text(
        "Title\n=====\n\n"
        ".. code-block:: python\n   :caption: one\n\n   x = 1\n   if x:\n       y = 2\n\n"
        "Text.\n\n.. not run: needs a fleet of a thousand hosts\n\n"
        ".. code-block:: python\n\n   import pssh.clients.miko\n"
    )
    found = examples(str(page))  # an absolute path is read as it is
    assert [e.code for e in found] == ["x = 1\nif x:\n    y = 2\n", "import pssh.clients.miko\n"]
    assert [e.not_run for e in found] == [None, "needs a fleet of a thousand hosts"]
    assert [e.family for e in found] == ["native", "miko"]

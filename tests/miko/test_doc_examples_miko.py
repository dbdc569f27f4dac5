"""The paramiko client's examples of the user pages (see tests/doc_examples.py) run as
written against the embedded OpenSSH servers, in the process the paramiko client patched."""

from __future__ import annotations

import pytest
from doc_examples import (
    PAGES,
    examples,
    run_page,
)

pytestmark = pytest.mark.integration

MIKO_PAGES = [p for p in PAGES if any(e.family == "miko" for e in examples(p))]


def test_there_are_paramiko_examples():
    assert MIKO_PAGES


@pytest.mark.parametrize("page", MIKO_PAGES)
def test_page_paramiko_examples_run(page, example_env):
    run_page(page, "miko")

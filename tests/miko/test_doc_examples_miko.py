"""The paramiko client's examples of the user pages (see tests/doc_examples.py) run as
written against the embedded OpenSSH servers, in the process the paramiko client patched."""

from __future__ import annotations

import pytest
from doc_examples import (
    PAGES,
    disconnect_all,
    example_home,
    examples,
    kept_logging,
    run_examples,
)

pytestmark = pytest.mark.integration

MIKO_PAGES = [p for p in PAGES if any(e.family == "miko" for e in examples(p))]


@pytest.fixture
def example_env(sshd, tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", example_home(str(home), sshd))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


def test_there_are_paramiko_examples():
    assert MIKO_PAGES


@pytest.mark.parametrize("page", MIKO_PAGES)
def test_page_paramiko_examples_run(page, example_env):
    page_examples = [e for e in examples(page) if e.not_run is None and e.family == "miko"]
    namespace: dict = {"__name__": "__main__"}
    try:
        with kept_logging():
            run_examples(page_examples, namespace)
    finally:
        disconnect_all(namespace)

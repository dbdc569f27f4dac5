"""The package builds into an sdist and a wheel that install and import."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import zipfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), ROOT],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return out


def test_sdist_and_wheel_contents(dist):
    (wheel,) = dist.glob("*.whl")
    (sdist,) = dist.glob("*.tar.gz")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    for module in (
        "pssh/__init__.py",
        "pssh/py.typed",
        "pssh/clients/native/single.py",
        "pssh/clients/miko/parallel.py",
        "pssh/cli/__init__.py",
    ):
        assert module in names
    assert not any(name.startswith("tests/") for name in names)
    with tarfile.open(sdist) as archive:
        members = archive.getnames()
    assert any(m.endswith("/Changelog.rst") for m in members)
    assert any(m.endswith("/tests/conftest.py") for m in members)


def test_wheel_installs_into_a_fresh_virtualenv(dist, tmp_path):
    (wheel,) = dist.glob("*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = str(venv / "bin" / "python")
    # The dependencies are this environment's; the wheel itself must carry the package.
    subprocess.run(
        [python, "-m", "pip", "install", "--no-deps", "--no-index", str(wheel)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    site = subprocess.run(
        [
            sys.executable,
            "-c",
            "import gevent, os; print(os.path.dirname(os.path.dirname(gevent.__file__)))",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    code = (
        "import pssh, pssh.clients, pssh.utils, pssh.exceptions; "
        "from pssh.clients import ParallelSSHClient; print(pssh.__file__)"
    )
    env = dict(os.environ, PYTHONPATH=site)  # the dependencies only: pssh is editable there
    result = subprocess.run(
        [python, "-c", code], capture_output=True, text=True, timeout=60, env=env, cwd=str(tmp_path)
    )
    assert result.returncode == 0, result.stderr
    assert str(venv) in result.stdout

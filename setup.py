"""Build script; tool settings live in pyproject.toml."""

import os

from setuptools import find_packages, setup

here = os.path.dirname(os.path.abspath(__file__))
version: dict = {}
with open(os.path.join(here, "pssh", "_version.py")) as fh:
    exec(fh.read(), version)
with open(os.path.join(here, "README.rst")) as fh:
    long_description = fh.read()

setup(
    name="pssh",
    version=version["__version__"],
    description="Asynchronous parallel SSH client library (parallel-ssh 1.8.0 API).",
    long_description=long_description,
    long_description_content_type="text/x-rst",
    license="LGPL-2.1-only",
    python_requires=">=3.9",
    packages=find_packages(include=["pssh", "pssh.*"]),
    package_data={"pssh": ["py.typed"]},
    install_requires=[
        "gevent>=21.1",
        "ssh2-python>=1.0",
        "paramiko>=3.0",
    ],
    extras_require={
        "test": ["pytest>=7", "pytest-timeout", "build", "wheel", "sphinx", "dask[distributed]"],
        "dev": ["pytest>=7", "pytest-timeout", "ruff", "mypy", "sphinx", "build"],
        # sharded runs (pssh.scale) on an existing cluster: imported only when used
        "dask": ["dask[distributed]"],
        "ray": ["ray"],
    },
    entry_points={"console_scripts": ["pssh = pssh.cli:main"]},
    classifiers=[
        "Programming Language :: Python :: 3",
        "Topic :: System :: Networking",
        "Topic :: System :: Systems Administration",
    ],
)

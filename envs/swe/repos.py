"""The repositories the SWE sandbox's tasks are made from: real pure-Python projects from PyPI, pinned by version and
sha256, fetched as source distributions (`pip download --no-deps --no-binary :all:`) into a cache.

None of their code is shipped in agentgym: `fetch_repos()` (run by `scripts/setup.sh --dev`, or `python -m
agentgym.envs.swe.generate fetch`) downloads each sdist, checks its sha256 and unpacks it once into
~/.cache/agentgym/swe/repos/NAME-VERSION/. Every project here is under a permissive licence (MIT, BSD, PSF) that
would allow shipping; we fetch instead so the repository holds no third-party code and the pins say exactly what
ran. Tried and left out: idna (6,424 tests, 31 s: too slow for an episode), more-itertools (60 s), jmespath (its
tests import helpers from a `tests` package that clashes), humanize (needs freezegun). A project is accepted only when its own tests pass on the clean copy inside the sandbox
(`python -m agentgym.envs.swe.generate accept`); the result per backend is recorded in docs/benchmarks/swe.md.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, kw_only=True)
class RepoSpec:
    """One pinned project and how its tests run."""

    name: str
    """The PyPI name; also the `repo` field of its tasks (as "pypi/NAME")."""
    version: str
    """Exact version, pinned."""
    sha256: str
    """sha256 of the sdist file; a download that does not match is refused."""
    sdist: str
    """The sdist's file name on PyPI."""
    license: str
    """SPDX id of the project's licence (all permissive)."""
    source: tuple[str, ...]
    """Python files or folders (relative to the project root) the bug generator may change."""
    exclude: tuple[str, ...] = ()
    """Paths under `source` the generator leaves alone (tests, generated data tables)."""
    tests: tuple[str, ...]
    """pytest arguments naming the test files or folders (the full suite of the project)."""
    pythonpath: str = "."
    """PYTHONPATH for the tests (src-layout projects need "src" so the copy under test is imported)."""
    pytest_args: tuple[str, ...] = ()
    """Extra pytest arguments (--ignore of a test module that needs a package we do not install)."""

    @property
    def dirname(self) -> str:
        return f"{self.name}-{self.version}"

    @property
    def repo_id(self) -> str:
        return f"pypi/{self.name}"


def _spec(**kw) -> RepoSpec:
    return RepoSpec(**kw)


REPOS: tuple[RepoSpec, ...] = (
    _spec(name="boltons", version="26.2.0", sdist="boltons-26.2.0.tar.gz", license="BSD-3-Clause",
          sha256="d39cfd15c1a1c3bd4d705c82252fa9edb8e4f5e8cc039f8e39afac7b1b47e92c",
          source=("boltons",), exclude=("boltons/deprutils.py", "boltons/easterutils.py"), tests=("tests",)),
    _spec(name="cachetools", version="8.0.2", sdist="cachetools-8.0.2.tar.gz", license="MIT",
          sha256="30ac523adfc118b51d2b2e7bad8a0ddb31370dfe2700c7f10ca224f36ccf81e0",
          source=("src/cachetools",), tests=("tests",), pythonpath="src"),
    _spec(name="inflection", version="0.5.1", sdist="inflection-0.5.1.tar.gz", license="MIT",
          sha256="1a29730d366e996aaacffb2f1f1cb9593dc38e2ddd30c91250c6dde09ea9b417",
          source=("inflection",), tests=("test_inflection.py",)),
    _spec(name="isodate", version="0.7.2", sdist="isodate-0.7.2.tar.gz", license="BSD-3-Clause",
          sha256="4cd1aa0f43ca76f4a6c6c0292a85f40b35ec2e43e315b59f06e6d32171a953e6",
          source=("src/isodate",), tests=("tests",), pythonpath="src"),
    _spec(name="parse", version="1.22.4", sdist="parse-1.22.4.tar.gz", license="MIT",
          sha256="706d458feed5a81b02768d3156e8070baf6cee7d150a3a3c0cd43101a875c3b5",
          source=("parse",), tests=("tests",)),
    _spec(name="six", version="1.17.0", sdist="six-1.17.0.tar.gz", license="MIT",
          sha256="ff70335d468e7eb6ec65b95b99d3a2836546063f63acc5171de367e834932a81",
          source=("six.py",), tests=("test_six.py",)),
    _spec(name="tabulate", version="0.10.0", sdist="tabulate-0.10.0.tar.gz", license="MIT",
          sha256="e2cfde8f79420f6deeffdeda9aaec3b6bc5abce947655d17ac662b126e48a60d",
          source=("tabulate",), tests=("test",)),
    _spec(name="toolz", version="1.2.0", sdist="toolz-1.2.0.tar.gz", license="BSD-3-Clause",
          sha256="9667a038e9d6ecba37995e26cb2f59ec6420b6ad8dd9677de59db9b956b08490",
          source=("toolz",), exclude=("toolz/tests", "toolz/_signatures.py"), tests=("toolz/tests",),
          # needs the package installed (its metadata); an unpacked sdist is not
          pytest_args=("--deselect=toolz/tests/test_package.py::test_has_version",)),
    _spec(name="webcolors", version="25.10.0", sdist="webcolors-25.10.0.tar.gz", license="BSD-3-Clause",
          sha256="62abae86504f66d0f6364c2a8520de4a0c47b80c03fc3a5f1815fedbef7c19bf",
          source=("src/webcolors",), tests=("tests",), pythonpath="src"),
    _spec(name="xmltodict", version="1.0.4", sdist="xmltodict-1.0.4.tar.gz", license="MIT",
          sha256="6d94c9f834dd9e44514162799d344d815a3a4faec913717a9ecbfa5be1bb8e61",
          source=("xmltodict.py",), tests=("tests",)),
)

BY_NAME = {r.name: r for r in REPOS}


def repo(name: str) -> RepoSpec:
    try:
        return BY_NAME[name.removeprefix("pypi/")]
    except KeyError:
        raise KeyError(f"no pinned repository {name!r}; the pinned ones are {sorted(BY_NAME)}") from None


def cache_dir() -> Path:
    """Where sdists, unpacked repositories and task workspaces live ($AGENTGYM_CACHE or ~/.cache/agentgym, + /swe)."""
    return Path(os.environ.get("AGENTGYM_CACHE") or Path.home() / ".cache" / "agentgym") / "swe"


class RepoNotFetched(FileNotFoundError):
    """A pinned repository is not in the cache yet."""


def repo_path(spec: RepoSpec) -> Path:
    """The unpacked clean copy of a pinned repository (read-only by convention: tasks copy it)."""
    path = cache_dir() / "repos" / spec.dirname
    if not (path / ".agentgym-ok").exists():
        raise RepoNotFetched(
            f"repository {spec.name}=={spec.version} is not in the cache ({path}); fetch the pinned sdists with "
            "`python -m agentgym.envs.swe.generate fetch` (scripts/setup.sh --dev does it)")
    return path


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fetch_repo(spec: RepoSpec) -> Path:
    """Download (once) and unpack (once) one pinned sdist; refuses a file whose sha256 differs from the pin."""
    root = cache_dir()
    target = root / "repos" / spec.dirname
    if (target / ".agentgym-ok").exists():
        return target
    sdist = root / "sdists" / spec.sdist
    if not sdist.exists():
        sdist.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "-q", "--no-deps",
                        "--no-binary", ":all:", "-d", str(sdist.parent),
                        f"{spec.name}=={spec.version}"], check=True)
        if not sdist.exists():
            raise FileNotFoundError(f"pip download of {spec.name}=={spec.version} did not produce {sdist}")
    got = sha256_of(sdist)
    if got != spec.sha256:
        sdist.unlink()
        raise ValueError(f"{spec.sdist} has sha256 {got}, but the pin is {spec.sha256}: the file was refused and "
                         "removed; a changed upload on PyPI needs a new pin in envs/swe/repos.py")
    tmp = target.with_name(target.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    with tarfile.open(sdist) as tar:
        tar.extractall(tmp, filter="data")
    (inner,) = list(tmp.iterdir())  # an sdist holds one top folder NAME-VERSION/
    shutil.rmtree(target, ignore_errors=True)
    inner.rename(target)
    tmp.rmdir()
    for junk in target.rglob("*.egg-info"):
        shutil.rmtree(junk, ignore_errors=True)
    (target / ".agentgym-ok").write_text(spec.sha256 + "\n")
    return target


def fetch_repos(names: list[str] | None = None) -> list[Path]:
    return [fetch_repo(repo(n)) for n in (names or [r.name for r in REPOS])]


@dataclass(frozen=True)
class TestCommand:
    """How a task's tests run inside the sandbox: argv (after the interpreter) and environment."""

    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)


def pytest_args(spec: RepoSpec, test_files: list[str] | None = None) -> list[str]:
    """`python -m pytest` arguments: -rA (one PASSED/FAILED line per test, what SWE-bench's log parser reads), no
    cache, the project's addopts cleared (coverage plugins we do not install), then the test files."""
    return ["-m", "pytest", "-rA", "-p", "no:cacheprovider", "-o", "addopts=", "--tb=short", "-q",
            *spec.pytest_args, *(test_files or list(spec.tests))]

"""The two environment descriptions (requirements.txt, environment.yml) must agree.

requirements.txt is the pinned lock of requirements.in; environment.yml is the conda
equivalent. Both are written by scripts/lock.py, but either can be edited by hand, so every
package pinned in both must be pinned to the same version.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*={1,2}\s*([^\s;#=]+)")


def parse_pins(lines: list[str]) -> dict[str, str]:
    """Map canonical package name to pinned version for lines like ``name==1.2`` / ``name=1.2``.

    Comments, blank lines, options (``-r``, ``-e``) and unpinned names are skipped.
    """
    pins = {}
    for raw in lines:
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        match = PIN.match(line)
        if match:
            pins[canonicalize_name(match.group(1))] = match.group(2)
    return pins


def requirements_pins(path: Path = ROOT / "requirements.txt") -> dict[str, str]:
    return parse_pins(path.read_text().splitlines())


def environment_pins(path: Path = ROOT / "environment.yml") -> dict[str, str]:
    """Pins of environment.yml: conda dependencies (``name=ver``) and its ``pip:`` list."""
    env = yaml.safe_load(path.read_text())
    conda, pip = [], []
    for dep in env.get("dependencies", []):
        if isinstance(dep, dict):
            pip.extend(dep.get("pip", []))
        else:
            conda.append(str(dep))
    return {**parse_pins(conda), **parse_pins(pip)}


def mismatches(a: dict[str, str], b: dict[str, str]) -> dict[str, tuple[str, str]]:
    """Packages pinned in both mappings to different versions."""
    return {name: (a[name], b[name]) for name in sorted(a.keys() & b.keys()) if a[name] != b[name]}


def test_parse_pins_formats():
    pins = parse_pins(
        [
            "# comment",
            "",
            "-r other.txt",
            "PyYAML==6.0.4",
            "numpy=2.3.5",
            "foo[bar]==1.0 ; x",
            "baz",
        ]
    )
    assert pins == {"pyyaml": "6.0.4", "numpy": "2.3.5", "foo": "1.0"}


def test_mismatch_is_detected(tmp_path):
    """The comparison can fail: a differing pin is reported (guards against a vacuous test)."""
    env = tmp_path / "environment.yml"
    env.write_text(
        "name: x\ndependencies:\n  - python=3.11\n  - numpy=2.0.0\n  - pip:\n    - a==1\n"
    )
    req = tmp_path / "requirements.txt"
    req.write_text("numpy==2.3.5\na==1\n")
    assert mismatches(environment_pins(env), requirements_pins(req)) == {
        "numpy": ("2.0.0", "2.3.5")
    }


def test_same_versions_for_shared_packages():
    env, req = environment_pins(), requirements_pins()
    shared = env.keys() & req.keys()
    assert shared, "environment.yml and requirements.txt share no pinned package"
    assert mismatches(env, req) == {}


def test_requirements_fully_pinned():
    lines = [
        ln.split("#", 1)[0].strip() for ln in (ROOT / "requirements.txt").read_text().splitlines()
    ]
    unpinned = [ln for ln in lines if ln and "==" not in ln]
    assert unpinned == []


def test_environment_yml_names_env_and_python():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert env["name"] == "blinatumomab-book"
    assert "python=3.11" in env["dependencies"]


def test_requirements_in_satisfied_by_lock():
    """Every top-level requirement in requirements.in is in the lock at an allowed version."""
    lock = requirements_pins()
    for raw in (ROOT / "requirements.in").read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        req = Requirement(line)
        name = canonicalize_name(req.name)
        assert name in lock, f"{req.name} from requirements.in missing in requirements.txt"
        assert req.specifier.contains(lock[name], prereleases=True), (
            f"{req.name}=={lock[name]} does not satisfy '{line}'"
        )


@pytest.mark.parametrize("name", ["jupyter-book", "myst-nb", "sphinx", "pandas"])
def test_key_packages_pinned(name):
    assert name in requirements_pins()


def test_installed_versions_match_lock():
    """The running environment is the locked one (run `make setup` after changing the lock)."""
    from importlib.metadata import PackageNotFoundError, version

    wrong = {}
    for name, pinned in requirements_pins().items():
        try:
            installed = version(name)
        except PackageNotFoundError:
            installed = None
        if installed != pinned:
            wrong[name] = (pinned, installed)
    assert wrong == {}, f"pinned vs installed: {wrong}"

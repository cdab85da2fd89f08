"""The distribution name is ours: ``myco`` on the package index is an unrelated project.

The installed metadata (built by the same backend from pyproject.toml), every plugin's
dependency and the install commands in the docs must all name :data:`DISTRIBUTION`.
"""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

import pytest

from myco._version import DISTRIBUTION, __version__
from myco.plugins import list_plugins, make_plugin_manager

ROOT = Path(__file__).resolve().parent.parent
PLUGIN_DIRS = sorted(p.parent for p in (ROOT / "plugins").glob("*/pyproject.toml"))
REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_installed_distribution_is_ours() -> None:
    dist = metadata.distribution(DISTRIBUTION)
    assert dist.metadata["Name"] == DISTRIBUTION != "myco"
    assert dist.version == __version__
    scripts = {ep.name: ep.value for ep in dist.entry_points if ep.group == "console_scripts"}
    assert scripts == {"myco": "myco.cli:main"}


def test_builtins_are_listed_under_the_distribution_name() -> None:
    listed = list_plugins(make_plugin_manager(load_entrypoints=False), include_builtins=True)
    assert listed and {p["package"] for p in listed} == {DISTRIBUTION}


@pytest.mark.parametrize("plugin_dir", PLUGIN_DIRS, ids=lambda p: p.name)
def test_every_plugin_depends_on_the_distribution(plugin_dir: Path) -> None:
    requires = metadata.requires(plugin_dir.name) or []
    names = {normalized(m.group(1)) for r in requires if (m := REQUIREMENT_NAME.match(r))}
    assert normalized(DISTRIBUTION) in names, f"{plugin_dir.name} requires {requires}"
    assert "myco" not in names, f"{plugin_dir.name} depends on the unrelated 'myco'"


DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
DOCS += [p / "README.md" for p in PLUGIN_DIRS]
WRONG_INSTALL = re.compile(r"pip install +['\"]?myco(\[|['\"\s]|$)", re.MULTILINE)
WRONG_DEPENDENCY = re.compile(r"dependencies = \[[^\]]*['\"]myco['\"\[]")


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_docs_install_the_distribution(doc: Path) -> None:
    text = doc.read_text(encoding="utf-8")
    assert not WRONG_INSTALL.search(text), f"{doc.name} tells users to install 'myco'"
    assert not WRONG_DEPENDENCY.search(text), f"{doc.name} shows a dependency on 'myco'"

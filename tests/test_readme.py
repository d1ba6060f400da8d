"""The README's promises that code can check: every demo login is listed, and every variable it
names exists in .env.example."""

from __future__ import annotations

import re
from pathlib import Path

from chainmap.demo.users import DEMO_USERS

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
ENV_EXAMPLE = (ROOT / ".env.example").read_text(encoding="utf-8")


def test_every_demo_login_is_listed_in_the_readme():
    missing = [spec.username for spec in DEMO_USERS if f"`{spec.username}`" not in README]
    assert missing == []


def test_every_chainmap_variable_the_readme_names_is_documented_in_env_example():
    named = set(re.findall(r"\b(CHAINMAP_[A-Z_]+)\b", README))
    documented = set(re.findall(r"^#?\s*(CHAINMAP_[A-Z_]+)=", ENV_EXAMPLE, flags=re.MULTILINE))
    assert named - documented == set()


def test_env_example_sets_each_variable_once():
    names = re.findall(r"^([A-Z][A-Z0-9_]+)=", ENV_EXAMPLE, flags=re.MULTILINE)
    assert sorted({name for name in names if names.count(name) > 1}) == []

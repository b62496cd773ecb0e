"""docs/configuration.md documents every key of every section (and nothing that is gone)."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from config.settings import SECTIONS

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def test_every_key_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    sections = re.split(r"^## `\[(\w+)\]`", text, flags=re.M)
    documented = {sections[i]: set(re.findall(r"^\| `(\w+)` \|", sections[i + 1], flags=re.M))
                  for i in range(1, len(sections), 2)}
    for name, cls in SECTIONS.items():
        keys = {f.name for f in dataclasses.fields(cls)}
        assert name in documented, f"section [{name}] is not documented"
        assert keys == documented[name], (
            f"[{name}]: undocumented {sorted(keys - documented[name])}, "
            f"stale {sorted(documented[name] - keys)}")

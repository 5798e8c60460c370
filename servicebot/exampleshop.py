"""The example bot's shop in a bot folder ``servicebot init --from-rasa`` copied from it.

The copy keeps the example's settings and templates, which speak for the example shop,
Maple Market: its name, its contact details (the only ones the post-filter lets the model
give) and its opening hours. Offline, a handoff would tell another company's customer to
call Maple Market. Only the bot's ``name`` is set, from the Rasa project; the rest is
listed at its ``file:line``, for the team to write their own: rewriting the templates'
wording is theirs to do, and a guessed phone number would be worse than the example's.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from .config import SETTINGS_FILE, TEMPLATES_FOLDER
from .errors import Problem
from .rasayaml import compose, line_of, pairs, value_of

EXAMPLE_SHOP = "Maple Market"  # as the example's servicebot.yaml names it
# An opening-hours range, as the example's handoff.j2 gives them: 09:00-18:00.
_HOURS = re.compile(r"(?<!\d)\d{1,2}:\d{2}\s*[-–~]\s*\d{1,2}:\d{2}(?!\d)")


def set_name(folder: Path, name: str) -> int | None:
    """Give the bot in ``folder`` the name ``name`` in place of the example's, on the line of
    its ``name:`` key, which it returns (None: there is no such line to set)."""
    settings = folder / SETTINGS_FILE
    node = value_of(compose(settings), "name")
    if node is None or node.start_mark.line != node.end_mark.line:
        return None
    lines = settings.read_text(encoding="utf-8").splitlines(keepends=True)
    index, start, end = node.start_mark.line, node.start_mark.column, node.end_mark.column
    lines[index] = lines[index][:start] + _scalar(name) + lines[index][end:]
    settings.write_text("".join(lines), encoding="utf-8")
    return index + 1


def _scalar(text: str) -> str:
    """``text`` as a YAML value: as it is where YAML reads it back so, else quoted."""
    plain = "\n" not in text and yaml.safe_load(f"name: {text}") == {"name": text}
    return text if plain else json.dumps(text, ensure_ascii=False)


def shop_details(folder: Path) -> list[Problem]:
    """Each line of the settings and templates in ``folder`` that still describes the example
    shop (its name, a contact detail, its opening hours), in file and line order."""
    settings = folder / SETTINGS_FILE
    found = _contact_details(settings) + _lines_naming(settings)
    for template in sorted((folder / TEMPLATES_FOLDER).glob("*.j2")):
        found += _lines_naming(template)
    return sorted(found, key=lambda problem: (str(problem.path), problem.line or 0))


def _contact_details(settings: Path) -> list[Problem]:
    """A note for each of the example shop's contact details in ``settings``."""
    lines = settings.read_text(encoding="utf-8").splitlines()
    contact = value_of(compose(settings), "contact")
    message = "the example shop's contact detail: give yours, or remove it"
    return [
        Problem(settings, message, line_of(key), source_line=lines[line_of(key) - 1])
        for key, _ in pairs(contact)
    ]


def _lines_naming(path: Path) -> list[Problem]:
    """A note for each line of ``path`` that names the example shop or gives its hours."""
    found = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if EXAMPLE_SHOP in line:
            message = f"names the example shop, {EXAMPLE_SHOP}: name yours"
        elif _HOURS.search(line):
            message = "the example shop's opening hours: write yours"
        else:
            continue
        found.append(Problem(path, message, number, source_line=line))
    return found

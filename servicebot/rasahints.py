"""What ``servicebot init --from-rasa`` leaves for the team to decide, said rather than
guessed: the bot's name as the Rasa project gives it, the intents whose names look like a
request for a person (``talk_to_human``), and the responses whose names look like the lines
servicebot's templates say (``utter_default``, ``utter_handoff``).

Intents are not marked ``handoff: true`` by their names: a name says what its author meant,
not what its examples ask (``agent`` in a travel agency's bot may be about booking with an
agent), and a handoff intent takes every message close to its examples away from the model,
so a wrong guess would hand customers over in silence.
"""

from __future__ import annotations

import re
from pathlib import Path

from .errors import ConfigError, Problem
from .rasayaml import compose, text_of, value_of

# Rasa's assistant_id when nobody named the assistant: the config's placeholder, or the
# random name `rasa train` writes in its place (20230405-114328-tranquil-mustard).
_UNNAMED = re.compile(r"placeholder_default|\d{8}-\d{6}-[a-z]+-[a-z]+")
_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")  # talk_to_human, talkToHuman
_PERSON_WORDS = {"human", "humans", "agent", "agents", "person", "operator", "representative"}
_PERSON_WORDS |= {"handoff", "handover", "staff", "escalate", "escalation"}
# What a response the rules and stories never run may be: each template that says it instead.
_TEMPLATE_WORDS = {
    "out_of_scope.j2": {"default", "fallback", "rephrase", "scope", "unclear"},
    "handoff.j2": _PERSON_WORDS,
}


def bot_name(project: Path) -> tuple[str, str]:
    """The name for the bot made from ``project``, and where it came from: its config.yml's
    ``assistant_id``, unless that is Rasa's placeholder or a name Rasa made up; else the
    project folder's name."""
    folder = project.resolve() if project.is_dir() else project.resolve().parent
    for config in (folder / "config.yml", folder / "config.yaml"):
        if (assistant := _assistant_id(config)) and not _UNNAMED.fullmatch(assistant):
            return assistant, f"{config.name}'s assistant_id"
    return folder.name, "the Rasa project folder's name"


def _assistant_id(config: Path) -> str:
    """The ``assistant_id`` of the Rasa config file ``config``; empty if it has none, or
    cannot be read: the import reads nothing else of it, so it is no reason to stop."""
    if not config.is_file():
        return ""
    try:
        return text_of(value_of(compose(config), "assistant_id"))
    except ConfigError:
        return ""


def person_intent_note(intent: str, path: Path, line: int | None) -> Problem | None:
    """A note for ``intent`` if its name looks like a request for a person."""
    if not _PERSON_WORDS & _words(intent):
        return None
    message = f"intent '{intent}' looks like a request for a person: mark it `handoff: true` "
    return Problem(path, message + "if it is", line)


def template_for(response: str) -> str | None:
    """The template that says what ``response`` looks like it said (``utter_default``:
    out_of_scope.j2), or None."""
    words = _words(response) - {"utter"}
    return next((name for name, known in _TEMPLATE_WORDS.items() if words & known), None)


def _words(name: str) -> set[str]:
    """The words of ``name``, lower case: ``talk_to_human`` and ``talkToHuman`` alike."""
    return {word.lower() for word in _WORDS.findall(name)}

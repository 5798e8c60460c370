"""Converting a Rasa 3 project's intents and answers into FAQ intents (``servicebot init
--from-rasa``), and reading its NLU test files for ``servicebot eval``.

What converts: each NLU intent's examples, an entity annotation kept as its text
(``[Berlin](city)`` is ``Berlin``), and, as its answer, the first text of the response a rule
or story runs right after it (``- intent: x`` then ``- action: utter_x``). What does not (forms,
custom actions, slots, conditional or extra response variants, buttons, synonyms, regexes,
lookup tables, checkpoints) is listed as a :class:`~servicebot.errors.Problem` at its
``file:line``, for the operator to carry over by hand. An intent Rasa answered with a custom
action or a form is kept, as ``handoff: true``: without the action, a person does its work.
What is the team's to decide is noted, not guessed (:mod:`servicebot.rasahints`): an intent
that looks like a request for a person, a response that looks like a template's line; the
bot's name is the project's ``assistant_id``, else its folder's name.

The files are read as nodes (``yaml.compose``), so that every note can say where.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from yaml.nodes import Node, ScalarNode, SequenceNode

from .errors import ConfigError, Problem
from .faqchecks import normalise_example
from .rasahints import bot_name, person_intent_note, template_for
from .rasayaml import compose, items, line_of, note_at, pairs, text_of, value_of

# Rasa's annotations: [text](entity), [text](entity:value), [text]{"entity": ...}.
_ANNOTATION = re.compile(r"\[([^\]\n]+)\](?:\([^)\n]*\)|\{[^}\n]*\})")
_NOT_A_NAME = re.compile(r"[^A-Za-z0-9_.-]+")
_SKIPPED = ("config", "endpoints", "credentials")  # project files with no training data
_SKIPPED_FOLDERS = {"tests", "models", "results", "actions", ".rasa"}  # held out, or built
HANDOFF_ANSWER = "A colleague will take this over and get back to you shortly."


class _Indented(yaml.SafeDumper):
    """A dumper that indents a list under its key, as the example bot's FAQ files do."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


@dataclass
class RasaImport:
    """A Rasa project as FAQ intents (``intents``: plain values, ready for ``yaml.safe_dump``)
    and what was left out or changed on the way (``notes``, each at its file and line)."""

    intents: list[dict[str, object]] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)
    name: str = ""  # the bot's name, as the project gives it (see rasahints.bot_name)
    named_from: str = ""  # where that name came from, to say so


@dataclass
class _Project:
    """What the project's files say, each piece with where it was read."""

    examples: dict[str, list[tuple[str, Path, int]]] = field(default_factory=dict)
    responses: dict[str, tuple[Path, SequenceNode]] = field(default_factory=dict)
    actions: dict[str, tuple[str, Path, int]] = field(default_factory=dict)  # intent -> action
    answered: set[str] = field(default_factory=set)  # responses some intent is answered with
    notes: list[Problem] = field(default_factory=list)


def import_rasa(project: Path) -> RasaImport:
    """Read the Rasa project folder ``project`` (its domain and ``data/``; ``tests/`` is held
    out, as ``rasa test nlu`` holds it) and convert it.

    Raises:
        ConfigError: no Rasa NLU data there, no intent that converts, or a file that is
            not YAML.
    """
    read = _Project()
    for path in _training_files(project):
        _read_file(path, read)
    if not read.examples:
        raise ConfigError.at(project, "no Rasa NLU data here (a YAML file with 'nlu:' intents)")
    result = RasaImport(notes=read.notes)
    result.name, result.named_from = bot_name(project)
    seen: dict[str, str] = {}
    names: set[str] = set()
    for intent, examples in read.examples.items():
        if converted := _intent(intent, examples, read, (seen, names), result.notes):
            result.intents.append(converted)
            names.add(str(converted["name"]))
    result.notes += _unused_responses(read)
    result.notes.sort(key=lambda note: (str(note.path), note.line or 0))
    if not result.intents:  # a bot needs one intent: say why each was left out instead
        message = "no intent could be converted (each is listed above with why)"
        raise ConfigError.listing([*result.notes, Problem(project, message)])
    return result


def faq_text(converted: RasaImport, project: Path) -> str:
    """The FAQ file for ``converted``: a comment saying where it came from, then the intents."""
    body = yaml.dump(
        {"intents": converted.intents},
        Dumper=_Indented,
        allow_unicode=True,
        sort_keys=False,
        width=96,
    )
    return f"# Imported from the Rasa project {project} by `servicebot init --from-rasa`.\n{body}"


def rasa_examples(path: Path) -> Iterator[tuple[str, str, int]]:
    """Each example of the Rasa NLU file ``path`` as (text, intent, line), annotations read as
    their text: a ``rasa test nlu`` file, for ``servicebot eval``.

    Raises:
        ConfigError: a file that is not YAML, or holds no ``nlu:`` intents.
    """
    read = _Project()
    _read_nlu(path, value_of(compose(path), "nlu"), read)
    if not read.examples:
        raise ConfigError.at(path, "no Rasa NLU intents here ('nlu:' with '- intent:' items)")
    for intent, examples in read.examples.items():
        for text, _, line in examples:
            yield text, faq_name(intent), line


def faq_name(intent: str) -> str:
    """The FAQ name of Rasa's ``intent``: a retrieval intent's ``faq/ask_hours`` is
    ``faq_ask_hours``, since a name is letters, digits, ``_ - .`` only."""
    return _NOT_A_NAME.sub("_", intent).strip("_.-")[:100] or "intent"


def _unused_name(name: str, names: set[str]) -> str:
    """``name``, or, if an intent converted before has it (``faq/ask`` and ``faq_ask``
    are both ``faq_ask``; ``問候`` and ``!!!`` both ``intent``), ``name_2``, ``name_3``...:
    two intents of one name would fail ``check``."""
    unused, number = name, 2
    while unused in names:
        unused, number = f"{name[:95]}_{number}", number + 1
    return unused


def _training_files(project: Path) -> list[Path]:
    """The project's YAML files that may hold training data or the domain, in name order."""
    if project.is_file():
        return [project]
    if not project.is_dir():
        raise ConfigError.at(project, "no such Rasa project folder")
    return [
        path
        for path in sorted(project.rglob("*.y*ml"))
        if path.suffix in (".yml", ".yaml")
        and path.stem not in _SKIPPED
        and not _SKIPPED_FOLDERS & set(path.relative_to(project).parts[:-1])
    ]


def _read_file(path: Path, read: _Project) -> None:
    """Take from ``path`` whichever of Rasa's sections it has."""
    root = compose(path)
    _read_nlu(path, value_of(root, "nlu"), read)
    for key, value in pairs(value_of(root, "responses")):
        if isinstance(value, SequenceNode):
            read.responses[key.value] = (path, value)
    for section in ("rules", "stories"):
        for story in items(value_of(root, section)):
            _read_steps(path, story, read, story=section == "stories")
    for section, (what, why) in _DOMAIN_NOTES.items():
        named: list[tuple[Node, str]] = [
            (key, key.value) for key, _ in pairs(value_of(root, section))
        ]
        for node, name in named or [
            (item, text_of(item)) for item in items(value_of(root, section))
        ]:
            read.notes.append(note_at(path, node, f"{what} '{name}' not converted: {why}"))


# The domain's sections with nothing to convert to, and what becomes of them.
_DOMAIN_NOTES = {
    "slots": ("slot", "servicebot keeps no slots; the model reads the conversation"),
    "forms": ("form", "the intent that starts it is handed to a person"),
    "actions": ("custom action", "servicebot runs no code of the bot's"),
}


def _read_nlu(path: Path, nlu: Node | None, read: _Project) -> None:
    """The intents and examples of an ``nlu:`` list; synonyms, regexes and lookups noted."""
    for item in items(nlu):
        if (intent := value_of(item, "intent")) is None:
            kind, name = next(((key.value, text_of(value)) for key, value in pairs(item)), ("", ""))
            message = f"{kind} '{name}' not converted: routing reads the words customers type; add "
            message += "the forms customers use to the intent's examples instead"
            read.notes.append(note_at(path, item, message))
            continue
        found = read.examples.setdefault(text_of(intent), [])
        found += _examples(path, value_of(item, "examples"))


def _examples(path: Path, node: Node | None) -> list[tuple[str, Path, int]]:
    """The ``- `` lines of an ``examples: |`` block, annotations read as their text, with
    the line each is on (a block's text starts on the line after its ``|``)."""
    if not isinstance(node, ScalarNode):
        return []
    first = node.start_mark.line + (2 if node.style in ("|", ">") else 1)
    found = []
    for offset, line in enumerate(node.value.splitlines()):
        text = _ANNOTATION.sub(r"\1", line.strip().removeprefix("-").strip())
        if text:
            found.append((text, path, first + offset))
    return found


def _read_steps(path: Path, steps_of: Node, read: _Project, *, story: bool) -> None:
    """Each intent step followed by an action step, as the intent's action (the first one the
    files give it). A story's later turns answer in the context of its earlier ones (``yes``
    after "delete my account?"), so only its first intent is taken, and the others noted,
    as are checkpoints and an action after an action."""
    steps = items(value_of(steps_of, "steps"))
    turns = 0
    for index, step in enumerate(steps):
        if (checkpoint := value_of(step, "checkpoint")) is not None:
            message = f"checkpoint '{text_of(checkpoint)}' not converted: each intent is "
            read.notes.append(note_at(path, step, message + "answered on its own"))
        intents = _step_intents(step)
        turns += bool(intents)
        if index + 1 == len(steps) or not (
            action := text_of(value_of(after := steps[index + 1], "action"))
        ):
            continue
        if before := text_of(value_of(step, "action")):
            message = f"action '{action}' after '{before}' not converted: an intent has one answer"
            read.notes.append(note_at(path, after, message))
        for intent in intents:
            if story and turns > 1 and intent not in read.actions:
                message = f"'{intent}' then '{action}' not converted: it follows earlier turns "
                read.notes.append(note_at(path, after, message + "of this story"))
            elif intent not in read.actions:
                read.actions[intent] = (action, path, line_of(after))


def _step_intents(step: Node) -> list[str]:
    """The intent a step names, or each of an ``or:`` step's."""
    if (intent := value_of(step, "intent")) is not None:
        return [text_of(intent)]
    return [
        name
        for choice in items(value_of(step, "or"))
        if (name := text_of(value_of(choice, "intent")))
    ]


def _intent(
    intent: str,
    examples: list[tuple[str, Path, int]],
    read: _Project,
    taken: tuple[dict[str, str], set[str]],
    notes: list[Problem],
) -> dict[str, object] | None:
    """The FAQ intent for Rasa's ``intent`` (None, noted, when it has no answer to give or no
    example of its own); ``taken``: each phrasing taken, normalised, mapped to its intent, and
    the FAQ names given so far."""
    seen, names = taken
    path, line = (examples[0][1], examples[0][2]) if examples else (Path("nlu"), None)
    valid = faq_name(intent)
    name = _unused_name(valid, names)
    if name != intent:
        why = "a name is letters, digits, _ - ." if valid != intent else ""
        why = why or "an intent converted before has its name"
        message = f"intent '{intent}' renamed '{name}': {why}"
        notes.append(Problem(path, message, line))
    converted: dict[str, object] = {"name": name}
    converted["examples"] = _own_examples(name, examples, seen, notes)
    if not converted["examples"]:
        message = f"intent '{intent}' not converted: it has no example of its own"
        notes.append(Problem(path, message, line))
        return None
    if answer := _answer(intent, read, notes):
        if note := person_intent_note(name, path, line):  # said, not set: see rasahints
            notes.append(note)
        return converted | {"answer": answer}
    if intent in read.actions:  # a custom action or a form: its work is a person's now
        action, at, step = read.actions[intent]
        message = f"intent '{name}' ran '{action}', which is no response: imported with "
        message += "handoff: true (write its answer and remove handoff to answer it)"
        notes.append(Problem(at, message, step))
        return converted | {"answer": HANDOFF_ANSWER, "handoff": True}
    message = f"intent '{intent}' not converted: no rule or story answers it with a response"
    notes.append(Problem(path, message, line))
    return None


def _own_examples(
    name: str, examples: list[tuple[str, Path, int]], seen: dict[str, str], notes: list[Problem]
) -> list[str]:
    """``examples`` less those already taken (each phrasing may belong to one intent only:
    a repeat in another intent is noted, one within the intent dropped quietly)."""
    own: list[str] = []
    for text, path, line in examples:
        key = normalise_example(text)
        if (owner := seen.setdefault(key, name)) != name:
            message = f"'{text}' left out of '{name}': it is already an example of '{owner}'"
            notes.append(Problem(path, message, line))
        elif text not in own and all(normalise_example(kept) != key for kept in own):
            own.append(text)
    return own


def _answer(intent: str, read: _Project, notes: list[Problem]) -> str | None:
    """The first unconditional text of the response the intent is answered with (its rule's
    or story's ``utter_`` action, or a retrieval intent's own ``utter_<intent>``); the
    response's other variants and what is not text are noted."""
    action = read.actions.get(intent, ("",))[0]
    response = action if action in read.responses else f"utter_{intent}"
    if response not in read.responses:
        return None
    path, variants = read.responses[response]
    chosen = _chosen_variant(variants)
    answer = text_of(value_of(chosen, "text")) or None
    if response in read.answered:  # a second intent answered alike: noted once
        return answer
    read.answered.add(response)
    for variant in items(variants):
        keys = {key.value for key, _ in pairs(variant)}
        text = text_of(value_of(variant, "text"))
        if variant is chosen:
            notes += _extras(path, response, variant, keys - {"text"})
        elif text:
            why = "a conditional variant" if "condition" in keys else "another variant"
            notes.append(note_at(path, variant, f"{response}: {why} not converted: '{text}'"))
    if answer and re.search(r"\{\w+\}", answer):
        message = f"{response} fills in a slot ({{...}}): write the answer without it"
        notes.append(note_at(path, variants, message))
    return answer


def _chosen_variant(variants: Node) -> Node | None:
    """The variant of a response that becomes the answer: its first with text and no
    ``condition`` (a condition reads a slot, and servicebot keeps none). Every intent
    answered with the response gets this one."""
    for variant in items(variants):
        keys = {key.value for key, _ in pairs(variant)}
        if text_of(value_of(variant, "text")) and "condition" not in keys:
            return variant
    return None


def _extras(path: Path, response: str, variant: Node, keys: set[str]) -> list[Problem]:
    """A note for what a response's chosen variant has besides its text (buttons, an image,
    a channel, custom payloads)."""
    if not keys:
        return []
    listed = ", ".join(sorted(keys))
    return [note_at(path, variant, f"{response}: {listed} not converted (its text is the answer)")]


def _unused_responses(read: _Project) -> list[Problem]:
    """A note for each response no intent is answered with (``utter_default``, a form's
    ``utter_ask_...``): servicebot's templates say what those did."""
    notes = []
    for response, (path, variants) in read.responses.items():
        if response in read.answered:
            continue
        message = f"response '{response}' not converted: no rule or story answers an intent "
        if template := template_for(response):  # said, not mapped: the template is the bot's
            message += f"with it; templates/{template} says the bot's own line in its place: "
            message += "carry its text over there if you want it"
        else:
            message += "with it (out_of_scope.j2 and handoff.j2 say the bot's own lines)"
        notes.append(note_at(path, variants, message, above=True))
    return notes

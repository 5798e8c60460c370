"""The FAQ's mistakes that no single file can show, found across every intent read.

Owns :class:`LoadedIntent` (an intent that passed schema validation, or one that did not
with its keys at fault set aside, and where its FAQ file has it) and :func:`check_intents`:
an intent both ``direct`` and ``handoff``, two intents of one name (or names that differ
only in case), one phrasing under two intents (as routing reads them: see
:func:`normalise_example`), and answers missing one of the bot's languages or keyed by one
it does not have. Reading the files is ``config.py``'s.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

from .errors import Problem, shorten
from .faq import Intent
from .filters.normalise import normalise
from .languages import ANY_LANGUAGE, LANGUAGE_ALIASES, LANGUAGE_CODE, language_advice
from .settings import Settings
from .yamlfile import YamlFile


@dataclass(frozen=True)
class LoadedIntent:
    """An intent that passed schema validation, with where it came from; or one that did
    not, with the keys at fault (see ``config._salvaged``), which the checks here skip."""

    intent: Intent
    document: YamlFile
    index: int
    at_fault: frozenset[str] = frozenset()

    def problem(
        self, message: str, *loc: str | int, key: bool = False, near: str | None = None
    ) -> Problem:
        """A problem at ``loc`` inside this intent (at the key itself if ``key``; where
        ``near`` is written in it, if it is)."""
        node = self.document.node_at(("intents", self.index, *loc), key=key)
        assert node is not None  # read from the file, and no key at fault is located
        return self.document.problem_at(node, message, near)

    @property
    def origin(self) -> str:
        node = self.document.node_at(("intents", self.index))
        line = node.start_mark.line + 1 if node is not None else 0
        return f"{self.document.path}:{line}"


def check_intents(
    loaded: list[LoadedIntent], settings: Settings | None, problems: list[Problem]
) -> None:
    """Checks across intents and files; answer languages only once the settings are valid."""
    names: dict[str, LoadedIntent] = {}  # by name, case-folded
    examples: dict[str, tuple[LoadedIntent, int]] = {}
    for item in loaded:
        intent = item.intent
        if intent.direct and intent.handoff:
            message = "an intent cannot be both 'direct' and 'handoff'"
            problems.append(item.problem(message, "handoff"))
        # a name at fault is not checked: it may not be its name once the name is mended
        if "name" not in item.at_fault and (taken := _name_taken(item, names)):
            problems.append(taken)
            continue  # a copied intent: its phrasings would only repeat the same news
        problems += _repeated_examples(item, examples)
    if settings is not None:
        problems += _answer_languages(loaded, settings.languages)


def _name_taken(item: LoadedIntent, names: dict[str, LoadedIntent]) -> Problem | None:
    """The problem of an intent whose name another in ``names`` (by name, case-folded) has
    already; None for a name not seen before, which is added to ``names``."""
    name = item.intent.name
    if (first := names.setdefault(name.casefold(), item)) is item:
        return None
    message = f"intent '{name}' is defined twice, here and at {first.origin}: keep one"
    if first.intent.name != name:
        message = (
            f"intent '{name}' differs from '{first.intent.name}' at {first.origin} only in "
            "case: rename one (names so alike are easily mixed up in eval files and "
            "conversation scripts)"
        )
    return item.problem(message, "name")


def _answer_languages(loaded: list[LoadedIntent], languages: tuple[str, ...]) -> list[Problem]:
    problems = []
    unknown: dict[str, LoadedIntent] = {}
    counts: Counter[str] = Counter()  # how many intents answer in each unknown language
    for item in loaded:
        if "answer" in item.at_fault:
            continue
        given = set(item.intent.answer)
        if ANY_LANGUAGE in given:
            continue
        for code in sorted(given - set(languages)):
            unknown.setdefault(code, item)
            counts[code] += 1
        missing = [code for code in languages if code not in given]
        if missing:
            names = " or ".join(repr(code) for code in missing)
            problems.append(item.problem(f"'answer' has no {names} text", "answer", key=True))
    for code, item in unknown.items():
        message = _unknown_language(code, _language_meant(code, languages), languages)
        if counts[code] > 1 and message.startswith("answers are written in"):
            message += (
                f" ({counts[code]} intents answer in '{shorten(code)}'; if the bot no longer "
                "speaks it, remove those answers and their phrasings instead)"
            )
        problems.append(item.problem(message, "answer", code, key=True))
    return problems


def _unknown_language(code: str, meant: str, languages: tuple[str, ...]) -> str:
    """What to do about answers keyed ``code``, which stands for ``meant`` (see
    :func:`_language_meant`): a key of any length is quoted short."""
    if meant in languages:
        advice = language_advice(code.replace("_", "-"))  # zh-TW, zh_TW: as 'languages' says
        return f"unknown language '{shorten(code)}' (did you mean '{meant}'?)" + (
            f": {advice}" if advice else ""
        )
    if not LANGUAGE_CODE.match(meant):
        return (
            f"'{shorten(code)}' is not a language code: key each answer by one of this bot's "
            f"languages ({', '.join(languages)})"
        )
    added = "it" if meant == code else f"'{shorten(meant)}'"
    return (
        f"answers are written in '{shorten(code)}', which is not one of this bot's languages "
        f"({', '.join(languages)}): add {added} to 'languages' in servicebot.yaml"
    ) + ("" if meant == code else f", and key the answer '{shorten(meant)}'")


def _language_meant(code: str, languages: tuple[str, ...]) -> str:
    """The language code an answer's key stands for: one of the bot's languages but for case
    or ``_`` (``EN``, ``pt_BR``); an alias's language (``zh_CN`` and ``中文`` are ``zh``);
    the bot's language a regional code is of (``en_AU`` is ``en``); else ``code`` as
    'languages' takes it: the language lower case, ``-`` before a region (``De`` is ``de``,
    ``pt_BR`` is ``pt-BR``)."""
    language, dash, region = code.replace("_", "-").partition("-")
    written = language.lower() + dash + region
    same = [known for known in languages if known.lower() == written.lower()]
    if same:
        return same[0]
    for form in (written.lower(), language.lower()):
        if form in LANGUAGE_ALIASES:
            return LANGUAGE_ALIASES[form]
    return language.lower() if language.lower() in languages else written


_NOT_WORD = re.compile(r"[\W_]+")


@functools.cache
def _cjk() -> re.Pattern[str]:
    """Ideographs, compiled for the first repeated phrasing: re fills in their range one by
    one (1 ms of every `servicebot check`, most of which find none)."""
    return re.compile("[\u3400-\u9fff]")


def normalise_example(text: str) -> str:
    """The form two phrasings must not share: as routing reads them (width-folded, traditional
    characters as simplified: ``退貨`` is ``退货``), case-folded, letters and digits only (or
    the folded text itself, for phrasings such as emoji that have neither). A bot with Chinese
    phrasings reads the fold table here (about 1 ms: see ``filters/traditional.py``)."""
    folded = unicodedata.normalize("NFKC", normalise(text).text).casefold()
    return _NOT_WORD.sub("", folded) or folded.strip()


def _repeated_examples(
    item: LoadedIntent, seen: dict[str, tuple[LoadedIntent, int]]
) -> list[Problem]:
    """A problem for each of ``item``'s phrasings that an intent before it (or it) already
    has; one for them all when its ``examples`` are an alias of another intent's."""
    problems, owners = [], []
    for i, example in enumerate(item.intent.examples):
        key = normalise_example(example)
        if key not in seen:
            seen[key] = (item, i)
            continue
        owner, j = seen[key]
        owners.append(owner)
        first = owner.problem("", "examples", j)
        message = f"the same phrasing is already an example {_under(owner, item)} "
        message += f"({first.path}:{first.line})"
        if _cjk().findall(example) != _cjk().findall(owner.intent.examples[j]):
            message += ": traditional and simplified characters read the same to routing"
        problems.append(item.problem(message, "examples", i))
    alias = item.document.alias_at(("intents", item.index, "examples")) if problems else None
    return [_repeated_alias(item, alias, owners)] if alias else problems


def _under(owner: LoadedIntent, item: LoadedIntent) -> str:
    """Where ``owner`` has a phrasing, said to intent ``item``: "under intent 'returns'"."""
    if owner is item:
        return "in this intent"
    if not owner.intent.name:  # a name missing, or not text
        return "under another intent"
    return f"under intent '{owner.intent.name}'"


def _repeated_alias(item: LoadedIntent, alias: str, owners: list[LoadedIntent]) -> Problem:
    """One problem for an ``examples`` list written as an alias (``examples: *gc``) that
    repeats the phrasings of the intents ``owners`` (one per repeated phrasing): a problem
    per copied phrasing would each point at the alias, and say the same."""
    places = []
    for owner in {id(owner): owner for owner in owners}.values():  # each once, in order
        at = owner.problem("", "examples")
        places.append(f"{_under(owner, item).removeprefix('under ')} ({at.path}:{at.line})")
    message = (
        f"{shorten(alias)} repeats the phrasings of {' and '.join(places)}: one phrasing may "
        "belong to one intent only, so write this intent's own phrasings in place of the alias"
    )
    return item.problem(message, "examples")

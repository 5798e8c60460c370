"""What ``servicebot check`` warns of in the FAQ: likely mistakes, not sure ones, so it passes.

Owns the warnings about FAQ files (no intents, a full-width comma in a list item, Jinja
syntax in FAQ text), intents' phrasings (in one language only, few in one language beside
another, or handed off), routing
thresholds under ``min_score``, languages that are never chosen, Chinese answers written in
the script ``chinese_script`` does not name (and templates, with ``templatescripts.py``), and
few-shot replies that state a figure their answer does not.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import yaml

from .checks import settings_problems
from .config import FAQ_FOLDER, BotSpec, Place, intent_problems, placed_in_intents, yaml_files
from .errors import Problem
from .figures import phrases, unstated
from .filters.traditional import most_written_in
from .languages import ANY_LANGUAGE, language_name
from .routing import Router, detect_language, handing_off
from .routing.screen import IntentScreen
from .routing.scripts import told_apart
from .settings import RoutingSettings
from .source import operator_files
from .templatescripts import template_script_warnings
from .yamlfile import YamlFile, read_yaml

_TEMPLATE_SYNTAX = re.compile(r"\{\{.*?(?:\}\}|$)|\{%.*?(?:%\}|$)|\{#.*?(?:#\}|$)", re.MULTILINE)
_SHOWN_SYNTAX = 40  # characters of it quoted in the warning
_SCREEN_MARGIN = 1e-3  # see _near
# An intent's phrasings in a language are few (see _lopsided_intents) under this many, and
# under this share of its phrasings in another: on the example bot's dev rows, cutting every
# intent to k Chinese phrasings gave its Chinese rows top-1 0.53 (k=1), 0.71 (3), 0.75 (5),
# 0.87 (8) and 0.89 (all, 7 to 15); English alike.
_FEW_PHRASINGS = 5
_FEW_SHARE = 0.5


def threshold_warnings(spec: BotSpec) -> list[Problem]:
    """Thresholds under ``min_score``, which can never apply as written: matches below
    ``min_score`` are cut before any other threshold is read, so a ``handoff_threshold`` of
    0.3 under a ``min_score`` of 0.5 acts as 0.5."""
    routing = spec.settings.routing
    low = [
        name
        for name in ("direct_threshold", "handoff_threshold")
        if getattr(routing, name) < routing.min_score
    ]
    return settings_problems(
        spec,
        {
            ("routing", name): f"routing {name} ({getattr(routing, name)}) is below min_score "
            f"({routing.min_score}), which is applied first: it acts as {routing.min_score}"
            for name in low
        },
    )


def routing_warnings(spec: BotSpec, routing: RoutingSettings) -> list[Problem]:
    """What ``servicebot check`` warns of the routing thresholds with ``routing`` in place of
    the bot's (a threshold under ``min_score``; the bot's own phrasings handed off), for
    ``servicebot eval --thresholds`` to suggest no value that check would warn of."""
    return routing_warner(spec)(routing)


def routing_warner(spec: BotSpec) -> Callable[[RoutingSettings], list[Problem]]:
    """:func:`routing_warnings` for ``spec`` with many routing settings in turn. The router
    and how near each phrasing comes to a handoff intent are the same whatever the
    thresholds, so they are built once: ``eval --thresholds`` asks for some 40 settings, and
    building them for each took 4 of its 4.5 s on the example bot."""
    handoffs = _handoff_warner(spec)

    def warnings(routing: RoutingSettings) -> list[Problem]:
        changed = replace(spec, settings=spec.settings.model_copy(update={"routing": routing}))
        return [*threshold_warnings(changed), *handoffs(changed)]

    return warnings


def language_warnings(spec: BotSpec) -> list[Problem]:
    """What the bot's languages cannot do: only Chinese and languages with letters of their
    own (see ``routing/scripts.py``) are told apart from other text, so a second language
    besides them is never chosen; and an intent with no phrasing in one of a bilingual bot's
    languages is seldom reached by messages in it (routing compares a message with phrasings
    in its own script)."""
    others = [language for language in spec.settings.languages if language != "zh"]
    warnings = []
    if unused := ", ".join(code for code in others[1:] if not told_apart(code)):
        message = (
            f"only Chinese and languages with letters of their own (Japanese, Korean, Arabic, "
            f"Cyrillic, Devanagari, Thai) are told apart from other text: every other message "
            f"is answered in {others[0]}, so {unused} is never chosen"
        )
        warnings += settings_problems(spec, {("languages",): message})
    if "zh" in spec.settings.languages and others:
        warnings += _one_language_intents(spec, others[0])
    if len(spec.settings.languages) > 1:
        warnings += _lopsided_intents(spec)
    if "zh" in spec.settings.languages:
        # Answers and templates both in the other script: one setting fixes both, said once.
        warnings += _chinese_script_warnings(spec) or template_script_warnings(spec)
    return warnings


def _chinese_script_warnings(spec: BotSpec) -> list[Problem]:
    """One warning, at the first such answer, when most Chinese answers are written in the
    script ``chinese_script`` does not name: they would be converted for the customers who
    write like them (台北 to 臺北) and shown unconverted to the others."""
    written = spec.settings.chinese_script
    told = [
        (intent, found)
        for intent in spec.intents
        if (found := most_written_in(intent.answer_in("zh"))) is not None
    ]
    other = [intent for intent, found in told if found != written]
    if len(other) * 2 <= len(told):
        return []
    script = "simplified" if written == "traditional" else "traditional"
    default = "" if "chinese_script" in spec.settings.model_fields_set else " (the default)"
    message = (
        f"{len(other)} of {len(told)} Chinese answers, this one among them, are written in "
        f"{script} characters, but chinese_script is {written}{default}: customers who write "
        f"{written} would read them unconverted, in {script} characters. "
        f"Set chinese_script: {script} in servicebot.yaml"
    )
    loc = ("answer", "zh") if "zh" in other[0].answer else ("answer",)
    return placed_in_intents(spec.root, {(other[0].name, loc): message})


def _one_language_intents(spec: BotSpec, other: str) -> list[Problem]:
    """A warning at the examples of each intent whose phrasings are all Chinese, or all not."""
    messages = {}
    for intent in spec.intents:
        found = {detect_language(text, ("zh", other)) for text in intent.examples}
        if len(found) == 1:
            missing = "Chinese" if found == {other} else other
            messages[intent.name] = (
                f"intent '{intent.name}' has no phrasing in {missing}: messages in "
                f"{missing} seldom reach it (add a few, in the words customers use)"
            )
    return intent_problems(spec.root, messages, "examples")


def _lopsided_intents(spec: BotSpec) -> list[Problem]:
    """A warning at the examples of each intent with a few phrasings in one language and
    many more in another (see _FEW_PHRASINGS): routing compares a message with the phrasings
    in its own language, so customers writing the first reach the intent only when they word
    it as one of its few. Counted in the languages routing tells apart in the bot's
    phrasings (a language never chosen has none); an intent with none in one is
    :func:`_one_language_intents`' to warn of."""
    languages = spec.settings.languages
    counts = [
        (intent, Counter(detect_language(text, languages) for text in intent.examples))
        for intent in spec.intents
    ]
    found = [language for language in languages if any(language in c for _, c in counts)]
    messages = {}
    for intent, counted in counts:
        few = min(found, key=lambda language: counted[language])
        most = max(found, key=lambda language: counted[language])
        if 0 < counted[few] < _FEW_PHRASINGS and counted[few] < counted[most] * _FEW_SHARE:
            name = language_name(few)
            messages[intent.name] = (
                f"intent '{intent.name}' has {counted[most]} {language_name(most)} phrasings "
                f"and {counted[few]} {name}: customers writing {name} match it less surely; "
                f"add phrasings in {name}"
            )
    return intent_problems(spec.root, messages, "examples")


def handoff_warnings(spec: BotSpec, shown: int = 3) -> list[Problem]:
    """Phrasings of answering intents that a customer typing them would be handed off for: a
    handoff intent among their top ``top_k`` scores at least ``handoff_threshold``, and one
    anywhere there wins (so that "where is my order? let me talk to a person" goes to a
    person). Warned at the first such phrasing of each intent, naming the first ``shown``
    and the score the threshold would have to clear."""
    return _handoff_warner(spec, shown)(spec)


def _handoff_warner(spec: BotSpec, shown: int = 3) -> Callable[[BotSpec], list[Problem]]:
    """:func:`handoff_warnings` for ``spec`` with other routing settings (the intents the
    same): the router and the phrasings' screened scores are built once, for all of them."""
    if not any(intent.handoff for intent in spec.intents):
        return lambda changed: []
    router = Router(spec.intents, spec.settings.routing, spec.settings.languages)
    screened = _screened(spec, router)

    def warnings(changed: BotSpec) -> list[Problem]:
        routing = changed.settings.routing
        return _handed_off(changed, router.with_settings(routing), _near(screened, routing), shown)

    return warnings


def _handed_off(spec: BotSpec, router: Router, near: set[str], shown: int) -> list[Problem]:
    """The warnings of :func:`handoff_warnings`, routing with ``router`` only the phrasings
    ``near`` a handoff intent (see _screened)."""
    settings = spec.settings.routing
    messages, first = {}, {}
    for intent in spec.intents:
        taken = [
            (text, match)
            for text in ([] if intent.handoff else intent.examples)
            if text in near
            and (match := handing_off(router.route(text).matches, settings)) is not None
        ]
        if not taken:
            continue
        first[intent.name] = intent.examples.index(taken[0][0])  # warned at its line
        highest = max(match.score for _, match in taken)
        handoffs = "', '".join(dict.fromkeys(match.intent.name for _, match in taken))
        listed = [f"'{text}' ({m.intent.name} {m.score:.2f})" for text, m in taken[:shown]]
        listed += [f"and {len(taken) - shown} more"] if len(taken) > shown else []
        messages[intent.name] = (
            f"{len(taken)} phrasing{'s' * (len(taken) > 1)} of '{intent.name}' would go to a "
            f"person, a handoff intent scoring at least handoff_threshold "
            f"({settings.handoff_threshold}) among the top {settings.top_k}: {', '.join(listed)}. "
            f"Raise routing.handoff_threshold above {highest:.2f}, or make '{handoffs}' "
            "phrasings less like these"
        )
    return intent_problems(spec.root, messages, "examples", index=first)


def _screened(spec: BotSpec, router: Router) -> list[tuple[str, float]]:
    """Each phrasing of an answering intent (once per reading, read as routing reads it) with
    the highest score, exactly, that a handoff intent has for it. Routing scores no intent
    higher than exactly, so only a phrasing scored at least ``handoff_threshold`` and
    ``min_score`` here can be handed off (see _near); screening every phrasing against the
    handoff intents at once and routing only those took these warnings on 470 intents from
    1.2 s to 0.55 s."""
    handoffs = [place for place, intent in enumerate(spec.intents) if intent.handoff]
    phrasings = list(
        dict.fromkeys(
            text for intent in spec.intents if not intent.handoff for text in intent.examples
        )
    )
    readings = [(text, reading) for text in phrasings for reading in router.readings(text)]
    scores = IntentScreen(router.index, handoffs).highest([reading for _, reading in readings])
    return [(text, score) for (text, _), score in zip(readings, scores, strict=True)]


def _near(screened: list[tuple[str, float]], settings: RoutingSettings) -> set[str]:
    """The phrasings that routing with ``settings`` could hand off (see _screened)."""
    # Routing reports scores rounded to 4 places, and sums some in float32: a little under.
    cut = max(settings.handoff_threshold, settings.min_score) - _SCREEN_MARGIN
    return {text for text, score in screened if score >= cut}


def few_shot_warnings(spec: BotSpec) -> list[Problem]:
    """Few-shot replies stating a figure (a number, link or email address) that their intent's
    answer in the pair's language does not, nor the pair's customer line, nor the bot's
    contacts: the model copies few-shot replies, so an answer edited from 30 days to 45 with
    its pair left at 30 has customers told 30. Not a figure another answer states in the same
    words ("6-digit order number"). Warned at each such reply; not offline, where no pair is
    shown."""
    if spec.settings.model.name is None:
        return []
    languages = spec.settings.languages
    contacts = [value for value in spec.settings.contact.model_dump().values() if value]
    stated = {
        language: phrases(intent.answer_in(language) for intent in spec.intents)
        for language in languages
    }  # the intent's own answer among them changes nothing: its figures are stated anyway
    messages: dict[Place, str] = {}
    first_figures: dict[Place, str] = {}  # where each warning points: its first figure
    for intent in spec.intents:
        for index, pair in enumerate(intent.few_shot):
            language = detect_language(pair.user, languages)  # as prompt.few_shot picks pairs
            answer, also = intent.answer_in(language), [pair.user, *contacts]
            if figures := unstated(pair.assistant, answer, also, stated[language]):
                where = "" if ANY_LANGUAGE in intent.answer else f" in {language}"
                quoted = ", ".join(f'"{figure}"' for figure in figures)
                place = (intent.name, ("few_shot", index, "assistant"))
                messages[place] = (
                    f"few-shot reply of '{intent.name}' says {quoted} but its answer{where} "
                    "does not: update the pair, the model copies it"
                )
                first_figures[place] = figures[0]
    return placed_in_intents(spec.root, messages, first_figures)


def faq_file_warnings(root: Path) -> list[Problem]:
    """FAQ files with no intents (empty, or all comments: a topic set aside while it is
    rewritten), a full-width comma in an item of a ``[...]`` list, and Jinja syntax in FAQ
    text (``{{ contact.phone }}`` in an answer): FAQ text is data, sent and shown to the model
    as written, so the customer would see the braces. None is surely a mistake (a Chinese
    phrasing has commas of its own; a bot about templates may mean the braces), so
    ``servicebot check`` warns and still passes. So does a FAQ file saved as ``gift.yaml.txt``
    (as Notepad saves it), which is not read."""
    warnings = [
        Problem(path, f"not read: only .yaml and .yml files are; rename it {path.stem}")
        for path in operator_files(root / FAQ_FOLDER, ".txt")
        if path.stem.lower().endswith((".yaml", ".yml"))
    ]
    for path in yaml_files(root / FAQ_FOLDER):
        document = read_yaml(path, [])
        if document is not None and document.data is None:
            message = "no intents: the file is empty or all comments, so it adds nothing"
            warnings.append(document.problem(message, 1, 1))
        if document is not None and "，" in document.text and "[" in document.text:
            warnings += _wide_comma_warnings(document)
        if document is None or not _TEMPLATE_SYNTAX.search(document.text):
            continue
        for node in _text_values(document.root):
            if found := _TEMPLATE_SYNTAX.search(node.value):
                syntax = found[0][:_SHOWN_SYNTAX] + ("..." if len(found[0]) > _SHOWN_SYNTAX else "")
                where = document.text.find(found[0][:2], node.start_mark.index, node.end_mark.index)
                message = (
                    f"FAQ text is not a template: '{syntax}' is sent as written "
                    "(only templates/ fill in {{ }} and {% %})"
                )
                warnings.append(document.problem_at_offset(message, max(where, 0)))
    return warnings


def _wide_comma_warnings(document: YamlFile) -> list[Problem]:
    """Items of a ``[...]`` list of several with a full-width comma in them: part of the text
    (``你好，优惠券怎么用``), or meant to separate two items? (One item alone is an error.)
    Called only for a file with a ``[`` in it: a ``[...]`` list opens with one as written, so
    a file without has none, and its node tree (the slow part here) is not composed; the
    example bot's Chinese answers have commas in all seven files, and ``[`` in none."""
    message = (
        "a full-width comma '，' inside this item: YAML reads it as part of the text; if it "
        "separates two items, write a plain ','"
    )
    return [
        document.problem_at_offset(message, document.text.index("，", item.start_mark.index))
        for node in _nodes(document.root)
        if isinstance(node, yaml.SequenceNode) and node.flow_style and len(node.value) > 1
        for item in node.value
        if isinstance(item, yaml.ScalarNode) and not item.style and "，" in item.value
    ]


def _text_values(root: yaml.Node | None) -> Iterator[yaml.ScalarNode]:
    """Every value under ``root`` that a customer or the model may read, in file order: not
    example phrasings, which only routing reads."""
    for node in _nodes(root, skipping="examples"):
        if isinstance(node, yaml.ScalarNode):
            yield node


def _nodes(root: yaml.Node | None, skipping: str | None = None) -> Iterator[yaml.Node]:
    """Every node under ``root`` in file order, each once (an alias is the node it names):
    not mapping keys, nor what the key ``skipping`` holds."""
    seen: set[int] = set()
    waiting = [root]
    while waiting:
        node = waiting.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        yield node
        if isinstance(node, yaml.SequenceNode):
            waiting += reversed(node.value)
        elif isinstance(node, yaml.MappingNode):
            waiting += reversed([value for key, value in node.value if key.value != skipping])

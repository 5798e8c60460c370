"""The typed schema of a bot folder's ``servicebot.yaml`` settings (``faq/*.yaml``'s intents
are :mod:`.faq`'s).

Every model forbids unknown keys and is frozen once validated. Defaults here are the
defaults an operator gets by leaving a key out; the README's settings table lists them.
The rules every model here is held to (no number from true/false, none that is not finite)
are :class:`~servicebot.frozen.Frozen`'s.
What a contact detail, an address or a variable's name must look like is
:mod:`.settingvalues`'s; what a language code looks like, :mod:`.languages`'s.
"""

from __future__ import annotations

import datetime
import typing
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    StrictBool,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from .faq import Intent as Intent  # tests and bench import it from here
from .frozen import Frozen as Frozen
from .languages import LANGUAGE_CODE, not_an_alias
from .settingvalues import (
    Text,
    azure_endpoint,
    azure_version,
    email_address,
    http_url,
    known_store,
    model_name,
    phone_number,
    store_namespace,
    variable_name,
    web_address,
)


def _no_repeats(items: tuple[str, ...]) -> tuple[str, ...]:
    repeated = sorted({item for item in items if items.count(item) > 1})
    if repeated:
        raise ValueError(f"lists {', '.join(repeated)} more than once")
    return items


DropKind = Literal["few_shot", "history", "faq"]
Script = Literal["simplified", "traditional"]  # a Chinese text's characters
_DROP_ORDER: tuple[DropKind, ...] = ("few_shot", "history", "faq")


def _then_the_rest(drop_order: tuple[DropKind, ...]) -> tuple[DropKind, ...]:
    """The drop order as written, then the kinds it leaves out in the default order: they
    give way last (``[]`` is the default order), and ``render`` names the whole order."""
    return (*drop_order, *(kind for kind in _DROP_ORDER if kind not in drop_order))


Language = Annotated[str, Field(pattern=LANGUAGE_CODE.pattern), BeforeValidator(not_an_alias)]
Fraction = Annotated[float, Field(ge=0.0, le=1.0)]


class ContactSettings(Frozen):
    """The only contact details the bot may give; the post-filter treats others as invented."""

    phone: Annotated[str, AfterValidator(phone_number)] | None = None
    email: Annotated[str, AfterValidator(email_address)] | None = None
    website: Annotated[str, AfterValidator(web_address)] | None = None


class ModelSettings(Frozen):
    """The chat model. With no ``name`` the bot runs offline, answering from the FAQ alone."""

    name: Annotated[str, AfterValidator(model_name)] | None = None
    base_url: Annotated[str, AfterValidator(http_url)] | None = None
    # None (null in YAML): a server that takes no key, such as Ollama or vLLM on localhost
    api_key_env: Annotated[str, AfterValidator(variable_name)] | None = "OPENAI_API_KEY"
    # Azure OpenAI's classic route: base_url is the resource's endpoint and name the
    # deployment, sent with this api-version and the key in an api-key header (see
    # model/sdkclients.py). None: an OpenAI-compatible server (Azure's v1 endpoint too).
    azure_api_version: Annotated[str, AfterValidator(azure_version)] | None = None
    # Seconds an attempt may take; at most the SDK's own default, 10 minutes (see README).
    timeout: Annotated[float, Field(gt=0, le=600)] = 30.0
    max_retries: Annotated[int, Field(ge=0, le=10)] = 2
    max_retry_after: Annotated[float, Field(ge=0, le=120)] = 10.0  # seconds (see model/failures.py)
    # Seconds a turn's whole model call may take, retries included; None: no such bound.
    turn_timeout: Annotated[float, Field(gt=0, le=3600)] | None = None
    # Outages in a row that pause the model, and the pause in seconds (model/breaker.py).
    breaker_failures: Annotated[int, Field(ge=0, le=1000)] = 5
    breaker_pause: Annotated[float, Field(ge=0, le=3600)] = 10.0
    temperature: Annotated[float, Field(ge=0, le=2)] | None = 0.2
    max_tokens: Annotated[int, Field(gt=0)] = 500
    top_p: Fraction | None = None
    stop: tuple[str, ...] = ()
    seed: int | None = None
    # How a reasoning model's thinking in its content is told from its answer (see
    # model/reasoning.py): auto, tags (the model thinks before every answer) or off.
    reasoning: Literal["auto", "tags", "off"] = "auto"

    @field_validator("api_key_env", mode="before")
    @classmethod
    def _empty_is_no_key(cls, name: object) -> object:
        """``api_key_env: ""`` is no key, as ``null`` and a bare ``api_key_env:`` are: an
        operator clearing the setting writes either."""
        return None if isinstance(name, str) and not name.strip() else name

    @field_validator("azure_api_version", mode="before")
    @classmethod
    def _date_as_written(cls, version: object) -> object:
        """``azure_api_version: 2024-10-21`` unquoted, which YAML reads as a date, as the
        text the operator wrote."""
        return version.isoformat() if isinstance(version, datetime.date) else version

    @field_validator("azure_api_version")
    @classmethod
    def _azure_needs_its_endpoint(cls, version: str | None, info: ValidationInfo) -> str | None:
        """On ``azure_api_version``, at its line: the ``base_url`` it goes with (one that
        failed its own check is not in ``info.data``: that mistake is reported already)."""
        if "base_url" not in info.data:
            return version
        return azure_endpoint(version, info.data["base_url"])

    @field_validator("api_key_env")
    @classmethod
    def _keyless_needs_its_server(cls, name: str | None, info: ValidationInfo) -> str | None:
        """No key is for a server of the operator's own: the OpenAI API, where requests go
        without a ``base_url``, answers none without one. (A ``base_url`` that failed its own
        check is not in ``info.data``: that mistake is reported already.)"""
        if name is None and "base_url" in info.data and info.data["base_url"] is None:
            raise ValueError(
                "is null (no key), which is for a local server such as Ollama or vLLM: set "
                "model.base_url to its address, such as http://localhost:11434/v1 (the OpenAI "
                "API takes no request without a key)"
            )
        return name


class BudgetSettings(Frozen):
    """How many tokens the prompt may use, and what gives way first when it is too long."""

    context_window: Annotated[int, Field(gt=0)] = 128_000
    reply_reserve: Annotated[int, Field(ge=0, validate_default=True)] = 1_000
    max_prompt_tokens: Annotated[int, Field(gt=0)] = 8_000
    encoding: Literal["o200k_base", "cl100k_base"] | None = None
    drop_order: Annotated[
        tuple[DropKind, ...],
        AfterValidator(_no_repeats),
        AfterValidator(_then_the_rest),
    ] = _DROP_ORDER
    history_turns: Annotated[int, Field(ge=0, le=1000)] = 50  # recent turns read from the store

    @field_validator("reply_reserve")
    @classmethod
    def _room_for_a_prompt(cls, reserve: int, info: ValidationInfo) -> int:
        """On ``reply_reserve``, so that the mistake is reported at its line (context_window,
        declared first, is validated by now, and absent from ``info.data`` if it failed)."""
        window = info.data.get("context_window")
        if window is not None and reserve >= window:
            raise ValueError(
                f"({reserve}) leaves no room for a prompt in context_window ({window}): lower "
                "it, or raise context_window"
            )
        return reserve


class RoutingSettings(Frozen):
    """Thresholds on intent scores (0 to 1) that decide each turn's route."""

    top_k: Annotated[int, Field(ge=1, le=20)] = 3
    min_score: Fraction = 0.2
    direct_threshold: Fraction = 0.6
    # A direct answer also needs its intent to lead the next best by this much: a close second
    # means the message may ask about either ("shipping to Canada?"), which the model, given
    # both, can tell apart. Of the example bot's 111 direct phrasings, three lead by less:
    # 运费多少 (international shipping close behind) and two ways of saying "no thanks".
    direct_margin: Fraction = 0.25
    handoff_threshold: Fraction = 0.5
    # The handoff_after-th message in a row that is out of scope goes to a person; 0: never.
    handoff_after: Annotated[int, Field(ge=0, le=100)] = 3
    # After a handoff, a person has the conversation for this many minutes (since the
    # handoff or the person's last message; see handover.py): reply() answers nothing and
    # calls no model. 0: never, the bot answers the next message as before.
    with_person_minutes: Annotated[int, Field(ge=0, le=10_080)] = 0


class StoreSettings(Frozen):
    """Where conversations are kept, and for how long."""

    url: Annotated[str, AfterValidator(known_store)] = "sqlite:///.servicebot/conversations.db"
    retention_days: Annotated[int, Field(gt=0, le=36_500)] | None = 90
    # Seconds a store command may wait: Redis for a connection or a reply, SQLite for a lock.
    timeout: Annotated[float, Field(gt=0, le=60)] = 1.0
    # Keeps this bot's conversations apart from other bots' on one store (store/namespaces.py).
    namespace: Annotated[str, AfterValidator(store_namespace)] | None = None


class CacheSettings(Frozen):
    """``cache``: reuse the model's answer to a repeated first question (see cache.py)."""

    enabled: StrictBool = False
    ttl_seconds: Annotated[int, Field(gt=0)] = 3600
    max_entries: Annotated[int, Field(gt=0)] = 10_000


class ReplaySettings(Frozen):
    """Recorded model replies for offline tests."""

    mode: Literal["replay", "record", "off"] = "off"
    cassettes: str = "tests/replies"


PiiKind = Literal[
    "SECRET",
    "EMAIL",
    "IBAN",
    "CN_ID",
    "HK_ID",
    "PASSPORT",
    "CARD",
    "SSN",
    "PHONE",
    "IP",
    "ADDRESS",
    "DATE_OF_BIRTH",
    "MESSENGER_ID",
]
Action = Literal["allow", "mask", "flag", "block"]
BuiltinList = Literal["en", "zh"]  # the built-in profanity lists, by language
Outcome = Literal["repair", "fallback", "handoff"]


class PrefilterSettings(Frozen):
    """What happens to what a customer writes before anything else reads it."""

    profanity: Action = "mask"
    pii: Action = "mask"
    pii_kinds: dict[PiiKind, Action] = {}
    injection: Literal["allow", "flag", "block"] = "flag"
    # The built-in lists, each off when left out: better-profanity's English one and
    # servicebot's Chinese one (filters/profanity_zh.txt). prefilter.words adds to them.
    builtin_words: Annotated[tuple[BuiltinList, ...], AfterValidator(_no_repeats)] = ("en", "zh")
    words: dict[str, tuple[Text, ...]] = {}
    allow_words: tuple[Text, ...] = ()
    # A longer message is cut before anything reads it: what is past this never fits a prompt,
    # and would cost every detector time (a 2 MB paste took 1.4 s; cut, 46 ms) and the store
    # its size.
    max_chars: Annotated[int, Field(gt=0)] = 50_000


def _every_kind_or_none(value: Any) -> Any:
    """``restore_pii: true`` is every kind, ``false`` none; a list names the kinds."""
    if isinstance(value, bool):
        return typing.get_args(PiiKind) if value else ()
    if not isinstance(value, list | tuple):
        raise PydanticCustomError(
            "kinds", "should be true, false or a list of kinds such as [PHONE, EMAIL]"
        )
    if not value:  # shows nothing back, as false does: more likely a list left unfinished
        raise ValueError(
            "is an empty list, which shows no value back: write false for that, or name the "
            "kinds to show, such as [PHONE, EMAIL]"
        )
    return value


# The kinds whose values an answer shows the customer back; the others read as what they
# stand for ("your ID number"). None: the answer keeps its placeholders as written.
RestoredKinds = Annotated[
    tuple[PiiKind, ...], BeforeValidator(_every_kind_or_none), AfterValidator(_no_repeats)
]


class PostfilterSettings(Frozen):
    """What happens to an answer before the customer sees it."""

    restore_pii: RestoredKinds = Field(default=True, validate_default=True)  # every kind
    max_chars: Annotated[int, Field(gt=0)] = 1200
    # A chat platform's limit in bytes of UTF-8 (WeChat's customer-service messages: 2048),
    # which max_chars cannot bound: a Chinese character is 3 bytes, an emoji 4. None: none.
    max_bytes: Annotated[int, Field(gt=0)] | None = None
    allowed_domains: tuple[str, ...] = ()
    profanity: Outcome = "repair"
    pii_leak: Outcome = "repair"
    unknown_contact: Outcome = "repair"
    # An invented refund or price is a promise: the fallback (the top intent's answer when
    # routing is sure of it, else a handoff) is safer than the answer with the amount cut out.
    unknown_amount: Outcome = "fallback"
    markup: Outcome = "repair"
    leakage: Literal["fallback", "handoff"] = "fallback"
    too_long: Outcome = "repair"
    empty: Literal["fallback", "handoff"] = "fallback"


class Price(Frozen):
    """What a model costs, in US dollars per million tokens."""

    input: Annotated[float, Field(ge=0)]
    output: Annotated[float, Field(ge=0)]


class Settings(Frozen):
    """``servicebot.yaml``: every key is optional."""

    name: Text = "Support assistant"
    languages: Annotated[tuple[Language, ...], Field(min_length=1), AfterValidator(_no_repeats)] = (
        "en",
    )
    # The script the bot's own Chinese text (answers, templates) is written in, and a reply's
    # when the customer's message does not tell (see prompt.script_of).
    chinese_script: Script = "simplified"
    contact: ContactSettings = ContactSettings()
    model: ModelSettings = ModelSettings()
    budget: BudgetSettings = BudgetSettings()
    routing: RoutingSettings = RoutingSettings()
    store: StoreSettings = StoreSettings()
    cache: CacheSettings = CacheSettings()
    replay: ReplaySettings = ReplaySettings()
    prefilter: PrefilterSettings = PrefilterSettings()
    postfilter: PostfilterSettings = PostfilterSettings()
    prices: dict[str, Price] = {}

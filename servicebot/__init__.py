"""servicebot: customer-service bots on any OpenAI-compatible chat model.

Operators keep the bot's knowledge in YAML and its voice in Jinja templates; engineers load
the folder with :func:`load_bot` and build a :class:`Bot` from it.
"""

import logging

from .cassette import ReplayMissError
from .config import BotSpec, load_bot
from .errors import (
    BudgetError,
    ConfigError,
    ConversationIdError,
    Problem,
    ServicebotError,
    StorageError,
    TemplateError,
)
from .faq import FewShot, Intent
from .health import Health
from .model import ModelError
from .pipeline import Bot, Prepared, Reply, Step
from .prompt import Exchange, Message
from .settings import Settings
from .turnlog import TurnFields as _TurnFields
from .turnmetrics import TurnMetrics

__version__ = "0.1.0"

# Outages and store failures are logged to "servicebot"; the application decides where to.
logging.getLogger(__name__).addHandler(logging.NullHandler())
logging.getLogger(__name__).addFilter(_TurnFields())  # conversation_id and bot on each record

__all__ = [
    "Bot",
    "BotSpec",
    "BudgetError",
    "ConfigError",
    "ConversationIdError",
    "Exchange",
    "FewShot",
    "Health",
    "Intent",
    "Message",
    "ModelError",
    "Prepared",
    "Problem",
    "ReplayMissError",
    "Reply",
    "ServicebotError",
    "Settings",
    "Step",
    "StorageError",
    "TemplateError",
    "TurnMetrics",
    "load_bot",
]

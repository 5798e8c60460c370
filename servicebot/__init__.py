"""servicebot: customer-service bots on any OpenAI-compatible chat model.

Operators keep the bot's knowledge in YAML and its voice in Jinja templates; engineers load
the folder with :func:`load_bot`.
"""

from .config import BotSpec, load_bot
from .errors import ConfigError, Problem, ServicebotError, StorageError
from .settings import FewShot, Intent, Settings

__version__ = "0.1.0"

__all__ = [
    "BotSpec",
    "ConfigError",
    "FewShot",
    "Intent",
    "Problem",
    "ServicebotError",
    "Settings",
    "StorageError",
    "load_bot",
]

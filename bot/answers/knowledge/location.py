"""Which knowledge directory to use, in one documented order for every command.

1. `--knowledge DIR` (or `check DIR`), 2. the `KNOWLEDGE_DIR` variable, 3. the packaged
default. The default is the top-level `knowledge/` directory: a wheel ships it as the data
package `bot/default_knowledge/` (pyproject maps that package onto `knowledge/`), while a
checkout or an editable install reads `knowledge/` beside `bot/` directly. Looking for the
installed copy first and the checkout's second makes `union-bot`, `pip install -e .` and a
plain `python -m bot` (the Procfile) all find the same files.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

PACKAGED_NAME = "default_knowledge"  # bot/<this> in a wheel; see [tool.setuptools] in pyproject
ENV_VAR = "KNOWLEDGE_DIR"

_BOT_PACKAGE = Path(__file__).resolve().parents[2]


def packaged_dir(bot_package: Path = _BOT_PACKAGE) -> Path:
    """The knowledge base shipped with the code: installed data package, else the checkout's."""
    installed = bot_package / PACKAGED_NAME
    return installed if installed.is_dir() else bot_package.parent / "knowledge"


def knowledge_dir(explicit: Path | str | None = None, env: Mapping[str, str] | None = None) -> Path:
    """The directory to load: the explicit one, else $KNOWLEDGE_DIR, else the packaged default."""
    if explicit:
        return Path(explicit)
    env = os.environ if env is None else env
    from_env = env.get(ENV_VAR, "").strip()
    return Path(from_env) if from_env else packaged_dir()

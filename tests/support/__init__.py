"""Shared test helpers: the fake Bot API (`fakebotapi`), the bot harness that runs the real
Application against it (`harness`), what a member sees of a message (`messages`), and the
small throw-away knowledge bases (`knowledge`). Fixtures stay in tests/conftest.py."""

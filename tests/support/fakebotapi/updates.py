"""What users do: the chats and users the fake knows, and the updates tests inject.

Why a mixin of :class:`~.server.FakeBotAPI`: injected messages share message ids and
storage with the bot's own, so replies, edits and button presses find them.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import Any

from tests.support.fakebotapi.text import find_auto_entities, fix_text, sort_entities


class UpdateInjection:
    """Users, chats and update injection (``send_text``, ``press_button``, ...)."""

    bot_id: int
    bot_user: dict[str, Any]
    users: dict[int, dict]
    chats: dict[int, dict]
    channels: dict[int, str]
    updates_log: list[dict]
    _updates: list[dict]
    _next_update_id: int
    _next_query_id: int
    _open_callback_queries: set[str]
    _open_inline_queries: set[str]
    _wake_poll: Callable[[], None]
    _alloc_message_id: Callable[[int], int]
    _store: Callable[[dict], None]
    _lookup: Callable[[int, int], dict | None]

    def user(self, user_id: int) -> dict:
        """The User dict for ``user_id`` (a default one is created on first use)."""
        if user_id == self.bot_id:
            return copy.deepcopy(self.bot_user)
        if user_id not in self.users:
            self.users[user_id] = {"id": user_id, "is_bot": False, "first_name": f"User{user_id}",
                                   "username": f"user{user_id}", "language_code": "en"}
        return copy.deepcopy(self.users[user_id])

    def add_chat(self, chat_id: int, chat_type: str, *, title: str | None = None) -> dict:
        """Register a chat's type/title; private chats are derived from the user."""
        if chat_type == "private":
            user = self.user(chat_id)
            chat = {"id": chat_id, "type": "private", "first_name": user["first_name"]}
            for key in ("last_name", "username"):
                if key in user:
                    chat[key] = user[key]
        else:
            if chat_type not in ("group", "supergroup", "channel"):
                raise ValueError(f"unknown chat type {chat_type!r}")
            default_title = self.channels.get(chat_id) or f"{chat_type.capitalize()} {chat_id}"
            chat = {"id": chat_id, "type": chat_type, "title": title or default_title}
        self.chats[chat_id] = chat
        return copy.deepcopy(chat)

    def chat(self, chat_id: int) -> dict:
        """The Chat dict for ``chat_id``: registered, else guessed from the id's shape.

        Positive ids are private chats, ids in ``channels`` or starting with -100 are
        channels (register supergroups with :meth:`add_chat` or via an update), other
        negative ids are basic groups.
        """
        if chat_id in self.chats:
            return copy.deepcopy(self.chats[chat_id])
        if chat_id in self.channels or str(chat_id).startswith("-100"):
            return self.add_chat(chat_id, "channel")
        if chat_id > 0:
            return self.add_chat(chat_id, "private")
        return self.add_chat(chat_id, "group")


    def add_update(self, update: dict) -> dict:
        """Queue a raw update (its ``update_id`` is assigned here) and wake the long poll."""
        update["update_id"] = self._next_update_id
        self._next_update_id += 1
        self._updates.append(update)
        self.updates_log.append(update)
        self._wake_poll()
        return update

    def redeliver(self, update: dict) -> dict:
        """Queue an update again with its ORIGINAL ``update_id``, as Telegram does when a bot
        died before its acknowledgement arrived."""
        again = dict(update)
        self._updates.append(again)
        self._updates.sort(key=lambda u: u["update_id"])
        self._wake_poll()
        return again

    def send_text(
        self,
        text: str,
        user_id: int = 1001,
        chat_id: int | None = None,
        chat_type: str = "private",
        **message_extra: Any,
    ) -> dict:
        """Queue a text message from a user; /commands, @mentions, links get entities."""
        fixed, entities = fix_text(text, [])
        if not fixed:
            raise ValueError("Telegram clients cannot send an empty text message")
        fields: dict[str, Any] = {"text": fixed}
        if "entities" not in message_extra:
            auto = sort_entities(find_auto_entities(fixed, entities))
            if auto:
                fields["entities"] = auto
        fields.update(message_extra)
        return self.send_message(user_id=user_id, chat_id=chat_id, chat_type=chat_type, **fields)

    def send_message(
        self,
        user_id: int = 1001,
        chat_id: int | None = None,
        chat_type: str = "private",
        **fields: Any,
    ) -> dict:
        """Queue a message update with raw Message fields (sticker=..., photo=[...] ...).

        In a channel ("channel" chat_type) this is a ``channel_post`` with sender_chat.
        ``reply_to_message`` may be any message dict (e.g. one from ``sent``).
        """
        if chat_id is None:
            if chat_type != "private":
                raise ValueError("chat_id is required for non-private chats")
            chat_id = user_id
        if chat_type == "private" and chat_id != user_id:
            raise ValueError("in a private chat, chat_id must equal user_id")
        known = self.chats.get(chat_id)
        if known is None or known["type"] != chat_type:
            chat = self.add_chat(chat_id, chat_type)
        else:
            chat = copy.deepcopy(known)
        message: dict[str, Any] = {"message_id": self._alloc_message_id(chat_id)}
        if chat_type == "channel":
            message["sender_chat"] = copy.deepcopy(chat)
        else:
            message["from"] = self.user(user_id)
        message["chat"] = chat
        message["date"] = int(time.time())
        for key, value in fields.items():
            if key == "reply_to_message" and isinstance(value, dict):
                value = self._current(value)
                value.pop("reply_to_message", None)
            message[key] = value
        self._store(message)
        key = "channel_post" if chat_type == "channel" else "message"
        return self.add_update({key: copy.deepcopy(message)})

    def edit_text(self, message: dict, new_text: str) -> dict:
        """Queue an ``edited_message`` update: the user edited one of their messages."""
        message = message.get("message") or message.get("channel_post") or message
        stored = self._lookup(message["chat"]["id"], message["message_id"])
        if stored is None:
            raise AssertionError(f"cannot edit unknown/deleted message {message['message_id']}")
        if "text" not in stored:
            raise AssertionError("only text messages can be edited with edit_text")
        fixed, _ = fix_text(new_text, [])
        if not fixed:
            raise ValueError("an edited message cannot be empty")
        stored["text"] = fixed
        stored.pop("entities", None)
        auto = sort_entities(find_auto_entities(fixed, []))
        if auto:
            stored["entities"] = auto
        stored["edit_date"] = int(time.time())
        key = "edited_channel_post" if stored["chat"]["type"] == "channel" else "edited_message"
        return self.add_update({key: copy.deepcopy(stored)})

    def press_button(self, message: dict, data: str, user_id: int = 1001, *, check: bool = True,
                     old: bool = False) -> dict:
        """Queue a ``callback_query``: the user pressed a button of a bot message.

        The *current* version of the message is used (after edits). With ``check`` the
        button must exist in the message's current inline keyboard, like a real client.
        With ``old`` the message is older than Telegram shows a bot (about 48 hours): the
        query carries only its chat, its id and date 0 (an InaccessibleMessage).
        """
        stored = self._lookup(message["chat"]["id"], message["message_id"])
        if stored is None:
            raise AssertionError(
                f"message {message['message_id']} in chat {message['chat']['id']} is unknown "
                "or deleted; a user cannot press its buttons"
            )
        if check:
            keyboard = stored.get("reply_markup", {}).get("inline_keyboard", [])
            datas = [b.get("callback_data") for row in keyboard for b in row]
            if data not in datas:
                raise AssertionError(
                    f"no button with callback_data {data!r} on message "
                    f"{stored['message_id']}; buttons: {datas}"
                )
        query_id = self._new_query_id()
        self._open_callback_queries.add(query_id)
        query = {
            "id": query_id,
            "from": self.user(user_id),
            "message": ({"chat": copy.deepcopy(stored["chat"]), "message_id": stored["message_id"], "date": 0}
                        if old else copy.deepcopy(stored)),
            "chat_instance": f"ci{abs(stored['chat']['id'])}",
            "data": data,
        }
        return self.add_update({"callback_query": query})

    def inline_query(
        self, query: str, user_id: int = 1001, *, offset: str = "", chat_type: str | None = None
    ) -> dict:
        """Queue an ``inline_query`` (the user typed ``@bot query``)."""
        query_id = self._new_query_id()
        self._open_inline_queries.add(query_id)
        inline: dict[str, Any] = {
            "id": query_id, "from": self.user(user_id), "query": query, "offset": offset,
        }
        if chat_type:
            inline["chat_type"] = chat_type
        return self.add_update({"inline_query": inline})

    def _current(self, message: dict) -> dict:
        """Deep copy of the stored version of ``message`` (or of the dict itself)."""
        stored = self._lookup(message["chat"]["id"], message["message_id"])
        return copy.deepcopy(stored if stored is not None else message)

    def _new_query_id(self) -> str:
        """Unique id for callback and inline queries."""
        query_id = f"{self._next_query_id:04d}{self.bot_id}"
        self._next_query_id += 1
        return query_id

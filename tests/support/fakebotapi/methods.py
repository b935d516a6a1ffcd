"""The Bot API methods the bot (and PTB underneath it) calls, with Telegram's rules.

Only these exist; any other method answers 404 "Not Found" so a test notices at once
when the bot starts using something new: getMe, getUpdates, deleteWebhook, setMyCommands,
sendMessage, editMessageText, editMessageReplyMarkup, deleteMessage, pinChatMessage,
answerCallbackQuery, answerInlineQuery, getChatAdministrators.
"""

from __future__ import annotations

import asyncio
import copy
import re
import time
from collections.abc import Callable
from typing import Any

from tests.support.fakebotapi.dispatch import APIError, Dropped, MethodImpl, bad
from tests.support.fakebotapi.http import Connection
from tests.support.fakebotapi.params import chat_id as param_chat_id
from tests.support.fakebotapi.params import format_text, inline_markup, message_id

MAX_INLINE_RESULTS = 50

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
GETUPDATES_CONFLICT = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
)
_ADMIN_RIGHTS = (
    "can_manage_chat", "can_delete_messages", "can_manage_video_chats", "can_restrict_members",
    "can_change_info", "can_invite_users", "can_post_stories", "can_edit_stories",
    "can_delete_stories", "can_pin_messages",
)


class BotAPIMethods:
    """Method implementations: ``(params, connection) -> result`` or raise APIError.

    A mixin of :class:`~.server.FakeBotAPI`, whose state (messages, queues, config) they
    read and change.
    """

    bot_id: int
    bot_user: dict[str, Any]
    sent: list[dict]
    deleted: set[tuple[int, int]]
    callback_answers: dict[str, dict]
    inline_answers: dict[str, list[dict]]
    inline_buttons: dict[str, dict]
    blocked_users: set[int]
    chat_admins: dict[int, list[int]]
    _updates: list[dict]
    _messages: dict[int, dict[int, dict]]
    _open_callback_queries: set[str]
    _open_inline_queries: set[str]
    _poll_waiter: asyncio.Future[str] | None
    _methods: dict[str, tuple[str, MethodImpl]]
    _notify: Callable[[], None]
    user: Callable[[int], dict]
    chat: Callable[[int], dict]
    _alloc_message_id: Callable[[int], int]
    _store: Callable[[dict], None]
    _lookup: Callable[[int, int], dict | None]

    def _register_methods(self) -> None:
        """Map lower-cased method names to (canonical name, implementation)."""
        table: dict[str, MethodImpl] = {
            "getMe": self._m_get_me,
            "getUpdates": self._m_get_updates,
            "deleteWebhook": self._m_delete_webhook,
            "setMyCommands": self._m_set_my_commands,
            "sendMessage": self._m_send_message,
            "editMessageText": self._m_edit_message_text,
            "editMessageReplyMarkup": self._m_edit_message_reply_markup,
            "deleteMessage": self._m_delete_message,
            "pinChatMessage": self._m_pin_chat_message,
            "answerCallbackQuery": self._m_answer_callback_query,
            "answerInlineQuery": self._m_answer_inline_query,
            "getChatAdministrators": self._m_get_chat_administrators,
        }
        self._methods = {name.lower(): (name, impl) for name, impl in table.items()}

    # ------------------------------------------------------------------ helpers

    def _reply_target(self, chat_id: int, params: dict) -> dict | None:
        """Resolve ``reply_parameters`` (PTB sends reply_to_message_id this way too)."""
        reply = params.get("reply_parameters")
        if not reply:
            return None
        if not isinstance(reply, dict) or "message_id" not in reply:
            raise bad("can't parse reply parameters JSON object")
        target_chat = reply.get("chat_id", chat_id)
        if isinstance(target_chat, str) and target_chat.lstrip("-").isdigit():
            target_chat = int(target_chat)
        target = self._lookup(target_chat, int(reply["message_id"]))
        if target is None:
            if reply.get("allow_sending_without_reply"):
                return None
            raise bad("message to be replied not found")
        result = copy.deepcopy(target)
        result.pop("reply_to_message", None)
        return result

    def _bot_message(self, chat_id: int, content: dict, params: dict, markup: dict | None) -> dict:
        """Create, store and return (a copy of) a message authored by the bot."""
        chat = self.chat(chat_id)
        reply = self._reply_target(chat_id, params)
        message: dict[str, Any] = {"message_id": self._alloc_message_id(chat_id)}
        if chat["type"] == "channel":
            message["sender_chat"] = copy.deepcopy(chat)
        else:
            message["from"] = copy.deepcopy(self.bot_user)
        message["chat"] = chat
        message["date"] = int(time.time())
        if reply is not None:
            message["reply_to_message"] = reply
        message.update(content)
        if markup is not None:
            message["reply_markup"] = markup
        self._store(message)
        self.sent.append(message)
        self._notify()
        return copy.deepcopy(message)

    def _editable(self, params: dict) -> dict:
        """The stored message addressed by chat_id + message_id (see ``_check_own``)."""
        message = self._lookup(param_chat_id(params), message_id(params))
        if message is None:
            raise bad("message to edit not found")
        return message

    def _check_own(self, message: dict) -> None:
        """Only the bot's own messages can be edited (checked after the new content)."""
        if not self._is_own(message):
            raise bad("message can't be edited")

    def _is_own(self, message: dict) -> bool:
        """Whether the bot authored ``message`` (only those can be edited)."""
        if message.get("from", {}).get("id") == self.bot_id:
            return True
        return message["chat"]["type"] == "channel" and any(m is message for m in self.sent)

    def _edited(self, message: dict, **fields: Any) -> dict:
        """Apply an edit (empty values remove the field, as Telegram omits them)."""
        for key, value in fields.items():
            if value:
                message[key] = value
            else:
                message.pop(key, None)
        message["edit_date"] = int(time.time())
        self._notify()
        return copy.deepcopy(message)

    # ------------------------------------------------------------------ updates & setup

    def _m_get_me(self, params: dict, conn: Connection) -> dict:
        """getMe."""
        return copy.deepcopy(self.bot_user)

    async def _m_get_updates(self, params: dict, conn: Connection) -> list[dict]:
        """getUpdates: acknowledge by offset, long poll, 409 for a concurrent poll."""
        offset = int(params.get("offset") or 0)
        limit = max(1, min(100, int(params.get("limit") or 100)))
        timeout = max(0.0, float(params.get("timeout") or 0))
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]
        self._notify()
        if self._poll_waiter is not None and not self._poll_waiter.done():
            self._poll_waiter.set_result("conflict")
        if not self._updates and timeout > 0:
            waiter: asyncio.Future[str] = asyncio.get_running_loop().create_future()
            self._poll_waiter = waiter
            closed = asyncio.ensure_future(conn.closed.wait())
            try:
                await asyncio.wait({waiter, closed}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            finally:
                closed.cancel()
                if self._poll_waiter is waiter:
                    self._poll_waiter = None
            if conn.closed.is_set():
                raise Dropped  # the client went away (e.g. PTB cancelled the poll)
            if waiter.done() and waiter.result() == "conflict":
                raise APIError(409, GETUPDATES_CONFLICT)
        return copy.deepcopy(self._updates[:limit])

    def _m_delete_webhook(self, params: dict, conn: Connection) -> bool:
        """deleteWebhook (PTB calls it before polling), honouring drop_pending_updates."""
        if params.get("drop_pending_updates"):
            self._updates.clear()
            self._notify()
        return True

    def _m_set_my_commands(self, params: dict, conn: Connection) -> bool:
        """setMyCommands with Telegram's validation of names and descriptions."""
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise bad("can't parse commands JSON object")
        if len(commands) > 100:
            raise bad("BOT_COMMANDS_TOO_MUCH")
        for command in commands:
            name = str(command.get("command", ""))
            if not re.fullmatch(r"[a-z0-9_]{1,32}", name.lower().lstrip("/")):
                raise bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", "")).strip()) <= 256:
                raise bad("BOT_COMMAND_DESCRIPTION_INVALID")
        return True

    # ------------------------------------------------------------------ messages

    def _m_send_message(self, params: dict, conn: Connection) -> dict:
        """sendMessage."""
        chat_id = param_chat_id(params)
        if chat_id in self.blocked_users:
            raise APIError(403, "Forbidden: bot was blocked by the user")
        text, entities = format_text(params, self.user)
        markup = inline_markup(params)
        content: dict[str, Any] = {"text": text}
        if entities:
            content["entities"] = entities
        if isinstance(params.get("link_preview_options"), dict):
            content["link_preview_options"] = params["link_preview_options"]
        return self._bot_message(chat_id, content, params, markup)

    def _m_edit_message_text(self, params: dict, conn: Connection) -> dict:
        """editMessageText: omitting reply_markup removes the inline keyboard."""
        message = self._editable(params)
        text, entities = format_text(params, self.user)
        markup = inline_markup(params)
        self._check_own(message)
        if "text" not in message:
            raise bad("there is no text in the message to edit")
        if (
            text == message["text"]
            and entities == message.get("entities", [])
            and markup == message.get("reply_markup")
        ):
            raise bad(NOT_MODIFIED)
        return self._edited(message, text=text, entities=entities, reply_markup=markup)

    def _m_edit_message_reply_markup(self, params: dict, conn: Connection) -> dict:
        """editMessageReplyMarkup: omitting reply_markup removes the keyboard."""
        message = self._editable(params)
        markup = inline_markup(params)
        self._check_own(message)
        if markup == message.get("reply_markup"):
            raise bad(NOT_MODIFIED)
        return self._edited(message, reply_markup=markup)

    def _m_delete_message(self, params: dict, conn: Connection) -> bool:
        """deleteMessage with Telegram's rules (others' group messages need admin)."""
        chat_id = param_chat_id(params)
        msg_id = message_id(params)
        message = self._lookup(chat_id, msg_id)
        if message is None:
            raise bad("message to delete not found")
        if (
            message["chat"]["type"] in ("group", "supergroup")
            and not self._is_own(message)
            and self.bot_id not in self.chat_admins.get(chat_id, [])
        ):
            raise bad("message can't be deleted")
        del self._messages[chat_id][msg_id]
        self.deleted.add((chat_id, msg_id))
        self._notify()
        return True

    def _m_pin_chat_message(self, params: dict, conn: Connection) -> bool:
        """pinChatMessage (the pin itself is observed through ``calls``)."""
        if self._lookup(param_chat_id(params), message_id(params)) is None:
            raise bad("message to pin not found")
        return True

    # ------------------------------------------------------------------ queries & chats

    def _m_answer_callback_query(self, params: dict, conn: Connection) -> bool:
        """answerCallbackQuery: each query can be answered once."""
        query_id = str(params.get("callback_query_id") or "")
        if query_id not in self._open_callback_queries:
            raise bad(QUERY_TOO_OLD)
        if len(str(params.get("text") or "")) > 200:
            raise bad("MESSAGE_TOO_LONG")
        self._open_callback_queries.discard(query_id)
        self.callback_answers[query_id] = params
        return True

    def _m_answer_inline_query(self, params: dict, conn: Connection) -> bool:
        """answerInlineQuery: <= 50 results with unique, non-empty ids."""
        query_id = str(params.get("inline_query_id") or "")
        if query_id not in self._open_inline_queries:
            raise bad(QUERY_TOO_OLD)
        results = params.get("results")
        if not isinstance(results, list):
            raise bad("can't parse inline query results JSON object")
        if len(results) > MAX_INLINE_RESULTS:
            raise bad("RESULTS_TOO_MUCH")
        ids = [str(r.get("id", "")) for r in results]
        if any(not 1 <= len(i.encode("utf-8")) <= 64 for i in ids):
            raise bad("RESULT_ID_INVALID")
        if len(set(ids)) != len(ids):
            raise bad("RESULT_ID_DUPLICATE")
        button = params.get("button")
        if button is not None:
            start = str(button.get("start_parameter") or "")
            valid_start = re.fullmatch(r"[A-Za-z0-9_-]{1,64}", start)
            if not button.get("text") or not (button.get("web_app") or valid_start):
                raise bad("BUTTON_INVALID")
            self.inline_buttons[query_id] = button
        self._open_inline_queries.discard(query_id)
        self.inline_answers[query_id] = results
        return True

    def _m_get_chat_administrators(self, params: dict, conn: Connection) -> list[dict]:
        """getChatAdministrators from ``chat_admins``: the first id is the owner."""
        chat_id = param_chat_id(params)
        if self.chat(chat_id)["type"] == "private":
            raise bad("there are no administrators in the private chat")
        admins = self.chat_admins.get(chat_id, [])
        members = []
        for user_id in admins:
            if user_id == admins[0]:
                members.append({"status": "creator", "user": self.user(user_id), "is_anonymous": False})
            else:
                members.append({"status": "administrator", "user": self.user(user_id), "can_be_edited": False,
                                "is_anonymous": False, "can_promote_members": False,
                                **dict.fromkeys(_ADMIN_RIGHTS, True)})
        return members

"""A database as the first released schema (v1) left it, for the upgrade tests.

One announcement posted and delivered before the upgrade (one DM in flight), a stored
update id, and an empty gap report.
"""

V1_SCHEMA = """
CREATE TABLE announcements (
    id INTEGER PRIMARY KEY AUTOINCREMENT, text TEXT NOT NULL, author_id INTEGER NOT NULL,
    state TEXT NOT NULL, created_at TEXT NOT NULL, due_at TEXT, posted_at TEXT,
    channel_id INTEGER, message_id INTEGER, late INTEGER NOT NULL DEFAULT 0,
    preview_chat_id INTEGER, preview_message_id INTEGER,
    send_started_at TEXT, delivery_started_at TEXT);
CREATE TABLE audit (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor_id INTEGER,
    action TEXT NOT NULL, announcement_id INTEGER REFERENCES announcements (id), detail TEXT);
CREATE TABLE subscribers (chat_id INTEGER PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE deliveries (announcement_id INTEGER NOT NULL REFERENCES announcements (id),
    chat_id INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
    PRIMARY KEY (announcement_id, chat_id)) WITHOUT ROWID;
CREATE INDEX deliveries_chat ON deliveries (chat_id);
CREATE TABLE progress (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE gaps (question TEXT PRIMARY KEY, count INTEGER NOT NULL, last_day TEXT NOT NULL)
    WITHOUT ROWID;
INSERT INTO announcements (text, author_id, state, created_at, posted_at, channel_id, message_id,
    delivery_started_at) VALUES ('old post', 42, 'posted', 'x', 'y', -100, 5, 'z');
INSERT INTO subscribers VALUES (10), (11);
INSERT INTO deliveries VALUES (1, 10, 'sent'), (1, 11, 'sending');
INSERT INTO progress VALUES ('update_id', 74);
PRAGMA user_version = 1;
"""

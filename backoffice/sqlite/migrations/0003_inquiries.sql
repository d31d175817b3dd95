-- The inquiry desk: messages shoppers leave on a store's public page. Kept until expires_ms (the desk's own
-- short retention), then deleted and erased like tracks. reply_to is '' unless the shopper gave an address
-- and consented to its use.
CREATE TABLE inquiries (
    id          INTEGER PRIMARY KEY,
    store       TEXT    NOT NULL,
    received_ms INTEGER NOT NULL,
    message     TEXT    NOT NULL,
    reply_to    TEXT    NOT NULL DEFAULT '',
    answered_ms INTEGER,
    expires_ms  INTEGER NOT NULL
);
CREATE INDEX inquiries_store ON inquiries (store, received_ms);
CREATE INDEX inquiries_expires ON inquiries (expires_ms);

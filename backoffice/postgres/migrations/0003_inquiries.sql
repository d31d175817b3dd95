-- The inquiry desk: messages shoppers leave on a store's public page, kept until expires_ms. Purged with
-- DELETE, then VACUUM FULL, which writes the table's files anew (see inquiry.go).
CREATE TABLE inquiries (
    id          bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    store       text    NOT NULL,
    received_ms bigint  NOT NULL,
    message     text    NOT NULL,
    reply_to    text    NOT NULL DEFAULT '',
    answered_ms bigint,
    expires_ms  bigint  NOT NULL
);
CREATE INDEX inquiries_store ON inquiries (store, received_ms);
CREATE INDEX inquiries_expires ON inquiries (expires_ms);

-- Outgoing e-mail (internal/mail): the outbox row written in the same
-- transaction as the change that causes the message, and then the record of
-- its delivery. The job that sends it carries only (ente_id, id); the row is
-- the truth, kept after River forgets the job.
CREATE TABLE mail (
    id         INTEGER PRIMARY KEY,
    ente_id    INTEGER NOT NULL REFERENCES ente (id) ON DELETE CASCADE,
    recipient  TEXT NOT NULL,
    subject    TEXT NOT NULL,
    body_text  TEXT NOT NULL,
    body_html  TEXT NOT NULL DEFAULT '',
    kind       TEXT NOT NULL,
    ref        TEXT NOT NULL DEFAULT '',
    status     TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed')),
    attempts   INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error TEXT NOT NULL DEFAULT '',
    -- via names the Sender that delivered the message ('smtp', 'catcher').
    via        TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    sent_at    TIMESTAMP,
    CHECK ((status = 'sent') = (sent_at IS NOT NULL)),
    UNIQUE (ente_id, id)
);
CREATE INDEX mail_ente_created ON mail (ente_id, created_at);
CREATE INDEX mail_ente_status ON mail (ente_id, status, created_at);

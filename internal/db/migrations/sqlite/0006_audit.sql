-- The audit log: who did and saw what, per ente, in one hash chain per ente.
-- audit_head is the chain's head (last sequence number and hash); a writer
-- locks it for the rest of its transaction, so the events of one ente are
-- numbered without gaps while different enti never wait for each other.
-- audit_event rows are never changed or removed: the triggers below make the
-- database itself refuse UPDATE and DELETE, and refuse to move the head
-- backwards or to delete it, whatever the application does.
CREATE TABLE audit_head (
    ente_id   INTEGER NOT NULL PRIMARY KEY REFERENCES ente (id),
    last_seq  INTEGER NOT NULL CHECK (last_seq >= 0),
    last_hash TEXT NOT NULL
);

CREATE TABLE audit_event (
    ente_id       INTEGER NOT NULL REFERENCES ente (id),
    seq           INTEGER NOT NULL CHECK (seq > 0),
    at            TIMESTAMP NOT NULL,
    actor_kind    TEXT NOT NULL CHECK (actor_kind IN ('citizen', 'operator', 'system', 'anonymous')),
    actor_id      TEXT NOT NULL,
    actor_name    TEXT NOT NULL,
    action        TEXT NOT NULL,
    subject       TEXT NOT NULL,
    outcome       TEXT NOT NULL CHECK (outcome IN ('success', 'failure', 'denied')),
    request_id    TEXT NOT NULL,
    ip            TEXT NOT NULL,
    detail        TEXT NOT NULL,
    previous_hash TEXT NOT NULL,
    hash          TEXT NOT NULL,
    PRIMARY KEY (ente_id, seq)
);
-- The filters of the administrators' page, newest first within each.
CREATE INDEX audit_event_actor ON audit_event (ente_id, actor_kind, actor_id, seq);
CREATE INDEX audit_event_subject ON audit_event (ente_id, subject, seq);
CREATE INDEX audit_event_action ON audit_event (ente_id, action, seq);

CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
BEGIN
    SELECT RAISE(ABORT, 'audit_event is immutable: record a new event instead');
END;

CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
BEGIN
    SELECT RAISE(ABORT, 'audit_event is immutable: record a new event instead');
END;

-- The head moves forward one event at a time (or keeps its number while its
-- hash is set), and never goes away.
CREATE TRIGGER audit_head_forward_only BEFORE UPDATE ON audit_head
WHEN NEW.ente_id <> OLD.ente_id OR NEW.last_seq < OLD.last_seq OR NEW.last_seq > OLD.last_seq + 1
BEGIN
    SELECT RAISE(ABORT, 'audit_head is immutable: it only moves forward one event at a time');
END;

CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
BEGIN
    SELECT RAISE(ABORT, 'audit_head is immutable: it only moves forward one event at a time');
END;

-- The audit log: who did and saw what, per ente, in one hash chain per ente.
-- audit_head is the chain's head (last sequence number and hash); a writer
-- locks it for the rest of its transaction, so the events of one ente are
-- numbered without gaps while different enti never wait for each other.
-- audit_event rows are never changed or removed: the triggers below make the
-- database itself refuse UPDATE, DELETE and TRUNCATE, and refuse to move the
-- head backwards or to delete it, whatever the application does.
CREATE TABLE audit_head (
    ente_id   BIGINT NOT NULL PRIMARY KEY REFERENCES ente (id),
    last_seq  BIGINT NOT NULL CHECK (last_seq >= 0),
    last_hash TEXT NOT NULL
);

CREATE TABLE audit_event (
    ente_id       BIGINT NOT NULL REFERENCES ente (id),
    seq           BIGINT NOT NULL CHECK (seq > 0),
    at            TIMESTAMPTZ NOT NULL,
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

CREATE FUNCTION audit_event_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_event is immutable: record a new event instead'
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$;

CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_event_immutable();

CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_immutable();

-- The head moves forward one event at a time (or keeps its number while its
-- hash is set), and never goes away.
CREATE FUNCTION audit_head_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_head is immutable: it only moves forward one event at a time'
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$;

CREATE TRIGGER audit_head_forward_only BEFORE UPDATE ON audit_head
    FOR EACH ROW
    WHEN (NEW.ente_id <> OLD.ente_id OR NEW.last_seq < OLD.last_seq OR NEW.last_seq > OLD.last_seq + 1)
    EXECUTE FUNCTION audit_head_immutable();

CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
    FOR EACH ROW EXECUTE FUNCTION audit_head_immutable();

CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head
    FOR EACH STATEMENT EXECUTE FUNCTION audit_head_immutable();

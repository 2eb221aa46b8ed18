-- Pratiche: a citizen's request from draft to outcome. The pratica row holds
-- the current state and what the office's queue sorts on (due, an ISO date,
-- '9999-12-31' while no deadline runs, so that such pratiche sort last); every
-- change of state is a pratica_event row, the history that the timeline and
-- the statistics read. Attachments point at blobs by SHA-256; messages are
-- the conversation with the office, internal ones seen by operators only.
-- Every row carries its ente and composite keys keep it within the ente.
CREATE TABLE pratica (
    id                INTEGER PRIMARY KEY,
    ente_id           INTEGER NOT NULL REFERENCES ente (id) ON DELETE CASCADE,
    service           TEXT NOT NULL,
    service_version   INTEGER NOT NULL CHECK (service_version > 0),
    title             TEXT NOT NULL,
    citizen_id        INTEGER NOT NULL,
    filed_by_citizen  INTEGER,
    filed_by_operator INTEGER,
    delegation_id     INTEGER,
    office_id         INTEGER NOT NULL,
    state             TEXT NOT NULL CHECK (state IN ('draft', 'submitted', 'awaiting_payment', 'in_review',
                          'integration_requested', 'accepted', 'rejected', 'withdrawn', 'closed')),
    answers           TEXT NOT NULL,
    term_days         INTEGER NOT NULL CHECK (term_days >= 0),
    term_working      BOOLEAN NOT NULL,
    silent_assent     BOOLEAN NOT NULL,
    fee               INTEGER NOT NULL CHECK (fee >= 0),
    idempotency_key   TEXT,
    protocol_year     INTEGER,
    protocol_number   INTEGER,
    outcome_year      INTEGER,
    outcome_number    INTEGER,
    submitted_at      TIMESTAMP,
    decided_at        TIMESTAMP,
    due               TEXT NOT NULL,
    assignee_id       INTEGER,
    created_at        TIMESTAMP NOT NULL,
    updated_at        TIMESTAMP NOT NULL,
    draft_expires     TIMESTAMP,
    UNIQUE (ente_id, id),
    UNIQUE (ente_id, idempotency_key),
    UNIQUE (ente_id, protocol_year, protocol_number),
    CHECK ((filed_by_citizen IS NULL) <> (filed_by_operator IS NULL)),
    CHECK (delegation_id IS NULL OR filed_by_citizen IS NOT NULL),
    -- A pratica leaves the draft state only with its incoming protocol entry.
    CHECK ((state = 'draft') = (protocol_number IS NULL)),
    CHECK ((protocol_year IS NULL) = (protocol_number IS NULL)),
    CHECK ((outcome_year IS NULL) = (outcome_number IS NULL)),
    CHECK ((state = 'draft') = (draft_expires IS NOT NULL)),
    FOREIGN KEY (ente_id, citizen_id) REFERENCES citizen (ente_id, id),
    FOREIGN KEY (ente_id, filed_by_citizen) REFERENCES citizen (ente_id, id),
    FOREIGN KEY (ente_id, filed_by_operator) REFERENCES operator (ente_id, id),
    FOREIGN KEY (ente_id, delegation_id) REFERENCES delegation (ente_id, id),
    FOREIGN KEY (ente_id, office_id) REFERENCES office (ente_id, id),
    FOREIGN KEY (ente_id, assignee_id) REFERENCES operator (ente_id, id),
    FOREIGN KEY (ente_id, protocol_year, protocol_number) REFERENCES protocol_entry (ente_id, year, number),
    FOREIGN KEY (ente_id, outcome_year, outcome_number) REFERENCES protocol_entry (ente_id, year, number)
);
-- The queues: every index ends in (state, due, id), the order a queue page
-- reads, so that a page is a short range scan whatever the table's size.
CREATE INDEX pratica_office_queue ON pratica (ente_id, office_id, state, due, id);
CREATE INDEX pratica_service_queue ON pratica (ente_id, service, state, due, id);
CREATE INDEX pratica_assignee_queue ON pratica (ente_id, assignee_id, state, due, id);
CREATE INDEX pratica_state_queue ON pratica (ente_id, state, due, id);
CREATE INDEX pratica_citizen ON pratica (ente_id, citizen_id, id);
CREATE INDEX pratica_filed_by ON pratica (ente_id, filed_by_citizen, id);
CREATE INDEX pratica_draft_expires ON pratica (draft_expires) WHERE draft_expires IS NOT NULL;

-- One row per change of state (and per assignment, where from = to).
CREATE TABLE pratica_event (
    ente_id        INTEGER NOT NULL,
    pratica_id     INTEGER NOT NULL,
    seq            INTEGER NOT NULL CHECK (seq > 0),
    at             TIMESTAMP NOT NULL,
    actor_kind     TEXT NOT NULL CHECK (actor_kind IN ('citizen', 'operator', 'system')),
    actor_citizen  INTEGER,
    actor_operator INTEGER,
    kind           TEXT NOT NULL,
    from_state     TEXT NOT NULL,
    to_state       TEXT NOT NULL,
    reason         TEXT NOT NULL,
    -- assignee_id is the operator given the pratica by a take-in-charge or
    -- an assignment.
    assignee_id    INTEGER,
    PRIMARY KEY (ente_id, pratica_id, seq),
    CHECK ((actor_kind = 'citizen') = (actor_citizen IS NOT NULL)),
    CHECK ((actor_kind = 'operator') = (actor_operator IS NOT NULL)),
    FOREIGN KEY (ente_id, pratica_id) REFERENCES pratica (ente_id, id) ON DELETE CASCADE,
    FOREIGN KEY (ente_id, actor_citizen) REFERENCES citizen (ente_id, id),
    FOREIGN KEY (ente_id, actor_operator) REFERENCES operator (ente_id, id),
    FOREIGN KEY (ente_id, assignee_id) REFERENCES operator (ente_id, id)
);
-- Statistics read events by kind and time.
CREATE INDEX pratica_event_kind ON pratica_event (ente_id, kind, at);

CREATE TABLE pratica_message (
    id            INTEGER PRIMARY KEY,
    ente_id       INTEGER NOT NULL REFERENCES ente (id) ON DELETE CASCADE,
    pratica_id    INTEGER NOT NULL,
    from_citizen  INTEGER,
    from_operator INTEGER,
    internal      BOOLEAN NOT NULL,
    body          TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    UNIQUE (ente_id, id),
    CHECK ((from_citizen IS NULL) <> (from_operator IS NULL)),
    -- Internal notes are written by operators only.
    CHECK (NOT internal OR from_operator IS NOT NULL),
    FOREIGN KEY (ente_id, pratica_id) REFERENCES pratica (ente_id, id) ON DELETE CASCADE,
    FOREIGN KEY (ente_id, from_citizen) REFERENCES citizen (ente_id, id),
    FOREIGN KEY (ente_id, from_operator) REFERENCES operator (ente_id, id)
);
CREATE INDEX pratica_message_pratica ON pratica_message (ente_id, pratica_id, id);

CREATE TABLE pratica_attachment (
    id         INTEGER PRIMARY KEY,
    ente_id    INTEGER NOT NULL REFERENCES ente (id) ON DELETE CASCADE,
    pratica_id INTEGER NOT NULL,
    message_id INTEGER,
    kind       TEXT NOT NULL CHECK (kind IN ('upload', 'receipt', 'outcome', 'integration', 'message')),
    field      TEXT NOT NULL,
    name       TEXT NOT NULL,
    mime       TEXT NOT NULL,
    size       INTEGER NOT NULL CHECK (size >= 0),
    sha256     TEXT NOT NULL CHECK (length(sha256) = 64),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (ente_id, id),
    FOREIGN KEY (ente_id, pratica_id) REFERENCES pratica (ente_id, id) ON DELETE CASCADE,
    FOREIGN KEY (ente_id, message_id) REFERENCES pratica_message (ente_id, id) ON DELETE CASCADE
);
CREATE INDEX pratica_attachment_pratica ON pratica_attachment (ente_id, pratica_id, id);
CREATE INDEX pratica_attachment_message ON pratica_attachment (ente_id, message_id);

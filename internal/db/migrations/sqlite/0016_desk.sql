-- The front desk (internal/desk): the waiting room's queue of the day, the
-- log of every assistance contact, and the record of filings an operator
-- made on a citizen's behalf.

-- The next queue number of each office and day, taken by an upsert so that
-- two check-ins never get the same number.
CREATE TABLE desk_counter (
    ente_id   INTEGER NOT NULL,
    office_id INTEGER NOT NULL,
    day       TEXT NOT NULL,
    last      INTEGER NOT NULL,
    PRIMARY KEY (ente_id, office_id, day),
    FOREIGN KEY (ente_id, office_id) REFERENCES office (ente_id, id) ON DELETE CASCADE
);

CREATE TABLE desk_ticket (
    id             INTEGER PRIMARY KEY,
    ente_id        INTEGER NOT NULL REFERENCES ente (id) ON DELETE CASCADE,
    office_id      INTEGER NOT NULL,
    day            TEXT NOT NULL,
    number         INTEGER NOT NULL,
    appointment_id INTEGER,
    label          TEXT NOT NULL DEFAULT '',
    state          TEXT NOT NULL CHECK (state IN ('waiting', 'called', 'served', 'no-show', 'redirected')),
    desk           TEXT NOT NULL DEFAULT '',
    operator_id    INTEGER,
    created_at     TIMESTAMP NOT NULL,
    called_at      TIMESTAMP,
    closed_at      TIMESTAMP,
    UNIQUE (ente_id, id),
    UNIQUE (ente_id, office_id, day, number),
    FOREIGN KEY (ente_id, office_id) REFERENCES office (ente_id, id) ON DELETE CASCADE,
    FOREIGN KEY (ente_id, appointment_id) REFERENCES booking_appointment (ente_id, id),
    FOREIGN KEY (ente_id, operator_id) REFERENCES operator (ente_id, id)
);
CREATE INDEX desk_ticket_day ON desk_ticket (ente_id, office_id, day, state, number);

-- One assistance contact: what, how, how long, with what outcome.
CREATE TABLE desk_interaction (
    id          INTEGER PRIMARY KEY,
    ente_id     INTEGER NOT NULL REFERENCES ente (id) ON DELETE CASCADE,
    office_id   INTEGER NOT NULL,
    operator_id INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    channel     TEXT NOT NULL CHECK (channel IN ('desk', 'phone', 'home')),
    minutes     INTEGER NOT NULL CHECK (minutes BETWEEN 1 AND 480),
    outcome     TEXT NOT NULL,
    citizen_id  INTEGER,
    pratica_id  INTEGER,
    at          TIMESTAMP NOT NULL,
    UNIQUE (ente_id, id),
    FOREIGN KEY (ente_id, office_id) REFERENCES office (ente_id, id) ON DELETE CASCADE,
    FOREIGN KEY (ente_id, operator_id) REFERENCES operator (ente_id, id),
    FOREIGN KEY (ente_id, citizen_id) REFERENCES citizen (ente_id, id),
    FOREIGN KEY (ente_id, pratica_id) REFERENCES pratica (ente_id, id)
);
CREATE INDEX desk_interaction_at ON desk_interaction (ente_id, at);
CREATE INDEX desk_interaction_citizen ON desk_interaction (ente_id, citizen_id, at);

-- A service an operator started for a citizen: at the desk, with the
-- identity document seen (its type and number recorded, no copy kept), or
-- by phone (the draft waits for the citizen to check and send it after
-- logging in), and the citizen's consent.
CREATE TABLE desk_filing (
    id          INTEGER PRIMARY KEY,
    ente_id     INTEGER NOT NULL REFERENCES ente (id) ON DELETE CASCADE,
    pratica_id  INTEGER NOT NULL,
    citizen_id  INTEGER NOT NULL,
    operator_id INTEGER NOT NULL,
    mode        TEXT NOT NULL CHECK (mode IN ('desk', 'phone', 'home')),
    doc_type    TEXT NOT NULL DEFAULT '',
    doc_number  TEXT NOT NULL DEFAULT '',
    consent     BOOLEAN NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    UNIQUE (ente_id, id),
    UNIQUE (ente_id, pratica_id),
    FOREIGN KEY (ente_id, pratica_id) REFERENCES pratica (ente_id, id) ON DELETE CASCADE,
    FOREIGN KEY (ente_id, citizen_id) REFERENCES citizen (ente_id, id),
    FOREIGN KEY (ente_id, operator_id) REFERENCES operator (ente_id, id)
);

-- pagoPA payments. payment_settings holds what pagoPA assigned to the ente
-- (segregation code, the IBAN fees are credited to) and the counter its
-- IUVs are numbered from. payment_item is the ente's small catalogue of
-- spontaneous payments. A payment row is one payable notice (an option of a
-- debt position: in full, or one installment) with the local mirror of the
-- platform's state; a pratica may have several. payment_receipt keeps each
-- receipt as received, once per (ente fiscal code, IUV, receiptId), however
-- many times it is delivered. payment_event is the history of every row.
CREATE TABLE payment_settings (
    ente_id          INTEGER PRIMARY KEY REFERENCES ente (id) ON DELETE CASCADE,
    segregation_code INTEGER NOT NULL CHECK (segregation_code BETWEEN 0 AND 49),
    iban             TEXT NOT NULL,
    postal_iban      TEXT NOT NULL DEFAULT '',
    next_sequence    INTEGER NOT NULL CHECK (next_sequence > 0),
    updated_at       TIMESTAMP NOT NULL
);

CREATE TABLE payment_item (
    ente_id      INTEGER NOT NULL REFERENCES ente (id) ON DELETE CASCADE,
    slug         TEXT NOT NULL,
    title        TEXT NOT NULL,
    -- amount 0: the citizen states it (a fine's amount is on the notice).
    amount       INTEGER NOT NULL CHECK (amount >= 0),
    taxonomy     TEXT NOT NULL,
    installments INTEGER NOT NULL DEFAULT 1 CHECK (installments BETWEEN 1 AND 12),
    active       BOOLEAN NOT NULL DEFAULT TRUE,
    position     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (ente_id, slug)
);

CREATE TABLE payment (
    id                 INTEGER PRIMARY KEY,
    ente_id            INTEGER NOT NULL REFERENCES ente (id) ON DELETE CASCADE,
    iupd               TEXT NOT NULL,
    -- option_no 0 pays in full; 1..n are the installments of the same IUPD.
    option_no          INTEGER NOT NULL CHECK (option_no >= 0),
    pratica_id         INTEGER,
    citizen_id         INTEGER,
    item               TEXT NOT NULL DEFAULT '',
    debtor_fiscal_code TEXT NOT NULL,
    debtor_name        TEXT NOT NULL,
    iuv                TEXT NOT NULL,
    nav                TEXT NOT NULL,
    amount             INTEGER NOT NULL CHECK (amount > 0),
    description        TEXT NOT NULL,
    taxonomy           TEXT NOT NULL,
    due_at             TIMESTAMP NOT NULL,
    state              TEXT NOT NULL CHECK (state IN ('pending', 'open', 'paid', 'settled', 'cancelled', 'expired', 'failed')),
    platform_status    TEXT NOT NULL DEFAULT '',
    checkout           TEXT NOT NULL DEFAULT '' CHECK (checkout IN ('', 'started', 'returned', 'cancelled', 'error')),
    checkout_at        TIMESTAMP,
    last_error         TEXT NOT NULL DEFAULT '',
    paid_at            TIMESTAMP,
    polled_at          TIMESTAMP,
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL,
    UNIQUE (ente_id, id),
    UNIQUE (ente_id, iuv),
    UNIQUE (ente_id, iupd, option_no),
    FOREIGN KEY (ente_id, pratica_id) REFERENCES pratica (ente_id, id),
    FOREIGN KEY (ente_id, citizen_id) REFERENCES citizen (ente_id, id)
);
CREATE INDEX payment_citizen ON payment (ente_id, citizen_id, id);
CREATE INDEX payment_pratica ON payment (ente_id, pratica_id);
-- The receipt poller reads the open notices least recently polled first.
CREATE INDEX payment_open ON payment (state, polled_at, id);

CREATE TABLE payment_receipt (
    id            INTEGER PRIMARY KEY,
    ente_id       INTEGER NOT NULL REFERENCES ente (id) ON DELETE CASCADE,
    payment_id    INTEGER,
    fiscal_code   TEXT NOT NULL,
    iuv           TEXT NOT NULL,
    receipt_id    TEXT NOT NULL,
    notice_number TEXT NOT NULL,
    amount        INTEGER NOT NULL,
    psp           TEXT NOT NULL,
    paid_at       TIMESTAMP NOT NULL,
    source        TEXT NOT NULL CHECK (source IN ('gpd', 'station')),
    document      TEXT NOT NULL,
    received_at   TIMESTAMP NOT NULL,
    UNIQUE (ente_id, id),
    UNIQUE (ente_id, fiscal_code, iuv, receipt_id),
    FOREIGN KEY (ente_id, payment_id) REFERENCES payment (ente_id, id)
);
CREATE INDEX payment_receipt_payment ON payment_receipt (ente_id, payment_id);

CREATE TABLE payment_event (
    id         INTEGER PRIMARY KEY,
    ente_id    INTEGER NOT NULL,
    payment_id INTEGER NOT NULL,
    at         TIMESTAMP NOT NULL,
    actor      TEXT NOT NULL,
    kind       TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state   TEXT NOT NULL,
    note       TEXT NOT NULL DEFAULT '',
    FOREIGN KEY (ente_id, payment_id) REFERENCES payment (ente_id, id) ON DELETE CASCADE
);
CREATE INDEX payment_event_payment ON payment_event (ente_id, payment_id, id);

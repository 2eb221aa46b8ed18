-- Registry certificates (internal/certificate). cert_key holds each ente's
-- sealing key: an ECDSA P-256 key whose self-issued X.509 certificate signs
-- the PDFs (PAdES) and the QR contrassegno; the private key is sealed with
-- AES-256-GCM under the configured master key (as sp_key). certificate is
-- one issued (or awaiting-stamp) certificate; its verification code is what
-- the QR carries and /verifica looks up. Nothing here is deleted: a wrong
-- certificate is revoked.
CREATE TABLE cert_key (
    id          INTEGER PRIMARY KEY,
    ente_id     INTEGER NOT NULL REFERENCES ente (id) ON DELETE CASCADE,
    created_at  TIMESTAMP NOT NULL,
    retired_at  TIMESTAMP,
    certificate BLOB NOT NULL,
    sealed_key  BLOB NOT NULL,
    UNIQUE (ente_id, id)
);
CREATE UNIQUE INDEX cert_key_active ON cert_key (ente_id) WHERE retired_at IS NULL;

CREATE TABLE certificate (
    id               INTEGER PRIMARY KEY,
    ente_id          INTEGER NOT NULL REFERENCES ente (id) ON DELETE CASCADE,
    code             TEXT NOT NULL,
    person_id        INTEGER NOT NULL,
    types            TEXT NOT NULL,
    channel          TEXT NOT NULL CHECK (channel IN ('online', 'desk')),
    state            TEXT NOT NULL CHECK (state IN ('awaiting_stamp', 'issued', 'revoked')),
    citizen_id       INTEGER,
    operator_id      INTEGER,
    requester        TEXT NOT NULL DEFAULT '',
    reason           TEXT NOT NULL DEFAULT '',
    stamp_cents      INTEGER NOT NULL CHECK (stamp_cents >= 0),
    exemption        INTEGER NOT NULL DEFAULT 0,
    exemption_text   TEXT NOT NULL DEFAULT '',
    stamp_id         TEXT NOT NULL DEFAULT '',
    fee_cents        INTEGER NOT NULL CHECK (fee_cents >= 0),
    created_at       TIMESTAMP NOT NULL,
    issued_at        TIMESTAMP,
    valid_until      TEXT NOT NULL DEFAULT '',
    key_id           INTEGER,
    protocol_year    INTEGER,
    protocol_number  INTEGER,
    document_sha256  TEXT NOT NULL DEFAULT '',
    revoked_at       TIMESTAMP,
    revoke_reason    TEXT NOT NULL DEFAULT '',
    UNIQUE (ente_id, id),
    UNIQUE (ente_id, code),
    CHECK ((citizen_id IS NULL) <> (operator_id IS NULL)),
    CHECK (exemption <> 99 OR exemption_text <> ''),
    CHECK ((state = 'awaiting_stamp') = (issued_at IS NULL)),
    CHECK ((state = 'awaiting_stamp') = (protocol_number IS NULL)),
    FOREIGN KEY (ente_id, person_id) REFERENCES registry_person (ente_id, id),
    FOREIGN KEY (ente_id, citizen_id) REFERENCES citizen (ente_id, id),
    FOREIGN KEY (ente_id, operator_id) REFERENCES operator (ente_id, id),
    FOREIGN KEY (ente_id, key_id) REFERENCES cert_key (ente_id, id),
    FOREIGN KEY (ente_id, protocol_year, protocol_number) REFERENCES protocol_entry (ente_id, year, number)
);
CREATE INDEX certificate_person ON certificate (ente_id, person_id, id);
CREATE INDEX certificate_citizen ON certificate (ente_id, citizen_id, id);

-- Each ente's stamp-duty and fee settings; an ente without a row uses the
-- defaults of certificate.DefaultSettings.
CREATE TABLE certificate_settings (
    ente_id          INTEGER PRIMARY KEY REFERENCES ente (id) ON DELETE CASCADE,
    stamp_cents      INTEGER NOT NULL CHECK (stamp_cents >= 0),
    stamp_online     BOOLEAN NOT NULL,
    stamp_desk       BOOLEAN NOT NULL,
    fee_online_cents INTEGER NOT NULL CHECK (fee_online_cents >= 0),
    fee_desk_cents   INTEGER NOT NULL CHECK (fee_desk_cents >= 0),
    fee_exempt_cents INTEGER NOT NULL CHECK (fee_exempt_cents >= 0)
);

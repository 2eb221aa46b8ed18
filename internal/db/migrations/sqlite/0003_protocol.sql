-- The protocol register (DPR 445/2000 arts. 53-57): one gapless counter per
-- ente and year, and entries that are never changed or removed. An entry is
-- annulled by a later entry that references it; the triggers below make the
-- database itself refuse UPDATE and DELETE, whatever the application does.
CREATE TABLE protocol_counter (
    ente_id INTEGER NOT NULL REFERENCES ente (id),
    year    INTEGER NOT NULL,
    last    INTEGER NOT NULL CHECK (last >= 0),
    PRIMARY KEY (ente_id, year)
);

CREATE TABLE protocol_entry (
    ente_id         INTEGER NOT NULL REFERENCES ente (id),
    year            INTEGER NOT NULL,
    number          INTEGER NOT NULL CHECK (number > 0),
    direction       TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    registered_at   TIMESTAMP NOT NULL,
    subject         TEXT NOT NULL,
    correspondent   TEXT NOT NULL,
    document_sha256 TEXT NOT NULL DEFAULT '',
    previous_hash   TEXT NOT NULL,
    hash            TEXT NOT NULL,
    annuls_year     INTEGER,
    annuls_number   INTEGER,
    annul_reason    TEXT NOT NULL DEFAULT '',
    annul_act       TEXT NOT NULL DEFAULT '',
    created_by      TEXT NOT NULL,
    PRIMARY KEY (ente_id, year, number),
    CHECK ((annuls_year IS NULL) = (annuls_number IS NULL)),
    CHECK (annuls_number IS NULL OR (annul_reason <> '' AND annul_act <> '')),
    -- An entry is annulled at most once, and only an entry of the same ente.
    UNIQUE (ente_id, annuls_year, annuls_number),
    FOREIGN KEY (ente_id, annuls_year, annuls_number) REFERENCES protocol_entry (ente_id, year, number)
);

CREATE TRIGGER protocol_entry_no_update BEFORE UPDATE ON protocol_entry
BEGIN
    SELECT RAISE(ABORT, 'protocol_entry is immutable: annul the entry with a new one');
END;

CREATE TRIGGER protocol_entry_no_delete BEFORE DELETE ON protocol_entry
BEGIN
    SELECT RAISE(ABORT, 'protocol_entry is immutable: annul the entry with a new one');
END;

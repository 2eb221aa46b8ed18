-- The protocol register (DPR 445/2000 arts. 53-57): one gapless counter per
-- ente and year, and entries that are never changed or removed. An entry is
-- annulled by a later entry that references it; the triggers below make the
-- database itself refuse UPDATE, DELETE and TRUNCATE, whatever the
-- application does.
CREATE TABLE protocol_counter (
    ente_id BIGINT NOT NULL REFERENCES ente (id),
    year    INTEGER NOT NULL,
    last    BIGINT NOT NULL CHECK (last >= 0),
    PRIMARY KEY (ente_id, year)
);

CREATE TABLE protocol_entry (
    ente_id         BIGINT NOT NULL REFERENCES ente (id),
    year            INTEGER NOT NULL,
    number          BIGINT NOT NULL CHECK (number > 0),
    direction       TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    registered_at   TIMESTAMPTZ NOT NULL,
    subject         TEXT NOT NULL,
    correspondent   TEXT NOT NULL,
    document_sha256 TEXT NOT NULL DEFAULT '',
    previous_hash   TEXT NOT NULL,
    hash            TEXT NOT NULL,
    annuls_year     INTEGER,
    annuls_number   BIGINT,
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

CREATE FUNCTION protocol_entry_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'protocol_entry is immutable: annul the entry with a new one'
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$;

CREATE TRIGGER protocol_entry_no_change BEFORE UPDATE OR DELETE ON protocol_entry
    FOR EACH ROW EXECUTE FUNCTION protocol_entry_immutable();

CREATE TRIGGER protocol_entry_no_truncate BEFORE TRUNCATE ON protocol_entry
    FOR EACH STATEMENT EXECUTE FUNCTION protocol_entry_immutable();

-- The daily protocol register (registro giornaliero di protocollo, AgID 2021
-- guidelines): for each ente and day, the JSON and PDF documents listing
-- that day's entries, kept in the blob store under their SHA-256, with the
-- chain hashes they certify. A day is produced once, after it has ended, and
-- never changed: the triggers below make the database refuse UPDATE, DELETE
-- and TRUNCATE. The documents are sent to preservation from here; the
-- register is not itself protocolled (DPR 445/2000 art. 53 c. 5: documents
-- kept in special registers are not registered).
CREATE TABLE protocol_daily_register (
    ente_id       BIGINT NOT NULL REFERENCES ente (id),
    day           TEXT NOT NULL CHECK (length(day) = 10),
    year          INTEGER NOT NULL,
    entries       BIGINT NOT NULL CHECK (entries >= 0),
    first_number  BIGINT,
    last_number   BIGINT,
    previous_hash TEXT NOT NULL,
    head_hash     TEXT NOT NULL,
    json_sha256   TEXT NOT NULL,
    pdf_sha256    TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (ente_id, day),
    CHECK ((entries = 0) = (first_number IS NULL) AND (first_number IS NULL) = (last_number IS NULL))
);

CREATE FUNCTION protocol_daily_register_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'protocol_daily_register is immutable: a day is produced once'
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$;

CREATE TRIGGER protocol_daily_register_no_change BEFORE UPDATE OR DELETE ON protocol_daily_register
    FOR EACH ROW EXECUTE FUNCTION protocol_daily_register_immutable();

CREATE TRIGGER protocol_daily_register_no_truncate BEFORE TRUNCATE ON protocol_daily_register
    FOR EACH STATEMENT EXECUTE FUNCTION protocol_daily_register_immutable();

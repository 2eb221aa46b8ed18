-- The daily protocol register (registro giornaliero di protocollo, AgID 2021
-- guidelines): for each ente and day, the JSON and PDF documents listing
-- that day's entries, kept in the blob store under their SHA-256, with the
-- chain hashes they certify. A day is produced once, after it has ended, and
-- never changed: the triggers below make the database refuse UPDATE and
-- DELETE. The documents are sent to preservation from here; the register is
-- not itself protocolled (DPR 445/2000 art. 53 c. 5: documents kept in
-- special registers are not registered).
CREATE TABLE protocol_daily_register (
    ente_id       INTEGER NOT NULL REFERENCES ente (id),
    day           TEXT NOT NULL CHECK (length(day) = 10),
    year          INTEGER NOT NULL,
    entries       INTEGER NOT NULL CHECK (entries >= 0),
    first_number  INTEGER,
    last_number   INTEGER,
    previous_hash TEXT NOT NULL,
    head_hash     TEXT NOT NULL,
    json_sha256   TEXT NOT NULL,
    pdf_sha256    TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (ente_id, day),
    CHECK ((entries = 0) = (first_number IS NULL) AND (first_number IS NULL) = (last_number IS NULL))
);

CREATE TRIGGER protocol_daily_register_no_update BEFORE UPDATE ON protocol_daily_register
BEGIN
    SELECT RAISE(ABORT, 'protocol_daily_register is immutable: a day is produced once');
END;

CREATE TRIGGER protocol_daily_register_no_delete BEFORE DELETE ON protocol_daily_register
BEGIN
    SELECT RAISE(ABORT, 'protocol_daily_register is immutable: a day is produced once');
END;

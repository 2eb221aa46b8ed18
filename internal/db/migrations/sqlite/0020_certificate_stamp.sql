-- Stamp duty paid online through @e.bollo (internal/payment/stamp.go), and
-- the ente's stamp settings per type and for exemptions online.
--
-- payment_stamp binds a notice (payment) whose only transfer is a stamp to
-- the certificate it pays for: the document hash the stamp is bound to, the
-- payer's province, and what came of it. When the receipt arrives, its
-- MarcaDaBollo XML is verified against the hash and kept here with its
-- IUBD, which the certificate records (certificate.stamp_id). An IUBD pays
-- one document only.
CREATE TABLE payment_stamp (
    id             INTEGER PRIMARY KEY,
    ente_id        INTEGER NOT NULL REFERENCES ente (id) ON DELETE CASCADE,
    payment_id     INTEGER NOT NULL,
    certificate_id INTEGER NOT NULL,
    document_hash  TEXT NOT NULL,
    province       TEXT NOT NULL,
    verify_url     TEXT NOT NULL,
    state          TEXT NOT NULL CHECK (state IN ('awaiting', 'issued', 'rejected', 'refused')),
    iubd           TEXT NOT NULL DEFAULT '',
    marca          TEXT NOT NULL DEFAULT '',
    problem        TEXT NOT NULL DEFAULT '',
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL,
    UNIQUE (ente_id, payment_id),
    UNIQUE (ente_id, certificate_id),
    FOREIGN KEY (ente_id, payment_id) REFERENCES payment (ente_id, id),
    FOREIGN KEY (ente_id, certificate_id) REFERENCES certificate (ente_id, id)
);
CREATE UNIQUE INDEX payment_stamp_iubd ON payment_stamp (ente_id, iubd) WHERE iubd <> '';
CREATE INDEX payment_stamp_awaiting ON payment_stamp (state, id) WHERE state = 'awaiting';

-- The types whose certificates owe no stamp ("1+3+11": stato civile, L.
-- 405/1990 art. 7), and whether a citizen may claim an exemption online.
ALTER TABLE certificate_settings ADD COLUMN stamp_exempt_types TEXT NOT NULL DEFAULT '1+3+11';
ALTER TABLE certificate_settings ADD COLUMN exemptions_online BOOLEAN NOT NULL DEFAULT TRUE;

-- A revocation is an act of the registrar: who revoked, and its outgoing
-- protocol entry (the revocation is registered like the certificate was).
ALTER TABLE certificate ADD COLUMN revoked_by INTEGER;
ALTER TABLE certificate ADD COLUMN revoke_protocol_year INTEGER;
ALTER TABLE certificate ADD COLUMN revoke_protocol_number INTEGER;

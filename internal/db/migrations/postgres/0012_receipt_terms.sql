-- The receipt of a submission, as data: everything the ricevuta prints,
-- written in the submission's transaction, so that the PDF can be rendered
-- after the commit, outside the database's write lock, by the request that
-- submitted or, if that request died, by a periodic sweep of the receipts
-- not yet issued. Rendering is deterministic: whoever renders it first, the
-- bytes are the same.
CREATE TABLE pratica_receipt (
    ente_id    BIGINT NOT NULL REFERENCES ente (id) ON DELETE CASCADE,
    pratica_id BIGINT NOT NULL,
    data       TEXT NOT NULL,
    issued     BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (ente_id, pratica_id),
    FOREIGN KEY (ente_id, pratica_id) REFERENCES pratica (ente_id, id) ON DELETE CASCADE
);
CREATE INDEX pratica_receipt_pending ON pratica_receipt (created_at) WHERE NOT issued;
-- One receipt document per pratica, however many renderers race.
CREATE UNIQUE INDEX pratica_attachment_one_receipt ON pratica_attachment (ente_id, pratica_id) WHERE kind = 'receipt';

-- The last warning sent about a pratica's legal term (0: none; then the
-- level of calendar.Warn), so that the daily job warns once per level.
ALTER TABLE pratica ADD COLUMN term_warned INTEGER NOT NULL DEFAULT 0;

-- The ente's patron days ("02-14,08-15"), local holidays for legal terms.
ALTER TABLE ente ADD COLUMN patron_days TEXT NOT NULL DEFAULT '';

-- The version of the service's form the pratica was filed with, so that its
-- answers are always shown with the labels and sections they were given
-- under, whatever later versions of the form say.
ALTER TABLE pratica ADD COLUMN form_version INTEGER NOT NULL DEFAULT 1 CHECK (form_version >= 1);

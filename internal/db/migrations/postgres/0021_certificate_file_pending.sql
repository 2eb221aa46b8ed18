-- A certificate's file whose flush to the blob store had not finished when
-- the certificate was registered. The file is written to the store before
-- the registration commits; if its flush is still under way, the
-- registration keeps a copy of the bytes here, made durable by the same
-- commit, so that a crash cannot lose a file the citizen was given. The job
-- certificate_settle_files puts each copy back to the store (a no-op when the
-- file arrived) and removes the row.
CREATE TABLE certificate_file_pending (
    ente_id        BIGINT NOT NULL,
    certificate_id BIGINT NOT NULL,
    sha256         TEXT NOT NULL,
    content        BYTEA NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (ente_id, certificate_id),
    FOREIGN KEY (ente_id, certificate_id) REFERENCES certificate (ente_id, id) ON DELETE CASCADE
);

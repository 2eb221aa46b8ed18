-- The service catalogue as each ente's administrator edits it: every
-- published version of a service definition (the whole JSON of a scheda,
-- as internal/catalog reads it), numbered after the version shipped with
-- Sportello. Rows are only ever added, so that a pratica can show the
-- definition it was filed under; the latest published version of a slug is
-- what the ente's site shows. published is false for a saved draft.
CREATE TABLE service_definition (
    ente_id      BIGINT NOT NULL REFERENCES ente (id) ON DELETE CASCADE,
    slug         TEXT NOT NULL,
    version      INTEGER NOT NULL CHECK (version >= 1),
    definition   TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    created_by   BIGINT NOT NULL,
    published    BOOLEAN NOT NULL DEFAULT FALSE,
    published_at TIMESTAMPTZ,
    PRIMARY KEY (ente_id, slug, version),
    FOREIGN KEY (ente_id, created_by) REFERENCES operator (ente_id, id),
    CHECK (published = (published_at IS NOT NULL))
);

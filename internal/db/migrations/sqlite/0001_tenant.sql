-- Enti (comuni), the host names they answer on, their offices and opening hours.
-- Every table below ente carries ente_id; composite keys stop a row from
-- pointing at another ente's rows.
CREATE TABLE ente (
    id          INTEGER PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    istat_code  TEXT NOT NULL UNIQUE,
    belfiore    TEXT NOT NULL,
    ipa_code    TEXT NOT NULL,
    fiscal_code TEXT NOT NULL,
    province    TEXT NOT NULL DEFAULT '',
    email       TEXT NOT NULL DEFAULT '',
    pec         TEXT NOT NULL DEFAULT '',
    phone       TEXT NOT NULL DEFAULT '',
    logo_svg    TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL
);

CREATE TABLE ente_host (
    ente_id INTEGER NOT NULL REFERENCES ente (id) ON DELETE CASCADE,
    host    TEXT NOT NULL PRIMARY KEY
);
CREATE INDEX ente_host_ente ON ente_host (ente_id);

CREATE TABLE office (
    id          INTEGER PRIMARY KEY,
    ente_id     INTEGER NOT NULL REFERENCES ente (id) ON DELETE CASCADE,
    slug        TEXT NOT NULL,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    is_desk     BOOLEAN NOT NULL DEFAULT FALSE,
    street      TEXT NOT NULL DEFAULT '',
    postal_code TEXT NOT NULL DEFAULT '',
    city        TEXT NOT NULL DEFAULT '',
    phone       TEXT NOT NULL DEFAULT '',
    email       TEXT NOT NULL DEFAULT '',
    UNIQUE (ente_id, id),
    UNIQUE (ente_id, slug)
);

CREATE TABLE office_hours (
    ente_id   INTEGER NOT NULL,
    office_id INTEGER NOT NULL,
    weekday   INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),
    opens     TEXT NOT NULL,
    closes    TEXT NOT NULL,
    FOREIGN KEY (ente_id, office_id) REFERENCES office (ente_id, id) ON DELETE CASCADE
);
CREATE INDEX office_hours_office ON office_hours (ente_id, office_id);

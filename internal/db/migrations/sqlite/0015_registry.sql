-- The anagrafe (internal/registry): households (famiglia anagrafica or
-- convivenza) with their address, and the persons registered in them, with
-- what certificates print: birth, civil status, marriage, citizenship. Codes
-- are ANPR's: relationship (table 05), civil status (table 07 values 1-9),
-- certifiability (table 28). Every row carries its ente; a person's
-- household is referenced within the same ente.
CREATE TABLE registry_household (
    id             INTEGER PRIMARY KEY,
    ente_id        INTEGER NOT NULL REFERENCES ente (id) ON DELETE CASCADE,
    code           TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('famiglia', 'convivenza')),
    street         TEXT NOT NULL,
    house_number   TEXT NOT NULL,
    internal       TEXT NOT NULL DEFAULT '',
    postcode       TEXT NOT NULL,
    locality       TEXT NOT NULL DEFAULT '',
    no_fixed_abode BOOLEAN NOT NULL DEFAULT FALSE,
    UNIQUE (ente_id, id),
    UNIQUE (ente_id, code)
);

CREATE TABLE registry_person (
    id              INTEGER PRIMARY KEY,
    ente_id         INTEGER NOT NULL REFERENCES ente (id) ON DELETE CASCADE,
    fiscal_code     TEXT NOT NULL,
    surname         TEXT NOT NULL,
    name            TEXT NOT NULL,
    sex             TEXT NOT NULL CHECK (sex IN ('M', 'F')),
    birth_date      TEXT NOT NULL,
    birth_place     TEXT NOT NULL,
    birth_act       TEXT NOT NULL DEFAULT '',
    citizenship     TEXT NOT NULL,
    civil_status    INTEGER NOT NULL,
    marriage_date   TEXT NOT NULL DEFAULT '',
    marriage_place  TEXT NOT NULL DEFAULT '',
    spouse          TEXT NOT NULL DEFAULT '',
    household_id    INTEGER,
    relationship    INTEGER NOT NULL DEFAULT 99,
    status          TEXT NOT NULL CHECK (status IN ('resident', 'aire', 'cancelled', 'deceased')),
    certifiability  INTEGER NOT NULL DEFAULT 2 CHECK (certifiability BETWEEN 0 AND 4),
    pending_change  BOOLEAN NOT NULL DEFAULT FALSE,
    registered_on   TEXT NOT NULL,
    death_date      TEXT NOT NULL DEFAULT '',
    UNIQUE (ente_id, id),
    UNIQUE (ente_id, fiscal_code),
    FOREIGN KEY (ente_id, household_id) REFERENCES registry_household (ente_id, id)
);
CREATE INDEX registry_person_household ON registry_person (ente_id, household_id, relationship, id);
CREATE INDEX registry_person_surname ON registry_person (ente_id, surname, name);

-- Identity: citizens (found by codice fiscale, never by a SAML NameID), the
-- identity providers they used, pending contact checks; operators with their
-- grants, sealed TOTP secrets and hashed recovery codes; login lockouts;
-- sessions; delegations; throttle windows. Credentials are stored only as
-- hashes or sealed, so that a copy of the database does not open accounts.
CREATE TABLE citizen (
    id             INTEGER PRIMARY KEY,
    ente_id        INTEGER NOT NULL REFERENCES ente (id) ON DELETE CASCADE,
    fiscal_code    TEXT NOT NULL,
    given_name     TEXT NOT NULL DEFAULT '',
    family_name    TEXT NOT NULL DEFAULT '',
    email          TEXT NOT NULL DEFAULT '',
    email_verified BOOLEAN NOT NULL DEFAULT FALSE,
    phone          TEXT NOT NULL DEFAULT '',
    phone_verified BOOLEAN NOT NULL DEFAULT FALSE,
    -- channels is a comma-separated list of email, sms, appio.
    channels       TEXT NOT NULL DEFAULT '',
    created_at     TIMESTAMP NOT NULL,
    last_login_at  TIMESTAMP,
    UNIQUE (ente_id, id),
    UNIQUE (ente_id, fiscal_code)
);

CREATE TABLE citizen_idp (
    ente_id       INTEGER NOT NULL,
    citizen_id    INTEGER NOT NULL,
    idp           TEXT NOT NULL,
    last_level    INTEGER NOT NULL,
    first_used_at TIMESTAMP NOT NULL,
    last_used_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (ente_id, citizen_id, idp),
    FOREIGN KEY (ente_id, citizen_id) REFERENCES citizen (ente_id, id) ON DELETE CASCADE
);

-- One pending check per citizen and kind: starting again replaces it.
CREATE TABLE contact_check (
    ente_id    INTEGER NOT NULL,
    citizen_id INTEGER NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('email', 'phone')),
    value      TEXT NOT NULL,
    code_hash  TEXT NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    PRIMARY KEY (ente_id, citizen_id, kind),
    FOREIGN KEY (ente_id, citizen_id) REFERENCES citizen (ente_id, id) ON DELETE CASCADE
);

CREATE TABLE operator (
    id             INTEGER PRIMARY KEY,
    ente_id        INTEGER NOT NULL REFERENCES ente (id) ON DELETE CASCADE,
    username       TEXT NOT NULL,
    name           TEXT NOT NULL,
    email          TEXT NOT NULL DEFAULT '',
    password_hash  TEXT NOT NULL,
    -- TOTP secrets are sealed with the deployment's master key.
    totp_secret    TEXT NOT NULL DEFAULT '',
    totp_pending   TEXT NOT NULL DEFAULT '',
    totp_enabled   BOOLEAN NOT NULL DEFAULT FALSE,
    totp_last_step INTEGER NOT NULL DEFAULT 0,
    disabled       BOOLEAN NOT NULL DEFAULT FALSE,
    created_at     TIMESTAMP NOT NULL,
    CHECK (NOT totp_enabled OR totp_secret <> ''),
    UNIQUE (ente_id, id),
    UNIQUE (ente_id, username)
);

-- A grant gives a role; clerks and heads hold it for one office. The
-- consortium role lives in the operator's home ente and covers every ente.
CREATE TABLE operator_grant (
    ente_id     INTEGER NOT NULL,
    operator_id INTEGER NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('desk', 'clerk', 'head', 'admin', 'consortium')),
    office_id   INTEGER,
    CHECK ((role IN ('clerk', 'head')) = (office_id IS NOT NULL)),
    FOREIGN KEY (ente_id, operator_id) REFERENCES operator (ente_id, id) ON DELETE CASCADE,
    FOREIGN KEY (ente_id, office_id) REFERENCES office (ente_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX operator_grant_unique ON operator_grant (ente_id, operator_id, role, COALESCE(office_id, 0));

CREATE TABLE operator_recovery_code (
    ente_id     INTEGER NOT NULL,
    operator_id INTEGER NOT NULL,
    code_hash   TEXT NOT NULL,
    used_at     TIMESTAMP,
    PRIMARY KEY (ente_id, operator_id, code_hash),
    FOREIGN KEY (ente_id, operator_id) REFERENCES operator (ente_id, id) ON DELETE CASCADE
);

-- Lockouts are keyed by the username typed, not by an operator row, so that
-- an unknown username locks exactly like a known one.
CREATE TABLE login_lockout (
    ente_id         INTEGER NOT NULL REFERENCES ente (id) ON DELETE CASCADE,
    username        TEXT NOT NULL,
    failures        INTEGER NOT NULL,
    last_failure_at TIMESTAMP NOT NULL,
    locked_until    TIMESTAMP,
    PRIMARY KEY (ente_id, username)
);

CREATE TABLE session (
    id             INTEGER PRIMARY KEY,
    ente_id        INTEGER NOT NULL REFERENCES ente (id) ON DELETE CASCADE,
    token_hash     TEXT NOT NULL UNIQUE,
    citizen_id     INTEGER,
    operator_id    INTEGER,
    idp            TEXT NOT NULL DEFAULT '',
    name_id        TEXT NOT NULL DEFAULT '',
    name_qualifier TEXT NOT NULL DEFAULT '',
    session_index  TEXT NOT NULL DEFAULT '',
    level          INTEGER NOT NULL,
    user_agent     TEXT NOT NULL DEFAULT '',
    ip             TEXT NOT NULL DEFAULT '',
    created_at     TIMESTAMP NOT NULL,
    last_seen_at   TIMESTAMP NOT NULL,
    expires_at     TIMESTAMP NOT NULL,
    ended_at       TIMESTAMP,
    CHECK ((citizen_id IS NULL) <> (operator_id IS NULL)),
    FOREIGN KEY (ente_id, citizen_id) REFERENCES citizen (ente_id, id) ON DELETE CASCADE,
    FOREIGN KEY (ente_id, operator_id) REFERENCES operator (ente_id, id) ON DELETE CASCADE
);
CREATE INDEX session_citizen ON session (ente_id, citizen_id);
CREATE INDEX session_operator ON session (ente_id, operator_id);
CREATE INDEX session_name_id ON session (ente_id, idp, name_id);
CREATE INDEX session_expires ON session (expires_at);

-- A delegation (delega): the delegator is a citizen; the delegate is named
-- by codice fiscale and may not have logged in yet. The document shown at
-- the desk is recorded by type only, never by number.
CREATE TABLE delegation (
    id                   INTEGER PRIMARY KEY,
    ente_id              INTEGER NOT NULL REFERENCES ente (id) ON DELETE CASCADE,
    delegator_id         INTEGER NOT NULL,
    delegate_fiscal_code TEXT NOT NULL,
    delegate_name        TEXT NOT NULL,
    all_services         BOOLEAN NOT NULL,
    -- valid_until is an ISO date (YYYY-MM-DD), the last day included.
    valid_until          TEXT NOT NULL,
    created_by_citizen   INTEGER,
    created_by_operator  INTEGER,
    document_type        TEXT NOT NULL DEFAULT '',
    document_checked     BOOLEAN NOT NULL DEFAULT FALSE,
    created_at           TIMESTAMP NOT NULL,
    revoked_at           TIMESTAMP,
    UNIQUE (ente_id, id),
    CHECK ((created_by_citizen IS NULL) <> (created_by_operator IS NULL)),
    FOREIGN KEY (ente_id, delegator_id) REFERENCES citizen (ente_id, id) ON DELETE CASCADE,
    FOREIGN KEY (ente_id, created_by_citizen) REFERENCES citizen (ente_id, id) ON DELETE CASCADE,
    FOREIGN KEY (ente_id, created_by_operator) REFERENCES operator (ente_id, id) ON DELETE CASCADE
);
CREATE INDEX delegation_delegator ON delegation (ente_id, delegator_id);
CREATE INDEX delegation_delegate ON delegation (ente_id, delegate_fiscal_code);

CREATE TABLE delegation_service (
    ente_id       INTEGER NOT NULL,
    delegation_id INTEGER NOT NULL,
    service       TEXT NOT NULL,
    PRIMARY KEY (ente_id, delegation_id, service),
    FOREIGN KEY (ente_id, delegation_id) REFERENCES delegation (ente_id, id) ON DELETE CASCADE
);

-- Sliding-window counters shared by every instance: the current window's
-- hits and the previous window's, weighted by how much of it still overlaps.
CREATE TABLE throttle (
    ente_id      INTEGER NOT NULL REFERENCES ente (id) ON DELETE CASCADE,
    bucket       TEXT NOT NULL,
    window_start TIMESTAMP NOT NULL,
    hits         INTEGER NOT NULL,
    prev_hits    INTEGER NOT NULL,
    expires_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (ente_id, bucket)
);
CREATE INDEX throttle_expires ON throttle (expires_at);

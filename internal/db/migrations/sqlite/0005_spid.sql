-- The SAML service provider's state (internal/identity/spid): its signing
-- keys, the requests it is waiting answers to, the assertion ids it has
-- already accepted, and the log of every message it exchanged.

-- One row per SP key. The private key is sealed with AES-256-GCM under a
-- master key from the configuration, so a copy of the database alone does
-- not let anyone sign as the ente. At most one key per ente is active.
CREATE TABLE sp_key (
    id          INTEGER PRIMARY KEY,
    ente_id     INTEGER NOT NULL REFERENCES ente (id) ON DELETE CASCADE,
    created_at  TIMESTAMP NOT NULL,
    retired_at  TIMESTAMP,
    certificate BLOB NOT NULL,
    sealed_key  BLOB NOT NULL,
    UNIQUE (ente_id, id)
);
CREATE UNIQUE INDEX sp_key_active ON sp_key (ente_id) WHERE retired_at IS NULL;

-- AuthnRequests and LogoutRequests sent and not yet answered: taken (and
-- deleted) once by the answer, on whichever instance it arrives.
CREATE TABLE saml_request (
    ente_id      INTEGER NOT NULL REFERENCES ente (id) ON DELETE CASCADE,
    id           TEXT NOT NULL,
    browser_hash TEXT NOT NULL,
    logout       BOOLEAN NOT NULL DEFAULT FALSE,
    idp          TEXT NOT NULL,
    level        INTEGER NOT NULL CHECK (level BETWEEN 0 AND 3),
    comparison   TEXT NOT NULL DEFAULT '',
    profile      TEXT NOT NULL DEFAULT '',
    return_to    TEXT NOT NULL DEFAULT '',
    issued_at    TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (ente_id, id)
);
CREATE INDEX saml_request_expires ON saml_request (expires_at);

-- Assertion ids already accepted, kept until the assertion expires: a
-- replayed response finds its id here on every instance.
CREATE TABLE saml_assertion (
    ente_id         INTEGER NOT NULL REFERENCES ente (id) ON DELETE CASCADE,
    idp             TEXT NOT NULL,
    id              TEXT NOT NULL,
    not_on_or_after TIMESTAMP NOT NULL,
    PRIMARY KEY (ente_id, idp, id)
);
CREATE INDEX saml_assertion_expires ON saml_assertion (not_on_or_after);

-- Every SAML message sent or received, kept 24 months (SPID rules on log
-- management, checklist item 28), and not deleted with the ente: only the
-- retention job removes them. Responses hold personal data: only the
-- retention job and audits read this table.
CREATE TABLE saml_message (
    id             INTEGER PRIMARY KEY,
    ente_id        INTEGER NOT NULL REFERENCES ente (id),
    direction      TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    kind           TEXT NOT NULL,
    message_id     TEXT NOT NULL,
    in_response_to TEXT NOT NULL DEFAULT '',
    xml            BLOB NOT NULL,
    logged_at      TIMESTAMP NOT NULL
);
CREATE INDEX saml_message_logged ON saml_message (logged_at);
CREATE INDEX saml_message_ref ON saml_message (ente_id, message_id);

-- WebAuthn: security keys and passkeys that operators may add beside their
-- TOTP app, and the state of a ceremony between its two requests. The state
-- lives here, not in memory, so that any instance can finish a ceremony that
-- another began; it is single use and lasts five minutes.
CREATE TABLE webauthn_credential (
    id                 INTEGER PRIMARY KEY,
    ente_id            INTEGER NOT NULL REFERENCES ente (id) ON DELETE CASCADE,
    operator_id        INTEGER NOT NULL,
    -- rp_id is the host the credential was made for: browsers offer it
    -- there and nowhere else.
    rp_id              TEXT NOT NULL,
    credential_id      BLOB NOT NULL,
    -- public_key is the COSE key from the attestation: public, but changing
    -- it would let someone else's key in, so only the ceremony writes it.
    public_key         BLOB NOT NULL,
    sign_count         INTEGER NOT NULL DEFAULT 0 CHECK (sign_count >= 0),
    -- transports is a comma-separated list (usb, nfc, ble, internal, hybrid).
    transports         TEXT NOT NULL DEFAULT '',
    aaguid             TEXT NOT NULL DEFAULT '',
    attestation_format TEXT NOT NULL DEFAULT '',
    -- flags is the authenticator data's flag byte (backup eligibility must
    -- not change between ceremonies).
    flags              INTEGER NOT NULL DEFAULT 0,
    name               TEXT NOT NULL,
    created_at         TIMESTAMP NOT NULL,
    last_used_at       TIMESTAMP,
    -- clone_suspected_at is set when the signature counter went backwards:
    -- the key may have been copied, and it is refused from then on.
    clone_suspected_at TIMESTAMP,
    UNIQUE (ente_id, id),
    UNIQUE (ente_id, rp_id, credential_id),
    FOREIGN KEY (ente_id, operator_id) REFERENCES operator (ente_id, id) ON DELETE CASCADE
);
CREATE INDEX webauthn_credential_operator ON webauthn_credential (ente_id, operator_id);

-- One pending ceremony per operator and kind: beginning again replaces it.
CREATE TABLE webauthn_ceremony (
    ente_id     INTEGER NOT NULL,
    operator_id INTEGER NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('registration', 'login')),
    rp_id       TEXT NOT NULL,
    -- session is the library's SessionData as JSON (challenge, user handle,
    -- allowed credentials).
    session     TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (ente_id, operator_id, kind),
    FOREIGN KEY (ente_id, operator_id) REFERENCES operator (ente_id, id) ON DELETE CASCADE
);
CREATE INDEX webauthn_ceremony_expires ON webauthn_ceremony (expires_at);

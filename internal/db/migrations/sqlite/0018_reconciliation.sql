-- Reconciliation (FdR). payment_flow is a reconciliation flow fetched from
-- the FdR API: what one PSP poured into the ente's account in one SEPA
-- transfer, kept as received (document) with its declared count and total
-- and the problems found in it. payment_flow_line is one line of a flow
-- with what matching it against the receipts gave: reported (the receipt's
-- transfer, same amount), amount (it differs), revoked, or unmatched (no
-- receipt, or one already reported). payment.reported_at marks a notice
-- whose money a flow reported (GPD's REPORTED). The finance office, whose
-- operators see the reconciliation page, is named in payment_settings.
ALTER TABLE payment ADD COLUMN reported_at TIMESTAMP;
-- The own station finds a notice by its number.
CREATE INDEX payment_nav ON payment (ente_id, nav);
ALTER TABLE payment_settings ADD COLUMN finance_office_id INTEGER;

CREATE TABLE payment_flow (
    id              INTEGER PRIMARY KEY,
    ente_id         INTEGER NOT NULL REFERENCES ente (id) ON DELETE CASCADE,
    flow_id         TEXT NOT NULL,
    revision        INTEGER NOT NULL,
    psp_id          TEXT NOT NULL,
    psp_name        TEXT NOT NULL,
    flow_date       TIMESTAMP NOT NULL,
    regulation_id   TEXT NOT NULL,
    regulation_date TIMESTAMP NOT NULL,
    line_count      INTEGER NOT NULL,
    total           INTEGER NOT NULL,
    problems        TEXT NOT NULL DEFAULT '',
    document        TEXT NOT NULL,
    published_at    TIMESTAMP NOT NULL,
    fetched_at      TIMESTAMP NOT NULL,
    UNIQUE (ente_id, id),
    UNIQUE (ente_id, flow_id, psp_id, revision)
);
CREATE INDEX payment_flow_date ON payment_flow (ente_id, flow_date);

CREATE TABLE payment_flow_line (
    ente_id     INTEGER NOT NULL,
    flow_ref    INTEGER NOT NULL,
    line_no     INTEGER NOT NULL,
    iuv         TEXT NOT NULL,
    iur         TEXT NOT NULL,
    transfer_id INTEGER NOT NULL,
    amount      INTEGER NOT NULL,
    outcome     TEXT NOT NULL,
    paid_on     TIMESTAMP NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('reported', 'amount', 'revoked', 'unmatched')),
    receipt_ref INTEGER,
    expected    INTEGER,
    PRIMARY KEY (ente_id, flow_ref, line_no),
    FOREIGN KEY (ente_id, flow_ref) REFERENCES payment_flow (ente_id, id) ON DELETE CASCADE,
    FOREIGN KEY (ente_id, receipt_ref) REFERENCES payment_receipt (ente_id, id)
);
CREATE INDEX payment_flow_line_receipt ON payment_flow_line (ente_id, receipt_ref);
CREATE INDEX payment_flow_line_status ON payment_flow_line (ente_id, status);

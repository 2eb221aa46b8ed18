-- The identity document an operator checks when recording a delegation at
-- the desk: its type was recorded, now its number too, as for a filing on
-- behalf (docs/decisions/0009-identity-document-number.md). No copy of the
-- document is kept. Delegations made online have none ('').
ALTER TABLE delegation ADD COLUMN document_number TEXT NOT NULL DEFAULT '';

-- The desk's view of a citizen lists the documents checked for them.
CREATE INDEX desk_filing_citizen ON desk_filing (ente_id, citizen_id, id);

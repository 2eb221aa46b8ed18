-- The pagoPA station looks up the ente of every request by its fiscal code
-- (idPA), and receipts name their ente the same way: an index instead of a
-- scan of every ente of a consortium.
CREATE INDEX ente_fiscal_code ON ente (fiscal_code);

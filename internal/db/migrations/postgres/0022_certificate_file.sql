-- A certificate's file kept in the database, in the transaction that
-- registers the certificate. On SQLite this is where every certificate's
-- file lives (ADR 0012): a file of some 10 KB costs less as a row than as
-- a file of its own. With a blob store that flushes later, it is a copy
-- until the store's flush is confirmed; the job certificate_settle_files
-- then moves it to the store (ADR 0010). The name said "pending" when only
-- the second use existed.
ALTER TABLE certificate_file_pending RENAME TO certificate_file;

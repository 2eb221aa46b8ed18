-- Page-clarity ratings of the public site (Modello Comuni feedback component).
CREATE TABLE page_rating (
    id         INTEGER PRIMARY KEY,
    ente_id    INTEGER NOT NULL REFERENCES ente (id) ON DELETE CASCADE,
    page       TEXT NOT NULL,
    stars      INTEGER NOT NULL CHECK (stars BETWEEN 1 AND 5),
    answer     INTEGER NOT NULL CHECK (answer BETWEEN 0 AND 5),
    comment    TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX page_rating_page ON page_rating (ente_id, page);

-- Appointments (internal/booking): the calendars of each office (a desk, an
-- operator, a phone line, the mobile operator), the services each takes
-- bookings for, their hours and closures; appointments and the cells they
-- occupy; the waiting list.
--
-- No double booking rests on booking_cell's primary key: an appointment
-- (or a hold) owns one seat of every cell of its calendar it spans, so two
-- appointments cannot both own the last seat of a cell whatever the
-- interleaving of their transactions.
CREATE TABLE booking_calendar (
    id                INTEGER PRIMARY KEY,
    ente_id           INTEGER NOT NULL REFERENCES ente (id) ON DELETE CASCADE,
    office_id         INTEGER NOT NULL,
    name              TEXT NOT NULL,
    channel           TEXT NOT NULL CHECK (channel IN ('desk', 'phone', 'home')),
    seats             INTEGER NOT NULL CHECK (seats BETWEEN 1 AND 50),
    step_minutes      INTEGER NOT NULL CHECK (step_minutes BETWEEN 5 AND 240),
    window_days       INTEGER NOT NULL CHECK (window_days BETWEEN 1 AND 366),
    notice_minutes    INTEGER NOT NULL CHECK (notice_minutes >= 0),
    change_minutes    INTEGER NOT NULL CHECK (change_minutes >= 0),
    travel_minutes    INTEGER NOT NULL DEFAULT 0 CHECK (travel_minutes >= 0),
    active            BOOLEAN NOT NULL DEFAULT TRUE,
    UNIQUE (ente_id, id),
    FOREIGN KEY (ente_id, office_id) REFERENCES office (ente_id, id) ON DELETE CASCADE
);
CREATE INDEX booking_calendar_office ON booking_calendar (ente_id, office_id);

-- The services a calendar takes bookings for, with each one's duration.
CREATE TABLE booking_calendar_service (
    ente_id          INTEGER NOT NULL,
    calendar_id      INTEGER NOT NULL,
    service          TEXT NOT NULL,
    duration_minutes INTEGER NOT NULL CHECK (duration_minutes BETWEEN 5 AND 480),
    PRIMARY KEY (ente_id, calendar_id, service),
    FOREIGN KEY (ente_id, calendar_id) REFERENCES booking_calendar (ente_id, id) ON DELETE CASCADE
);

-- A calendar's own hours; a calendar without any follows its office's.
CREATE TABLE booking_hours (
    ente_id     INTEGER NOT NULL,
    calendar_id INTEGER NOT NULL,
    weekday     INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),
    opens       TEXT NOT NULL,
    closes      TEXT NOT NULL,
    FOREIGN KEY (ente_id, calendar_id) REFERENCES booking_calendar (ente_id, id) ON DELETE CASCADE
);
CREATE INDEX booking_hours_calendar ON booking_hours (ente_id, calendar_id);

-- Days an office (calendar_id NULL) or one calendar is closed, inclusive.
CREATE TABLE booking_closure (
    id          INTEGER PRIMARY KEY,
    ente_id     INTEGER NOT NULL,
    office_id   INTEGER NOT NULL,
    calendar_id INTEGER,
    first_day   TEXT NOT NULL,
    last_day    TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    CHECK (first_day <= last_day),
    FOREIGN KEY (ente_id, office_id) REFERENCES office (ente_id, id) ON DELETE CASCADE,
    FOREIGN KEY (ente_id, calendar_id) REFERENCES booking_calendar (ente_id, id) ON DELETE CASCADE
);
CREATE INDEX booking_closure_office ON booking_closure (ente_id, office_id, last_day);

CREATE TABLE booking_appointment (
    id           INTEGER PRIMARY KEY,
    ente_id      INTEGER NOT NULL REFERENCES ente (id) ON DELETE CASCADE,
    calendar_id  INTEGER NOT NULL,
    office_id    INTEGER NOT NULL,
    service      TEXT NOT NULL,
    channel      TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('held', 'confirmed', 'cancelled', 'expired', 'checked-in',
                 'served', 'no-show', 'redirected')),
    starts_at    TIMESTAMP NOT NULL,
    ends_at      TIMESTAMP NOT NULL,
    held_until   TIMESTAMP,
    code         TEXT NOT NULL,
    token_hash   TEXT NOT NULL,
    citizen_id   INTEGER,
    name         TEXT NOT NULL DEFAULT '',
    fiscal_code  TEXT NOT NULL DEFAULT '',
    email        TEXT NOT NULL DEFAULT '',
    phone        TEXT NOT NULL DEFAULT '',
    address      TEXT NOT NULL DEFAULT '',
    reason       TEXT NOT NULL DEFAULT '',
    details      TEXT NOT NULL DEFAULT '',
    waitlist_id  INTEGER,
    reminded_at  TIMESTAMP,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    UNIQUE (ente_id, id),
    UNIQUE (ente_id, code),
    FOREIGN KEY (ente_id, calendar_id) REFERENCES booking_calendar (ente_id, id),
    FOREIGN KEY (ente_id, office_id) REFERENCES office (ente_id, id),
    FOREIGN KEY (ente_id, citizen_id) REFERENCES citizen (ente_id, id)
);
CREATE INDEX booking_appointment_day ON booking_appointment (ente_id, office_id, starts_at);
CREATE INDEX booking_appointment_citizen ON booking_appointment (ente_id, citizen_id, starts_at);
CREATE INDEX booking_appointment_fiscal ON booking_appointment (ente_id, fiscal_code);
CREATE INDEX booking_appointment_remind ON booking_appointment (state, reminded_at, starts_at);

-- One seat of one cell (a step of a calendar, in minutes since the Unix
-- epoch) owned by an appointment. held_until is the Unix second a hold
-- lapses, 0 for a confirmed appointment: a lapsed hold's cell is free to
-- take over without waiting for a sweep.
CREATE TABLE booking_cell (
    ente_id        INTEGER NOT NULL,
    calendar_id    INTEGER NOT NULL,
    minute         BIGINT NOT NULL,
    seat           INTEGER NOT NULL,
    appointment_id INTEGER NOT NULL,
    held_until     BIGINT NOT NULL,
    PRIMARY KEY (ente_id, calendar_id, minute, seat),
    FOREIGN KEY (ente_id, calendar_id) REFERENCES booking_calendar (ente_id, id) ON DELETE CASCADE
);
CREATE INDEX booking_cell_appointment ON booking_cell (ente_id, appointment_id);
CREATE INDEX booking_cell_held ON booking_cell (held_until);

-- People waiting for a slot of a service at an office between two days; a
-- freed slot is held for the first of them and offered by e-mail.
CREATE TABLE booking_waitlist (
    id             INTEGER PRIMARY KEY,
    ente_id        INTEGER NOT NULL REFERENCES ente (id) ON DELETE CASCADE,
    office_id      INTEGER NOT NULL,
    service        TEXT NOT NULL,
    channel        TEXT NOT NULL,
    first_day      TEXT NOT NULL,
    last_day       TEXT NOT NULL,
    citizen_id     INTEGER,
    name           TEXT NOT NULL,
    email          TEXT NOT NULL,
    state          TEXT NOT NULL CHECK (state IN ('waiting', 'offered', 'booked', 'withdrawn')),
    appointment_id INTEGER,
    created_at     TIMESTAMP NOT NULL,
    UNIQUE (ente_id, id),
    FOREIGN KEY (ente_id, office_id) REFERENCES office (ente_id, id) ON DELETE CASCADE,
    FOREIGN KEY (ente_id, citizen_id) REFERENCES citizen (ente_id, id)
);
CREATE INDEX booking_waitlist_next ON booking_waitlist (ente_id, office_id, service, state, id);

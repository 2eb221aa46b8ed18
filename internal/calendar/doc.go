// Package calendar knows which days the ente works and when a legal term
// expires, so that every pratica shows the citizen and the office the same
// due date, computed the way a court would compute it.
//
// # Dates
//
// Everything here works on [Date], a civil date (year, month, day) in
// Europe/Rome, not on time.Time. A term is counted in days, and a day is a
// civil notion: midnight in Rome is 23:00 or 22:00 UTC depending on daylight
// saving, a day lasts 23, 24 or 25 hours, and adding 24h to a time.Time at
// midnight can land on the wrong day. A Date has no zone and no clock, is
// comparable with ==, and is a valid map key. Convert at the edge with
// [Calendar.Today] (an instant to its date in Rome) and [Date.In] (a date to
// its midnight in a location).
//
// # Working days
//
// A day is a holiday when it is a national holiday of L. 27 maggio 1949
// n. 260 art. 2 as in force today — 1 January, 6 January, Easter Sunday and
// Easter Monday, 25 April, 1 May, 2 June (restored from 2001 by L. 336/2000),
// 15 August, 4 October (from 2026, L. 151/2025), 1 November, 8 December,
// 25 and 26 December — or a local holiday of the ente: its patron saint's
// day (for Ala, San Valentino on 14 February) and any extra date it
// declares. Years before 2001 are computed with the same list, which is not
// historically exact and is not meant to be.
//
// A working day is a day that is neither a holiday nor a Sunday, and by
// default not a Saturday either: municipal offices are closed on Saturday,
// and art. 155 c. 5 c.p.c. (L. 263/2005) already moves a term that expires on
// a Saturday. An ente whose offices open on Saturday sets
// [Options].SaturdayWorking.
//
// # Legal terms
//
// [Calendar.Deadline] applies these rules, in this order:
//
//  1. Dies a quo non computatur: the day of the start (the day the pratica is
//     filed, the day a notice is received) is not counted; the first day
//     counted is the next one (art. 2963 c. 2 c.c.; art. 155 c. 1 c.p.c.).
//  2. A term in calendar days (giorni naturali e consecutivi, the default of
//     L. 241/1990) counts every day; a term in working days (when the law
//     says giorni lavorativi, e.g. DL 5/2012 art. 5 for a change of
//     residence) counts only working days.
//  3. Suspensions stop the clock (L. 241/1990 art. 2 c. 7, integration
//     requests; art. 10-bis, notice of refusal, since DL 76/2020). For an
//     [Interval] From–To, From is the day the suspending act happened and To
//     the day the clock is restarted (the integration is received). The day
//     From still counts (the clock ran that day, until the act); the days
//     after From up to and including To do not (To is, like the start, a
//     dies a quo: the remaining days are counted from the day after it). A
//     suspension therefore adds exactly To − From days to a calendar term.
//     Overlapping suspensions are merged; days before the start are never
//     counted anyway; a suspension that begins on or after the day the term
//     expired has no effect, because an expired term cannot be suspended.
//  4. If the last day is not a working day, the term expires on the next
//     working day (art. 2963 c. 3 c.c.; art. 155 c. 4–5 c.p.c.). A term in
//     working days already ends on one.
//
// An interruption (the term restarts in full, e.g. DPR 380/2001 art. 20 c. 5
// for a permesso di costruire) is not a suspension: compute it as a new term
// whose start is the day the documents were received.
//
// Terms are expressed in days. [Term].SilentAssent is carried for the
// pratica, which decides what expiry means; this package only says when.
package calendar

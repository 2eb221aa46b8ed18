package desk

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/booking"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/tenant"
)

// Kinds of assistance contact, in the order the log form offers them: SPID
// issuance (with the registration office's identification record), help
// with national services (vaccination booking and the like), payments,
// e-mail set-up, certificates, anything else.
var Kinds = []string{"spid", "national", "payments", "email", "certificates", "other"}

// Channels of a contact: the same as an appointment's.
var Channels = []booking.Channel{booking.Desk, booking.Phone, booking.Home}

// Results of a contact.
var Results = []string{"resolved", "referred", "follow-up"}

// Interaction is one assistance contact, logged in a few clicks.
type Interaction struct {
	ID       int64
	Office   int64
	Operator identity.OperatorID
	Kind     string
	Channel  booking.Channel
	Minutes  int
	Result   string
	Citizen  identity.CitizenID
	Pratica  int64
	At       time.Time
}

func (in *Interaction) validate() error {
	switch {
	case !slices.Contains(Kinds, in.Kind):
		return apperr.Errorf(apperr.Invalid, "desk: interaction: kind %q", in.Kind)
	case !slices.Contains(Channels, in.Channel):
		return apperr.Errorf(apperr.Invalid, "desk: interaction: channel %q", in.Channel)
	case in.Minutes < 1 || in.Minutes > 480:
		return apperr.Errorf(apperr.Invalid, "desk: interaction: %d minutes", in.Minutes)
	case !slices.Contains(Results, in.Result):
		return apperr.Errorf(apperr.Invalid, "desk: interaction: result %q", in.Result)
	}
	return nil
}

// Log records a contact; a citizen, pratica, office or operator of another
// ente is Invalid.
func Log(ctx context.Context, q db.Querier, ente tenant.ID, in *Interaction) error {
	if err := in.validate(); err != nil {
		return err
	}
	in.At = ts(in.At)
	err := q.QueryRowContext(ctx, `INSERT INTO desk_interaction (ente_id, office_id, operator_id, kind, channel, minutes,
		outcome, citizen_id, pratica_id, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
		ente, in.Office, in.Operator, in.Kind, string(in.Channel), in.Minutes, in.Result, nullInt(int64(in.Citizen)),
		nullInt(in.Pratica), in.At).Scan(&in.ID)
	if db.IsForeignKeyViolation(err) {
		return apperr.Errorf(apperr.Invalid, "desk: interaction: office, operator, citizen or pratica is not of ente %d", ente)
	}
	if err != nil {
		return fmt.Errorf("desk: interaction: %w", err)
	}
	return nil
}

// ForCitizen returns a citizen's past contacts, newest first.
func ForCitizen(ctx context.Context, q db.Querier, ente tenant.ID, c identity.CitizenID, limit int) ([]Interaction, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, office_id, operator_id, kind, channel, minutes, outcome, citizen_id,
		pratica_id, at FROM desk_interaction WHERE ente_id = $1 AND citizen_id = $2 ORDER BY at DESC, id DESC LIMIT $3`,
		ente, c, limit)
	if err != nil {
		return nil, fmt.Errorf("desk: interactions: %w", err)
	}
	defer rows.Close()
	var out []Interaction
	for rows.Next() {
		var in Interaction
		var ch string
		var cit, pr sql.NullInt64
		if err := rows.Scan(&in.ID, &in.Office, &in.Operator, &in.Kind, &ch, &in.Minutes, &in.Result, &cit, &pr, &in.At); err != nil {
			return nil, fmt.Errorf("desk: interactions: %w", err)
		}
		in.Channel, in.Citizen, in.Pratica, in.At = booking.Channel(ch), identity.CitizenID(cit.Int64), pr.Int64, in.At.UTC()
		out = append(out, in)
	}
	return out, rows.Err()
}

// Month is a month's contacts, for the statistics page and its charts.
type Month struct {
	Year  int
	Month time.Month
	Total int
	// Minutes is the time spent on them.
	Minutes   int
	ByKind    map[string]int
	ByChannel map[booking.Channel]int
	ByResult  map[string]int
	// ByDay counts the contacts of each day, index 0 the 1st.
	ByDay []int
}

// Monthly sums the ente's contacts of one month (Rome time).
func Monthly(ctx context.Context, q db.Querier, ente tenant.ID, year int, month time.Month) (Month, error) {
	first := calendar.D(year, month, 1)
	next := first.AddDays(32)
	next = calendar.D(next.Year, next.Month, 1)
	m := Month{Year: year, Month: month, ByKind: map[string]int{}, ByChannel: map[booking.Channel]int{},
		ByResult: map[string]int{}, ByDay: make([]int, next.Sub(first))}
	rows, err := q.QueryContext(ctx, `SELECT kind, channel, minutes, outcome, at FROM desk_interaction
		WHERE ente_id = $1 AND at >= $2 AND at < $3`, ente, ts(first.In(rome)), ts(next.In(rome)))
	if err != nil {
		return m, fmt.Errorf("desk: monthly: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var kind, ch, res string
		var minutes int
		var at time.Time
		if err := rows.Scan(&kind, &ch, &minutes, &res, &at); err != nil {
			return m, fmt.Errorf("desk: monthly: %w", err)
		}
		m.Total++
		m.Minutes += minutes
		m.ByKind[kind]++
		m.ByChannel[booking.Channel(ch)]++
		m.ByResult[res]++
		if d := at.In(rome).Day() - 1; d >= 0 && d < len(m.ByDay) {
			m.ByDay[d]++
		}
	}
	return m, rows.Err()
}

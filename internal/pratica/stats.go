package pratica

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/tenant"
)

// Statistics are the figures of the statistics page and of the public
// "Tempi medi dei procedimenti" page (D.Lgs. 33/2013 art. 35), computed
// from the event rows, the one record of every change.
type Statistics struct {
	// Months has one row per calendar month (in Europe/Rome) of the
	// period, empty months included, so that a chart has no holes.
	Months []MonthStats
	// Services has one row per service with decisions in the period,
	// ordered by service.
	Services []ServiceStats
	// Overall sums Services.
	Overall ServiceStats
}

// MonthStats counts what happened in one month.
type MonthStats struct {
	Year      int
	Month     time.Month
	Submitted int
	Accepted  int
	Rejected  int
	Withdrawn int
}

// ServiceStats are the processing times of one service's pratiche decided
// in the period, from submission to decision, suspensions included (the
// time the citizen waited).
type ServiceStats struct {
	Service string
	Decided int
	Average time.Duration
	// P90 is the 90th percentile (nearest rank).
	P90 time.Duration
	// WithTerm counts the decisions of pratiche with a legal term, and
	// WithinTerm those taken on or before the due date.
	WithTerm   int
	WithinTerm int
}

// WithinTermShare is the share (0–1) of decisions taken within the legal
// term, among those with one; 0 when there are none.
func (s ServiceStats) WithinTermShare() float64 {
	if s.WithTerm == 0 {
		return 0
	}
	return float64(s.WithinTerm) / float64(s.WithTerm)
}

// Stats computes the ente's statistics for events at or after from and
// before to.
func Stats(ctx context.Context, q db.Querier, ente tenant.ID, from, to time.Time) (*Statistics, error) {
	if !from.Before(to) {
		return nil, apperr.Errorf(apperr.Invalid, "pratica: stats: the period ends before it starts")
	}
	st := &Statistics{Months: months(from, to)}
	if err := countMonths(ctx, q, ente, from, to, st.Months); err != nil {
		return nil, fmt.Errorf("pratica: stats: %w", err)
	}
	if err := processingTimes(ctx, q, ente, from, to, st); err != nil {
		return nil, fmt.Errorf("pratica: stats: %w", err)
	}
	return st, nil
}

// months lists the months, in Rome, that the period touches.
func months(from, to time.Time) []MonthStats {
	first, last := romeDate(from), romeDate(to.Add(-time.Microsecond))
	var out []MonthStats
	for y, m := first.Year, first.Month; y < last.Year || (y == last.Year && m <= last.Month); {
		out = append(out, MonthStats{Year: y, Month: m})
		if m++; m > time.December {
			y, m = y+1, time.January
		}
	}
	return out
}

func countMonths(ctx context.Context, q db.Querier, ente tenant.ID, from, to time.Time, out []MonthStats) error {
	rows, err := q.QueryContext(ctx, `SELECT kind, to_state, at FROM pratica_event
		WHERE ente_id = $1 AND kind IN ('submit', 'decide', 'withdraw') AND at >= $2 AND at < $3`, ente, ts(from), ts(to))
	if err != nil {
		return err
	}
	defer rows.Close()
	first := out[0].Year*12 + int(out[0].Month)
	for rows.Next() {
		var kind, state string
		var at time.Time
		if err := rows.Scan(&kind, &state, &at); err != nil {
			return err
		}
		d := romeDate(at)
		i := d.Year*12 + int(d.Month) - first
		if i < 0 || i >= len(out) {
			continue
		}
		switch {
		case kind == string(EventSubmit):
			out[i].Submitted++
		case state == string(Accepted):
			out[i].Accepted++
		case state == string(Rejected):
			out[i].Rejected++
		case state == string(Withdrawn):
			out[i].Withdrawn++
		}
	}
	return rows.Err()
}

func processingTimes(ctx context.Context, q db.Querier, ente tenant.ID, from, to time.Time, st *Statistics) error {
	rows, err := q.QueryContext(ctx, `SELECT p.service, p.term_days, p.due, s.at, d.at FROM pratica_event d
		JOIN pratica_event s ON s.ente_id = d.ente_id AND s.pratica_id = d.pratica_id AND s.kind = 'submit'
		JOIN pratica p ON p.ente_id = d.ente_id AND p.id = d.pratica_id
		WHERE d.ente_id = $1 AND d.kind = 'decide' AND d.at >= $2 AND d.at < $3`, ente, ts(from), ts(to))
	if err != nil {
		return err
	}
	defer rows.Close()
	times := map[string][]time.Duration{}
	byService := map[string]*ServiceStats{}
	var all []time.Duration
	for rows.Next() {
		var service, due string
		var days int
		var submitted, decided time.Time
		if err := rows.Scan(&service, &days, &due, &submitted, &decided); err != nil {
			return err
		}
		s := byService[service]
		if s == nil {
			s = &ServiceStats{Service: service}
			byService[service] = s
		}
		d := decided.Sub(submitted)
		times[service] = append(times[service], d)
		all = append(all, d)
		s.Decided++
		if days > 0 && due != noDue {
			s.WithTerm++
			// ISO dates compare as strings.
			if romeDate(decided).String() <= due {
				s.WithinTerm++
			}
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for name, s := range byService {
		s.Average, s.P90 = averageAndP90(times[name])
		st.Overall.Decided += s.Decided
		st.Overall.WithTerm += s.WithTerm
		st.Overall.WithinTerm += s.WithinTerm
		st.Services = append(st.Services, *s)
	}
	slices.SortFunc(st.Services, func(a, b ServiceStats) int { return strings.Compare(a.Service, b.Service) })
	st.Overall.Average, st.Overall.P90 = averageAndP90(all)
	return nil
}

// averageAndP90 returns the mean and the nearest-rank 90th percentile,
// truncated to the second: nobody reads processing times finer.
func averageAndP90(ds []time.Duration) (avg, p90 time.Duration) {
	if len(ds) == 0 {
		return 0, 0
	}
	slices.Sort(ds)
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	rank := int(math.Ceil(0.9*float64(len(ds)))) - 1
	return (sum / time.Duration(len(ds))).Truncate(time.Second), ds[rank].Truncate(time.Second)
}

// ExportFilter picks the pratiche of an export.
type ExportFilter struct {
	Office int64
	// States keeps only these states; empty means every state but Draft.
	States  []State
	Service string
	// SubmittedFrom and SubmittedTo bound the submission time when set
	// (from included, to excluded).
	SubmittedFrom, SubmittedTo time.Time
}

// Export streams the ente's pratiche matching f in id order to fn, one row
// at a time, so that a CSV or XLSX of a whole year never sits in memory.
// Attachments are not loaded (the rows are being read); fn must not use q.
// An error from fn stops the export and is returned.
func Export(ctx context.Context, q db.Querier, ente tenant.ID, f ExportFilter, fn func(p *Pratica) error) error {
	args := []any{ente}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	where := "ente_id = $1"
	if len(f.States) == 0 {
		where += " AND state <> 'draft'"
	} else {
		var ph []string
		for _, s := range f.States {
			ph = append(ph, arg(string(s)))
		}
		where += " AND state IN (" + strings.Join(ph, ", ") + ")"
	}
	if f.Office != 0 {
		where += " AND office_id = " + arg(f.Office)
	}
	if f.Service != "" {
		where += " AND service = " + arg(f.Service)
	}
	if !f.SubmittedFrom.IsZero() {
		where += " AND submitted_at >= " + arg(ts(f.SubmittedFrom))
	}
	if !f.SubmittedTo.IsZero() {
		where += " AND submitted_at < " + arg(ts(f.SubmittedTo))
	}
	rows, err := q.QueryContext(ctx, `SELECT `+praticaColumns+` FROM pratica WHERE `+where+` ORDER BY id`, args...)
	if err != nil {
		return fmt.Errorf("pratica: export: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		p, err := scanPratica(rows)
		if err != nil {
			return fmt.Errorf("pratica: export: %w", err)
		}
		if err := fn(p); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("pratica: export: %w", err)
	}
	return nil
}

// Package rating stores the page-clarity ratings of the Modello Comuni
// ("Quanto sono chiare le informazioni su questa pagina?"): one to five
// stars, one follow-up answer and an optional comment, per page.
package rating

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/tenant"
)

// PositiveFrom is the lowest number of stars that counts as a positive
// rating; below it the negative follow-up question is asked.
const PositiveFrom = 4

// Answers is the number of fixed follow-up answers per question.
const Answers = 5

// MaxComment bounds the free-text comment, in characters.
const MaxComment = 200

// Rating is one visitor's rating of one page.
type Rating struct {
	Ente  tenant.ID
	Page  string
	Stars int
	// Answer is the chosen follow-up answer, 1 to Answers, or 0 if none.
	Answer  int
	Comment string
	Created time.Time
}

// Positive reports whether the rating asks the positive follow-up question.
func (r Rating) Positive() bool { return r.Stars >= PositiveFrom }

// Validate checks a rating as received from a browser.
func (r *Rating) Validate() error {
	r.Comment = strings.TrimSpace(r.Comment)
	switch {
	case r.Stars < 1 || r.Stars > 5:
		return apperr.Errorf(apperr.Invalid, "rating: stars %d", r.Stars)
	case r.Answer < 0 || r.Answer > Answers:
		return apperr.Errorf(apperr.Invalid, "rating: answer %d", r.Answer)
	case !strings.HasPrefix(r.Page, "/") || len(r.Page) > 500:
		return apperr.Errorf(apperr.Invalid, "rating: page %q", r.Page)
	case !utf8.ValidString(r.Comment) || utf8.RuneCountInString(r.Comment) > MaxComment:
		return apperr.Errorf(apperr.Invalid, "rating: comment too long")
	}
	return nil
}

// Create stores a rating.
func Create(ctx context.Context, q db.Querier, r *Rating) error {
	if err := r.Validate(); err != nil {
		return err
	}
	_, err := q.ExecContext(ctx, `INSERT INTO page_rating (ente_id, page, stars, answer, comment, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, r.Ente, r.Page, r.Stars, r.Answer, r.Comment, r.Created.UTC())
	if err != nil {
		return fmt.Errorf("rating: create: %w", err)
	}
	return nil
}

// Summary is the ratings of one page of one ente.
type Summary struct {
	Page  string
	Count int
	// Average is the mean number of stars.
	Average float64
}

// Summaries returns the ratings of the ente's pages, most rated first.
func Summaries(ctx context.Context, q db.Querier, ente tenant.ID) ([]Summary, error) {
	rows, err := q.QueryContext(ctx, `SELECT page, count(*), avg(stars) FROM page_rating
		WHERE ente_id = $1 GROUP BY page ORDER BY count(*) DESC, page`, ente)
	if err != nil {
		return nil, fmt.Errorf("rating: summaries: %w", err)
	}
	defer rows.Close()
	var out []Summary
	for rows.Next() {
		var s Summary
		if err := rows.Scan(&s.Page, &s.Count, &s.Average); err != nil {
			return nil, fmt.Errorf("rating: summaries: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

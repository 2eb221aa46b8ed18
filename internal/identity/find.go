package identity

import (
	"context"
	"fmt"
	"strings"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/tenant"
)

// FindCitizens finds the ente's citizens whose family name (or "given
// family" name) starts with the words typed at the desk, case-insensitive,
// at most limit of them in name order; fewer than two letters is Invalid,
// so that the desk cannot list the whole population.
func FindCitizens(ctx context.Context, q db.Querier, ente tenant.ID, name string, limit int) ([]*Citizen, error) {
	name = strings.ToLower(strings.Join(strings.Fields(name), " "))
	if len([]rune(name)) < 2 {
		return nil, apperr.Errorf(apperr.Invalid, "find citizens: %d letters", len([]rune(name)))
	}
	like := strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(name) + "%"
	rows, err := q.QueryContext(ctx, selectCitizen+` WHERE ente_id = $1 AND (LOWER(family_name) LIKE $2 ESCAPE '\'
		OR LOWER(given_name || ' ' || family_name) LIKE $2 ESCAPE '\' OR LOWER(family_name || ' ' || given_name) LIKE $2 ESCAPE '\')
		ORDER BY family_name, given_name, id LIMIT $3`, ente, like, limit)
	if err != nil {
		return nil, fmt.Errorf("find citizens: %w", err)
	}
	defer rows.Close()
	var out []*Citizen
	for rows.Next() {
		c, err := scanCitizen(rows)
		if err != nil {
			return nil, fmt.Errorf("find citizens: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// MaskFiscalCode shows only the first three and last two characters of a
// codice fiscale, for lists where several people appear.
func MaskFiscalCode(cf string) string {
	if len(cf) != 16 {
		return strings.Repeat("•", len([]rune(cf)))
	}
	return cf[:3] + strings.Repeat("•", 11) + cf[14:]
}

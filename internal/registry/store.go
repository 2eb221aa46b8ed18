package registry

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/tenant"
)

const personColumns = `id, ente_id, fiscal_code, surname, name, sex, birth_date, birth_place, birth_act,
	citizenship, civil_status, marriage_date, marriage_place, spouse, household_id, relationship, status,
	certifiability, pending_change, registered_on, death_date`

type scanner interface{ Scan(dest ...any) error }

func scanPerson(s scanner) (*Person, error) {
	var p Person
	var birth, marriage, registered, death string
	var household sql.NullInt64
	err := s.Scan(&p.ID, &p.Ente, &p.FiscalCode, &p.Surname, &p.Name, &p.Sex, &birth, &p.BirthPlace, &p.BirthAct,
		&p.Citizenship, &p.CivilStatus, &marriage, &p.MarriagePlace, &p.Spouse, &household, &p.Relationship,
		&p.Status, &p.Certifiable, &p.PendingChange, &registered, &death)
	if err != nil {
		return nil, err
	}
	p.Household = HouseholdID(household.Int64)
	for _, d := range []struct {
		s   string
		dst *calendar.Date
	}{{birth, &p.BirthDate}, {marriage, &p.MarriageDate}, {registered, &p.RegisteredOn}, {death, &p.DeathDate}} {
		if d.s == "" {
			continue
		}
		if *d.dst, err = calendar.ParseDate(d.s); err != nil {
			return nil, fmt.Errorf("person %d: %w", p.ID, err)
		}
	}
	return &p, nil
}

// dateColumn stores a date as ISO text, "" when unknown.
func dateColumn(d calendar.Date) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}

// PersonByFiscalCode finds a person by codice fiscale; NotFound when the
// ente's registry has nobody with it. The code is compared in the form
// given, so an omocodic code finds only its holder.
func PersonByFiscalCode(ctx context.Context, q db.Querier, ente tenant.ID, fiscalCode string) (*Person, error) {
	const get = `SELECT ` + personColumns + ` FROM registry_person WHERE ente_id = $1 AND fiscal_code = $2`
	p, err := scanPerson(q.QueryRowContext(ctx, get, ente, fiscalCode))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.New(apperr.NotFound, "Nessuna persona con questo codice fiscale nell'anagrafe del comune.")
	}
	if err != nil {
		return nil, fmt.Errorf("registry: ente %d: person by fiscal code: %w", ente, err)
	}
	return p, nil
}

// GetPerson reads a person by id; a person of another ente is NotFound.
func GetPerson(ctx context.Context, q db.Querier, ente tenant.ID, id PersonID) (*Person, error) {
	const get = `SELECT ` + personColumns + ` FROM registry_person WHERE ente_id = $1 AND id = $2`
	p, err := scanPerson(q.QueryRowContext(ctx, get, ente, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.Errorf(apperr.NotFound, "registry: ente %d: no person %d", ente, id)
	}
	if err != nil {
		return nil, fmt.Errorf("registry: ente %d: person %d: %w", ente, id, err)
	}
	return p, nil
}

// GetHousehold reads a household with its members, the head first and the
// others by relationship and birth date.
func GetHousehold(ctx context.Context, q db.Querier, ente tenant.ID, id HouseholdID) (*Household, error) {
	const get = `SELECT id, ente_id, code, kind, street, house_number, internal, postcode, locality, no_fixed_abode
		FROM registry_household WHERE ente_id = $1 AND id = $2`
	var h Household
	a := &h.Address
	err := q.QueryRowContext(ctx, get, ente, id).Scan(&h.ID, &h.Ente, &h.Code, &h.Kind, &a.Street, &a.HouseNumber,
		&a.Internal, &a.Postcode, &a.Locality, &h.NoFixedAbode)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.Errorf(apperr.NotFound, "registry: ente %d: no household %d", ente, id)
	}
	if err != nil {
		return nil, fmt.Errorf("registry: ente %d: household %d: %w", ente, id, err)
	}
	const members = `SELECT ` + personColumns + ` FROM registry_person
		WHERE ente_id = $1 AND household_id = $2 AND status = 'resident'
		ORDER BY relationship <> 1, relationship, birth_date, id`
	rows, err := q.QueryContext(ctx, members, ente, id)
	if err != nil {
		return nil, fmt.Errorf("registry: ente %d: household %d: members: %w", ente, id, err)
	}
	defer rows.Close()
	for rows.Next() {
		p, err := scanPerson(rows)
		if err != nil {
			return nil, fmt.Errorf("registry: ente %d: household %d: members: %w", ente, id, err)
		}
		h.Members = append(h.Members, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("registry: ente %d: household %d: members: %w", ente, id, err)
	}
	return &h, nil
}

// saveHousehold inserts or updates a household by its code and returns
// its id.
func saveHousehold(ctx context.Context, q db.Querier, ente tenant.ID, h *Household) (HouseholdID, error) {
	const upsert = `INSERT INTO registry_household (ente_id, code, kind, street, house_number, internal, postcode,
			locality, no_fixed_abode)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (ente_id, code) DO UPDATE SET kind = excluded.kind, street = excluded.street,
			house_number = excluded.house_number, internal = excluded.internal, postcode = excluded.postcode,
			locality = excluded.locality, no_fixed_abode = excluded.no_fixed_abode
		RETURNING id`
	a := h.Address
	var id HouseholdID
	err := q.QueryRowContext(ctx, upsert, ente, h.Code, h.Kind, a.Street, a.HouseNumber, a.Internal, a.Postcode,
		a.Locality, h.NoFixedAbode).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("registry: ente %d: save household: %w", ente, err)
	}
	return id, nil
}

// savePerson inserts or updates a person by codice fiscale and returns
// the id.
func savePerson(ctx context.Context, q db.Querier, ente tenant.ID, p *Person) (PersonID, error) {
	const upsert = `INSERT INTO registry_person (ente_id, fiscal_code, surname, name, sex, birth_date, birth_place,
			birth_act, citizenship, civil_status, marriage_date, marriage_place, spouse, household_id, relationship,
			status, certifiability, pending_change, registered_on, death_date)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
		ON CONFLICT (ente_id, fiscal_code) DO UPDATE SET surname = excluded.surname, name = excluded.name,
			sex = excluded.sex, birth_date = excluded.birth_date, birth_place = excluded.birth_place,
			birth_act = excluded.birth_act, citizenship = excluded.citizenship, civil_status = excluded.civil_status,
			marriage_date = excluded.marriage_date, marriage_place = excluded.marriage_place, spouse = excluded.spouse,
			household_id = excluded.household_id, relationship = excluded.relationship, status = excluded.status,
			certifiability = excluded.certifiability, pending_change = excluded.pending_change,
			registered_on = excluded.registered_on, death_date = excluded.death_date
		RETURNING id`
	var household sql.NullInt64
	if p.Household != 0 {
		household = sql.NullInt64{Int64: int64(p.Household), Valid: true}
	}
	var id PersonID
	err := q.QueryRowContext(ctx, upsert, ente, p.FiscalCode, p.Surname, p.Name, p.Sex, dateColumn(p.BirthDate),
		p.BirthPlace, p.BirthAct, p.Citizenship, p.CivilStatus, dateColumn(p.MarriageDate), p.MarriagePlace,
		p.Spouse, household, p.Relationship, p.Status, p.Certifiable, p.PendingChange, dateColumn(p.RegisteredOn),
		dateColumn(p.DeathDate)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("registry: ente %d: save person: %w", ente, err)
	}
	return id, nil
}

// Save stores a household and its members in q (a transaction, so that a
// household is never stored without its members), setting their ids.
func Save(ctx context.Context, q db.Querier, ente tenant.ID, h *Household) error {
	id, err := saveHousehold(ctx, q, ente, h)
	if err != nil {
		return err
	}
	h.ID, h.Ente = id, ente
	for _, m := range h.Members {
		m.Household, m.Ente = id, ente
		if m.ID, err = savePerson(ctx, q, ente, m); err != nil {
			return err
		}
	}
	return nil
}

// SavePerson stores a person outside any household (AIRE, cancelled,
// deceased), setting the id.
func SavePerson(ctx context.Context, q db.Querier, ente tenant.ID, p *Person) error {
	id, err := savePerson(ctx, q, ente, p)
	if err != nil {
		return err
	}
	p.ID, p.Ente = id, ente
	return nil
}

// Counts is the size of an ente's registry.
type Counts struct{ Persons, Residents, Households int }

// Count returns how many persons and households the ente's registry holds.
func Count(ctx context.Context, q db.Querier, ente tenant.ID) (Counts, error) {
	const count = `SELECT (SELECT COUNT(*) FROM registry_person WHERE ente_id = $1),
		(SELECT COUNT(*) FROM registry_person WHERE ente_id = $1 AND status = 'resident'),
		(SELECT COUNT(*) FROM registry_household WHERE ente_id = $1)`
	var c Counts
	if err := q.QueryRowContext(ctx, count, ente).Scan(&c.Persons, &c.Residents, &c.Households); err != nil {
		return c, fmt.Errorf("registry: ente %d: count: %w", ente, err)
	}
	return c, nil
}

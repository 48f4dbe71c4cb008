package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/intakehq/intake"
	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"
)

// Applier applies one call in tx and returns its result, which is stored
// with the call and answered to every repeat of it.
type Applier func(tx *Tx, c intake.Call) (any, error)

// ApplyCalls applies the calls one workflow carries, in one transaction,
// and returns each call's outcome in order. Each call's ingest ID is
// claimed in the database, so a call that an earlier run (of this
// workflow, of a retry, of another workflow carrying the same call) has
// finished is answered from its row and not applied again.
//
// The group is first applied as a whole: its metric rows read once and
// written once, its points and inbox items inserted together. When a
// call fails for good (invalid input) or a concurrent run claims one of
// the calls first, that attempt is rolled back and the group is applied
// again call by call, each in a savepoint of its own, so the failing call
// ends alone with its error and the others are applied as if it had not
// been there. An error returned here is the database's: the whole group is
// retried later.
func (s *Store) ApplyCalls(ctx context.Context, calls []intake.Call, apply Applier) ([]intake.Outcome, error) {
	outs, err := s.applyTogether(ctx, calls, apply)
	if err == nil || classify(err) == failInfra {
		return outs, err
	}
	return s.applyOneByOne(ctx, calls, apply)
}

func (s *Store) applyTogether(ctx context.Context, calls []intake.Call, apply Applier) ([]intake.Outcome, error) {
	outs := make([]intake.Outcome, len(calls))
	repeats := map[int]int{} // a call's index → its first occurrence in the group
	err := s.db.WithContext(ctx).Transaction(func(db *gorm.DB) error {
		finished, err := finishedCalls(db, calls)
		if err != nil {
			return err
		}
		tx := s.newTx(db)
		first := map[string]int{}
		rows := make([]Call, 0, len(calls))
		now := time.Now().UTC()
		for i, c := range calls {
			if row, ok := finished[c.IngestID]; ok {
				outs[i] = row.Outcome()
				continue
			}
			if j, ok := first[c.IngestID]; ok {
				repeats[i] = j
				continue
			}
			first[c.IngestID] = i
			res, err := tx.apply(c, apply)
			if err != nil {
				return err
			}
			outs[i] = intake.Outcome{Result: res}
			rows = append(rows, doneRow(c, res, now))
		}
		if err := tx.flush(); err != nil {
			return err
		}
		if len(rows) > 0 {
			// Without ON CONFLICT: a concurrent run that claimed one of
			// these calls first fails this insert, and the group is
			// applied again call by call.
			if err := db.Create(&rows).Error; err != nil {
				return err
			}
		}
		return tx.dropBodies()
	})
	if err != nil {
		return nil, err
	}
	for i, j := range repeats {
		outs[i] = outs[j]
		outs[i].Replayed = true
	}
	return outs, nil
}

// savepoint names the savepoint each call of a careful pass runs in.
const savepoint = "intake_call"

func (s *Store) applyOneByOne(ctx context.Context, calls []intake.Call, apply Applier) ([]intake.Outcome, error) {
	outs := make([]intake.Outcome, len(calls))
	err := s.db.WithContext(ctx).Transaction(func(db *gorm.DB) error {
		for i, c := range calls {
			if err := db.SavePoint(savepoint).Error; err != nil {
				return err
			}
			o, err := s.applyClaimed(db, c, apply)
			if err != nil {
				if classify(err) != failCallAlone {
					return err
				}
				if err := db.RollbackTo(savepoint).Error; err != nil {
					return err
				}
				e := callError(err)
				if err := failCall(db, c, e); err != nil {
					return err
				}
				o = intake.Outcome{Error: e}
			}
			if err := db.Exec("RELEASE SAVEPOINT " + savepoint).Error; err != nil {
				return err
			}
			outs[i] = o
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return outs, nil
}

// applyClaimed claims one call and applies it, unless an earlier run
// finished it.
func (s *Store) applyClaimed(db *gorm.DB, c intake.Call, apply Applier) (intake.Outcome, error) {
	row, fresh, err := claimCall(db, c)
	if err != nil {
		return intake.Outcome{}, err
	}
	if !fresh {
		if row.Status == intake.StatusProcessing {
			return intake.Outcome{}, fmt.Errorf("call %s is claimed but not finished", c.IngestID)
		}
		return row.Outcome(), nil
	}
	tx := s.newTx(db)
	res, err := tx.apply(c, apply)
	if err == nil {
		err = tx.flush()
	}
	if err == nil {
		err = finishCall(db, row, res)
	}
	if err == nil {
		err = tx.dropBodies()
	}
	return intake.Outcome{Result: res}, err
}

// failure sorts why applying a call failed.
type failure int

const (
	// failInfra: the database is unreachable or gave up; retry the group.
	failInfra failure = iota
	// failCallAlone: the call itself is at fault (invalid input, a value
	// the database refuses); it fails alone and is never retried.
	failCallAlone
	// failConflict: a concurrent writer got in the way (a unique index, a
	// deadlock); applying again, call by call or later, succeeds.
	failConflict
)

func classify(err error) failure {
	var ie *intake.Error
	if errors.As(err, &ie) {
		if ie.Code == intake.ErrInternal || ie.Code == intake.ErrUnavailable {
			return failInfra
		}
		return failCallAlone
	}
	var unsupported *json.UnsupportedValueError
	if errors.As(err, &unsupported) {
		return failCallAlone
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch {
		case pg.Code == "23505" || strings.HasPrefix(pg.Code, "40"):
			return failConflict
		case strings.HasPrefix(pg.Code, "22") || strings.HasPrefix(pg.Code, "23"):
			return failCallAlone
		}
		return failInfra
	}
	if msg := err.Error(); strings.Contains(msg, "constraint failed") {
		if strings.Contains(msg, "UNIQUE") {
			return failConflict
		}
		return failCallAlone
	}
	return failInfra
}

// callError is the error a call failed with, as its caller is told.
func callError(err error) *intake.Error {
	var ie *intake.Error
	if errors.As(err, &ie) {
		return ie
	}
	return intake.Invalid("body", "the database refused a value of this call: %v", err)
}

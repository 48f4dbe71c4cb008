package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
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
// been there. A call that fails for a reason that is neither its own nor
// the infrastructure's (a bug, a panic) is left unapplied while the others
// are committed, and the error is returned so that it is tried again; at
// attempt MaxAttempts it fails alone too. A call that fails for good is
// also put in the inbox, with its input, for replay.
//
// An error returned here means the group is to be retried: the database
// is unreachable, or a call is left for its next attempt.
func (s *Store) ApplyCalls(ctx context.Context, calls []intake.Call, attempt int, apply Applier) ([]intake.Outcome, error) {
	outs, fired, err := s.applyTogether(ctx, calls, attempt, apply)
	if err != nil && classify(err) != failInfra {
		outs, fired, err = s.applyOneByOne(ctx, calls, attempt, apply)
	}
	s.fired(ctx, fired)
	return outs, err
}

// MaxAttempts is the attempt at which a call failing for an unknown
// reason fails for good, rather than being tried again: with the step's
// backoff (1 s, doubling) about 15 seconds after its first attempt.
const MaxAttempts = 5

// errClaimed: a concurrent run finished one of the calls first.
var errClaimed = errors.New("a concurrent run finished one of these calls first")

func (s *Store) applyTogether(ctx context.Context, calls []intake.Call, attempt int, apply Applier) ([]intake.Outcome, []AlertEventRef, error) {
	outs := make([]intake.Outcome, len(calls))
	var fired []AlertEventRef
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
			outs[i] = intake.Outcome{Result: res, Fingerprint: c.Fingerprint}
			rows = append(rows, doneRow(c, res, attempt, now))
		}
		if err := tx.flush(); err != nil {
			return err
		}
		if len(rows) > 0 {
			// A row the API or an earlier attempt recorded is taken over
			// while its call is processing; when a concurrent run has
			// finished one of these calls first, fewer rows are written
			// and the group is applied again call by call.
			res := db.Clauses(unfinished(finishedColumns...)).CreateInBatches(rows, s.rowsPerInsert())
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected != int64(len(rows)) {
				return errClaimed
			}
		}
		fired = tx.committed
		return tx.dropBodies()
	})
	if err != nil {
		return nil, nil, err
	}
	for i, j := range repeats {
		outs[i] = outs[j]
		outs[i].Replayed = true
	}
	return outs, fired, nil
}

// savepoint names the savepoint each call of a careful pass runs in.
const savepoint = "intake_call"

func (s *Store) applyOneByOne(ctx context.Context, calls []intake.Call, attempt int, apply Applier) ([]intake.Outcome, []AlertEventRef, error) {
	outs := make([]intake.Outcome, len(calls))
	var fired []AlertEventRef
	var later error // why a call was left for its next attempt
	err := s.db.WithContext(ctx).Transaction(func(db *gorm.DB) error {
		for i, c := range calls {
			if err := db.SavePoint(savepoint).Error; err != nil {
				return err
			}
			o, events, err := s.applyClaimed(db, c, attempt, apply)
			if err != nil {
				switch classify(err) {
				case failCallAlone:
				case failUnknown:
					if attempt < MaxAttempts {
						later = fmt.Errorf("call %s, attempt %d: %w", c.IngestID, attempt, err)
						if err := db.RollbackTo(savepoint).Error; err != nil {
							return err
						}
						if err := db.Exec("RELEASE SAVEPOINT " + savepoint).Error; err != nil {
							return err
						}
						continue
					}
					err = intake.Errorf(intake.ErrInternal, "the call failed %d times: %v", attempt, err)
				default:
					return err
				}
				if err := db.RollbackTo(savepoint).Error; err != nil {
					return err
				}
				e := callError(err)
				failed, err := failCall(db, c, e, attempt)
				if err != nil {
					return err
				}
				if failed {
					if err := deadLetter(db, c, e); err != nil {
						return err
					}
					o = intake.Outcome{Error: e, Fingerprint: c.Fingerprint}
				} else {
					var row Call
					if err := db.Where("ingest_id = ?", c.IngestID).Take(&row).Error; err != nil {
						return err
					}
					o = row.Outcome()
				}
			}
			if err := db.Exec("RELEASE SAVEPOINT " + savepoint).Error; err != nil {
				return err
			}
			outs[i] = o
			fired = append(fired, events...)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	if later != nil {
		// The calls applied were committed, and their transitions with
		// them, though one is left for its next attempt.
		return nil, fired, later
	}
	return outs, fired, nil
}

// applyClaimed claims one call and applies it, unless an earlier run
// finished it.
func (s *Store) applyClaimed(db *gorm.DB, c intake.Call, attempt int, apply Applier) (intake.Outcome, []AlertEventRef, error) {
	fresh, row, err := claimCall(db, c)
	if err != nil {
		return intake.Outcome{}, nil, err
	}
	if !fresh {
		return row.Outcome(), nil, nil
	}
	tx := s.newTx(db)
	res, err := tx.apply(c, apply)
	if err == nil {
		err = tx.flush()
	}
	if err == nil {
		err = finishCall(db, c, res, attempt)
	}
	if err == nil {
		err = tx.dropBodies()
	}
	if err != nil {
		return intake.Outcome{}, nil, err // rolled back to its savepoint: nothing of it was committed
	}
	return intake.Outcome{Result: res, Fingerprint: c.Fingerprint}, tx.committed, nil
}

// deadLetter puts a call that failed for good in the inbox: its input,
// kept whole (a stored body moves into the item), and why it failed, so
// that an admin can see it and replay it once its cause is fixed. A
// failed replay has its item already.
func deadLetter(db *gorm.DB, c intake.Call, e *intake.Error) error {
	if c.Kind == intake.KindReplay {
		// The item is there already: it says why its replay failed, and
		// having changed, is replayed afresh next time.
		var in struct {
			ItemID string `json:"item_id"`
		}
		if json.Unmarshal(c.Input, &in) != nil || in.ItemID == "" {
			return nil
		}
		return db.Model(&InboxItem{}).Where("project_id = ? AND id = ? AND status = ?", c.ProjectID, in.ItemID, InboxOpen).
			Updates(map[string]any{"reason": "its replay failed: " + e.Message, "updated_at": time.Now().UTC()}).Error
	}
	input := c.Input
	if c.BodyRef != "" {
		var b Body
		err := db.Where("id = ? AND project_id = ?", c.BodyRef, c.ProjectID).Take(&b).Error
		if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
			return err
		}
		input = b.Data
		if err := db.Delete(&Body{}, "id = ?", c.BodyRef).Error; err != nil {
			return err
		}
	}
	if len(input) == 0 {
		return nil // nothing left to replay
	}
	return db.Create(&InboxItem{
		ID: intake.NewID("inb"), ProjectID: c.ProjectID, CallID: c.IngestID, ConnectorID: c.ConnectorID, Source: c.Source,
		Kind: c.Kind, Failed: true, Payload: string(input), Status: InboxOpen, Reason: "the call failed: " + e.Message,
	}).Error
}

// failure sorts why applying a call failed.
type failure int

const (
	// failInfra: the database is unreachable or gave up; retry the group,
	// without limit.
	failInfra failure = iota
	// failCallAlone: the call itself is at fault (invalid input, a value
	// the database refuses); it fails alone and is never retried.
	failCallAlone
	// failConflict: a concurrent writer got in the way (a unique index, a
	// deadlock); applying again, call by call or later, succeeds.
	failConflict
	// failUnknown: neither (a bug, a panic, a statement the schema does
	// not support); the call is tried again, up to MaxAttempts.
	failUnknown
)

func classify(err error) failure {
	var ie *intake.Error
	var unsupported *json.UnsupportedValueError
	var pg *pgconn.PgError
	var connect *pgconn.ConnectError
	var netErr net.Error
	switch {
	case errors.Is(err, errClaimed):
		return failConflict
	case errors.As(err, &ie):
		switch ie.Code {
		case intake.ErrUnavailable:
			return failInfra
		case intake.ErrInternal:
			return failUnknown
		}
		return failCallAlone
	case errors.As(err, &unsupported):
		return failCallAlone
	case errors.As(err, &pg):
		return classifySQLState(pg.Code)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded), errors.Is(err, driver.ErrBadConn),
		errors.Is(err, sql.ErrConnDone), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, pgconn.ErrConnClosed), errors.As(err, &connect), errors.As(err, &netErr),
		pgconn.Timeout(err), pgconn.SafeToRetry(err):
		return failInfra
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "UNIQUE constraint failed"):
		return failConflict
	case strings.Contains(msg, "constraint failed"):
		return failCallAlone
	case containsAny(msg, sqliteUnavailable):
		return failInfra
	}
	return failUnknown
}

// classifySQLState sorts a PostgreSQL error by its SQLSTATE class.
func classifySQLState(code string) failure {
	switch {
	case code == "23505", strings.HasPrefix(code, "40"), code == "55P03":
		return failConflict
	case strings.HasPrefix(code, "22"), strings.HasPrefix(code, "23"):
		return failCallAlone
	case strings.HasPrefix(code, "08"), strings.HasPrefix(code, "53"), strings.HasPrefix(code, "57"),
		strings.HasPrefix(code, "58"), strings.HasPrefix(code, "XX"), strings.HasPrefix(code, "25"):
		return failInfra
	}
	return failUnknown
}

// sqliteUnavailable are the SQLite errors of a database that is busy,
// full or gone, rather than of a call.
var sqliteUnavailable = []string{"SQLITE_BUSY", "SQLITE_LOCKED", "database is locked", "SQLITE_IOERR", "SQLITE_FULL",
	"SQLITE_CANTOPEN", "database is closed", "disk I/O error", "database or disk is full"}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// callError is the error a call failed with, as its caller is told.
func callError(err error) *intake.Error {
	var ie *intake.Error
	if errors.As(err, &ie) {
		return ie
	}
	return intake.Invalid("body", "the database refused a value of this call: %v", err)
}

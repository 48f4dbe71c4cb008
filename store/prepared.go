package store

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// statements keeps the prepared INSERTs of the rows a group of calls
// writes (points, inbox items, calls), on SQLite. GORM prepares every
// statement afresh, and SQLite's parse of a multi-row INSERT cost about as
// much as writing its rows; GORM's own statement cache does not help inside
// a transaction (it prepares on the transaction, which ends). A statement
// prepared on the database is reused by every transaction on its
// connection. PostgreSQL's driver caches its statements already.
//
// The statements are prepared before the first group's transaction, not
// in it: SQLite's one connection is the transaction's until it ends. For
// the same reason mu is never held while preparing: a transaction that
// has the connection may be looking a statement up.
type statements struct {
	db        *sql.DB
	preparing sync.Mutex // one ensure at a time
	mu        sync.Mutex // guards m
	m         map[string]*sql.Stmt
	ready     atomic.Bool
}

// ensure prepares the INSERTs of each model a group writes, for every
// power of two of rows up to rowsPerInsert, once; before the schema exists
// it prepares nothing and is tried again with the next group.
func (p *statements) ensure(ctx context.Context, db *gorm.DB) {
	if p == nil || p.ready.Load() {
		return
	}
	p.preparing.Lock()
	defer p.preparing.Unlock()
	if p.ready.Load() {
		return
	}
	dry := func() *gorm.DB { return db.Session(&gorm.Session{DryRun: true, NewDB: true}) }
	var queries []string
	for n := 1; n <= rowsPerInsert(false); n *= 2 {
		queries = append(queries,
			dry().Create(make([]MetricPoint, n)).Statement.SQL.String(),
			dry().Create(make([]InboxItem, n)).Statement.SQL.String(),
			dry().Clauses(unfinished(finishedColumns...)).Create(make([]Call, n)).Statement.SQL.String())
	}
	for _, q := range queries {
		if p.get(q) != nil {
			continue
		}
		st, err := p.db.PrepareContext(ctx, q)
		if err != nil {
			return
		}
		p.mu.Lock()
		p.m[q] = st
		p.mu.Unlock()
	}
	p.ready.Store(true)
}

func (p *statements) get(query string) *sql.Stmt {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.m[query]
}

func (p *statements) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for q, st := range p.m {
		_ = st.Close()
		delete(p.m, q)
	}
}

// insertRows inserts rows in db's transaction and returns how many it
// wrote; clauses are the statement's own (ON CONFLICT). GORM builds each
// statement from the model; on SQLite each writes a power of two of rows
// (30 rows are 16, 8, 4 and 2), so that every statement of a group is one
// prepared already.
func insertRows[T any](db *gorm.DB, p *statements, postgres bool, rows []T, clauses ...clause.Expression) (int64, error) {
	sqlTx, ok := db.Statement.ConnPool.(*sql.Tx)
	if p == nil || !ok {
		q := db
		if len(clauses) > 0 {
			q = q.Clauses(clauses...)
		}
		res := q.CreateInBatches(rows, rowsPerInsert(postgres))
		return res.RowsAffected, res.Error
	}
	ctx := db.Statement.Context
	var written int64
	for len(rows) > 0 {
		n := rowsPerInsert(postgres)
		for n > len(rows) {
			n /= 2
		}
		part := rows[:n]
		rows = rows[n:]
		built := db.Session(&gorm.Session{DryRun: true, NewDB: true}).Clauses(clauses...).Create(&part).Statement
		if err := built.Error; err != nil {
			return written, err
		}
		query := built.SQL.String()
		var res sql.Result
		var err error
		if st := p.get(query); st != nil {
			res, err = sqlTx.StmtContext(ctx, st).ExecContext(ctx, built.Vars...)
		} else {
			res, err = sqlTx.ExecContext(ctx, query, built.Vars...)
		}
		if err != nil {
			return written, err
		}
		affected, err := res.RowsAffected()
		if err != nil {
			return written, err
		}
		written += affected
	}
	return written, nil
}

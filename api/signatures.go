package api

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/intakehq/intake"
	"github.com/intakehq/intake/connectors"
	"github.com/intakehq/intake/store"
)

// signatureStore keeps the counted refusals.
type signatureStore interface {
	AddSignatureFailures(ctx context.Context, rows []store.SignatureFailure) error
	PruneSignatureFailures(ctx context.Context, before time.Time) error
	SignatureFailures(ctx context.Context, projectID string, connectorIDs []string, since time.Time) (map[string]store.SignatureSummary, error)
	CountConnectorCalls(ctx context.Context, projectID string, connectorIDs []string, since time.Time) (map[string]int64, error)
}

// DefaultSignatureFlush is how often refused deliveries counted in memory
// are added to the store.
const DefaultSignatureFlush = 10 * time.Second

// signatureRetention is how long the hourly buckets are kept.
const signatureRetention = 30 * 24 * time.Hour

// failureLog counts refused deliveries by connector and hour in memory and
// adds them to the store every interval: whoever sends without the
// secret costs a map update, never a database write. Only connectors that
// exist are counted (webhookBody looked the connector up), so the map
// holds at most one entry per connector and hour between flushes.
type failureLog struct {
	st       signatureStore
	log      *slog.Logger
	now      func() time.Time
	interval time.Duration

	mu      sync.Mutex
	pending map[failureKey]*store.SignatureFailure
	// The flushing goroutine starts at the first refusal: most servers,
	// and every test server, never see one.
	started, closed bool
	stop, done      chan struct{}
	pruned          time.Time
}

type failureKey struct {
	connector string
	hour      time.Time
}

func newFailureLog(st signatureStore, log *slog.Logger, now func() time.Time, interval time.Duration) *failureLog {
	if interval <= 0 {
		interval = DefaultSignatureFlush
	}
	return &failureLog{st: st, log: log, now: now, interval: interval, pending: map[failureKey]*store.SignatureFailure{},
		stop: make(chan struct{}), done: make(chan struct{})}
}

// record counts one refusal; reason is intake's own message.
func (f *failureLog) record(conn store.Connector, reason string) {
	at := f.now().UTC()
	f.mu.Lock()
	defer f.mu.Unlock()
	k := failureKey{conn.ID, store.SignatureHour(at)}
	b := f.pending[k]
	if b == nil {
		b = &store.SignatureFailure{ConnectorID: conn.ID, ProjectID: conn.ProjectID, Hour: k.hour}
		f.pending[k] = b
	}
	b.Count++
	b.LastAt, b.LastReason = at, reason
	if !f.started && !f.closed {
		f.started = true
		go f.run()
	}
}

func (f *failureLog) run() {
	defer close(f.done)
	t := time.NewTicker(f.interval)
	defer t.Stop()
	for {
		select {
		case <-f.stop:
			return
		case <-t.C:
			// A short interval (tests) still gives a slow database time.
			ctx, cancel := context.WithTimeout(context.Background(), max(f.interval, 5*time.Second))
			if err := f.flush(ctx); err != nil {
				f.log.Error("signature failures not recorded yet; retrying", "error", err)
			}
			cancel()
		}
	}
}

// flush adds what was counted to the store. What a failed write held is
// counted again, for the next flush.
func (f *failureLog) flush(ctx context.Context) error {
	f.mu.Lock()
	rows := make([]store.SignatureFailure, 0, len(f.pending))
	for _, b := range f.pending {
		rows = append(rows, *b)
	}
	f.pending = map[failureKey]*store.SignatureFailure{}
	f.mu.Unlock()
	if len(rows) == 0 {
		return nil
	}
	if err := f.st.AddSignatureFailures(ctx, rows); err != nil {
		f.restore(rows)
		return err
	}
	if now := f.now(); now.Sub(f.pruned) >= time.Hour {
		f.pruned = now
		return f.st.PruneSignatureFailures(ctx, now.Add(-signatureRetention))
	}
	return nil
}

func (f *failureLog) restore(rows []store.SignatureFailure) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range rows {
		k := failureKey{r.ConnectorID, r.Hour}
		b := f.pending[k]
		if b == nil {
			f.pending[k] = &r
			continue
		}
		b.Count += r.Count
		if r.LastAt.After(b.LastAt) {
			b.LastAt, b.LastReason = r.LastAt, r.LastReason
		}
	}
}

// close stops the flushing and flushes what is left (server shutdown).
func (f *failureLog) close(ctx context.Context) error {
	f.mu.Lock()
	started := f.started && !f.closed
	f.closed = true
	f.mu.Unlock()
	if started {
		close(f.stop)
		<-f.done
	}
	// The server's shutdown may have spent ctx waiting for requests: the
	// last counts get a write of their own.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	return f.flush(ctx)
}

// refused counts a delivery refused for its signature or key, by provider
// and by connector. Other errors (the database, the sender's rate of
// failures) are not the credential's, and are not counted.
func (s *Server) refused(p connectors.Provider, conn store.Connector, err error) {
	var e *intake.Error
	if !errors.As(err, &e) || e.Code != intake.ErrInvalidSignature && e.Code != intake.ErrInvalidAPIKey {
		return
	}
	s.signatureFailures.WithLabelValues(p.Name).Inc()
	s.failures.record(conn, e.Message)
}

// health is how a connector has fared in the last 24 hours, for GET
// /api/admin/connectors and /connectors/{id}.
type health struct {
	SignatureFailures *signatureJSON `json:"signature_failures,omitempty"`
	Deliveries        *deliveryJSON  `json:"deliveries,omitempty"`
}

type signatureJSON struct {
	Last24h    int64      `json:"last_24h"`
	LastAt     *time.Time `json:"last_at"`
	LastReason string     `json:"last_reason,omitempty"`
}

type deliveryJSON struct {
	Last24h int64 `json:"last_24h"`
}

// withHealth adds each connector's last 24 hours: two queries for a page.
// Refusals reach the store within a flush interval.
func (s *Server) withHealth(ctx context.Context, projectID string, rows []connectorJSON) error {
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	since := s.now().Add(-24 * time.Hour)
	failed, err := s.store.SignatureFailures(ctx, projectID, ids, since)
	if err != nil {
		return err
	}
	calls, err := s.store.CountConnectorCalls(ctx, projectID, ids, since)
	if err != nil {
		return err
	}
	for i := range rows {
		f := failed[rows[i].ID]
		rows[i].SignatureFailures = &signatureJSON{Last24h: f.Count, LastAt: f.LastAt, LastReason: f.LastReason}
		rows[i].Deliveries = &deliveryJSON{Last24h: calls[rows[i].ID]}
	}
	return nil
}

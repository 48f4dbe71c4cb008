package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/intakehq/intake"
	"github.com/intakehq/intake/encryption"
	"gorm.io/gorm"
)

// Tx is the transaction the calls of one workflow are applied in. It keeps
// what the calls share: each metric is read (and on PostgreSQL locked)
// once, its value changed in memory by every update, and written once by
// flush together with the group's points and inbox items.
type Tx struct {
	db       *gorm.DB
	postgres bool
	keys     *encryption.Keyring
	// metrics holds each metric a call named, by project and reference;
	// byID the same rows by id, so two names of one metric share its
	// value.
	metrics map[string]*Metric
	byID    map[string]*Metric
	dirty   map[string]bool
	points  []MetricPoint
	inbox   []InboxItem
	rules   map[RuleScope]savedRules
	bodies  []string
	// The alerts on the metrics changed, read once; those changed, the
	// transitions to write, and those written (committed with the
	// transaction).
	conditions ConditionEvaluator
	alerts     map[string][]*Alert
	alertDirty map[string]*Alert
	events     []AlertEvent
	committed  []AlertEventRef
	err        error
}

type savedRules struct {
	rules   []intake.Rule
	version int
}

func (s *Store) newTx(db *gorm.DB) *Tx {
	return &Tx{db: db, postgres: s.postgres, keys: s.keys, metrics: map[string]*Metric{}, byID: map[string]*Metric{},
		dirty: map[string]bool{}, rules: map[RuleScope]savedRules{}, conditions: s.alerting.Conditions,
		alerts: map[string][]*Alert{}, alertDirty: map[string]*Alert{}}
}

// apply runs one call's applier, its stored body loaded first, and
// returns its result as JSON.
func (t *Tx) apply(c intake.Call, apply Applier) (_ json.RawMessage, err error) {
	defer func() {
		// A call that panics is a call that fails, not a worker that dies.
		if r := recover(); r != nil {
			err = fmt.Errorf("applying call %s panicked: %v", c.IngestID, r)
		}
	}()
	if c.BodyRef != "" {
		var b Body
		err := t.db.Where("id = ? AND project_id = ?", c.BodyRef, c.ProjectID).Take(&b).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, intake.Invalid("body", "the stored body %s of this call is missing", c.BodyRef)
		}
		if err != nil {
			return nil, err
		}
		data, err := t.keys.OpenBytes(b.Data, bodyAAD(b))
		if err != nil {
			return nil, fmt.Errorf("stored body %s: %w", b.ID, err)
		}
		c.Input, c.BodyRef = data, ""
		t.bodies = append(t.bodies, b.ID)
	}
	res, err := apply(t, c)
	if err != nil {
		return nil, err
	}
	return json.Marshal(res)
}

// flush writes what the calls applied so far changed: each changed
// metric once, then every new point and inbox item.
func (t *Tx) flush() error {
	if t.err != nil {
		return t.err
	}
	ids := make([]string, 0, len(t.dirty))
	for id := range t.dirty {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		m := t.byID[id]
		if err := t.db.Model(m).Updates(map[string]any{"value": m.Value, "value_at": m.ValueAt}).Error; err != nil {
			return err
		}
	}
	clear(t.dirty)
	if len(t.points) > 0 {
		if err := t.db.CreateInBatches(t.points, t.rowsPerInsert()).Error; err != nil {
			return err
		}
		t.points = t.points[:0]
	}
	if len(t.inbox) > 0 {
		if err := t.db.CreateInBatches(t.inbox, t.rowsPerInsert()).Error; err != nil {
			return err
		}
		t.inbox = t.inbox[:0]
	}
	return t.flushAlerts()
}

// rowsPerInsert is how many rows one INSERT writes. The SQLite driver
// binds each parameter by searching every argument, so its cost grows with
// the square of a statement's parameters: there, many small statements
// beat one large one.
func (t *Tx) rowsPerInsert() int { return rowsPerInsert(t.postgres) }

func (s *Store) rowsPerInsert() int { return rowsPerInsert(s.postgres) }

func rowsPerInsert(postgres bool) int {
	if postgres {
		return 500
	}
	return 50
}

// dropBodies deletes the stored bodies of the calls applied: what they
// carried is now in the calls' effects and inbox items.
func (t *Tx) dropBodies() error {
	if len(t.bodies) == 0 {
		return nil
	}
	err := t.db.Where("id IN ?", t.bodies).Delete(&Body{}).Error
	t.bodies = t.bodies[:0]
	return err
}

// LatestRules returns the rules saved for scope and their version, read
// once per group.
func (t *Tx) LatestRules(scope RuleScope) ([]intake.Rule, int, error) {
	if r, ok := t.rules[scope]; ok {
		return r.rules, r.version, nil
	}
	rules, version, err := latestRules(t.db, scope)
	if err == nil {
		t.rules[scope] = savedRules{rules, version}
	}
	return rules, version, err
}

// metric is the metric ref names in a project, nil when none does.
func (t *Tx) metric(projectID, ref string) (*Metric, error) {
	key := projectID + "\x00" + ref
	if m, ok := t.metrics[key]; ok {
		return m, nil
	}
	m, err := findMetric(t.db, projectID, ref)
	if err != nil || m == nil {
		return nil, err
	}
	if known, ok := t.byID[m.ID]; ok {
		m = known // its value in memory is ahead of the row
	}
	t.metrics[key], t.byID[m.ID] = m, m
	return m, nil
}

// created keeps a metric a call just created.
func (t *Tx) created(m *Metric, ref string) {
	t.metrics[m.ProjectID+"\x00"+ref], t.byID[m.ID] = m, m
}

// addInbox queues an inbox item holding payload, written by flush, and
// returns its id.
func (t *Tx) addInbox(c intake.Call, source, payload, reason string) string {
	item := InboxItem{
		ID: intake.NewID("inb"), ProjectID: c.ProjectID, CallID: c.IngestID, ConnectorID: c.ConnectorID, Source: source,
		Kind: c.Kind, Payload: payload, Status: InboxOpen, Reason: reason,
	}
	t.inbox = append(t.inbox, item)
	return item.ID
}

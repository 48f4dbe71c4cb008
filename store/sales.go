package store

import (
	"context"
	"time"

	"github.com/intakehq/intake"
	"gorm.io/gorm"
)

// Activity is a SalesDash activity, upserted by its sender's id. Agent and
// team are kept as the sender's ids and as identities, which aggregates
// resolve to the linked agents and teams. MomentMS filters by time as an
// integer on every database; Day is the local day it happened.
type Activity struct {
	ID              string    `gorm:"primaryKey;size:40" json:"id"`
	ProjectID       string    `gorm:"size:40;not null;uniqueIndex:idx_activity_ext,priority:1;index:idx_activity_type,priority:1" json:"-"`
	ConnectorID     string    `gorm:"size:40;not null;uniqueIndex:idx_activity_ext,priority:2" json:"connector_id"`
	ExternalID      string    `gorm:"size:200;not null;uniqueIndex:idx_activity_ext,priority:3" json:"external_id"`
	Type            string    `gorm:"size:200;not null;index:idx_activity_type,priority:2" json:"type"`
	AgentID         string    `gorm:"size:200;not null" json:"agent_id"`
	AgentIdentityID string    `gorm:"size:40;not null" json:"agent_identity_id"`
	TeamIdentityID  string    `gorm:"size:40" json:"team_identity_id,omitempty"`
	Moment          time.Time `gorm:"not null" json:"moment"`
	MomentMS        int64     `gorm:"not null;index:idx_activity_type,priority:3" json:"-"`
	Day             string    `gorm:"size:10;not null" json:"day"`
	ContactKey      string    `gorm:"size:200" json:"contact_key,omitempty"`
	Value           *float64  `json:"value"`
	ValueIsMoney    bool      `gorm:"not null;default:false" json:"value_is_money"`
	CallID          string    `gorm:"size:64;not null" json:"call_id"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
}

// Sale is a SalesDash sale, upserted by its sender's id; CancelledAt set
// means cancelled.
type Sale struct {
	ID                    string     `gorm:"primaryKey;size:40" json:"id"`
	ProjectID             string     `gorm:"size:40;not null;uniqueIndex:idx_sale_ext,priority:1;index:idx_sale_time,priority:1" json:"-"`
	ConnectorID           string     `gorm:"size:40;not null;uniqueIndex:idx_sale_ext,priority:2" json:"connector_id"`
	ExternalID            string     `gorm:"size:200;not null;uniqueIndex:idx_sale_ext,priority:3" json:"external_id"`
	AgentID               string     `gorm:"size:200;not null" json:"agent_id"`
	AgentIdentityID       string     `gorm:"size:40;not null" json:"agent_identity_id"`
	TeamIdentityID        string     `gorm:"size:40" json:"team_identity_id,omitempty"`
	PropositionID         string     `gorm:"size:200;not null" json:"proposition_id"`
	PropositionIdentityID string     `gorm:"size:40;not null" json:"proposition_identity_id"`
	SoldAt                time.Time  `gorm:"not null" json:"sold_at"`
	SoldAtMS              int64      `gorm:"not null;index:idx_sale_time,priority:2" json:"-"`
	Day                   string     `gorm:"size:10;not null" json:"day"`
	CancelledAt           *time.Time `json:"cancelled_at"`
	IsRetention           bool       `gorm:"not null;default:false" json:"is_retention"`
	ContractValue         *float64   `json:"contract_value"`
	ContactKey            string     `gorm:"size:200" json:"contact_key,omitempty"`
	ElectricityUsage      *float64   `json:"electricity_usage,omitempty"`
	ElectricityReturn     *float64   `json:"electricity_return,omitempty"`
	GasUsage              *float64   `json:"gas_usage,omitempty"`
	ConnectionCount       *int64     `json:"connection_count,omitempty"`
	CallID                string     `gorm:"size:64;not null" json:"call_id"`
	CreatedAt             time.Time  `json:"created_at"`
	UpdatedAt             time.Time  `json:"updated_at"`
}

// UpsertActivity writes an activity call: its identities, then the
// activity by (project, connector, id). Fields the call left out keep their stored values.
func (t *Tx) UpsertActivity(c intake.Call, in intake.ActivityInput) (intake.UpsertResult, error) {
	tx := t.db
	agent, err := upsertAgent(tx, c.ProjectID, c.ConnectorID, in.Agent)
	if err != nil {
		return intake.UpsertResult{}, err
	}
	row := map[string]any{
		"type": in.Type, "agent_id": in.Agent.ID, "agent_identity_id": agent.ID, "team_identity_id": agent.TeamIdentityID,
		"moment": in.Moment.UTC(), "moment_ms": in.Moment.UnixMilli(), "day": in.Day, "call_id": c.IngestID,
	}
	setIf(row, "contact_key", in.ContactKey)
	setIf(row, "value", in.Value)
	setIf(row, "value_is_money", in.ValueIsMoney)
	return upsertRecord(tx, &Activity{}, "act", c, in.ID, row)
}

// UpsertSale writes a sale call like UpsertActivity; an explicit null
// cancelled_at reinstates a cancelled sale.
func (t *Tx) UpsertSale(c intake.Call, in intake.SaleInput) (intake.UpsertResult, error) {
	tx := t.db
	agent, err := upsertAgent(tx, c.ProjectID, c.ConnectorID, in.Agent)
	if err != nil {
		return intake.UpsertResult{}, err
	}
	ref := IdentityRef{ProjectID: c.ProjectID, ConnectorID: c.ConnectorID, Kind: intake.IdentityProposition, ExternalID: in.PropositionID}
	prop, err := upsertIdentity(tx, ref, in.PropositionName, "proposition_id")
	if err != nil {
		return intake.UpsertResult{}, err
	}
	row := map[string]any{
		"agent_id": in.Agent.ID, "agent_identity_id": agent.ID, "team_identity_id": agent.TeamIdentityID,
		"proposition_id": in.PropositionID, "proposition_identity_id": prop.ID,
		"sold_at": in.SoldAt.UTC(), "sold_at_ms": in.SoldAt.UnixMilli(), "day": in.Day, "call_id": c.IngestID,
	}
	if in.CancelledAtSet {
		row["cancelled_at"] = in.CancelledAt
	}
	setIf(row, "is_retention", in.IsRetention)
	setIf(row, "contract_value", in.ContractValue)
	setIf(row, "contact_key", in.ContactKey)
	setIf(row, "electricity_usage", in.Energy.ElectricityUsage)
	setIf(row, "electricity_return", in.Energy.ElectricityReturn)
	setIf(row, "gas_usage", in.Energy.GasUsage)
	setIf(row, "connection_count", in.Energy.ConnectionCount)
	return upsertRecord(tx, &Sale{}, "sale", c, in.ID, row)
}

// setIf sets column to *v when the call sent it.
func setIf[T any](row map[string]any, column string, v *T) {
	if v != nil {
		row[column] = *v
	}
}

// upsertRecord updates the record with the call's external id, or creates
// it. A concurrent create of the same id fails the unique index, and the
// activity's retry then finds and updates it.
func upsertRecord(tx *gorm.DB, model any, prefix string, c intake.Call, externalID string, row map[string]any) (intake.UpsertResult, error) {
	res := intake.UpsertResult{ExternalID: externalID}
	now := time.Now().UTC()
	var ids []string
	scope := tx.Model(model).Where("project_id = ? AND connector_id = ? AND external_id = ?", c.ProjectID, c.ConnectorID, externalID)
	if err := scope.Session(&gorm.Session{}).Limit(1).Pluck("id", &ids).Error; err != nil {
		return res, err
	}
	row["updated_at"] = now
	if len(ids) == 1 {
		res.ID = ids[0]
		return res, scope.Session(&gorm.Session{}).Updates(row).Error
	}
	res.ID, res.Created = intake.NewID(prefix), true
	row["id"], row["project_id"], row["connector_id"], row["external_id"], row["created_at"] = res.ID, c.ProjectID, c.ConnectorID, externalID, now
	return res, tx.Model(model).Create(row).Error
}

// RecordFilter narrows a list of activities or sales.
type RecordFilter struct {
	ConnectorID, Type, AgentID string
}

// ListActivities returns one page of a project's activities, newest first.
func (s *Store) ListActivities(ctx context.Context, projectID string, f RecordFilter, p Page) ([]Activity, string, error) {
	q := s.db.WithContext(ctx).Model(&Activity{}).Where("project_id = ?", projectID)
	if f.Type != "" {
		q = q.Where("type = ?", f.Type)
	}
	q = f.narrow(q)
	return list(q, p, func(r *Activity) string { return r.ID })
}

// ListSales returns one page of a project's sales, newest first.
func (s *Store) ListSales(ctx context.Context, projectID string, f RecordFilter, p Page) ([]Sale, string, error) {
	q := f.narrow(s.db.WithContext(ctx).Model(&Sale{}).Where("project_id = ?", projectID))
	return list(q, p, func(r *Sale) string { return r.ID })
}

func (f RecordFilter) narrow(q *gorm.DB) *gorm.DB {
	if f.ConnectorID != "" {
		q = q.Where("connector_id = ?", f.ConnectorID)
	}
	if f.AgentID != "" {
		q = q.Where("agent_id = ?", f.AgentID)
	}
	return q
}

// GetActivity returns a project's activity.
func (s *Store) GetActivity(ctx context.Context, projectID, id string) (Activity, error) {
	var a Activity
	err := s.db.WithContext(ctx).Where("project_id = ? AND id = ?", projectID, id).Take(&a).Error
	return a, notFound(err, "activity")
}

// GetSale returns a project's sale.
func (s *Store) GetSale(ctx context.Context, projectID, id string) (Sale, error) {
	var a Sale
	err := s.db.WithContext(ctx).Where("project_id = ? AND id = ?", projectID, id).Take(&a).Error
	return a, notFound(err, "sale")
}

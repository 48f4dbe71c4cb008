package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/intakehq/intake"
	"gorm.io/gorm"
)

// Connector is one connected app of a project. Secret verifies its
// deliveries and is never shown after creation; PreviousSecret stays valid
// until PreviousUntil after a rotation, so deliveries signed with either pass
// while the app is being switched over.
type Connector struct {
	ID             string     `gorm:"primaryKey;size:40" json:"id"`
	ProjectID      string     `gorm:"size:40;not null;index" json:"-"`
	Type           string     `gorm:"size:40;not null" json:"type"`
	Name           string     `gorm:"size:200;not null" json:"name"`
	Secret         string     `gorm:"type:text" json:"-"`
	PreviousSecret string     `gorm:"type:text" json:"-"`
	PreviousUntil  *time.Time `json:"previous_secret_until,omitempty"`
	Settings       string     `gorm:"type:text;not null;default:'{}'" json:"-"`
	Enabled        bool       `gorm:"not null;default:true" json:"enabled"`
	KeyID          string     `gorm:"size:40" json:"key_id,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
}

// SettingsMap decodes the connector's settings.
func (c Connector) SettingsMap() map[string]string {
	m := map[string]string{}
	_ = json.Unmarshal([]byte(c.Settings), &m)
	return m
}

// CreateConnector stores a connector, with its Bearer key when it has one,
// in one transaction.
func (s *Store) CreateConnector(ctx context.Context, c *Connector, key *APIKey) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if key != nil {
			if err := tx.Create(key).Error; err != nil {
				return err
			}
			c.KeyID = key.ID
		}
		return tx.Create(c).Error
	})
}

// GetConnector returns a connector by ID, whatever its project: webhook
// deliveries name only the connector.
func (s *Store) GetConnector(ctx context.Context, id string) (Connector, error) {
	var c Connector
	err := s.db.WithContext(ctx).Where("id = ?", id).Take(&c).Error
	return c, notFound(err, "connector")
}

// ListConnectors returns one page of a project's connectors.
func (s *Store) ListConnectors(ctx context.Context, projectID string, p Page) ([]Connector, string, error) {
	q := s.db.WithContext(ctx).Model(&Connector{}).Where("project_id = ?", projectID)
	return list(q, p, func(r *Connector) string { return r.ID })
}

// UpdateConnector changes a project's connector with edit, in one
// transaction, and returns it as saved.
func (s *Store) UpdateConnector(ctx context.Context, projectID, id string, edit func(*Connector) error) (Connector, error) {
	var c Connector
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("project_id = ? AND id = ?", projectID, id).Take(&c).Error; err != nil {
			return notFound(err, "connector")
		}
		if err := edit(&c); err != nil {
			return err
		}
		return tx.Save(&c).Error
	})
	return c, err
}

// RotateConnectorKey gives a project's connector a new Bearer key, in one
// transaction, and returns the connector and its previous key. The
// previous key keeps working until oldUntil, and is revoked at once when
// oldUntil is not after now. The connector keeps its id, so its
// identities, rules and history stay its own.
func (s *Store) RotateConnectorKey(ctx context.Context, projectID, id string, key *APIKey, now, oldUntil time.Time) (Connector, APIKey, error) {
	var c Connector
	var old APIKey
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("project_id = ? AND id = ?", projectID, id).Take(&c).Error; err != nil {
			return notFound(err, "connector")
		}
		if c.KeyID == "" {
			return intake.Errorf(intake.ErrConflict, "connector %s has no key: it is verified by its signature (rotate its secret)", id)
		}
		if err := tx.Where("id = ?", c.KeyID).Take(&old).Error; err != nil {
			return notFound(err, "connector key")
		}
		key.ProjectID, key.ConnectorID, key.RateLimit, key.RatePer = projectID, c.ID, old.RateLimit, old.RatePer
		if err := tx.Create(key).Error; err != nil {
			return err
		}
		end := map[string]any{"expires_at": oldUntil}
		if !oldUntil.After(now) {
			end = map[string]any{"revoked_at": now}
		}
		if old.ExpiresAt != nil && old.ExpiresAt.Before(oldUntil) {
			delete(end, "expires_at") // an earlier expiry stands
		}
		if len(end) > 0 {
			if err := tx.Model(&APIKey{}).Where("id = ?", old.ID).Updates(end).Error; err != nil {
				return err
			}
		}
		c.KeyID = key.ID
		return tx.Model(&c).Update("key_id", key.ID).Error
	})
	return c, old, err
}

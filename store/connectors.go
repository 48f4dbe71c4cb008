package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/intakehq/intake"
	"github.com/intakehq/intake/encryption"
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
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if key != nil {
			if err := tx.Create(key).Error; err != nil {
				return err
			}
			c.KeyID = key.ID
		}
		if err := s.sealSecrets(c); err != nil {
			return err
		}
		return tx.Create(c).Error
	})
	if err != nil {
		return err
	}
	return s.openSecrets(c)
}

// secretAAD binds a sealed secret to its connector.
func secretAAD(c *Connector) string { return "intake/secret/v1|" + c.ID }

// sealSecrets seals c's secrets in place, for writing.
func (s *Store) sealSecrets(c *Connector) (err error) {
	if c.Secret, err = s.keys.SealString(c.Secret, secretAAD(c)); err != nil {
		return err
	}
	c.PreviousSecret, err = s.keys.SealString(c.PreviousSecret, secretAAD(c))
	return err
}

// openSecrets opens c's secrets in place, as read.
func (s *Store) openSecrets(c *Connector) (err error) {
	if c.Secret, err = s.keys.OpenString(c.Secret, secretAAD(c)); err != nil {
		return fmt.Errorf("connector %s secret: %w", c.ID, err)
	}
	if c.PreviousSecret, err = s.keys.OpenString(c.PreviousSecret, secretAAD(c)); err != nil {
		return fmt.Errorf("connector %s previous secret: %w", c.ID, err)
	}
	return nil
}

// GetConnector returns a connector by ID, whatever its project: webhook
// deliveries name only the connector.
func (s *Store) GetConnector(ctx context.Context, id string) (Connector, error) {
	var c Connector
	if err := s.db.WithContext(ctx).Where("id = ?", id).Take(&c).Error; err != nil {
		return c, notFound(err, "connector")
	}
	return c, s.openSecrets(&c)
}

// ListConnectors returns one page of a project's connectors.
func (s *Store) ListConnectors(ctx context.Context, projectID string, p Page) ([]Connector, string, error) {
	q := s.db.WithContext(ctx).Model(&Connector{}).Where("project_id = ?", projectID)
	rows, next, err := list(q, p, func(r *Connector) string { return r.ID })
	for i := range rows {
		if err == nil {
			err = s.openSecrets(&rows[i])
		}
	}
	return rows, next, err
}

// UpdateConnector changes a project's connector with edit, in one
// transaction, and returns it as saved.
func (s *Store) UpdateConnector(ctx context.Context, projectID, id string, edit func(*Connector) error) (Connector, error) {
	var c Connector
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("project_id = ? AND id = ?", projectID, id).Take(&c).Error; err != nil {
			return notFound(err, "connector")
		}
		if err := s.openSecrets(&c); err != nil {
			return err
		}
		if err := edit(&c); err != nil {
			return err
		}
		if err := s.sealSecrets(&c); err != nil {
			return err
		}
		return tx.Save(&c).Error
	})
	if err != nil {
		return c, err
	}
	return c, s.openSecrets(&c)
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
	if err != nil {
		return c, old, err
	}
	return c, old, s.openSecrets(&c)
}

// MaintainSecrets erases previous secrets whose overlap has passed, then
// reseals every secret not sealed with the current key: plaintext from
// before encryption, or an older key's after a rotation. Several processes
// may run it at once: a row is rewritten only if unchanged since read.
func (s *Store) MaintainSecrets(ctx context.Context, now time.Time) (resealed int, err error) {
	db := s.db.WithContext(ctx)
	err = db.Model(&Connector{}).Where("previous_until IS NOT NULL AND previous_until <= ?", now).
		Updates(map[string]any{"previous_secret": "", "previous_until": nil}).Error
	if err != nil || s.keys == nil {
		return 0, err
	}
	stale := func(v string) bool { return v != "" && encryption.SealedWith([]byte(v)) != s.keys.Current() }
	var rows []Connector
	var unreadable []string
	err = db.Select("id", "secret", "previous_secret").Where("secret <> '' OR previous_secret <> ''").
		FindInBatches(&rows, 500, func(tx *gorm.DB, _ int) error {
			for _, c := range rows {
				if !stale(c.Secret) && !stale(c.PreviousSecret) {
					continue
				}
				read := c
				if err := s.openSecrets(&c); err != nil {
					unreadable = append(unreadable, c.ID) // the others are still resealed
					continue
				}
				if err := s.sealSecrets(&c); err != nil {
					return err
				}
				res := db.Model(&Connector{}).Where("id = ? AND secret = ? AND previous_secret = ?", c.ID, read.Secret, read.PreviousSecret).
					Updates(map[string]any{"secret": c.Secret, "previous_secret": c.PreviousSecret})
				if res.Error != nil {
					return res.Error
				}
				resealed += int(res.RowsAffected)
			}
			return nil
		}).Error
	if err == nil && len(unreadable) > 0 {
		err = fmt.Errorf("%d connector secrets open with none of the configured keys (connector %s first)", len(unreadable), unreadable[0])
	}
	return resealed, err
}

// KeyUse counts what intake's database holds sealed with each key id
// ("plaintext" for what is not sealed): connector secrets, current and
// previous, and stored bodies.
func (s *Store) KeyUse(ctx context.Context) (secrets, bodies map[string]int, err error) {
	secrets, bodies = map[string]int{}, map[string]int{}
	db := s.db.WithContext(ctx)
	count := func(m map[string]int, v []byte) {
		if len(v) == 0 {
			return
		}
		id := encryption.SealedWith(v)
		if id == "" {
			id = "plaintext"
		}
		m[id]++
	}
	var rows []Connector
	err = db.Select("id", "secret", "previous_secret").FindInBatches(&rows, 500, func(*gorm.DB, int) error {
		for _, c := range rows {
			count(secrets, []byte(c.Secret))
			count(secrets, []byte(c.PreviousSecret))
		}
		return nil
	}).Error
	if err != nil {
		return nil, nil, err
	}
	// A body's head holds its mark and key id; the rest may be megabytes.
	var heads [][]byte
	if err := db.Model(&Body{}).Pluck("substr(data, 1, 64)", &heads).Error; err != nil {
		return nil, nil, err
	}
	for _, h := range heads {
		count(bodies, h)
	}
	return secrets, bodies, nil
}

package store

import (
	"context"
	"time"
)

// ConsoleSession is a signed-in admin of the web console. ID is the
// SHA-256 of the cookie's secret, so a database reader cannot take over a
// session; TokenHash is the hash of the key (or instance token) it signed
// in with, checked again on every request, so that revoking the key ends
// the session.
type ConsoleSession struct {
	ID        string    `gorm:"primaryKey;size:64"`
	TokenHash string    `gorm:"size:64;not null"`
	Instance  bool      `gorm:"not null;default:false"`
	ProjectID string    `gorm:"size:40"`
	CSRF      string    `gorm:"size:64;not null"`
	ExpiresAt time.Time `gorm:"not null;index"`
	CreatedAt time.Time
}

// CreateSession stores a new session, and drops expired ones.
func (s *Store) CreateSession(ctx context.Context, sess *ConsoleSession) error {
	db := s.db.WithContext(ctx)
	if err := db.Where("expires_at <= ?", time.Now()).Delete(&ConsoleSession{}).Error; err != nil {
		return err
	}
	return db.Create(sess).Error
}

// Session returns the session with id, unless it has expired.
func (s *Store) Session(ctx context.Context, id string, now time.Time) (ConsoleSession, error) {
	var sess ConsoleSession
	err := s.db.WithContext(ctx).Where("id = ? AND expires_at > ?", id, now).Take(&sess).Error
	return sess, notFound(err, "session")
}

// DeleteSession ends a session.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	return s.db.WithContext(ctx).Where("id = ?", id).Delete(&ConsoleSession{}).Error
}

// SetSessionProject opens projectID in an instance admin's session ("" goes
// back to the instance's own pages).
func (s *Store) SetSessionProject(ctx context.Context, id, projectID string) error {
	return s.db.WithContext(ctx).Model(&ConsoleSession{}).Where("id = ? AND instance", id).Update("project_id", projectID).Error
}

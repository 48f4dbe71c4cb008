package store

import (
	"context"
	"time"

	"github.com/intakehq/intake"
	"gorm.io/gorm"
)

// CreateProject stores a project together with its first API key, in one
// transaction so that no project is ever left without a way in.
func (s *Store) CreateProject(ctx context.Context, p *Project, first *APIKey) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(p).Error; err != nil {
			return err
		}
		first.ProjectID = p.ID
		return tx.Create(first).Error
	})
}

// ListProjects returns one page of projects.
func (s *Store) ListProjects(ctx context.Context, p Page) ([]Project, string, error) {
	return list(s.db.WithContext(ctx).Model(&Project{}), p, func(r *Project) string { return r.ID })
}

// GetProject returns a project by ID.
func (s *Store) GetProject(ctx context.Context, id string) (Project, error) {
	var p Project
	err := s.db.WithContext(ctx).Where("id = ?", id).Take(&p).Error
	return p, notFound(err, "project")
}

// CreateAPIKey stores a new key of an existing project.
func (s *Store) CreateAPIKey(ctx context.Context, k *APIKey) error {
	return s.db.WithContext(ctx).Create(k).Error
}

// APIKeyByHash finds a key by the hash of its secret, revoked or not: the
// caller decides, so that it can cache the answer either way.
func (s *Store) APIKeyByHash(ctx context.Context, hash string) (APIKey, error) {
	var k APIKey
	err := s.db.WithContext(ctx).Where("hash = ?", hash).Take(&k).Error
	return k, notFound(err, "api key")
}

// TouchAPIKey records that a key was used. Auth calls it once per cache
// refresh, not per request, so last_used_at is accurate to that interval.
func (s *Store) TouchAPIKey(ctx context.Context, id string, at time.Time) error {
	return s.db.WithContext(ctx).Model(&APIKey{}).Where("id = ?", id).
		Update("last_used_at", at.UTC()).Error
}

// ListAPIKeys returns one page of a project's keys, revoked ones included.
func (s *Store) ListAPIKeys(ctx context.Context, projectID string, p Page) ([]APIKey, string, error) {
	q := s.db.WithContext(ctx).Model(&APIKey{}).Where("project_id = ?", projectID)
	return list(q, p, func(r *APIKey) string { return r.ID })
}

// RevokeAPIKey revokes a key of the project and returns it. Revoking twice
// keeps the first revocation time.
func (s *Store) RevokeAPIKey(ctx context.Context, projectID, id string, at time.Time) (APIKey, error) {
	var k APIKey
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("project_id = ? AND id = ?", projectID, id).Take(&k).Error; err != nil {
			return notFound(err, "api key")
		}
		if k.RevokedAt != nil {
			return nil
		}
		at = at.UTC()
		k.RevokedAt = &at
		return tx.Model(&k).Update("revoked_at", at).Error
	})
	return k, err
}

// The reasons a stored key no longer works.
var (
	errKeyRevoked = intake.Errorf(intake.ErrInvalidAPIKey, "API key is revoked")
	errKeyExpired = intake.Errorf(intake.ErrInvalidAPIKey, "API key has expired")
)

// Usable reports why k cannot be used at now, or nil when it can.
func (k APIKey) Usable(now time.Time) error {
	if k.RevokedAt != nil {
		return errKeyRevoked
	}
	if k.ExpiresAt != nil && !now.Before(*k.ExpiresAt) {
		return errKeyExpired
	}
	return nil
}

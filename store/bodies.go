package store

import (
	"context"

	"github.com/intakehq/intake"
)

// PutBody stores the input of a call too large to travel in Temporal and
// returns its reference. It is committed before the call's workflow
// starts, so the call is as durable as one that carries its input.
func (s *Store) PutBody(ctx context.Context, projectID string, data []byte) (string, error) {
	b := Body{ID: intake.NewID("bdy"), ProjectID: projectID}
	sealed, err := s.keys.SealBytes(data, bodyAAD(b))
	if err != nil {
		return "", err
	}
	b.Data = sealed
	return b.ID, s.db.WithContext(ctx).Create(&b).Error
}

// bodyAAD binds a sealed body to its row.
func bodyAAD(b Body) string { return "intake/body/v1|" + b.ID + "|" + b.ProjectID }

// DeleteBody removes a stored body whose call was never started.
func (s *Store) DeleteBody(ctx context.Context, id string) error {
	return s.db.WithContext(ctx).Where("id = ?", id).Delete(&Body{}).Error
}

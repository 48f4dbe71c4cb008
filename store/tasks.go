package store

import (
	"context"
	"time"

	"github.com/intakehq/intake"
	"gorm.io/gorm"
)

// Task is a to-do pushed by an integration. ExternalID is the sender's id;
// tasks that have one are unique per (project, source, id) and upserted.
type Task struct {
	ID         string     `gorm:"primaryKey;size:40" json:"id"`
	ProjectID  string     `gorm:"size:40;not null;uniqueIndex:idx_task_external,priority:1" json:"-"`
	Source     string     `gorm:"size:200;not null;uniqueIndex:idx_task_external,priority:2" json:"source"`
	ExternalID *string    `gorm:"size:200;uniqueIndex:idx_task_external,priority:3" json:"external_id"`
	Text       string     `gorm:"type:text;not null" json:"text"`
	DueDate    *time.Time `json:"due_date"`
	Priority   string     `gorm:"size:40" json:"priority,omitempty"`
	Notes      string     `gorm:"type:text" json:"notes,omitempty"`
	CallID     string     `gorm:"size:64;not null" json:"call_id"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
}

// UpsertTasks writes a tasks call and counts the project's tasks
// afterwards.
func (t *Tx) UpsertTasks(c intake.Call, source string, tasks []intake.TaskInput) (intake.TasksResult, error) {
	tx := t.db
	var res intake.TasksResult
	for _, in := range tasks {
		row := Task{
			ID: intake.NewID("task"), ProjectID: c.ProjectID, Source: source, Text: in.Text,
			DueDate: in.DueDate, Priority: in.Priority, Notes: in.Notes, CallID: c.IngestID,
		}
		if in.ID != "" {
			ext := in.ID
			row.ExternalID = &ext
			var existing Task
			err := tx.Where("project_id = ? AND source = ? AND external_id = ?", c.ProjectID, source, ext).Take(&existing).Error
			if err == nil {
				err = tx.Model(&existing).Updates(map[string]any{
					"text": in.Text, "due_date": in.DueDate, "priority": in.Priority, "notes": in.Notes,
					"call_id": c.IngestID, "updated_at": time.Now().UTC(),
				}).Error
				if err != nil {
					return res, err
				}
				res.Updated++
				continue
			}
			if err != gorm.ErrRecordNotFound {
				return res, err
			}
		}
		if err := tx.Create(&row).Error; err != nil {
			return res, err
		}
		res.Created++
	}
	err := tx.Model(&Task{}).Where("project_id = ?", c.ProjectID).Count(&res.Total).Error
	return res, err
}

// ListTasks returns one page of a project's tasks, newest first.
func (s *Store) ListTasks(ctx context.Context, projectID, source string, p Page) ([]Task, string, error) {
	q := s.db.WithContext(ctx).Model(&Task{}).Where("project_id = ?", projectID)
	if source != "" {
		q = q.Where("source = ?", source)
	}
	return list(q, p, func(r *Task) string { return r.ID })
}

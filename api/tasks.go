package api

import (
	"context"
	"fmt"
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/intakehq/intake"
	"github.com/intakehq/intake/activities"
	"github.com/intakehq/intake/store"
)

func (s *Server) ingestTasks(c *fiber.Ctx) error {
	o, err := callBody(c, maxCallBody)
	if err != nil {
		return err
	}
	source, err := o.requiredStr("source", 200)
	if err != nil {
		return err
	}
	raws, err := o.items("tasks")
	if err != nil {
		return err
	}
	tasks := make([]intake.TaskInput, len(raws))
	for i, raw := range raws {
		item, err := decodeObject(raw)
		if err == nil {
			tasks[i], err = parseTask(item)
		}
		if err != nil {
			return prefixed(err, fmt.Sprintf("tasks[%d].", i))
		}
	}
	base, err := s.newCall(c, source, "")
	if err != nil {
		return err
	}
	call, err := activities.Tasks.Call(base, activities.TasksInput{Tasks: tasks})
	if err != nil {
		return err
	}
	return s.process(c, call, nil)
}

func parseTask(o object) (intake.TaskInput, error) {
	var t intake.TaskInput
	var err error
	if t.Text, err = o.requiredStr("text", 2000); err != nil {
		return t, err
	}
	if t.Notes, err = o.str("notes", 10000); err != nil {
		return t, err
	}
	if t.ID, err = o.scalar("id", 200); err != nil {
		return t, err
	}
	// Dashello's own example flags a task with "priority": true.
	if raw := string(o["priority"]); raw == "true" || raw == "false" {
		t.Priority = raw
	} else if t.Priority, err = o.scalar("priority", 40); err != nil {
		return t, err
	}
	if raw, ok := o["dueDate"]; ok && !isNull(raw) {
		due, err := intake.ParseTime(raw)
		if err != nil {
			return t, intake.Invalid("dueDate", "dueDate %v", err)
		}
		t.DueDate = &due
	}
	return t, nil
}

// scalar reads a field that may be a string or a number, as a string: ids
// and priorities arrive as either.
func (o object) scalar(name string, max int) (string, error) {
	if v, ok, err := o.number(name); err == nil && ok {
		return strconv.FormatFloat(v, 'f', -1, 64), nil
	}
	return o.str(name, max)
}

func (s *Server) listTasks(c *fiber.Ctx) error {
	return paged(c, func(ctx context.Context, pg store.Page) ([]store.Task, string, error) {
		return s.store.ListTasks(ctx, principal(c).ProjectID, c.Query("source"), pg)
	})
}

package api

import (
	"context"
	"encoding/json"
	"regexp"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/intakehq/intake"
	"github.com/intakehq/intake/store"
)

var metricKeyPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,99}$`)

// metricJSON is a metric as the admin API shows it, with its value also
// formatted by unit as a dashboard would show it.
type metricJSON struct {
	store.Metric
	Display string `json:"display"`
}

func showMetric(m store.Metric) metricJSON {
	return metricJSON{Metric: m, Display: intake.FormatValue(m.Value, m.Unit)}
}

func (s *Server) createMetric(c *fiber.Ctx) error {
	o, err := decodeObject(c.Body())
	if err != nil {
		return err
	}
	key, err := o.requiredStr("key", 100)
	if err != nil {
		return err
	}
	if !metricKeyPattern.MatchString(key) {
		return intake.Invalid("key", "key must be snake_case: a lower-case letter, then letters, digits or _")
	}
	name, err := o.requiredStr("name", 200)
	if err != nil {
		return err
	}
	unit, err := o.str("unit", 20)
	if err != nil {
		return err
	}
	value, _, err := o.number("value")
	if err != nil {
		return err
	}
	m := store.Metric{ID: intake.NewID("m"), ProjectID: principal(c).ProjectID, Key: key, Name: name, Unit: unit, Value: value}
	if err := s.store.CreateMetric(c.UserContext(), &m); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(showMetric(m))
}

// updateMetric renames a metric or changes its unit. Its key is what
// rules and callers name it by, and its value is its points' to set, so
// neither changes here.
func (s *Server) updateMetric(c *fiber.Ctx) error {
	o, err := decodeObject(c.Body())
	if err != nil {
		return err
	}
	for _, fixed := range []string{"key", "value"} {
		if _, ok := o[fixed]; ok {
			return intake.Invalid(fixed, "a metric's %s cannot be changed: create a new metric, or push a point", fixed)
		}
	}
	name, err := o.str("name", 200)
	if err != nil {
		return err
	}
	if _, ok := o["name"]; ok && name == "" {
		return intake.Invalid("name", "name cannot be empty")
	}
	unit, err := o.str("unit", 20)
	if err != nil {
		return err
	}
	_, setUnit := o["unit"]
	m, err := s.store.UpdateMetric(c.UserContext(), principal(c).ProjectID, c.Params("id"), func(m *store.Metric) error {
		if name != "" {
			m.Name = name
		}
		if setUnit {
			m.Unit = unit
		}
		return nil
	})
	if err != nil {
		return err
	}
	return c.JSON(showMetric(m))
}

func (s *Server) deleteMetric(c *fiber.Ctx) error {
	if err := s.store.DeleteMetric(c.UserContext(), principal(c).ProjectID, c.Params("id")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) listMetrics(c *fiber.Ctx) error {
	return paged(c, func(ctx context.Context, pg store.Page) ([]metricJSON, string, error) {
		rows, next, err := s.store.ListMetrics(ctx, principal(c).ProjectID, pg)
		return mapRows(rows, next, err, showMetric)
	})
}

// listPoints answers a metric's history, latest first, within ?from and ?to
// (any timestamp form ingest accepts).
func (s *Server) listPoints(c *fiber.Ctx) error {
	p := principal(c)
	m, err := s.store.GetMetric(c.UserContext(), p.ProjectID, c.Params("id"))
	if err != nil {
		return err
	}
	var r store.PointRange
	for name, dst := range map[string]*time.Time{"from": &r.From, "to": &r.To} {
		if q := c.Query(name); q != "" {
			raw, _ := json.Marshal(q)
			if *dst, err = intake.ParseTime(raw); err != nil {
				return intake.Invalid(name, "%s %v", name, err)
			}
		}
	}
	return paged(c, func(ctx context.Context, pg store.Page) ([]pointJSON, string, error) {
		rows, next, err := s.store.ListPoints(ctx, p.ProjectID, m.ID, r, pg)
		return mapRows(rows, next, err, func(pt store.MetricPoint) pointJSON {
			out := pointJSON{MetricPoint: pt}
			if pt.Metadata != "" {
				out.Metadata = json.RawMessage(pt.Metadata)
			}
			return out
		})
	})
}

// pointJSON is a point with its metadata as the JSON object it was sent as.
type pointJSON struct {
	store.MetricPoint
	Metadata json.RawMessage `json:"metadata,omitempty"`
}

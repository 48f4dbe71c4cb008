package api

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/intakehq/intake"
	"github.com/intakehq/intake/store"
)

func recordFilter(c *fiber.Ctx) store.RecordFilter {
	return store.RecordFilter{ConnectorID: c.Query("connector_id"), Type: c.Query("type"), AgentID: c.Query("agent_id")}
}

func (s *Server) listActivities(c *fiber.Ctx) error {
	return paged(c, func(ctx context.Context, pg store.Page) ([]store.Activity, string, error) {
		return s.store.ListActivities(ctx, principal(c).ProjectID, recordFilter(c), pg)
	})
}

func (s *Server) getActivity(c *fiber.Ctx) error {
	a, err := s.store.GetActivity(c.UserContext(), principal(c).ProjectID, c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(a)
}

func (s *Server) listSales(c *fiber.Ctx) error {
	return paged(c, func(ctx context.Context, pg store.Page) ([]store.Sale, string, error) {
		return s.store.ListSales(ctx, principal(c).ProjectID, recordFilter(c), pg)
	})
}

func (s *Server) getSale(c *fiber.Ctx) error {
	a, err := s.store.GetSale(c.UserContext(), principal(c).ProjectID, c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(a)
}

// aggregateQuery reads an aggregate's query: group_by, type, connector_id,
// and from/to (to exclusive) read in tz, default Europe/Amsterdam, where a
// bare date means its midnight.
func aggregateQuery(c *fiber.Ctx, kind string) (store.AggregateQuery, error) {
	q := store.AggregateQuery{ProjectID: principal(c).ProjectID, ConnectorID: c.Query("connector_id"), Type: c.Query("type"),
		GroupBy: c.Query("group_by")}
	if groups := store.Groupings(kind); q.GroupBy != "" && !slices.Contains(groups, q.GroupBy) {
		return q, intake.Invalid("group_by", "group_by must be one of %s", strings.Join(groups, ", "))
	}
	if v := c.Query("include_cancelled"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return q, intake.Invalid("include_cancelled", "include_cancelled must be true or false")
		}
		q.IncludeCancelled = b
	}
	loc, err := location(c.Query("tz"))
	if err != nil {
		return q, intake.Invalid("tz", "tz must be an IANA time zone such as Europe/Amsterdam")
	}
	for name, dst := range map[string]*int64{"from": &q.FromMS, "to": &q.ToMS} {
		v := c.Query(name)
		if v == "" {
			continue
		}
		var t time.Time
		if d, err := time.Parse("2006-01-02", v); err == nil {
			t = intake.WallClock(d, loc)
		} else if t, err = intake.ParseLocalTime(v, loc); err != nil {
			return q, intake.Invalid(name, "%s %v", name, err)
		}
		*dst = t.UnixMilli()
	}
	if q.FromMS != 0 && q.ToMS != 0 && q.ToMS <= q.FromMS {
		return q, intake.Invalid("to", "to must be after from")
	}
	return q, nil
}

// aggregateAnswer is an aggregate's groups with their total.
func aggregateAnswer(c *fiber.Ctx, q store.AggregateQuery, rows []store.AggregateRow) error {
	total := store.AggregateRow{}
	for _, r := range rows {
		total.Count += r.Count
		total.Sum += r.Sum
	}
	if rows == nil {
		rows = []store.AggregateRow{}
	}
	return c.JSON(fiber.Map{"group_by": q.GroupBy, "data": rows, "total": fiber.Map{"count": total.Count, "sum": total.Sum}})
}

func (s *Server) aggregateActivities(c *fiber.Ctx) error {
	q, err := aggregateQuery(c, intake.KindActivity)
	if err != nil {
		return err
	}
	rows, err := s.store.AggregateActivities(c.UserContext(), q)
	if err != nil {
		return err
	}
	return aggregateAnswer(c, q, rows)
}

func (s *Server) aggregateSales(c *fiber.Ctx) error {
	q, err := aggregateQuery(c, intake.KindSale)
	if err != nil {
		return err
	}
	if q.Type != "" {
		return intake.Invalid("type", "sales have no type; filter with connector_id, from and to")
	}
	rows, err := s.store.AggregateSales(c.UserContext(), q)
	if err != nil {
		return err
	}
	return aggregateAnswer(c, q, rows)
}

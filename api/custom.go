package api

import (
	"encoding/json"
	"fmt"
	"regexp"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/intakehq/intake"
	"github.com/intakehq/intake/activities"
)

var snakeCase = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

// customWebhook takes Dashtray-style pushes: one metric object, or
// {metrics: [...]}. Unknown metricIds create the metric. Unlike a batch, one
// bad item refuses the whole request, as Dashtray does.
func (s *Server) customWebhook(c *fiber.Ctx) error {
	o, err := callBody(c, maxCallBody)
	if err != nil {
		return err
	}
	raws := []json.RawMessage{c.Body()}
	prefix := func(int) string { return "" }
	if _, many := o["metrics"]; many {
		if raws, err = o.items("metrics"); err != nil {
			return err
		}
		prefix = func(i int) string { return fmt.Sprintf("metrics[%d].", i) }
	}
	ins := make([]intake.MetricInput, len(raws))
	for i, raw := range raws {
		item, err := decodeObject(raw)
		if err != nil {
			return prefixed(err, prefix(i))
		}
		if ins[i], err = s.parseCustom(principal(c).ProjectID, item, raw); err != nil {
			return prefixed(err, prefix(i))
		}
	}
	base, err := s.newCall(c, intake.KindCustom, "")
	if err != nil {
		return err
	}
	call, err := activities.Custom.Call(base, activities.MetricsInput{Metrics: ins})
	if err != nil {
		return err
	}
	return s.process(c, call, nil)
}

func (s *Server) parseCustom(projectID string, o object, raw []byte) (intake.MetricInput, error) {
	in := intake.MetricInput{Source: "custom", Raw: string(raw), Timestamp: s.now().UTC()}
	id, err := o.requiredStr("metricId", 100)
	if err != nil {
		return in, err
	}
	if !snakeCase.MatchString(id) {
		return in, intake.Invalid("metricId", "metricId must be snake_case, like monthly_revenue")
	}
	name, err := o.str("name", 200)
	if err != nil {
		return in, err
	}
	if name == "" {
		name = id
	}
	unit, err := o.str("unit", 20)
	if err != nil {
		return in, err
	}
	v, ok, err := o.number("value")
	if err != nil {
		return in, err
	}
	if !ok {
		return in, intake.Invalid("value", "value is required")
	}
	if raw, ok := o["timestamp"]; ok && !isNull(raw) {
		ms, ok, err := o.number("timestamp")
		if err != nil || !ok {
			return in, intake.Invalid("timestamp", "timestamp must be Unix milliseconds, a JSON number")
		}
		ts := time.UnixMilli(int64(ms)).UTC()
		if ts.After(s.now().Add(intake.MaxClockSkew)) {
			return in, intake.Invalid("timestamp", "timestamp is more than 5 minutes in the future")
		}
		in.Timestamp = ts
	}
	if pid, err := o.str("projectId", 40); err != nil {
		return in, err
	} else if pid != "" && pid != projectID {
		return in, intake.Errorf(intake.ErrForbidden, "projectId %q is not the project of this API key", pid)
	}
	in.Metric, in.Value = id, v
	in.Create = &intake.MetricSpec{Key: id, Name: name, Unit: unit}
	return in, nil
}

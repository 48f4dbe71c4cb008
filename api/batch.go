package api

import (
	"encoding/json"
	"fmt"

	"github.com/gofiber/fiber/v2"
	"github.com/intakehq/intake"
	"github.com/intakehq/intake/activities"
)

// items reads field name of o as an array of 1 to maxItems JSON values.
func (o object) items(name string) ([]json.RawMessage, error) {
	raw, ok := o[name]
	if !ok || isNull(raw) {
		return nil, intake.Invalid(name, "%s is required: an array of 1 to %d items", name, maxItems)
	}
	var items []json.RawMessage
	if raw[0] != '[' || json.Unmarshal(raw, &items) != nil {
		return nil, intake.Invalid(name, "%s must be an array", name)
	}
	if len(items) == 0 || len(items) > maxItems {
		return nil, intake.Invalid(name, "%s must hold 1 to %d items, not %d", name, maxItems, len(items))
	}
	return items, nil
}

// ingestBatch validates each item on its own; the valid ones are applied as
// one call (one workflow, one transaction), and every item is answered in
// request order.
func (s *Server) ingestBatch(c *fiber.Ctx) error {
	o, err := callBody(c, maxCallBody)
	if err != nil {
		return err
	}
	raws, err := o.items("metrics")
	if err != nil {
		return err
	}
	answers := make([]fiber.Map, len(raws))
	var valid []intake.MetricInput
	var index []int
	for i, raw := range raws {
		prefix := fmt.Sprintf("metrics[%d].", i)
		item, err := decodeObject(raw)
		var in intake.MetricInput
		if err == nil {
			in, err = s.parseMetric(item, raw, prefix)
		}
		name, _ := item.str("metric", 200)
		if err != nil {
			e := asIntakeError(err)
			answers[i] = fiber.Map{"metric": name, "status": intake.OutcomeInvalid, "message": e.Message, "field": e.Field}
			continue
		}
		answers[i] = fiber.Map{"metric": in.Metric}
		valid = append(valid, in)
		index = append(index, i)
	}
	if len(valid) == 0 {
		return &intake.Error{Code: intake.ErrInvalidPayload, Field: "metrics", Message: "no item of the batch is valid", Details: fiber.Map{"field": "metrics", "results": answers}}
	}
	base, err := s.newCall(c, valid[0].Source, "")
	if err != nil {
		return err
	}
	call, err := activities.Batch.Call(base, activities.MetricsInput{Metrics: valid})
	if err != nil {
		return err
	}
	// The answer lists every item in request order: the valid ones with
	// their outcome (the kind's answer has them, in order), the invalid
	// ones as they were refused above.
	return s.process(c, call, func(answer map[string]any, _ intake.Outcome) error {
		applied, _ := answer["results"].([]map[string]any)
		if len(applied) != len(index) {
			return fmt.Errorf("the batch's workflow answered %d results for %d valid items", len(applied), len(index))
		}
		for j, item := range applied {
			for k, v := range item {
				answers[index[j]][k] = v
			}
		}
		answer["results"] = answers
		return nil
	})
}

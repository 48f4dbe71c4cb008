package api

import (
	"encoding/json"
	"fmt"

	"github.com/gofiber/fiber/v2"
	"github.com/intakehq/intake"
	"github.com/intakehq/intake/workflows"
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
	call, err := s.newCall(c, intake.KindBatch)
	if err != nil {
		return err
	}
	var out workflows.IngestBatchResult
	input := workflows.IngestBatchInput{Call: call, Source: valid[0].Source, Metrics: valid}
	return s.run(c, call, workflows.Attrs{Source: input.Source}, workflows.IngestBatch, input, &out, func() any {
		for j, r := range out.Results {
			a := answers[index[j]]
			for k, v := range metricOutcome(r) {
				a[k] = v
			}
			a["status"] = r.Outcome
			delete(a, "inboxed")
		}
		return fiber.Map{"ok": true, "ingest_id": call.IngestID, "results": answers}
	})
}

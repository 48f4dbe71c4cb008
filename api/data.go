package api

import (
	"bytes"

	"github.com/gofiber/fiber/v2"
	"github.com/intakehq/intake"
	"github.com/intakehq/intake/workflows"
)

// ingestData takes any JSON object with a source; the source's field
// mappings decide which fields update which metrics.
func (s *Server) ingestData(c *fiber.Ctx) error {
	o, err := callBody(c, maxCallBody)
	if err != nil {
		return err
	}
	source, err := o.requiredStr("source", 200)
	if err != nil {
		return err
	}
	dataType, err := o.str("data_type", 200)
	if err != nil {
		return err
	}
	ts, err := s.timestamp(o, "timestamp")
	if err != nil {
		return err
	}
	call, err := s.newCall(c, intake.KindData)
	if err != nil {
		return err
	}
	var out workflows.IngestDataResult
	input := workflows.IngestDataInput{Call: call, Source: source, DataType: dataType, Payload: string(bytes.TrimSpace(c.Body())), Timestamp: ts,
		Headers: headersForRules(c)}
	attrs := workflows.Attrs{Source: source, EventType: dataType}
	return s.run(c, call, attrs, workflows.IngestData, input, &out, func() any {
		return dataAnswer(call.IngestID, out.Result)
	})
}

// dataAnswer is the answer to a data call: each update with the field it
// came from, and the inbox item holding what nothing mapped.
func dataAnswer(ingestID string, r intake.DataResult) fiber.Map {
	updated := make([]fiber.Map, len(r.Updated))
	for i, u := range r.Updated {
		updated[i] = metricOutcome(u)
		if i < len(r.Fields) {
			updated[i]["field"] = r.Fields[i]
		}
	}
	out := fiber.Map{"ok": true, "ingest_id": ingestID, "updated": updated, "inboxed": r.InboxID != ""}
	if r.InboxID != "" {
		out["inbox_id"], out["message"] = r.InboxID, r.Reason
	}
	if r.RuleVersion > 0 {
		out["rule_version"] = r.RuleVersion
	}
	return out
}

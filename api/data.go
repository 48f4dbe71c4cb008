package api

import (
	"bytes"

	"github.com/gofiber/fiber/v2"
	"github.com/intakehq/intake/activities"
)

// ingestData takes any JSON object with a source; the source's field
// mappings decide which fields update which metrics. Bodies up to 5 MB are
// taken: a large one travels to its workflow by reference.
func (s *Server) ingestData(c *fiber.Ctx) error {
	o, err := callBody(c, maxDataBody)
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
	base, err := s.newCall(c, source, dataType)
	if err != nil {
		return err
	}
	in := activities.DataInput{Payload: string(bytes.TrimSpace(c.Body())), Timestamp: ts, Headers: headersForRules(c)}
	call, err := activities.Data.Call(base, in)
	if err != nil {
		return err
	}
	return s.process(c, call, nil)
}

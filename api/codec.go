package api

import (
	"crypto/subtle"

	"github.com/gofiber/fiber/v2"
	"github.com/intakehq/intake"
	"github.com/intakehq/intake/encryption"
	commonpb "go.temporal.io/api/common/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// The codec endpoint is Temporal's remote codec protocol (POST
// {endpoint}/decode and /encode, a JSON Payloads in and out), so that the
// Temporal UI and CLI show intake's encrypted payloads decoded. The
// instance admin decodes everything; a project's admin key only what its
// own project's workflows carry. The UI, which sends no key of ours,
// calls /api/codec/ui/{token}, the codec token being its credential.

// codecAuth admits the UI's codec token from the path, as the instance.
func (s *Server) codecAuth(c *fiber.Ctx) error {
	if s.opts.CodecToken == "" || subtle.ConstantTimeCompare([]byte(c.Params("token")), []byte(s.opts.CodecToken)) != 1 {
		return intake.Errorf(intake.ErrNotFound, "no such codec endpoint")
	}
	c.Locals(principalKey, intake.Principal{Instance: true})
	if err := readBody(c); err != nil {
		return err
	}
	return c.Next()
}

func (s *Server) codec(c *fiber.Ctx) error {
	if s.opts.Keys == nil {
		return intake.Errorf(intake.ErrNotFound, "payload encryption is off: set INTAKE_ENCRYPTION_KEYS")
	}
	var in commonpb.Payloads
	if err := protojson.Unmarshal(c.Body(), &in); err != nil {
		return intake.Invalid("payloads", "the body must be a JSON Payloads object, {\"payloads\": [...]}: %v", err)
	}
	p := principal(c)
	var out []*commonpb.Payload
	var err error
	switch c.Params("action") {
	case "decode":
		for i, pl := range in.Payloads {
			if !p.Instance && encryption.Encrypted(pl) && encryption.Project(pl) != p.ProjectID {
				return intake.Errorf(intake.ErrForbidden, "payloads[%d] belongs to no project of this key; only the instance admin decodes it", i)
			}
		}
		out, err = encryption.Decode(s.opts.Keys, in.Payloads)
	case "encode":
		out, err = encryption.Encode(s.opts.Keys, p.ProjectID, s.opts.CompressPayloads, in.Payloads)
	default:
		return intake.Errorf(intake.ErrNotFound, "the codec endpoint has /decode and /encode")
	}
	if err != nil {
		return intake.Invalid("payloads", "%v", err)
	}
	raw, err := protojson.Marshal(&commonpb.Payloads{Payloads: out})
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(raw)
}

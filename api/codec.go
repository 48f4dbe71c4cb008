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
	var in commonpb.Payloads
	if err := protojson.Unmarshal(c.Body(), &in); err != nil {
		return intake.Invalid("payloads", "the body must be a JSON Payloads object, {\"payloads\": [...]}: %v", err)
	}
	p := principal(c)
	out := in.Payloads
	var err error
	switch c.Params("action") {
	case "decode":
		if s.opts.Keys == nil {
			break // nothing is sealed: a UI pointed here shows payloads as they are
		}
		// A project's key opens its own project's payloads and leaves
		// those of no project (failure messages, which the SDK encodes
		// outside any workflow's context) as they are.
		mine := make([]*commonpb.Payload, 0, len(out))
		for i, pl := range out {
			switch {
			case !encryption.Encrypted(pl) || p.Instance || encryption.Project(pl) == p.ProjectID:
				mine = append(mine, pl)
			case encryption.Project(pl) != "":
				return intake.Errorf(intake.ErrForbidden, "payloads[%d] belongs to another project; only the instance admin decodes it", i)
			}
		}
		opened, derr := encryption.Decode(s.opts.Keys, mine)
		if err = derr; err == nil {
			out = make([]*commonpb.Payload, len(in.Payloads))
			for i, j := 0, 0; i < len(out); i++ {
				if pl := in.Payloads[i]; encryption.Encrypted(pl) && !p.Instance && encryption.Project(pl) != p.ProjectID {
					out[i] = pl
					continue
				}
				out[i], j = opened[j], j+1
			}
		}
	case "encode":
		if s.opts.Keys != nil {
			out, err = encryption.Encode(s.opts.Keys, p.ProjectID, s.opts.CompressPayloads, in.Payloads)
		}
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

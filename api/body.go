package api

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"io"
	"strings"
	"sync/atomic"

	"github.com/andybalholm/brotli"
	"github.com/gofiber/fiber/v2"
	"github.com/intakehq/intake"
)

// The server streams request bodies (fiber.Config.StreamRequestBody): it
// hands a request over after its headers and at most 8 KB of its body,
// and intake reads the rest itself, once the caller is known. A request
// with a bad key, over its limit or shed for capacity never has its body
// read; a webhook delivery, whose credential is a signature over its
// body, is read under a byte budget shared by every delivery not yet
// verified. A compressed body is decoded under the same bound as a plain
// one, so a small gzip that inflates to gigabytes is refused at MaxBody.

const bodyReadKey = "intake.bodyRead"

// DefaultMaxUnverifiedBytes is the body bytes that webhook deliveries not
// yet verified may hold in one process.
const DefaultMaxUnverifiedBytes = 64 << 20

// guardBodies runs first: a declared body over MaxBody is refused before
// anything else, and a request whose body was never read closes its
// connection, since the unread rest would otherwise be taken for the
// next request on it.
func guardBodies(c *fiber.Ctx) error {
	if n := c.Request().Header.ContentLength(); n > MaxBody {
		c.Response().SetConnectionClose()
		return tooLarge(MaxBody)
	}
	err := c.Next()
	if c.Locals(bodyReadKey) == nil && hasBody(c) {
		c.Response().SetConnectionClose()
	}
	return err
}

// hasBody reports whether the request declares a body: a length, or
// chunks.
func hasBody(c *fiber.Ctx) bool {
	n := c.Request().Header.ContentLength()
	return n > 0 || n == -1
}

func tooLarge(max int) error {
	return intake.Errorf(intake.ErrPayloadTooLarge, "this endpoint takes bodies of at most %d KB", max>>10)
}

// readBody reads the request's body, decoded, at most MaxBody bytes, and
// makes it what c.Body() returns from then on (with no Content-Encoding
// left for Fiber to decode again). Reading twice is free.
func readBody(c *fiber.Ctx) error {
	if c.Locals(bodyReadKey) != nil {
		return nil
	}
	c.Locals(bodyReadKey, true)
	req := c.Request()
	var src io.Reader
	if s := req.BodyStream(); s != nil {
		src = s
	} else {
		src = bytes.NewReader(req.Body()) // app.Test, or a server not streaming
	}
	raw, err := io.ReadAll(io.LimitReader(src, MaxBody+1))
	if err != nil {
		c.Response().SetConnectionClose()
		return intake.Invalid("body", "the body could not be read: %v", err)
	}
	if len(raw) > MaxBody {
		c.Response().SetConnectionClose()
		return tooLarge(MaxBody)
	}
	coding := strings.ToLower(strings.TrimSpace(string(req.Header.Peek(fiber.HeaderContentEncoding))))
	body, err := decodeBody(coding, raw)
	if err != nil {
		return err
	}
	req.SetBodyRaw(body)
	req.Header.Del(fiber.HeaderContentEncoding)
	return nil
}

// decodeBody undoes one Content-Encoding, keeping at most MaxBody bytes.
func decodeBody(coding string, raw []byte) ([]byte, error) {
	var r io.Reader
	var err error
	switch coding {
	case "", "identity":
		return raw, nil
	case "gzip", "x-gzip":
		r, err = gzip.NewReader(bytes.NewReader(raw))
	case "deflate":
		r, err = zlib.NewReader(bytes.NewReader(raw))
	case "br":
		r = brotli.NewReader(bytes.NewReader(raw))
	default:
		return nil, intake.Invalid("Content-Encoding", "Content-Encoding %q is not supported: send the body as is, or gzip, deflate or br", coding)
	}
	if err != nil {
		return nil, intake.Invalid("Content-Encoding", "the body is not valid %s: %v", coding, err)
	}
	body, err := io.ReadAll(io.LimitReader(r, MaxBody+1))
	switch {
	case len(body) > MaxBody:
		return nil, intake.Errorf(intake.ErrPayloadTooLarge, "the body decodes to more than %d KB", MaxBody>>10)
	case err != nil && !errors.Is(err, io.EOF):
		return nil, intake.Invalid("Content-Encoding", "the body is not valid %s: %v", coding, err)
	}
	return body, nil
}

// unverifiedBudget bounds the body bytes held by deliveries whose
// signature is not checked yet: anyone can post to a webhook URL.
type unverifiedBudget struct {
	max  int64
	held atomic.Int64
}

// take reserves the request's declared length (MaxBody when chunked) and
// returns its release; past the budget, 503 with Retry-After.
func (b *unverifiedBudget) take(c *fiber.Ctx) (func(), error) {
	n := int64(c.Request().Header.ContentLength())
	if n < 0 {
		n = MaxBody
	}
	if b.held.Add(n) > b.max {
		b.held.Add(-n)
		c.Set(fiber.HeaderRetryAfter, "1")
		return nil, intake.Errorf(intake.ErrUnavailable, "too many webhook bodies are being received; retry in a moment")
	}
	return func() { b.held.Add(-n) }, nil
}

// bodyWithin reads the body and checks that it holds at most max bytes.
func bodyWithin(c *fiber.Ctx, max int) error {
	if err := readBody(c); err != nil {
		return err
	}
	if len(c.Body()) > max {
		return tooLarge(max)
	}
	return nil
}

package api

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"io"
	"strings"
	"sync"
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

// guardBodies refuses a declared body over MaxBody before anything else.
// A request whose body was never read (refused before it was) has the
// rest of its body drained when small, so that its connection stays
// usable, and its connection closed otherwise: the unread rest would be
// taken for the next request, and closing with data unread can reset
// the connection before the client has read the answer.
func guardBodies(c *fiber.Ctx) error {
	if n := c.Request().Header.ContentLength(); n > MaxBody {
		c.Response().SetConnectionClose()
		return tooLarge(MaxBody)
	}
	defer func() { // also when a handler panics
		if c.Locals(bodyReadKey) == nil {
			settleUnread(c)
		}
	}()
	return c.Next()
}

// prefetched is what the server reads with the headers: a body this small
// arrived whole.
const prefetched = 8 << 10

// maxDrain is the unread body that is read and dropped rather than the
// connection closed, as net/http does.
const maxDrain = 256 << 10

func settleUnread(c *fiber.Ctx) {
	n := c.Request().Header.ContentLength()
	switch {
	case n <= prefetched && n != -1:
	case n > 0 && n <= maxDrain && c.Request().BodyStream() != nil:
		if _, err := io.Copy(io.Discard, c.Request().BodyStream()); err != nil {
			c.Response().SetConnectionClose()
		}
	default:
		c.Response().SetConnectionClose()
	}
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
	body := raw
	if coding := strings.ToLower(strings.TrimSpace(string(req.Header.Peek(fiber.HeaderContentEncoding)))); len(raw) > 0 {
		if body, err = decodeBody(coding, raw); err != nil {
			return err
		}
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

// unverifiedBudget bounds the memory held by deliveries whose signature
// is not checked yet: anyone can post to a webhook URL.
type unverifiedBudget struct {
	max  int64
	held atomic.Int64
}

// take reserves what the request's body may come to hold: its declared
// length twice (the body and the copy handed to the connector), MaxBody
// twice when it is chunked or compressed. It returns the release, which
// may be called more than once; past the budget, 503 with Retry-After.
func (b *unverifiedBudget) take(c *fiber.Ctx) (func(), error) {
	n := int64(c.Request().Header.ContentLength())
	if coding := c.Request().Header.Peek(fiber.HeaderContentEncoding); n < 0 || len(coding) > 0 && string(coding) != "identity" {
		n = MaxBody
	}
	n *= 2
	if b.held.Add(n) > b.max {
		b.held.Add(-n)
		c.Set(fiber.HeaderRetryAfter, "1")
		return nil, intake.Errorf(intake.ErrUnavailable, "too many webhook bodies are being received; retry in a moment")
	}
	var once sync.Once
	return func() { once.Do(func() { b.held.Add(-n) }) }, nil
}

// ReadBody is readBody for handlers mounted beside the API (the console):
// the body, decoded and bounded, becomes what c.Body() returns.
func ReadBody(c *fiber.Ctx) error { return readBody(c) }

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

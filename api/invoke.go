package api

import (
	"context"
	"net"

	"github.com/intakehq/intake"
	"github.com/valyala/fasthttp"
)

// invokedKey marks a request made in-process by Invoke: a fasthttp user
// value, which nothing on the network can set.
type invokedKey struct{}

type invocation struct {
	p   intake.Principal
	ctx context.Context
}

// Invoke runs one API request in this process as p, through every route's
// own validation, workflow and answer, and returns its status and body.
// The console uses it, so that what an admin does in a page is exactly
// what the same call to the API does (assigning an inbox item, testing
// rules, creating a connector). p is trusted: the caller authenticated it.
func (s *Server) Invoke(ctx context.Context, p intake.Principal, method, uri string, body []byte) (int, []byte) {
	var req fasthttp.Request
	req.Header.SetMethod(method)
	req.SetRequestURI(uri)
	if body != nil {
		req.Header.SetContentType("application/json")
		req.SetBody(body)
	}
	var fctx fasthttp.RequestCtx
	fctx.Init(&req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}, nil)
	fctx.SetUserValue(invokedKey{}, invocation{p: p, ctx: ctx})
	s.app.Handler()(&fctx)
	return fctx.Response.StatusCode(), append([]byte(nil), fctx.Response.Body()...)
}

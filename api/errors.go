package api

import (
	"context"
	"errors"
	"log/slog"
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/intakehq/intake"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"
)

// retryAfterSeconds is what 429 and 503 answers ask callers to wait.
const retryAfterSeconds = 5

// statusOf is the one map from error code to HTTP status.
var statusOf = map[intake.Code]int{
	intake.ErrInvalidPayload:   fiber.StatusBadRequest,
	intake.ErrInvalidAPIKey:    fiber.StatusUnauthorized,
	intake.ErrInvalidSignature: fiber.StatusUnauthorized,
	intake.ErrForbidden:        fiber.StatusForbidden,
	intake.ErrMappingNotFound:  fiber.StatusNotFound,
	intake.ErrNotFound:         fiber.StatusNotFound,
	intake.ErrConflict:         fiber.StatusConflict,
	intake.ErrKeyReused:        fiber.StatusUnprocessableEntity,
	intake.ErrPayloadTooLarge:  fiber.StatusRequestEntityTooLarge,
	intake.ErrRateLimited:      fiber.StatusTooManyRequests,
	intake.ErrUnavailable:      fiber.StatusServiceUnavailable,
	intake.ErrInternal:         fiber.StatusInternalServerError,
}

// errorBody is the JSON of every error answer.
type errorBody struct {
	Error   intake.Code `json:"error"`
	Message string      `json:"message"`
	Details any         `json:"details,omitempty"`
}

// loggedRoute names the request's route by its pattern, never its path,
// which can hold a credential (the codec token of /api/codec/ui/{token}).
func loggedRoute(c *fiber.Ctx) string {
	if r := c.Route(); r != nil && r.Path != "" && r.Path != "/" {
		return r.Path
	}
	return "unmatched"
}

// errorHandler is Fiber's ErrorHandler: the one place an error becomes an
// answer. Internal errors are logged here and never sent.
func errorHandler(log *slog.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		e := asIntakeError(err)
		if e.Code == intake.ErrInternal {
			rid, _ := c.Locals(requestIDKey).(string)
			log.Error("request failed", "method", methodLabel(c.Method()), "route", loggedRoute(c), "request_id", rid, "error", err)
		}
		status, ok := statusOf[e.Code]
		if !ok {
			status = fiber.StatusInternalServerError
		}
		if (e.Code == intake.ErrUnavailable || e.Code == intake.ErrRateLimited) && c.GetRespHeader(fiber.HeaderRetryAfter) == "" {
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(retryAfterSeconds))
		}
		body := errorBody{Error: e.Code, Message: e.Message, Details: e.Details}
		if e.Field != "" && body.Details == nil {
			body.Details = map[string]string{"field": e.Field}
		}
		return c.Status(status).JSON(body)
	}
}

func asIntakeError(err error) *intake.Error {
	var e *intake.Error
	if errors.As(err, &e) {
		return e
	}
	// A workflow that failed for good carries its call's error as the
	// type and details of an ApplicationError.
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		if code := intake.Code(app.Type()); code != intake.ErrInternal && statusOf[code] != 0 {
			var detail *intake.Error
			if app.HasDetails() && app.Details(&detail) == nil && detail != nil && detail.Code == code {
				return detail
			}
			return &intake.Error{Code: code, Message: app.Message()}
		}
	}
	var fe *fiber.Error
	if errors.As(err, &fe) {
		switch fe.Code {
		case fiber.StatusRequestEntityTooLarge:
			return intake.Errorf(intake.ErrPayloadTooLarge, "request body is over the 5 MB limit")
		case fiber.StatusNotFound, fiber.StatusMethodNotAllowed:
			return intake.Errorf(intake.ErrNotFound, "no such route")
		case fiber.StatusBadRequest:
			return intake.Errorf(intake.ErrInvalidPayload, "%s", fe.Message)
		case fiber.StatusUnsupportedMediaType:
			return intake.Errorf(intake.ErrInvalidPayload, "%s", fe.Message)
		case fiber.StatusRequestTimeout:
			// fasthttp's read timeout, also on a connection left idle: the
			// client's doing, not an internal error.
			return intake.Errorf(intake.ErrInvalidPayload, "no complete request was received in time")
		}
	}
	return &intake.Error{Code: intake.ErrInternal, Message: "internal error"}
}

// temporalError turns a failure to reach Temporal into 503 unavailable:
// nothing was accepted and the caller should retry. Anything else is internal.
func temporalError(err error) error {
	var unavailable *serviceerror.Unavailable
	var deadline *serviceerror.DeadlineExceeded
	var exhausted *serviceerror.ResourceExhausted
	if errors.As(err, &unavailable) || errors.As(err, &deadline) || errors.As(err, &exhausted) ||
		errors.Is(err, context.DeadlineExceeded) {
		return &intake.Error{Code: intake.ErrUnavailable, Message: "the workflow service is unreachable; nothing was accepted, retry later"}
	}
	return err
}

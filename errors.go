package intake

import (
	"errors"
	"fmt"
)

// Code is a machine-readable error code from the public contract. The API maps
// each code to one HTTP status in a single table.
type Code string

// The error codes of the contract.
const (
	ErrInvalidPayload   Code = "invalid_payload"
	ErrInvalidAPIKey    Code = "invalid_api_key"
	ErrInvalidSignature Code = "invalid_signature"
	ErrForbidden        Code = "forbidden"
	ErrMappingNotFound  Code = "mapping_not_found"
	ErrNotFound         Code = "not_found"
	ErrConflict         Code = "conflict"
	ErrKeyReused        Code = "idempotency_key_reused"
	ErrPayloadTooLarge  Code = "payload_too_large"
	ErrRateLimited      Code = "rate_limited"
	ErrUnavailable      Code = "unavailable"
	ErrInternal         Code = "internal_error"
)

// Error is the one error type that crosses package boundaries with a code the
// caller may act on. Field names the offending input field, when there is one.
type Error struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
	Details any    `json:"details,omitempty"`
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s (field %s)", e.Code, e.Message, e.Field)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errorf builds an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid builds an invalid_payload error that names the field at fault, so
// every 400 tells the caller exactly what to fix.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Code: ErrInvalidPayload, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, or
// internal_error when there is none.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ErrInternal
}

package api

import (
	"fmt"
	"testing"

	"github.com/intakehq/intake"
	"go.temporal.io/sdk/temporal"
)

// TestWorkflowFailuresKeepTheirCode: a workflow that failed for good
// carries its call's error as an ApplicationError; it answers with that
// code (400, 404, …), not as an internal error.
func TestWorkflowFailuresKeepTheirCode(t *testing.T) {
	cause := intake.Invalid("value", "value is out of range")
	failed := fmt.Errorf("workflow failed: %w", temporal.NewNonRetryableApplicationError(cause.Message, string(cause.Code), nil, cause))
	if e := asIntakeError(failed); e.Code != intake.ErrInvalidPayload || e.Message != cause.Message || statusOf[e.Code] != 400 {
		t.Fatalf("an invalid call's failed workflow: %+v", e)
	}
	missing := temporal.NewNonRetryableApplicationError("no inbox item", string(intake.ErrNotFound), nil)
	if e := asIntakeError(missing); e.Code != intake.ErrNotFound {
		t.Fatalf("not found: %+v", e)
	}
	bug := temporal.NewApplicationError("nil map", "PanicError")
	if e := asIntakeError(bug); e.Code != intake.ErrInternal || e.Message != "internal error" {
		t.Fatalf("an unknown type: %+v", e)
	}
}

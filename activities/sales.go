package activities

import (
	"context"

	"github.com/intakehq/intake"
)

// UpsertActivityInput is the input of UpsertActivity.
type UpsertActivityInput struct {
	Call     Call
	Activity intake.ActivityInput
}

// UpsertSaleInput is the input of UpsertSale.
type UpsertSaleInput struct {
	Call Call
	Sale intake.SaleInput
}

// UpsertResult is the result of UpsertActivity and UpsertSale.
type UpsertResult struct {
	Result intake.UpsertResult
}

// UpsertActivity writes an activity, its identities and its call row in
// one transaction, exactly once per call.
func (a *Activities) UpsertActivity(ctx context.Context, in UpsertActivityInput) (UpsertResult, error) {
	res, err := a.Store.UpsertActivity(ctx, in.Call, in.Activity)
	return UpsertResult{Result: res}, classify(err)
}

// UpsertSale writes a sale like UpsertActivity.
func (a *Activities) UpsertSale(ctx context.Context, in UpsertSaleInput) (UpsertResult, error) {
	res, err := a.Store.UpsertSale(ctx, in.Call, in.Sale)
	return UpsertResult{Result: res}, classify(err)
}

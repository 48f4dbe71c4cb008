package workflows

import (
	"github.com/intakehq/intake/activities"
	"go.temporal.io/sdk/workflow"
)

// IngestActivityInput is the input of IngestActivity.
type IngestActivityInput = activities.UpsertActivityInput

// IngestSaleInput is the input of IngestSale.
type IngestSaleInput = activities.UpsertSaleInput

// IngestRecordResult is what an activity or sale call did to its record.
type IngestRecordResult = activities.UpsertResult

// IngestActivity upserts one SalesDash activity: one local activity, one
// transaction, its identities included.
func IngestActivity(ctx workflow.Context, in IngestActivityInput) (IngestRecordResult, error) {
	var a *activities.Activities
	return local(ctx, a.UpsertActivity, in)
}

// IngestSale upserts one SalesDash sale like IngestActivity.
func IngestSale(ctx workflow.Context, in IngestSaleInput) (IngestRecordResult, error) {
	var a *activities.Activities
	return local(ctx, a.UpsertSale, in)
}

// Package worker builds intake's Temporal worker: the one list of every
// workflow and activity it runs.
package worker

import (
	"context"
	"fmt"
	"time"

	"github.com/intakehq/intake/activities"
	"github.com/intakehq/intake/mapping"
	"github.com/intakehq/intake/notify"
	"github.com/intakehq/intake/store"
	"github.com/intakehq/intake/workflows"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
)

// Store is what the worker's activities need of the store, and the hook
// that makes applying points evaluate alerts.
type Store interface {
	activities.Store
	activities.AlertStore
	UseAlerts(store.Alerting)
}

// Deps are what the activities need, and how long a stop waits.
type Deps struct {
	Store Store
	// AlertPolicy says which addresses alert channels may reach.
	AlertPolicy notify.Policy
	// StopTimeout is how long Stop lets running activities finish (the
	// SDK's default when 0).
	StopTimeout time.Duration
}

// New returns a worker on workflows.TaskQueue with every workflow and
// activity registered. The caller starts and stops it.
func New(c client.Client, deps Deps) sdkworker.Worker {
	w := sdkworker.New(c, workflows.TaskQueue, sdkworker.Options{WorkerStopTimeout: deps.StopTimeout})
	starter := &alertStarter{c: c}
	deps.Store.UseAlerts(store.Alerting{Conditions: mapping.NewConditions(1024),
		Fired: func(ctx context.Context, refs []store.AlertEventRef) { starter.StartAlerts(ctx, refs) }})
	Register(w, deps)
	w.RegisterActivity(&activities.Alerts{Store: deps.Store, Sender: notify.NewSender(deps.AlertPolicy),
		Starter: starter, Grace: AlertGrace})
	return w
}

// Register registers every workflow and activity on r; the replayer in tests
// uses it too, so it cannot drift from the worker.
func Register(r sdkworker.Registry, deps Deps) {
	r.RegisterWorkflow(workflows.Ingest)
	r.RegisterWorkflow(workflows.ReplayInbox)
	r.RegisterWorkflow(workflows.ReplayItem)
	// The first release's workflows, for the histories it started.
	r.RegisterWorkflow(workflows.IngestMetric)
	r.RegisterWorkflow(workflows.IngestBatch)
	r.RegisterWorkflow(workflows.IngestData)
	r.RegisterWorkflow(workflows.IngestTasks)
	r.RegisterWorkflow(workflows.IngestEvent)
	r.RegisterWorkflow(workflows.IngestActivity)
	r.RegisterWorkflow(workflows.IngestSale)
	r.RegisterWorkflow(workflows.NotifyAlert)
	r.RegisterWorkflow(workflows.SweepAlerts)
	r.RegisterActivity(&activities.Activities{Store: deps.Store})
}

// EnsureSearchAttributes registers the search attributes intake's workflows
// set, skipping those the namespace already has. Workflows started with an
// unregistered attribute would be rejected.
func EnsureSearchAttributes(ctx context.Context, c client.Client, namespace string) error {
	have, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return fmt.Errorf("list search attributes: %w", err)
	}
	missing := workflows.SearchAttributes()
	for name := range have.GetCustomAttributes() {
		delete(missing, name)
	}
	if len(missing) == 0 {
		return nil
	}
	_, err = c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace: namespace, SearchAttributes: missing,
	})
	if err != nil {
		return fmt.Errorf("add search attributes: %w", err)
	}
	return nil
}

package activities

import (
	"encoding/json"

	"github.com/intakehq/intake"
	"github.com/intakehq/intake/store"
)

// Kind is one kind of call, as the worker applies it and the API answers
// it. A new kind of call is one CallKind in this table, its input and
// result types, and the functions that apply and answer it.
type Kind interface {
	Name() string
	// Answer is what the kind's endpoint answers for a result, so that
	// GET /api/ingest/{id} shows what a synchronous caller saw.
	Answer(ingestID string, result json.RawMessage) (map[string]any, error)
	// decode reads a call's input; apply applies it (decoded already, or
	// nil to decode it there).
	decode(c intake.Call) (any, error)
	apply(a *Activities, tx *store.Tx, c intake.Call, decoded any) (any, error)
}

// CallKind is a kind of call whose input is I and whose result is R.
type CallKind[I, R any] struct {
	name   string
	run    func(a *Activities, tx *store.Tx, c intake.Call, in I) (R, error)
	answer func(ingestID string, r R) map[string]any
}

// The kinds of call.
var (
	Metric   = CallKind[intake.MetricInput, intake.MetricResult]{intake.KindMetric, applyMetric, metricAnswer}
	Batch    = CallKind[MetricsInput, []intake.MetricResult]{intake.KindBatch, applyMetrics, batchAnswer}
	Custom   = CallKind[MetricsInput, []intake.MetricResult]{intake.KindCustom, applyMetrics, customAnswer}
	Data     = CallKind[DataInput, DataOutcome]{intake.KindData, applyData, dataAnswer}
	Tasks    = CallKind[TasksInput, intake.TasksResult]{intake.KindTasks, applyTasks, tasksAnswer}
	Webhook  = CallKind[EventInput, DataOutcome]{intake.KindWebhook, applyEvent, dataAnswer}
	Activity = CallKind[intake.ActivityInput, intake.UpsertResult]{intake.KindActivity, applyActivity, upsertAnswer}
	Sale     = CallKind[intake.SaleInput, intake.UpsertResult]{intake.KindSale, applySale, upsertAnswer}
	Replay   = CallKind[ReplayInput, ReplayItemResult]{intake.KindReplay, applyReplay, replayAnswer}
)

// kinds is the table, by name. It is filled in init because a replay
// applies the calls of other kinds through it.
var kinds map[string]Kind

func init() {
	kinds = map[string]Kind{
		Metric.name: Metric, Batch.name: Batch, Custom.name: Custom, Data.name: Data, Tasks.name: Tasks,
		Webhook.name: Webhook, Activity.name: Activity, Sale.name: Sale, Replay.name: Replay,
	}
}

// KindOf returns the kind of call named name.
func KindOf(name string) (Kind, bool) {
	k, ok := kinds[name]
	return k, ok
}

// Name is the kind's name, recorded on its calls.
func (k CallKind[I, R]) Name() string { return k.name }

// Call is c as a call of this kind that carries in.
func (k CallKind[I, R]) Call(c intake.Call, in I) (intake.Call, error) {
	raw, err := json.Marshal(in)
	c.Kind, c.Input = k.name, raw
	return c, err
}

// Result decodes a result of this kind.
func (k CallKind[I, R]) Result(raw json.RawMessage) (R, error) {
	var r R
	err := json.Unmarshal(raw, &r)
	return r, err
}

// Answer is the kind's answer for a stored result.
func (k CallKind[I, R]) Answer(ingestID string, raw json.RawMessage) (map[string]any, error) {
	r, err := k.Result(raw)
	if err != nil {
		return nil, err
	}
	return k.answer(ingestID, r), nil
}

func (k CallKind[I, R]) decode(c intake.Call) (any, error) {
	var in I
	if err := json.Unmarshal(c.Input, &in); err != nil {
		return nil, intake.Invalid("input", "the input of this %s call does not decode: %v", k.name, err)
	}
	return in, nil
}

func (k CallKind[I, R]) apply(a *Activities, tx *store.Tx, c intake.Call, decoded any) (any, error) {
	in, ok := decoded.(I)
	if !ok {
		v, err := k.decode(c)
		if err != nil {
			return nil, err
		}
		in = v.(I)
	}
	return k.run(a, tx, c, in)
}

// MetricsInput is the input of a batch or custom call: its valid updates,
// in order.
type MetricsInput struct {
	Metrics []intake.MetricInput `json:"metrics"`
}

// TasksInput is the input of a tasks call.
type TasksInput struct {
	Tasks []intake.TaskInput `json:"tasks"`
}

func applyMetric(a *Activities, tx *store.Tx, c intake.Call, in intake.MetricInput) (intake.MetricResult, error) {
	in, err := a.byRules(tx, c, in)
	if err != nil {
		return intake.MetricResult{}, err
	}
	return tx.ApplyMetric(c, 0, in)
}

func applyMetrics(a *Activities, tx *store.Tx, c intake.Call, in MetricsInput) ([]intake.MetricResult, error) {
	out := make([]intake.MetricResult, len(in.Metrics))
	for i, m := range in.Metrics {
		m, err := a.byRules(tx, c, m)
		if err != nil {
			return nil, err
		}
		r, err := tx.ApplyMetric(c, i, m)
		if err != nil {
			return nil, err
		}
		out[i] = r
	}
	return out, nil
}

func applyTasks(_ *Activities, tx *store.Tx, c intake.Call, in TasksInput) (intake.TasksResult, error) {
	return tx.UpsertTasks(c, c.Source, in.Tasks)
}

func applyActivity(_ *Activities, tx *store.Tx, c intake.Call, in intake.ActivityInput) (intake.UpsertResult, error) {
	return tx.UpsertActivity(c, in)
}

func applySale(_ *Activities, tx *store.Tx, c intake.Call, in intake.SaleInput) (intake.UpsertResult, error) {
	return tx.UpsertSale(c, in)
}

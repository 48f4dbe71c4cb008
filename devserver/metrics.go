package devserver

import (
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/metrics"
)

// persistenceRequests is the server's counter of persistence requests,
// tagged with the operation (common/persistence/persistence_metric_clients.go).
var persistenceRequests = metrics.PersistenceRequests.Name()

// persistenceCounter is the server's metrics.Handler for `intake dev`: it
// counts persistence_requests per operation, what decides a call's cost in
// Temporal, and drops every other metric. Every handler derived with
// WithTags shares one table of counters.
type persistenceCounter struct {
	ops *sync.Map // operation → *opCounter
}

// opCounter is the handler for one operation tag and its counter at once:
// WithTags(operation) on a hot path is a map lookup, no allocation.
type opCounter struct {
	persistenceCounter
	count atomic.Int64
}

func newPersistenceCounter() *persistenceCounter {
	return &persistenceCounter{ops: &sync.Map{}}
}

// op finds or makes the counter of one operation.
func (c *persistenceCounter) op(name string) *opCounter {
	if v, ok := c.ops.Load(name); ok {
		return v.(*opCounter)
	}
	v, _ := c.ops.LoadOrStore(name, &opCounter{persistenceCounter: *c})
	return v.(*opCounter)
}

// operation is the value of the operation tag among tags, if any.
func operation(tags []metrics.Tag) (string, bool) {
	for i := len(tags) - 1; i >= 0; i-- {
		if tags[i].Key == metrics.OperationTagName {
			return tags[i].Value, true
		}
	}
	return "", false
}

// WithTags keeps only the operation tag, the one persistence_requests is
// counted by.
func (c *persistenceCounter) WithTags(tags ...metrics.Tag) metrics.Handler {
	if name, ok := operation(tags); ok {
		return c.op(name)
	}
	return c
}

// Counter counts persistence_requests (as operation "unknown" when no tag
// names one); every other counter is a no-op.
func (c *persistenceCounter) Counter(name string) metrics.CounterIface {
	if name != persistenceRequests {
		return metrics.NoopCounterMetricFunc
	}
	return metrics.CounterFunc(func(v int64, tags ...metrics.Tag) {
		op, ok := operation(tags)
		if !ok {
			op = "unknown"
		}
		c.op(op).count.Add(v)
	})
}

// Gauge is a no-op.
func (*persistenceCounter) Gauge(string) metrics.GaugeIface { return metrics.NoopGaugeMetricFunc }

// Timer is a no-op.
func (*persistenceCounter) Timer(string) metrics.TimerIface { return metrics.NoopTimerMetricFunc }

// Histogram is a no-op.
func (*persistenceCounter) Histogram(string, metrics.MetricUnit) metrics.HistogramIface {
	return metrics.NoopHistogramMetricFunc
}

// Stop has nothing to flush.
func (*persistenceCounter) Stop(log.Logger) {}

// StartBatch emits the batch's metrics one by one.
func (c *persistenceCounter) StartBatch(string) metrics.BatchHandler { return c }

// Close ends a batch.
func (*persistenceCounter) Close() error { return nil }

// WithTags keeps the operation, or takes the one tags name.
func (o *opCounter) WithTags(tags ...metrics.Tag) metrics.Handler {
	if name, ok := operation(tags); ok {
		return o.op(name)
	}
	return o
}

// Counter counts persistence_requests for this operation.
func (o *opCounter) Counter(name string) metrics.CounterIface {
	if name != persistenceRequests {
		return metrics.NoopCounterMetricFunc
	}
	return o
}

// Record adds v to the operation's count, or to the one tags name.
func (o *opCounter) Record(v int64, tags ...metrics.Tag) {
	if name, ok := operation(tags); ok {
		o.op(name).count.Add(v)
		return
	}
	o.count.Add(v)
}

// StartBatch emits the batch's metrics one by one.
func (o *opCounter) StartBatch(string) metrics.BatchHandler { return o }

// snapshot reads every operation's count; operations never counted are left out.
func (c *persistenceCounter) snapshot() map[string]int64 {
	out := map[string]int64{}
	c.ops.Range(func(k, v any) bool {
		if n := v.(*opCounter).count.Load(); n > 0 {
			out[k.(string)] = n
		}
		return true
	})
	return out
}

// PersistenceRequests is how many persistence requests the server has made
// since it started, per operation (CreateWorkflowExecution,
// AppendHistoryNodes…): what a call costs Temporal's store, counted before
// and after a change to the call path.
func (s *Server) PersistenceRequests() map[string]int64 { return s.persistence.snapshot() }

// persistenceDesc is the metric PersistenceCollector exposes.
var persistenceDesc = prometheus.NewDesc("intake_dev_temporal_persistence_requests_total",
	"Persistence requests of the embedded Temporal server, by operation.", []string{"operation"}, nil)

// PersistenceCollector exposes PersistenceRequests on /metrics as
// intake_dev_temporal_persistence_requests_total{operation}, read at each
// scrape, so `intake bench` can count what each kind of call costs.
func (s *Server) PersistenceCollector() prometheus.Collector { return persistenceCollector{s} }

type persistenceCollector struct{ s *Server }

func (c persistenceCollector) Describe(ch chan<- *prometheus.Desc) { ch <- persistenceDesc }

func (c persistenceCollector) Collect(ch chan<- prometheus.Metric) {
	for op, n := range c.s.PersistenceRequests() {
		ch <- prometheus.MustNewConstMetric(persistenceDesc, prometheus.CounterValue, float64(n), op)
	}
}

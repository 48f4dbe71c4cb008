package bench

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"time"
)

// persistenceMetric is what `intake dev` exposes on /metrics: its embedded
// Temporal server's persistence_requests counter, by operation
// (devserver.Server.PersistenceRequests). intake serve has none.
const persistenceMetric = "intake_dev_temporal_persistence_requests_total"

// writeOps are the persistence operations that change Temporal's store, by
// their scope names in go.temporal.io/server common/metrics/metric_defs.go.
// Every other operation (Get*, Read*, List*, AssertShardOwnership,
// GetOrCreateShard, the task-queue and history-task polls) only reads.
//
//   - executions: CreateWorkflowExecution, UpdateWorkflowExecution,
//     ConflictResolveWorkflowExecution, SetWorkflowExecution,
//     DeleteWorkflowExecution, DeleteCurrentWorkflowExecution, AddTasks
//   - history: AppendHistoryNodes, AppendRawHistoryNodes,
//     ForkHistoryBranch, DeleteHistoryBranch, TrimHistoryBranch
//   - history tasks done (CompleteHistoryTask and RangeCompleteHistoryTasks,
//     named by category): Complete/RangeComplete of Transfer, Timer,
//     Visibility, Replication, Archival and Outbound tasks
//   - matching: CreateTasks, CompleteTasksLessThan, CreateTaskQueue,
//     UpdateTaskQueue, DeleteTaskQueue, UpdateTaskQueueUserData
//   - shards, queues and DLQs: UpdateShard, EnqueueMessage,
//     EnqueueMessageToDLQ, DeleteMessagesBefore, DeleteMessageFromDLQ,
//     RangeDeleteMessagesFromDLQ, UpdateAckLevel, UpdateDLQAckLevel,
//     PutReplicationTaskToDLQ, DeleteReplicationTaskFromDLQ,
//     RangeDeleteReplicationTaskFromDLQ
//   - metadata: CreateNamespace, UpdateNamespace, DeleteNamespace,
//     DeleteNamespaceByName, RenameNamespace, InitializeSystemNamespace,
//     SaveClusterMetadata, DeleteClusterMetadata, UpsertClusterMembership,
//     PruneClusterMembership, CreateOrUpdateNexusEndpoint,
//     DeleteNexusEndpoint
var writeOps = opSet(`
		CreateWorkflowExecution UpdateWorkflowExecution ConflictResolveWorkflowExecution SetWorkflowExecution
		DeleteWorkflowExecution DeleteCurrentWorkflowExecution AddTasks
		AppendHistoryNodes AppendRawHistoryNodes ForkHistoryBranch DeleteHistoryBranch TrimHistoryBranch
		CompleteTransferTask RangeCompleteTransferTasks CompleteTimerTask RangeCompleteTimerTasks
		CompleteVisibilityTask RangeCompleteVisibilityTasks CompleteReplicationTask RangeCompleteReplicationTasks
		CompleteArchivalTask RangeCompleteArchivalTasks CompleteOutboundTasks RangeCompleteOutboundTasks
		CreateTasks CompleteTasksLessThan CreateTaskQueue UpdateTaskQueue DeleteTaskQueue UpdateTaskQueueUserData
		UpdateShard EnqueueMessage EnqueueMessageToDLQ DeleteMessagesBefore DeleteMessageFromDLQ
		RangeDeleteMessagesFromDLQ UpdateAckLevel UpdateDLQAckLevel PutReplicationTaskToDLQ
		DeleteReplicationTaskFromDLQ RangeDeleteReplicationTaskFromDLQ
		CreateNamespace UpdateNamespace DeleteNamespace DeleteNamespaceByName RenameNamespace InitializeSystemNamespace
		SaveClusterMetadata DeleteClusterMetadata UpsertClusterMembership PruneClusterMembership
		CreateOrUpdateNexusEndpoint DeleteNexusEndpoint`)

func opSet(names string) map[string]bool {
	set := map[string]bool{}
	for _, op := range strings.Fields(names) {
		set[op] = true
	}
	return set
}

// reading is one scrape of the target's /metrics: its persistence requests
// per operation (nil when it has none) and its process's CPU seconds (-1
// when it has none).
type reading struct {
	ops map[string]float64
	cpu float64
}

// cpuMetric is the CPU seconds of the target's process, from the
// Prometheus process collector intake registers.
const cpuMetric = "process_cpu_seconds_total"

// read scrapes the target's /metrics once.
func (t target) read(ctx context.Context) reading {
	r := reading{cpu: -1}
	_ = scrape(ctx, t.http, t.url, func(line string) {
		if rest, ok := strings.CutPrefix(line, cpuMetric+" "); ok {
			if n, err := strconv.ParseFloat(rest, 64); err == nil {
				r.cpu = n
			}
			return
		}
		rest, ok := strings.CutPrefix(line, persistenceMetric+`{operation="`)
		if !ok {
			return
		}
		op, v, ok := strings.Cut(rest, `"} `)
		if n, err := strconv.ParseFloat(v, 64); ok && err == nil {
			if r.ops == nil {
				r.ops = map[string]float64{}
			}
			r.ops[op] = n
		}
	})
	return r
}

// workflowWrites are the writes a workflow's own progress makes: when they
// stop, the calls are done (or waiting out a retry's backoff).
var workflowWrites = opSet(`CreateWorkflowExecution UpdateWorkflowExecution ConflictResolveWorkflowExecution
	SetWorkflowExecution AppendHistoryNodes`)

// settleFor is how long workflow writes must stay still to count as settled.
const settleFor = time.Second

// settled waits until Temporal's workflow writes have stopped for
// settleFor (at most verifyTimeout), and reads the persistence requests
// and the CPU then: what the calls cost, before verify's and the history
// sample's reads.
func (t target) settled(ctx context.Context) reading {
	const poll = settleFor / 4
	last := t.read(ctx)
	deadline := time.Now().Add(verifyTimeout)
	for still := time.Duration(0); last.ops != nil && still < settleFor && time.Now().Before(deadline); {
		select {
		case <-ctx.Done():
			return last
		case <-time.After(poll):
		}
		now := t.read(ctx)
		if now.ops == nil {
			continue // a scrape failed: ask again
		}
		if sumOps(now.ops, workflowWrites) == sumOps(last.ops, workflowWrites) {
			still += poll
		} else {
			still = 0
		}
		last = now
	}
	return last
}

func sumOps(ops map[string]float64, set map[string]bool) float64 {
	var n float64
	for op, v := range ops {
		if set[op] {
			n += v
		}
	}
	return n
}

// persistenceDelta is after − before per operation; nil when either is.
func persistenceDelta(before, after map[string]float64) map[string]float64 {
	if before == nil || after == nil {
		return nil
	}
	d := map[string]float64{}
	for op, n := range after {
		if n -= before[op]; n > 0 {
			d[op] = n
		}
	}
	return d
}

// PersistencePerCall is the persistence requests, and of them writes, per
// accepted call; ok is false when the target does not count them.
func (r Result) PersistencePerCall() (requests, writes float64, ok bool) {
	if r.Persistence == nil || r.Accepted == 0 {
		return 0, 0, false
	}
	for op, n := range r.Persistence {
		requests += n
		if writeOps[op] {
			writes += n
		}
	}
	return requests / float64(r.Accepted), writes / float64(r.Accepted), true
}

// opCount is one operation's requests per call.
type opCount struct {
	op string
	n  float64
}

// opsPerCall lists the write operations (or the reads) made at least
// 0.01 times per accepted call, most first.
func (r Result) opsPerCall(writes bool) []opCount {
	var out []opCount
	for op, n := range r.Persistence {
		if writeOps[op] == writes && r.Accepted > 0 && n/float64(r.Accepted) >= 0.01 {
			out = append(out, opCount{op, n / float64(r.Accepted)})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].n != out[j].n {
			return out[i].n > out[j].n
		}
		return out[i].op < out[j].op
	})
	return out
}

// cpuDelta is after − before; 0 when either is unknown.
func cpuDelta(before, after float64) float64 {
	if before < 0 || after < before {
		return 0
	}
	return after - before
}

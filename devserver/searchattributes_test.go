package devserver_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/intakehq/intake/devserver"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

// Search attributes added just after start are known to every service at
// once (Temporal's history service checks each start's attributes); once
// the fresh window has passed they are cached, and starting workflows
// costs no read of the cluster metadata.
func TestSearchAttributesAreCachedAfterStart(t *testing.T) {
	window := 3 * time.Second
	ts, err := devserver.Start(devserver.Options{Namespace: "default", LogLevel: "error", FreshSearchAttributes: window,
		SearchAttributes: map[string]enumspb.IndexedValueType{"IntakeFirst": enumspb.INDEXED_VALUE_TYPE_KEYWORD}})
	if err != nil {
		t.Fatal(err)
	}
	started := time.Now()
	defer ts.Stop()
	tc, err := client.Dial(client.Options{HostPort: ts.FrontendAddress()})
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	ctx := context.Background()
	if _, err := tc.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{Namespace: "default",
		SearchAttributes: map[string]enumspb.IndexedValueType{"IntakeLate": enumspb.INDEXED_VALUE_TYPE_KEYWORD}}); err != nil {
		t.Fatal(err)
	}
	late := temporal.NewSearchAttributeKeyKeyword("IntakeLate")
	start := func(id string) {
		t.Helper()
		_, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: "nobody-polls",
			TypedSearchAttributes: temporal.NewSearchAttributes(late.ValueSet("x"))}, "Nothing")
		if err != nil {
			t.Fatalf("start %s: %v", id, err)
		}
	}
	start("just-after-adding")
	if time.Since(started) > window {
		t.Fatalf("the first start came %v after the server's, past the %v window: the test proves nothing", time.Since(started), window)
	}

	time.Sleep(time.Until(started.Add(window + 500*time.Millisecond)))
	start("warm-up") // the first read after the window fills the cache
	before := ts.PersistenceRequests()["GetCurrentClusterMetadata"]
	for i := range 20 {
		start(fmt.Sprintf("cached-%d", i))
	}
	if reads := ts.PersistenceRequests()["GetCurrentClusterMetadata"] - before; reads > 2 {
		t.Fatalf("20 starts read the cluster metadata %d times: the search attributes are not cached", reads)
	}
}

package devserver_test

import (
	"net"
	"strconv"
	"testing"

	"github.com/intakehq/intake/devserver"
)

// TestFreePortCanStillBeBound: the port FreePort leaves in TIME_WAIT is
// one a Go listener (SO_REUSEADDR) binds at once, as Temporal's services do.
func TestFreePortCanStillBeBound(t *testing.T) {
	for range 20 {
		port, err := devserver.FreePort("127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			t.Fatalf("port %d: %v", port, err)
		}
		_ = l.Close()
	}
}

package devserver_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/intakehq/intake/devserver"
)

// A new data dir keeps visibility in a file of its own; a data dir an older
// intake made, with one file, keeps its visibility records where they are.
func TestVisibilityHasItsOwnFile(t *testing.T) {
	fresh := t.TempDir()
	ts, err := devserver.Start(devserver.Options{DataDir: fresh, LogLevel: "error"})
	if err != nil {
		t.Fatal(err)
	}
	if err := ts.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(fresh, "temporal-visibility.db")); err != nil {
		t.Fatalf("a new data dir has no visibility file: %v", err)
	}

	old := t.TempDir()
	ts, err = devserver.Start(devserver.Options{DataDir: old, LogLevel: "error"})
	if err != nil {
		t.Fatal(err)
	}
	if err := ts.Stop(); err != nil {
		t.Fatal(err)
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		_ = os.Remove(filepath.Join(old, "temporal-visibility.db"+suffix))
	}
	ts, err = devserver.Start(devserver.Options{DataDir: old, LogLevel: "error"})
	if err != nil {
		t.Fatal(err)
	}
	if err := ts.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(old, "temporal-visibility.db")); err == nil {
		t.Fatal("a data dir with one file got a second one: its visibility records would be left behind")
	}
}

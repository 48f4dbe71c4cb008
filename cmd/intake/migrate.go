package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/intakehq/intake/config"
	"github.com/intakehq/intake/store"
)

// runMigrate is `intake migrate up|status` against DATABASE_URL (a
// postgres:// URL, or the path of a SQLite file such as intake dev's).
func runMigrate(ctx context.Context, cfg config.Config, args []string, stdout io.Writer) error {
	if len(args) != 1 || (args[0] != "up" && args[0] != "status") {
		return errors.New("usage: intake migrate up|status (DATABASE_URL names the database)")
	}
	if cfg.DatabaseURL == "" {
		return errors.New("DATABASE_URL is required: the database to migrate")
	}
	st, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer st.Close()
	if args[0] == "up" {
		before, err := st.SchemaStatus(ctx)
		if err != nil {
			return err
		}
		if err := st.Migrate(ctx); err != nil {
			return err
		}
		after, err := st.SchemaStatus(ctx)
		if err != nil {
			return err
		}
		if after.Current == before.Current {
			fmt.Fprintf(stdout, "schema at version %d: nothing to do\n", after.Current)
		} else {
			fmt.Fprintf(stdout, "schema migrated from version %d to %d\n", before.Current, after.Current)
		}
		return nil
	}
	s, err := st.SchemaStatus(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "schema at version %d; this intake needs %d\n\n", s.Current, s.Latest)
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "VERSION\tMIGRATION\tAPPLIED")
	for _, m := range s.Migrations {
		applied := "pending"
		if m.AppliedAt != nil {
			applied = m.AppliedAt.UTC().Format("2006-01-02 15:04:05 UTC")
		}
		fmt.Fprintf(w, "%d\t%s\t%s\n", m.Version, m.Name, applied)
	}
	return w.Flush()
}

package store

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"gorm.io/gorm/schema"
)

// RawSecrets are a connector's secret columns as stored.
func (s *Store) RawSecrets(ctx context.Context, id string) (secret, previous string, err error) {
	var c Connector
	err = s.db.WithContext(ctx).Select("secret", "previous_secret").Where("id = ?", id).Take(&c).Error
	return c.Secret, c.PreviousSecret, err
}

// RawBody is a stored body as stored.
func (s *Store) RawBody(ctx context.Context, id string) ([]byte, error) {
	var b Body
	err := s.db.WithContext(ctx).Where("id = ?", id).Take(&b).Error
	return b.Data, err
}

// RawChannels are an alert's channels as stored.
func (s *Store) RawChannels(ctx context.Context, id string) (string, error) {
	var a Alert
	err := s.db.WithContext(ctx).Select("channels").Where("id = ?", id).Take(&a).Error
	return a.Channels, err
}

// Tables are the models' tables.
func Tables() []string {
	var out []string
	for _, m := range models {
		sch, err := schema.Parse(m, &sync.Map{}, schema.NamingStrategy{})
		if err != nil {
			panic(err)
		}
		out = append(out, sch.Table)
	}
	return out
}

// Shape is every table's columns with their types, and its indexes, as
// the database describes them.
func (s *Store) Shape(t interface{ Fatal(...any) }) map[string][]string {
	out := map[string][]string{}
	m := s.db.Migrator()
	for _, table := range Tables() {
		cols, err := m.ColumnTypes(table)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cols {
			nullable, _ := c.Nullable()
			out[table] = append(out[table], fmt.Sprintf("%s %s null=%v", c.Name(), c.DatabaseTypeName(), nullable))
		}
		idx, err := m.GetIndexes(table)
		if err != nil {
			t.Fatal(err)
		}
		for _, i := range idx {
			unique, _ := i.Unique()
			out[table] = append(out[table], fmt.Sprintf("index %s %v unique=%v", i.Name(), i.Columns(), unique))
		}
		sort.Strings(out[table])
	}
	return out
}

// HasTable reports whether the database has table.
func (s *Store) HasTable(table string) bool { return s.db.Migrator().HasTable(table) }

// AutoMigrate makes the models' tables as GORM would, for comparing the
// migrations with the models.
func (s *Store) AutoMigrate() error { return s.db.AutoMigrate(models...) }

// Count is the rows of table.
func (s *Store) Count(ctx context.Context, table string) (n int64, err error) {
	err = s.db.WithContext(ctx).Table(table).Count(&n).Error
	return n, err
}

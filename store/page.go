package store

import (
	"strconv"
	"strings"

	"github.com/intakehq/intake"
	"gorm.io/gorm"
)

// Page asks for one page of a list, newest first. IDs sort by creation time,
// so the cursor is simply the last ID of the previous page.
type Page struct {
	Limit  int
	Cursor string
}

// DefaultPageLimit and MaxPageLimit bound every list.
const (
	DefaultPageLimit = 50
	MaxPageLimit     = 200
)

func (p Page) limit() int {
	switch {
	case p.Limit <= 0:
		return DefaultPageLimit
	case p.Limit > MaxPageLimit:
		return MaxPageLimit
	}
	return p.Limit
}

// list runs q for one page and returns the rows and the next cursor ("" at
// the end). id returns a row's ID.
func list[T any](q *gorm.DB, p Page, id func(*T) string) ([]T, string, error) {
	if p.Cursor != "" {
		q = q.Where("id < ?", p.Cursor)
	}
	n := p.limit()
	var rows []T
	if err := q.Order("id DESC").Limit(n + 1).Find(&rows).Error; err != nil {
		return nil, "", err
	}
	if len(rows) <= n {
		return rows, "", nil
	}
	rows = rows[:n]
	return rows, id(&rows[n-1]), nil
}

// timeCursor is the cursor of a list paged by a time, then id (points,
// alert events): late rows keep pages stable. at is the time as the
// list's integer (milliseconds or nanoseconds).
func timeCursor(at int64, id string) string { return strconv.FormatInt(at, 10) + "_" + id }

// parseTimeCursor reads a timeCursor; the id keeps its prefix after sep.
func parseTimeCursor(cursor, sep string) (int64, string, error) {
	atStr, id, ok := strings.Cut(cursor, sep)
	at, err := strconv.ParseInt(atStr, 10, 64)
	if !ok || err != nil {
		return 0, "", intake.Invalid("cursor", "cursor is not one this API returned")
	}
	return at, id, nil
}

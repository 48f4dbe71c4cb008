package store

import "gorm.io/gorm"

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

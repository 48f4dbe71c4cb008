package mapping

import (
	"fmt"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/intakehq/intake"
)

// Cache keeps compiled rule sets by (scope, version): a version never
// changes once saved, so an entry never goes stale.
type Cache struct {
	programs *lru.Cache[string, *Program]
}

// NewCache holds up to size compiled rule sets.
func NewCache(size int) *Cache {
	c, _ := lru.New[string, *Program](size)
	return &Cache{programs: c}
}

// Program returns the compiled rules of scope at version, compiling them on
// first use.
func (c *Cache) Program(scope string, version int, rules []intake.Rule) (*Program, error) {
	key := fmt.Sprintf("%s@%d", scope, version)
	if p, ok := c.programs.Get(key); ok {
		return p, nil
	}
	p, err := Compile(rules, version)
	if err != nil {
		return nil, err
	}
	c.programs.Add(key, p)
	return p, nil
}

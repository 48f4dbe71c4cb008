package api

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/gofiber/fiber/v2"
	"github.com/intakehq/intake"
	"github.com/intakehq/intake/mapping"
	"github.com/intakehq/intake/store"
)

// ruleSetJSON is the rule set in force for a source.
type ruleSetJSON struct {
	Source  string        `json:"source"`
	Version int           `json:"version"`
	Rules   []intake.Rule `json:"rules"`
}

// saveMappings saves the rules of a source as its next version. Items are
// rules ({name, metric, value, op?}) whose value is a field path, or field
// mappings ({sourceField, metricId, op?}).
func (s *Server) saveMappings(c *fiber.Ctx) error {
	o, err := decodeObject(c.Body())
	if err != nil {
		return err
	}
	source, err := o.requiredStr("source", 200)
	if err != nil {
		return err
	}
	raws, err := o.items("rules")
	if err != nil {
		return err
	}
	rules := make([]intake.Rule, len(raws))
	for i, raw := range raws {
		item, err := decodeObject(raw)
		if err == nil {
			rules[i], err = parseRule(item)
		}
		if err != nil {
			return prefixed(err, fmt.Sprintf("rules[%d].", i))
		}
	}
	if _, err := mapping.Compile(rules, 0); err != nil {
		return compileError(err)
	}
	scope := store.RuleScope{ProjectID: principal(c).ProjectID, Source: source}
	saved, version, err := s.store.EditRules(c.UserContext(), scope, func([]intake.Rule) ([]intake.Rule, error) {
		return rules, nil
	})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(ruleSetJSON{Source: source, Version: version, Rules: saved})
}

// compileError answers a rule set that does not compile: 400 with every
// error located as a compiler would.
func compileError(err error) error {
	var errs mapping.CompileErrors
	if !errors.As(err, &errs) {
		return err
	}
	return &intake.Error{Code: intake.ErrInvalidPayload, Details: errs,
		Message: fmt.Sprintf("%d error(s) in the rules; the first: %s", len(errs), errs[0].Error())}
}

func parseRule(o object) (intake.Rule, error) {
	r := intake.Rule{ID: intake.NewID("r"), Enabled: true}
	field, err := o.str("sourceField", 500)
	if err != nil {
		return r, err
	}
	if field != "" {
		if r.Metric, err = o.requiredStr("metricId", 200); err != nil {
			return r, err
		}
		if !mapping.IsPath(field) {
			return r, intake.Invalid("sourceField", "sourceField must be a field path such as totals.net")
		}
		r.Name, r.SourceField, r.Value = field, field, mapping.FieldPath(field)
	} else {
		if r.Name, err = o.requiredStr("name", 200); err != nil {
			return r, err
		}
		if r.Metric, err = o.requiredStr("metric", 200); err != nil {
			return r, err
		}
		if r.Value, err = o.requiredStr("value", 2000); err != nil {
			return r, err
		}
		if r.When, err = o.str("when", 2000); err != nil {
			return r, err
		}
		if r.Timestamp, err = o.str("timestamp", 2000); err != nil {
			return r, err
		}
	}
	if r.Op, err = o.str("op", 8); err != nil {
		return r, err
	}
	if r.Op != "" && r.Op != intake.OpSet && r.Op != intake.OpAdd {
		return r, intake.Invalid("op", "op must be %q or %q", intake.OpSet, intake.OpAdd)
	}
	if raw, ok := o["enabled"]; ok && !isNull(raw) {
		if json.Unmarshal(raw, &r.Enabled) != nil {
			return r, intake.Invalid("enabled", "enabled must be true or false")
		}
	}
	return r, nil
}

// listMappings answers the rule set in force for ?source=.
func (s *Server) listMappings(c *fiber.Ctx) error {
	source := c.Query("source")
	if source == "" {
		return intake.Invalid("source", "source is required")
	}
	rules, version, err := s.store.LatestRules(c.UserContext(), store.RuleScope{ProjectID: principal(c).ProjectID, Source: source})
	if err != nil {
		return err
	}
	if rules == nil {
		rules = []intake.Rule{}
	}
	return c.JSON(ruleSetJSON{Source: source, Version: version, Rules: rules})
}

// deleteMapping removes one rule of ?source=, saving the next version.
func (s *Server) deleteMapping(c *fiber.Ctx) error {
	source := c.Query("source")
	if source == "" {
		return intake.Invalid("source", "source is required")
	}
	id := c.Params("id")
	scope := store.RuleScope{ProjectID: principal(c).ProjectID, Source: source}
	rules, version, err := s.store.EditRules(c.UserContext(), scope, func(current []intake.Rule) ([]intake.Rule, error) {
		out := make([]intake.Rule, 0, len(current))
		for _, r := range current {
			if r.ID != id {
				out = append(out, r)
			}
		}
		if len(out) == len(current) {
			return nil, intake.Errorf(intake.ErrNotFound, "source %q has no rule %q", source, id)
		}
		return out, nil
	})
	if err != nil {
		return err
	}
	return c.JSON(ruleSetJSON{Source: source, Version: version, Rules: rules})
}

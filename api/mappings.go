package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/intakehq/intake"
	"github.com/intakehq/intake/activities"
	"github.com/intakehq/intake/connectors"
	"github.com/intakehq/intake/mapping"
	"github.com/intakehq/intake/store"
)

// ruleSetJSON is the rule set in force for a source or connector.
type ruleSetJSON struct {
	Source      string        `json:"source,omitempty"`
	ConnectorID string        `json:"connector_id,omitempty"`
	Version     int           `json:"version"`
	Rules       []intake.Rule `json:"rules"`
	// Defaults: the rules are the connector's provider's, in force until
	// the connector saves rules of its own.
	Defaults bool `json:"defaults,omitempty"`
}

// defaultRules are the rules a scope runs before it saves any: its
// connector's provider's, none for a source.
func (s *Server) defaultRules(ctx context.Context, scope store.RuleScope) []intake.Rule {
	if scope.ConnectorID == "" {
		return nil
	}
	conn, err := s.connector(ctx, scope.ConnectorID)
	if err != nil || conn.ProjectID != scope.ProjectID {
		return nil
	}
	if p, ok := connectors.Lookup(conn.Type); ok {
		return p.Rules
	}
	return nil
}

// editRules edits a scope's rules from those in force: a connector on
// its provider's defaults keeps them.
func (s *Server) editRules(ctx context.Context, scope store.RuleScope, edit func([]intake.Rule) ([]intake.Rule, error)) ([]intake.Rule, int, error) {
	return s.store.EditRulesFrom(ctx, scope, s.defaultRules(ctx, scope), edit)
}

func showRules(scope store.RuleScope, version int, rules []intake.Rule) ruleSetJSON {
	if rules == nil {
		rules = []intake.Rule{}
	}
	return ruleSetJSON{Source: scope.Source, ConnectorID: scope.ConnectorID, Version: version, Rules: rules}
}

// ruleScope reads whose rules a request means: a source or a connector,
// exactly one, from the body's fields or else the query.
func ruleScope(c *fiber.Ctx, o object) (store.RuleScope, error) {
	source, err := o.str("source", 200)
	if err != nil {
		return store.RuleScope{}, err
	}
	connector, err := o.str("connector_id", 40)
	if err != nil {
		return store.RuleScope{}, err
	}
	if source == "" && connector == "" {
		source, connector = strings.Clone(c.Query("source")), strings.Clone(c.Query("connector_id"))
	}
	if (source == "") == (connector == "") {
		return store.RuleScope{}, intake.Invalid("source", "give either source or connector_id")
	}
	return store.RuleScope{ProjectID: principal(c).ProjectID, Source: source, ConnectorID: connector}, nil
}

// parseRules reads and compiles a rules array.
func parseRules(o object) ([]intake.Rule, error) {
	raws, err := o.items("rules")
	if err != nil {
		return nil, err
	}
	rules := make([]intake.Rule, len(raws))
	for i, raw := range raws {
		item, err := decodeObject(raw)
		if err == nil {
			rules[i], err = parseRule(item)
		}
		if err != nil {
			return nil, prefixed(err, fmt.Sprintf("rules[%d].", i))
		}
	}
	if _, err := mapping.Compile(rules, 0); err != nil {
		return nil, compileError(err)
	}
	return rules, nil
}

// saveMappings saves the rules of a source as its next version. Items are
// rules ({name, metric, value, op?}) whose value is a field path, or field
// mappings ({sourceField, metricId, op?}).
func (s *Server) saveMappings(c *fiber.Ctx) error {
	o, err := decodeObject(c.Body())
	if err != nil {
		return err
	}
	scope, err := ruleScope(c, o)
	if err != nil {
		return err
	}
	rules, err := parseRules(o)
	if err != nil {
		return err
	}
	saved, version, err := s.store.EditRules(c.UserContext(), scope, func([]intake.Rule) ([]intake.Rule, error) {
		return rules, nil
	})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(showRules(scope, version, saved))
}

// addMapping adds one rule to a rule set (to the provider's defaults when
// none is saved), keeping the others and their ids, and saves the next
// version.
func (s *Server) addMapping(c *fiber.Ctx) error {
	o, err := decodeObject(c.Body())
	if err != nil {
		return err
	}
	scope, err := ruleScope(c, o)
	if err != nil {
		return err
	}
	r, err := compiledRule(o, "")
	if err != nil {
		return err
	}
	rules, version, err := s.editRules(c.UserContext(), scope, func(current []intake.Rule) ([]intake.Rule, error) {
		return append(append([]intake.Rule(nil), current...), r), nil
	})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(showRules(scope, version, rules))
}

// replaceMapping replaces one rule of a rule set, keeping its id, and saves
// the next version.
func (s *Server) replaceMapping(c *fiber.Ctx) error {
	o, err := decodeObject(c.Body())
	if err != nil {
		return err
	}
	scope, err := ruleScope(c, object{})
	if err != nil {
		return err
	}
	r, err := compiledRule(o, c.Params("id"))
	if err != nil {
		return err
	}
	rules, version, err := s.editRules(c.UserContext(), scope, func(current []intake.Rule) ([]intake.Rule, error) {
		out := append([]intake.Rule(nil), current...)
		for i := range out {
			if out[i].ID == r.ID {
				out[i] = r
				return out, nil
			}
		}
		return nil, intake.Errorf(intake.ErrNotFound, "no rule %q in these mappings", r.ID)
	})
	if err != nil {
		return err
	}
	return c.JSON(showRules(scope, version, rules))
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

// compiledRule is one rule of a request, compiled, with id when it replaces
// a saved one.
func compiledRule(o object, id string) (intake.Rule, error) {
	r, err := parseRule(o)
	if err != nil {
		return r, err
	}
	if id != "" {
		r.ID = id
	}
	if _, err := mapping.Compile([]intake.Rule{r}, 0); err != nil {
		return r, compileError(err)
	}
	return r, nil
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
		r = mapping.FieldMapping(r.ID, field, r.Metric)
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
		if raw, ok := o["create"]; ok && !isNull(raw) {
			if json.Unmarshal(raw, &r.Create) != nil {
				return r, intake.Invalid("create", "create must be true or false")
			}
		}
		if r.Unit, err = o.str("unit", 200); err != nil {
			return r, err
		}
		if r.Unit != "" && !r.Create {
			return r, intake.Invalid("unit", "unit is the unit of a metric the rule creates: give it with \"create\": true")
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

// listMappings answers the rule set in force for ?source= or ?connector_id=.
func (s *Server) listMappings(c *fiber.Ctx) error {
	scope, err := ruleScope(c, object{})
	if err != nil {
		return err
	}
	rules, version, err := s.store.LatestRules(c.UserContext(), scope)
	if err != nil {
		return err
	}
	if defaults := s.defaultRules(c.UserContext(), scope); version == 0 && defaults != nil {
		shown := showRules(scope, version, defaults)
		shown.Defaults = true
		return c.JSON(shown)
	}
	return c.JSON(showRules(scope, version, rules))
}

// deleteMapping removes one rule, saving the next version.
func (s *Server) deleteMapping(c *fiber.Ctx) error {
	scope, err := ruleScope(c, object{})
	if err != nil {
		return err
	}
	id := c.Params("id")
	rules, version, err := s.editRules(c.UserContext(), scope, func(current []intake.Rule) ([]intake.Rule, error) {
		out := make([]intake.Rule, 0, len(current))
		for _, r := range current {
			if r.ID != id {
				out = append(out, r)
			}
		}
		if len(out) == len(current) {
			return nil, intake.Errorf(intake.ErrNotFound, "no rule %q in these mappings", id)
		}
		return out, nil
	})
	if err != nil {
		return err
	}
	return c.JSON(showRules(scope, version, rules))
}

// testMappings dry-runs a rule set — saved (source or connector_id) or
// draft (rules) — on a sample payload or an inbox item, writing nothing.
func (s *Server) testMappings(c *fiber.Ctx) error {
	o, err := decodeObject(c.Body())
	if err != nil {
		return err
	}
	var prog *mapping.Program
	var scope store.RuleScope
	if _, draft := o["rules"]; draft {
		rules, err := parseRules(o)
		if err != nil {
			return err
		}
		if prog, err = mapping.Compile(rules, 0); err != nil {
			return compileError(err)
		}
		// A draft for a connector sees a pasted payload as its provider
		// delivers it, as the rules in force do.
		scope.ProjectID = principal(c).ProjectID
		scope.Source, _ = o.str("source", 200)
		if scope.ConnectorID, err = o.str("connector_id", 40); err != nil {
			return err
		}
	} else {
		if scope, err = ruleScope(c, o); err != nil {
			return err
		}
		rules, version, err := s.store.LatestRules(c.UserContext(), scope)
		if err != nil {
			return err
		}
		provider := scope.Source
		if scope.ConnectorID != "" {
			if conn, err := s.connector(c.UserContext(), scope.ConnectorID); err == nil && conn.ProjectID == scope.ProjectID {
				provider = conn.Type
			}
		}
		if prog, err = activities.RulesInForce(s.rules, scope, provider, rules, version); err != nil {
			return err
		}
	}
	envs, events, err := s.testEnvs(c, o, scope)
	if err != nil {
		return err
	}
	answer := fiber.Map{"version": prog.Version, "results": prog.Eval(envs[0])}
	if events {
		// A provider delivery: each event as the live path evaluates it.
		each := make([]fiber.Map, len(envs))
		for i, env := range envs {
			each[i] = fiber.Map{"id": env.Event.ID, "type": env.Event.Type, "results": prog.Eval(env)}
		}
		answer["events"] = each
	}
	return c.JSON(answer)
}

// testEnvs are what the rules see on the test payload, exactly as on the
// live path: a webhook inbox item is its event; a payload tested against
// a connector's rules is a delivery of its provider, read into its
// events; anything else is a pushed object. events tells the first two.
func (s *Server) testEnvs(c *fiber.Ctx, o object, scope store.RuleScope) (envs []mapping.Env, events bool, err error) {
	raw, inline := o["payload"]
	if id, _ := o.str("inbox_id", 40); id != "" {
		it, err := s.store.GetInboxItem(c.UserContext(), principal(c).ProjectID, id)
		if err != nil {
			return nil, false, err
		}
		if it.Kind == intake.KindWebhook && !it.Failed {
			var e intake.Event
			if err := json.Unmarshal([]byte(it.Payload), &e); err != nil {
				return nil, false, intake.Invalid("inbox_id", "inbox item %s holds no event", it.ID)
			}
			return []mapping.Env{mapping.EventEnv(e)}, true, nil
		}
		raw, inline = json.RawMessage(it.Payload), true
	}
	if !inline || isNull(raw) {
		return nil, false, intake.Invalid("payload", "give a sample payload or an inbox_id")
	}
	if scope.ConnectorID != "" {
		conn, err := s.connector(c.UserContext(), scope.ConnectorID)
		if err != nil || conn.ProjectID != scope.ProjectID {
			return nil, false, intake.Errorf(intake.ErrNotFound, "no connector %q", scope.ConnectorID)
		}
		if p, ok := connectors.Lookup(conn.Type); ok {
			delivered, err := p.Normalize(connectors.Request{Method: fiber.MethodPost, Header: http.Header{}, Body: raw, Settings: conn.SettingsMap()})
			if err != nil {
				return nil, false, intake.Invalid("payload", "payload is not a %s delivery: %v", conn.Type, err)
			}
			if len(delivered) == 0 {
				return nil, false, intake.Invalid("payload", "payload holds no %s event", conn.Type)
			}
			for _, e := range delivered {
				envs = append(envs, mapping.EventEnv(e))
			}
			return envs, true, nil
		}
	}
	var payload map[string]any
	if json.Unmarshal(raw, &payload) != nil {
		return nil, false, intake.Invalid("payload", "payload must be a JSON object")
	}
	dataType, _ := payload["data_type"].(string)
	source := scope.Source
	if source == "" {
		source, _ = payload["source"].(string)
	}
	return []mapping.Env{mapping.DataEnv(payload, source, dataType, "test", s.now())}, false, nil
}

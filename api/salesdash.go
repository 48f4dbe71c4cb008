package api

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/intakehq/intake"
	"github.com/intakehq/intake/activities"
	"github.com/intakehq/intake/store"
)

// Bounds of SalesDash fields.
const (
	maxExternalID = 200
	maxName       = 200
)

// zones caches loaded time zones: every SalesDash call needs its
// connector's, and loading one reads the zone database. Only zones that
// loaded are kept, so it holds at most the zone database's few hundred
// names.
var zones sync.Map

// location loads the zone name. The name may be a Fiber string (a query
// parameter) whose bytes the next request reuses: the cache keeps a copy.
func location(name string) (*time.Location, error) {
	if name == "" {
		name = intake.DefaultTimezone
	}
	if l, ok := zones.Load(name); ok {
		return l.(*time.Location), nil
	}
	name = strings.Clone(name) // the location keeps its name too
	l, err := time.LoadLocation(name)
	if err == nil {
		zones.Store(name, l)
	}
	return l, err
}

// salesConnector is the SalesDash connector a call names, which must be
// called with its own key.
func (s *Server) salesConnector(c *fiber.Ctx) (store.Connector, *time.Location, error) {
	p := principal(c)
	conn, err := s.connector(c.UserContext(), strings.Clone(c.Params("id")))
	if err != nil || conn.ProjectID != p.ProjectID || conn.Type != intake.SalesDash || !conn.Enabled {
		return conn, nil, intake.Errorf(intake.ErrNotFound, "no enabled salesdash connector %q", c.Params("id"))
	}
	if p.ConnectorID != conn.ID { // its current key, or the previous one during a rotation's overlap
		return conn, nil, intake.Errorf(intake.ErrForbidden, "call a salesdash connector with its own key, the one shown when it was created")
	}
	loc, err := location(conn.SettingsMap()["timezone"])
	return conn, loc, err
}

// person reads an agent as a record names it.
func person(r record) (intake.Person, error) {
	var p intake.Person
	var err error
	if p.ID, err = r.text("agent_id", maxExternalID, true); err != nil {
		return p, err
	}
	if p.Name, err = r.text("agent_name", maxName, false); err != nil {
		return p, err
	}
	if p.Email, err = r.email("agent_email"); err != nil {
		return p, err
	}
	if p.TeamID, err = r.text("agent_team_id", maxExternalID, false); err != nil {
		return p, err
	}
	if p.TeamName, err = r.text("agent_team_name", maxName, false); err != nil {
		return p, err
	}
	if p.TeamName != "" && p.TeamID == "" {
		return p, r.invalid("agent_team_id", "is required with agent_team_name")
	}
	return p, nil
}

func parseActivity(r record, loc *time.Location) (intake.ActivityInput, error) {
	var a intake.ActivityInput
	var err error
	if a.ID, err = r.text("id", maxExternalID, true); err != nil {
		return a, err
	}
	if a.Type, err = r.text("type", maxName, true); err != nil {
		return a, err
	}
	if a.Agent, err = person(r); err != nil {
		return a, err
	}
	moment, err := r.time("moment", loc, true)
	if err != nil {
		return a, err
	}
	a.Moment, a.Day = *moment, intake.LocalDay(*moment, loc)
	if a.ContactKey, err = r.optText("contact_key", maxExternalID); err != nil {
		return a, err
	}
	if a.Value, err = r.number("value"); err != nil {
		return a, err
	}
	a.ValueIsMoney, err = r.boolean("value_is_money")
	return a, err
}

func parseSale(r record, loc *time.Location) (intake.SaleInput, error) {
	var sl intake.SaleInput
	var err error
	if sl.ID, err = r.text("id", maxExternalID, true); err != nil {
		return sl, err
	}
	if sl.Agent, err = person(r); err != nil {
		return sl, err
	}
	if sl.PropositionID, err = r.text("proposition_id", maxExternalID, true); err != nil {
		return sl, err
	}
	if sl.PropositionName, err = r.text("proposition_name", maxName, false); err != nil {
		return sl, err
	}
	sold, err := r.time("sold_at", loc, true)
	if err != nil {
		return sl, err
	}
	sl.SoldAt, sl.Day = *sold, intake.LocalDay(*sold, loc)
	if sl.CancelledAt, err = r.time("cancelled_at", loc, false); err != nil {
		return sl, err
	}
	sl.CancelledAtSet = r.present("cancelled_at")
	if sl.IsRetention, err = r.boolean("is_retention"); err != nil {
		return sl, err
	}
	if sl.ContractValue, err = r.number("contract_value"); err != nil {
		return sl, err
	}
	if sl.ContactKey, err = r.optText("contact_key", maxExternalID); err != nil {
		return sl, err
	}
	meta, err := r.sub("energy_meta")
	if err != nil {
		return sl, err
	}
	e := &sl.Energy
	if e.ElectricityUsage, err = meta.number("electricity_usage"); err != nil {
		return sl, err
	}
	if e.ElectricityReturn, err = meta.number("electricity_return"); err != nil {
		return sl, err
	}
	if e.GasUsage, err = meta.number("gas_usage"); err != nil {
		return sl, err
	}
	e.ConnectionCount, err = meta.integer("connection_count")
	return sl, err
}

// named is an identity a record names: unknown without its name, the call
// is refused.
type named struct {
	kind, field, id, name string
}

// requireKnown refuses a record naming an agent or proposition intake has
// never seen, without the name that would create it: nothing is started,
// so nothing is written. Identities are never deleted, so a check that
// passes here still holds when the workflow runs.
func (s *Server) requireKnown(ctx context.Context, conn store.Connector, n named) error {
	if n.name != "" {
		return nil
	}
	ok, err := s.store.IdentityExists(ctx, store.IdentityRef{ProjectID: conn.ProjectID, ConnectorID: conn.ID, Kind: n.kind, ExternalID: n.id})
	if err == nil && !ok {
		err = intake.Invalid(n.field, "%s %q is unknown; send %s_name with it to create it", n.field, n.id, n.kind)
	}
	return err
}

// upsert is one SalesDash call read from its record: the event type
// operators filter by, the call as its kind makes it, and the identities
// it names.
type upsert struct {
	eventType string
	call      func(base intake.Call) (intake.Call, error)
	names     []named
}

// ingestUpsert runs a SalesDash call: the connector and its key, the body
// in any encoding, the record read by read, its identities checked, then
// its workflow, answered like every ingest call.
func (s *Server) ingestUpsert(c *fiber.Ctx, read func(record, *time.Location) (upsert, error)) error {
	conn, loc, err := s.salesConnector(c)
	if err != nil {
		return err
	}
	r, err := decodeRecord(c)
	if err != nil {
		return err
	}
	u, err := read(r, loc)
	if err != nil {
		return err
	}
	for _, n := range u.names {
		if err := s.requireKnown(c.UserContext(), conn, n); err != nil {
			return err
		}
	}
	base, err := s.newCall(c, intake.SalesDash, u.eventType)
	if err != nil {
		return err
	}
	base.ConnectorID = conn.ID
	call, err := u.call(base)
	if err != nil {
		return err
	}
	return s.process(c, call, nil)
}

func (s *Server) ingestActivity(c *fiber.Ctx) error {
	return s.ingestUpsert(c, func(r record, loc *time.Location) (upsert, error) {
		in, err := parseActivity(r, loc)
		return upsert{
			eventType: in.Type,
			call:      func(base intake.Call) (intake.Call, error) { return activities.Activity.Call(base, in) },
			names:     []named{{intake.IdentityAgent, "agent_id", in.Agent.ID, in.Agent.Name}},
		}, err
	})
}

func (s *Server) ingestSale(c *fiber.Ctx) error {
	return s.ingestUpsert(c, func(r record, loc *time.Location) (upsert, error) {
		in, err := parseSale(r, loc)
		return upsert{
			eventType: intake.KindSale,
			call:      func(base intake.Call) (intake.Call, error) { return activities.Sale.Call(base, in) },
			names: []named{
				{intake.IdentityAgent, "agent_id", in.Agent.ID, in.Agent.Name},
				{intake.IdentityProposition, "proposition_id", in.PropositionID, in.PropositionName},
			},
		}, err
	})
}

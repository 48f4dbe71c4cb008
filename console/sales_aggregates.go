package console

import (
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/intakehq/intake"
	"github.com/intakehq/intake/store"
)

// salesRanges are the aggregates page's preset periods: the last n local
// days, today included; "all" has no bounds.
var salesRanges = []salesRange{{"7d", "Last 7 days", 7}, {"30d", "Last 30 days", 30}, {"90d", "Last 90 days", 90}, {"all", "All time", 0}}

type salesRange struct {
	Name, Label string
	Days        int
}

// defaultSalesRange is the period of a page asked for none.
const defaultSalesRange = "30d"

// salesGroupings are the aggregates page's tables, in the API's group_by
// words; activities have no proposition.
var salesGroupings = []salesGrouping{
	{store.GroupAgent, "Per agent"}, {store.GroupTeam, "Per team"}, {store.GroupDay, "Per day"}, {store.GroupProposition, "Per proposition"},
}

type salesGrouping struct{ Name, Label string }

type aggregatesData struct {
	From, To, TZ, Type, ConnectorID, By string
	IncludeCancelled                    bool
	Ranges, Tabs                        []salesLink
	Connectors                          []salesOption
	// Refused is the API's answer to the query, naming the field to fix.
	Refused           *salesRefusal
	Activities, Sales *aggTable
	// Unlinked: some identities are not linked yet, so their records
	// count apart from the agent, team or proposition they belong to.
	Unlinked bool
}

type salesLink struct {
	Label, URL string
	Current    bool
}

type aggTable struct {
	ID, Title, SumTitle, Note string
	Rows                      []aggRow
	Total                     aggRow
}

type aggRow struct {
	Label, Group, Kind, Count, Sum string
	// Unlinked: Group is an identity no admin has linked yet.
	Unlinked bool
}

// aggregates shows activity and sale counts and sums in one grouping
// over a period, read from the API's aggregate routes with the page's
// query, so the page and a dashboard reading the API see the same numbers.
func (p *salesPages) aggregates(c *fiber.Ctx) error {
	v := p.formView(c, "SalesDash")
	d := aggregatesData{From: c.Query("from"), To: c.Query("to"), TZ: c.Query("tz"), Type: c.Query("type"),
		ConnectorID: c.Query("connector_id"), By: c.Query("by"), IncludeCancelled: c.Query("include_cancelled") == "true"}
	if d.TZ == "" {
		d.TZ = intake.DefaultTimezone
	}
	if d.By == "" {
		d.By = store.GroupAgent
	}
	if !slices.ContainsFunc(salesGroupings, func(g salesGrouping) bool { return g.Name == d.By }) {
		v.Error, d.By = "By is one of agent, team, day or proposition.", store.GroupAgent
	}
	chosen := c.Query("range")
	args := c.Context().QueryArgs()
	switch {
	case chosen != "":
	case !args.Has("from") && !args.Has("to"):
		chosen = defaultSalesRange
	case d.From == "" && d.To == "":
		chosen = "all" // the form sent with both bounds emptied
	}
	if chosen != "" && !d.period(chosen, p.o.Now()) {
		v.Error = "Range is one of 7d, 30d, 90d or all."
		d.period(defaultSalesRange, p.o.Now())
	}
	for _, r := range salesRanges {
		d.Ranges = append(d.Ranges, salesLink{Label: r.Label, URL: d.url(url.Values{"range": {r.Name}, "from": nil, "to": nil}), Current: r.Name == chosen})
	}
	for _, g := range salesGroupings {
		d.Tabs = append(d.Tabs, salesLink{Label: g.Label, URL: d.url(url.Values{"by": {g.Name}}), Current: g.Name == d.By})
	}
	_, conns, err := p.salesConnectors(c)
	if err != nil {
		return err
	}
	d.Connectors = conns
	if err := p.aggregateTables(c, &d); err != nil {
		return err
	}
	no := false
	unlinked, _, err := p.o.Store.ListIdentities(c.UserContext(), projectOf(c), store.IdentityFilter{Linked: &no}, store.Page{Limit: 1})
	if err != nil {
		return err
	}
	d.Unlinked = len(unlinked) > 0
	v.Data = d
	status := fiber.StatusOK
	if d.Refused != nil {
		status = fiber.StatusUnprocessableEntity
		if d.Refused.Status == fiber.StatusTooManyRequests {
			status = d.Refused.Status
		}
	}
	return render(c, status, "salesdash.html", v)
}

// period sets From and To to a preset range ending today in the page's
// zone (To excluded, as the API reads it), and reports whether there is
// such a preset.
func (d *aggregatesData) period(name string, now time.Time) bool {
	i := slices.IndexFunc(salesRanges, func(r salesRange) bool { return r.Name == name })
	if i < 0 {
		return false
	}
	d.From, d.To = "", ""
	if days := salesRanges[i].Days; days > 0 {
		loc, err := time.LoadLocation(d.TZ)
		if err != nil {
			loc = time.UTC // the API refuses the zone, naming tz
		}
		today := now.In(loc)
		d.From = today.AddDate(0, 0, 1-days).Format(time.DateOnly)
		d.To = today.AddDate(0, 0, 1).Format(time.DateOnly)
	}
	return true
}

// url is the page with its query, changed by over (nil removes a field).
func (d aggregatesData) url(over url.Values) string {
	q := url.Values{}
	for name, val := range map[string]string{"from": d.From, "to": d.To, "type": d.Type, "connector_id": d.ConnectorID, "by": d.By} {
		if val != "" {
			q.Set(name, val)
		}
	}
	if d.TZ != intake.DefaultTimezone {
		q.Set("tz", d.TZ)
	}
	if d.IncludeCancelled {
		q.Set("include_cancelled", "true")
	}
	for name, vals := range over {
		if vals == nil {
			q.Del(name)
		} else {
			q[name] = vals
		}
	}
	return "/console/salesdash?" + q.Encode()
}

// aggregateTables reads the two tables from the API; a refused query
// stops at the first refusal, which names the field.
func (p *salesPages) aggregateTables(c *fiber.Ctx, d *aggregatesData) error {
	q := url.Values{"group_by": {d.By}, "tz": {d.TZ}}
	for name, val := range map[string]string{"from": d.From, "to": d.To, "connector_id": d.ConnectorID} {
		if val != "" {
			q.Set(name, val)
		}
	}
	if d.By != store.GroupProposition {
		aq := url.Values{"type": {d.Type}}
		for name, vals := range q {
			aq[name] = vals
		}
		t, refused, err := p.aggTable(c, "/api/admin/activities/aggregate?"+aq.Encode(), d.By, "")
		if err != nil || refused != nil {
			d.Refused = refused
			return err
		}
		t.ID, t.Title, t.SumTitle = "activities-by-"+d.By, "Activities", "Sum of value"
		if d.Type != "" {
			t.Title = "Activities of type “" + d.Type + "”"
		}
		d.Activities = t
	}
	if d.IncludeCancelled {
		q.Set("include_cancelled", "true")
	}
	t, refused, err := p.aggTable(c, "/api/admin/sales/aggregate?"+q.Encode(), d.By, "EUR")
	if err != nil || refused != nil {
		d.Refused = refused
		return err
	}
	t.ID, t.Title, t.SumTitle = "sales-by-"+d.By, "Sales", "Contract value"
	if !d.IncludeCancelled {
		t.Note = "Cancelled sales are left out."
	}
	d.Sales = t
	return nil
}

// aggTable reads one aggregate, its sums formatted in unit as the API
// formats values ("" for activity values, which mix money and numbers).
func (p *salesPages) aggTable(c *fiber.Ctx, uri, by, unit string) (*aggTable, *salesRefusal, error) {
	var answer struct {
		Data  []store.AggregateRow `json:"data"`
		Total store.AggregateRow   `json:"total"`
	}
	refused, err := p.salesGet(c, uri, &answer)
	if err != nil || refused != nil {
		return nil, refused, err
	}
	t := &aggTable{Total: aggRow{Label: "Total", Count: intake.FormatValue(float64(answer.Total.Count), "count"),
		Sum: intake.FormatValue(answer.Total.Sum, unit)}}
	for _, r := range answer.Data {
		row := aggRow{Group: r.Group, Label: r.Name, Kind: by, Count: intake.FormatValue(float64(r.Count), "count"), Sum: intake.FormatValue(r.Sum, unit)}
		row.Unlinked = strings.HasPrefix(r.Group, "idn_")
		switch {
		case by == store.GroupDay:
			row.Label = r.Group
		case r.Group == "":
			row.Label = "no " + by
		case row.Label == "" && row.Unlinked:
			// A team sent without its name: the sender's id is what an
			// admin can recognise it by.
			idn, err := p.o.Store.GetIdentity(c.UserContext(), projectOf(c), r.Group)
			if err != nil {
				return nil, nil, err
			}
			row.Label = "no name, sent as “" + idn.ExternalID + "”"
		case row.Label == "":
			row.Label = r.Group
		}
		t.Rows = append(t.Rows, row)
	}
	return t, nil, nil
}

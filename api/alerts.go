package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/intakehq/intake"
	"github.com/intakehq/intake/mapping"
	"github.com/intakehq/intake/notify"
	"github.com/intakehq/intake/store"
	"github.com/prometheus/client_golang/prometheus"
)

// alertStore is what the alert routes need of the store.
type alertStore interface {
	MetricByRef(ctx context.Context, projectID, ref string) (store.Metric, error)
	CreateAlert(ctx context.Context, a *store.Alert) error
	GetAlert(ctx context.Context, projectID, id string) (store.Alert, error)
	ListAlerts(ctx context.Context, projectID string, p store.Page) ([]store.Alert, string, error)
	UpdateAlert(ctx context.Context, projectID, id string, edit func(*store.Alert) error) (store.Alert, error)
	DeleteAlert(ctx context.Context, projectID, id string) error
	ListAlertEvents(ctx context.Context, projectID, alertID string, p store.Page) ([]store.AlertEvent, string, error)
	FiringAlerts(ctx context.Context) (map[string]int, error)
}

// Bounds of an alert's durations: For up to a week, staleness from a
// second (the sweep's interval decides how soon it is seen) to 30 days.
const (
	maxAlertFor      = 7 * 24 * time.Hour
	maxStaleAfter    = 30 * 24 * time.Hour
	maxAlertChannels = 10
)

// alertJSON is an alert as the API shows it: durations as Go durations
// ("6h0m0s" is written "6h"), channel URLs masked (a Slack URL is its
// own secret), secrets never.
type alertJSON struct {
	store.Alert
	Metric     string        `json:"metric"`
	For        string        `json:"for,omitempty"`
	StaleAfter string        `json:"stale_after,omitempty"`
	Channels   []channelJSON `json:"channels"`
}

type channelJSON struct {
	Type      string `json:"type"`
	URL       string `json:"url"`
	HasSecret bool   `json:"has_secret,omitempty"`
	// Secret is shown once, when intake made it.
	Secret string `json:"secret,omitempty"`
}

func showAlert(a store.Alert, metricKey string) alertJSON {
	out := alertJSON{Alert: a, Metric: metricKey, For: duration(a.ForDuration()), StaleAfter: duration(a.StaleDuration()),
		Channels: []channelJSON{}}
	var chs []notify.Channel
	_ = json.Unmarshal([]byte(a.Channels), &chs)
	for _, ch := range chs {
		out.Channels = append(out.Channels, channelJSON{Type: ch.Type, URL: maskURL(ch.URL), HasSecret: ch.Secret != ""})
	}
	return out
}

// duration writes d the short way: 6h, 90m, 30s; "" for none.
func duration(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	s := d.String() // 6h0m0s
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// maskURL keeps a URL's scheme and host and the last four characters of
// its path; never its query or credentials, where secrets also go.
func maskURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "…"
	}
	path := strings.TrimSuffix(u.EscapedPath(), "/")
	if len(path) <= 8 {
		return u.Scheme + "://" + u.Host + "/…"
	}
	return u.Scheme + "://" + u.Host + "/…" + path[len(path)-4:]
}

// parseDuration reads a duration field: "90s", "30m", "6h", "2d".
func parseDuration(o object, name string, min, max time.Duration) (time.Duration, bool, error) {
	s, err := o.str(name, 32)
	if err != nil || s == "" {
		return 0, false, err
	}
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, perr := strconv.Atoi(days)
		d, err = time.Duration(n)*24*time.Hour, perr
	} else {
		d, err = time.ParseDuration(s)
	}
	if err != nil || d < min || d > max || d%time.Second != 0 {
		return 0, false, intake.Invalid(name, "%s must be a whole number of seconds from %s to %s, such as \"90s\", \"30m\", \"6h\" or \"2d\"",
			name, duration(min), duration(max))
	}
	return d, true, nil
}

// alertEdit is what a create or a change sets, read from the body. What
// needs the database or the network (the metric, the channels' hosts) is
// read first, by readAlert, outside the transaction that applies it: on
// SQLite the transaction holds the one connection.
type alertEdit struct {
	o        object
	create   bool
	metric   *store.Metric
	channels *string
	shown    []channelJSON // secrets made here, shown once
}

// readAlert reads and checks the body of a create (every field required
// that has no default) or a change.
func (s *Server) readAlert(c *fiber.Ctx, o object, create bool) (alertEdit, error) {
	e := alertEdit{o: o, create: create}
	ctx, project := c.UserContext(), principal(c).ProjectID
	ref, err := o.str("metric", 200)
	if err != nil {
		return e, err
	}
	if ref == "" && create {
		return e, intake.Invalid("metric", "metric is required: a metric's id, key or name")
	}
	if ref != "" {
		m, err := s.metricNamed(ctx, project, ref)
		if err != nil {
			return e, err
		}
		e.metric = &m
	}
	if raw, ok := o["channels"]; ok || create {
		chs, shown, err := s.readChannels(ctx, raw)
		if err != nil {
			return e, err
		}
		e.channels, e.shown = &chs, shown
	}
	return e, nil
}

// apply sets what the body gives on a, checking the fields that depend on
// what a already is (a condition alert given stale_after, say).
func (e alertEdit) apply(a *store.Alert) error {
	name, err := e.o.str("name", 200)
	if err != nil {
		return err
	}
	if name != "" {
		a.Name = name
	} else if e.create {
		return intake.Invalid("name", "name is required")
	}
	if e.metric != nil {
		a.MetricID = e.metric.ID
	}
	if e.channels != nil {
		a.Channels = *e.channels
	}
	if raw, ok := e.o["enabled"]; ok && !isNull(raw) {
		if err := json.Unmarshal(raw, &a.Enabled); err != nil {
			return intake.Invalid("enabled", "enabled must be true or false")
		}
	}
	if raw, ok := e.o["for"]; ok && isNull(raw) {
		a.For = 0 // "for": null takes it away
	}
	if !e.create && !e.o.has("condition", "for", "stale_after") {
		return nil
	}
	return readCondition(e.o, a)
}

// metricNamed is the project's metric with id, key or name ref; one
// that matches none is the body's fault (400, field metric), a database
// that fails is not.
func (s *Server) metricNamed(ctx context.Context, project, ref string) (store.Metric, error) {
	m, err := s.store.MetricByRef(ctx, project, ref)
	if intake.ErrorCode(err) == intake.ErrNotFound {
		return m, intake.Invalid("metric", "no metric of this project matches %q", ref)
	}
	return m, err
}

// has reports whether o gives any of names.
func (o object) has(names ...string) bool {
	for _, n := range names {
		if raw, ok := o[n]; ok && !isNull(raw) {
			return true
		}
	}
	return false
}

// readCondition reads condition, for and stale_after: an alert watches a
// condition (held for for) or staleness, not both.
func readCondition(o object, a *store.Alert) error {
	cond, err := o.str("condition", 4000)
	if err != nil {
		return err
	}
	forD, hasFor, err := parseDuration(o, "for", time.Second, maxAlertFor)
	if err != nil {
		return err
	}
	stale, hasStale, err := parseDuration(o, "stale_after", time.Second, maxStaleAfter)
	if err != nil {
		return err
	}
	switch {
	case cond != "" && hasStale:
		return intake.Invalid("stale_after", "an alert has a condition or stale_after, not both")
	case cond != "":
		if _, err := mapping.CompileCondition(cond); err != nil {
			return compileError(err)
		}
		a.Condition, a.StaleAfter = cond, 0
	case hasStale:
		if hasFor {
			return intake.Invalid("for", "for applies to a condition, not to stale_after")
		}
		a.Condition, a.StaleAfter, a.For = "", int64(stale/time.Second), 0
	}
	if hasFor {
		a.For = int64(forD / time.Second)
	}
	if a.Condition == "" && a.StaleAfter == 0 {
		return intake.Invalid("condition", "condition (such as \"value < 1000\") or stale_after (such as \"6h\") is required")
	}
	if a.Condition == "" && a.For > 0 {
		return intake.Invalid("for", "for applies to a condition, not to stale_after")
	}
	return nil
}

// readChannels validates the channels and returns them as stored (JSON),
// with the secrets made for webhook channels that gave none.
func (s *Server) readChannels(ctx context.Context, raw json.RawMessage) (string, []channelJSON, error) {
	var chs []notify.Channel
	if isNull(raw) || json.Unmarshal(raw, &chs) != nil {
		return "", nil, intake.Invalid("channels", "channels must be a list of {type, url, secret?}")
	}
	if len(chs) == 0 || len(chs) > maxAlertChannels {
		return "", nil, intake.Invalid("channels", "an alert has 1 to %d channels", maxAlertChannels)
	}
	shown := make([]channelJSON, len(chs))
	for i := range chs {
		ch := &chs[i]
		ch.Type, ch.URL = strings.TrimSpace(ch.Type), strings.TrimSpace(ch.URL)
		if strings.Contains(ch.URL, "…") {
			return "", nil, intake.Invalid(fmt.Sprintf("channels[%d].url", i),
				"this is a channel URL as intake shows it, masked; send the channel's whole URL")
		}
		if err := s.opts.AlertPolicy.CheckChannel(ctx, i, *ch); err != nil {
			return "", nil, err
		}
		shown[i] = channelJSON{Type: ch.Type, URL: maskURL(ch.URL), HasSecret: ch.Secret != ""}
		if ch.Type == "webhook" && ch.Secret == "" {
			secret, err := notify.NewSecret()
			if err != nil {
				return "", nil, err
			}
			ch.Secret, shown[i].Secret, shown[i].HasSecret = secret, secret, true
		}
	}
	out, err := json.Marshal(chs)
	return string(out), shown, err
}

func (s *Server) createAlert(c *fiber.Ctx) error {
	o, err := decodeObject(c.Body())
	if err != nil {
		return err
	}
	e, err := s.readAlert(c, o, true)
	if err != nil {
		return err
	}
	a := store.Alert{ID: intake.NewID("al"), ProjectID: principal(c).ProjectID, Enabled: true}
	if err := e.apply(&a); err != nil {
		return err
	}
	if err := s.store.CreateAlert(c.UserContext(), &a); err != nil {
		return err
	}
	out := showAlert(a, e.metric.Key)
	out.Channels = e.shown
	return c.Status(fiber.StatusCreated).JSON(out)
}

// alertMetricKey is the key of an alert's metric, for showing it.
func (s *Server) alertMetricKey(ctx context.Context, a store.Alert) string {
	m, err := s.store.GetMetric(ctx, a.ProjectID, a.MetricID)
	if err != nil {
		return a.MetricID
	}
	return m.Key
}

func (s *Server) listAlerts(c *fiber.Ctx) error {
	return paged(c, func(ctx context.Context, pg store.Page) ([]alertJSON, string, error) {
		rows, next, err := s.store.ListAlerts(ctx, principal(c).ProjectID, pg)
		return mapRows(rows, next, err, func(a store.Alert) alertJSON { return showAlert(a, s.alertMetricKey(ctx, a)) })
	})
}

func (s *Server) getAlert(c *fiber.Ctx) error {
	a, err := s.store.GetAlert(c.UserContext(), principal(c).ProjectID, c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(showAlert(a, s.alertMetricKey(c.UserContext(), a)))
}

func (s *Server) updateAlert(c *fiber.Ctx) error {
	o, err := decodeObject(c.Body())
	if err != nil {
		return err
	}
	e, err := s.readAlert(c, o, false)
	if err != nil {
		return err
	}
	a, err := s.store.UpdateAlert(c.UserContext(), principal(c).ProjectID, c.Params("id"), e.apply)
	if err != nil {
		return err
	}
	out := showAlert(a, s.alertMetricKey(c.UserContext(), a))
	if e.shown != nil {
		out.Channels = e.shown
	}
	return c.JSON(out)
}

func (s *Server) deleteAlert(c *fiber.Ctx) error {
	if err := s.store.DeleteAlert(c.UserContext(), principal(c).ProjectID, c.Params("id")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) listAlertEvents(c *fiber.Ctx) error {
	return paged(c, func(ctx context.Context, pg store.Page) ([]store.AlertEvent, string, error) {
		return s.store.ListAlertEvents(ctx, principal(c).ProjectID, c.Params("id"), pg)
	})
}

// testAlert evaluates a condition (draft, or a saved alert's) on a
// hypothetical value, with the engine and variables the live path uses:
// previous defaults to the metric's current value, unit to its unit.
func (s *Server) testAlert(c *fiber.Ctx) error {
	o, err := decodeObject(c.Body())
	if err != nil {
		return err
	}
	ctx, project := c.UserContext(), principal(c).ProjectID
	cond, err := o.str("condition", 4000)
	if err != nil {
		return err
	}
	var metric *store.Metric
	if id, err := o.str("alert_id", 40); err != nil {
		return err
	} else if id != "" {
		a, err := s.store.GetAlert(ctx, project, id)
		if err != nil {
			return err
		}
		if cond == "" {
			cond = a.Condition
		}
		if m, err := s.store.GetMetric(ctx, project, a.MetricID); err == nil {
			metric = &m
		}
	}
	if ref, err := o.str("metric", 200); err != nil {
		return err
	} else if ref != "" {
		m, err := s.metricNamed(ctx, project, ref)
		if err != nil {
			return err
		}
		metric = &m
	}
	if cond == "" {
		return intake.Invalid("condition", "condition is required (or alert_id of an alert with one)")
	}
	vars, err := testVars(o, metric)
	if err != nil {
		return err
	}
	prog, err := mapping.CompileCondition(cond)
	if err != nil {
		return compileError(err)
	}
	holds, evalErr := prog.Holds(vars)
	out := fiber.Map{"condition": cond, "holds": holds, "vars": vars,
		"formatted_value": intake.FormatValue(vars.Value, vars.Unit)}
	if evalErr != nil {
		out["error"] = fmt.Sprint(evalErr)
	}
	return c.JSON(out)
}

func testVars(o object, metric *store.Metric) (intake.AlertVars, error) {
	value, ok, err := o.number("value")
	if err != nil {
		return intake.AlertVars{}, err
	}
	if !ok {
		return intake.AlertVars{}, intake.Invalid("value", "value is required: the hypothetical new value")
	}
	var prev float64
	unit := ""
	if metric != nil {
		prev, unit = metric.Value, metric.Unit
	}
	if p, ok, err := o.number("previous"); err != nil {
		return intake.AlertVars{}, err
	} else if ok {
		prev = p
	}
	if u, err := o.str("unit", 20); err != nil {
		return intake.AlertVars{}, err
	} else if u != "" {
		unit = u
	}
	at := time.Now().UTC()
	if raw, ok := o["at"]; ok && !isNull(raw) {
		t, err := intake.ParseTime(raw)
		if err != nil {
			return intake.AlertVars{}, intake.Invalid("at", "at %v", err)
		}
		at = t
	}
	return intake.NewAlertVars(value, prev, at, unit), nil
}

// firingGauge is intake_alerts_firing{project}, read from the database
// when scraped: the state is the database's, whichever process changed it.
type firingGauge struct {
	store alertStore
	desc  *prometheus.Desc
}

func newFiringGauge(st alertStore, reg *prometheus.Registry) {
	// A second API on one registry (tests) finds it registered already.
	_ = reg.Register(&firingGauge{store: st, desc: prometheus.NewDesc("intake_alerts_firing",
		"Alerts firing now, by project.", []string{"project"}, nil)})
}

func (g *firingGauge) Describe(ch chan<- *prometheus.Desc) { ch <- g.desc }

func (g *firingGauge) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts, err := g.store.FiringAlerts(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(g.desc, err)
		return
	}
	for project, n := range counts {
		ch <- prometheus.MustNewConstMetric(g.desc, prometheus.GaugeValue, float64(n), project)
	}
}

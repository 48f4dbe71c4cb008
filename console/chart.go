package console

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/intakehq/intake"
	"github.com/intakehq/intake/store"
)

// chart is a metric's points over a range, drawn on the server as SVG.
type chart struct {
	Key, Name, Range string
	// Line is the polyline's points; Dots the points themselves.
	Line                       string
	Dots                       []dot
	Max, Min, From, To, Latest string
	Points                     int
	Truncated                  bool
}

type dot struct{ X, Y, Title string }

// The drawing's size in SVG units, and the ranges one can pick.
const (
	chartW, chartH = 640.0, 180.0
)

var chartRanges = []struct {
	Name string
	Span time.Duration
}{{"24h", 24 * time.Hour}, {"7d", 7 * 24 * time.Hour}, {"30d", 30 * 24 * time.Hour}}

// chartOf draws metric m's points of the span before now: at most a page
// of the latest (store.MaxPageLimit), which the chart then says.
func (k *console) chartOf(ctx context.Context, projectID string, m store.Metric, rangeName string, now time.Time) (*chart, error) {
	span := chartRanges[1].Span
	for _, r := range chartRanges {
		if r.Name == rangeName {
			span = r.Span
		}
	}
	if span == chartRanges[1].Span {
		rangeName = chartRanges[1].Name
	}
	from := now.Add(-span)
	pts, next, err := k.o.Store.ListPoints(ctx, projectID, m.ID, store.PointRange{From: from, To: now.Add(time.Minute)}, store.Page{Limit: store.MaxPageLimit})
	if err != nil {
		return nil, err
	}
	c := &chart{Key: m.Key, Name: m.Name, Range: rangeName, Points: len(pts), Truncated: next != "",
		From: from.UTC().Format("Jan 2 15:04"), To: now.UTC().Format("Jan 2 15:04")}
	if len(pts) == 0 {
		return c, nil
	}
	lo, hi := pts[0].Value, pts[0].Value
	for _, p := range pts {
		lo, hi = min(lo, p.Value), max(hi, p.Value)
	}
	c.Min, c.Max, c.Latest = intake.FormatValue(lo, m.Unit), intake.FormatValue(hi, m.Unit), intake.FormatValue(pts[0].Value, m.Unit)
	var line strings.Builder
	for i := len(pts) - 1; i >= 0; i-- { // oldest first, left to right
		p := pts[i]
		x := float64(p.Timestamp.Sub(from)) / float64(span) * chartW
		y := chartH / 2
		if hi > lo {
			y = chartH - (p.Value-lo)/(hi-lo)*chartH
		}
		x, y = min(max(x, 0), chartW), min(max(y, 0), chartH)
		fmt.Fprintf(&line, "%.1f,%.1f ", x, y)
		c.Dots = append(c.Dots, dot{X: fmt.Sprintf("%.1f", x), Y: fmt.Sprintf("%.1f", y),
			Title: p.Timestamp.UTC().Format(time.DateTime) + " · " + intake.FormatValue(p.Value, m.Unit)})
	}
	c.Line = strings.TrimSpace(line.String())
	return c, nil
}

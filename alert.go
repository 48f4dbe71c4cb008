package intake

import "time"

// Alert states: an alert is ok until its condition holds (for as long as
// its For asks) or its metric goes stale, then firing until it no longer
// does.
const (
	AlertOK     = "ok"
	AlertFiring = "firing"
)

// AlertVars are what an alert's condition reads when a point changes its
// metric: the new value, the one before, their difference (DeltaPct is
// relative to |Previous|, and 0 when Previous is 0: there is no percentage
// change from nothing), when the point was taken, and the metric's unit.
type AlertVars struct {
	Value    float64   `json:"value"`
	Previous float64   `json:"previous"`
	Delta    float64   `json:"delta"`
	DeltaPct float64   `json:"delta_pct"`
	At       time.Time `json:"at"`
	Unit     string    `json:"unit"`
}

// NewAlertVars derives the deltas from value and previous.
func NewAlertVars(value, previous float64, at time.Time, unit string) AlertVars {
	v := AlertVars{Value: value, Previous: previous, Delta: value - previous, At: at.UTC(), Unit: unit}
	if previous != 0 {
		abs := previous
		if abs < 0 {
			abs = -abs
		}
		v.DeltaPct = v.Delta / abs * 100
	}
	return v
}

// AlertWorkflowID is the ID of the workflow that sends the notifications
// of one alert transition: one workflow, so one notification, per
// transition however often its start is asked for.
func AlertWorkflowID(projectID, eventID string) string {
	return "alert/" + projectID + "/" + eventID
}

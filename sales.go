package intake

import "time"

// SalesDash is the connector type whose senders upsert activities and
// sales rather than deliver events, and the source recorded on its calls.
const SalesDash = "salesdash"

// Identity kinds: the sender's own ids for the people and products its
// records name, linked by admins to the project's agents, teams and
// propositions.
const (
	IdentityAgent       = "agent"
	IdentityTeam        = "team"
	IdentityProposition = "proposition"
)

// IdentityKinds lists the identity kinds, in the order admins see them.
var IdentityKinds = []string{IdentityAgent, IdentityTeam, IdentityProposition}

// Person is an agent as a sender names it on a record. Only ID is
// required; the other fields, when sent, upsert what intake knows of it.
type Person struct {
	ID       string `json:"id"`
	Name     string `json:"name,omitempty"`
	Email    string `json:"email,omitempty"`
	TeamID   string `json:"team_id,omitempty"`
	TeamName string `json:"team_name,omitempty"`
}

// ActivityInput is one validated SalesDash activity. Optional fields are
// pointers: nil keeps what an earlier call stored, so a partial update
// does not erase fields it did not send.
type ActivityInput struct {
	ID           string    `json:"id"`
	Type         string    `json:"type"`
	Agent        Person    `json:"agent"`
	Moment       time.Time `json:"moment"`
	Day          string    `json:"day"`
	ContactKey   *string   `json:"contact_key,omitempty"`
	Value        *float64  `json:"value,omitempty"`
	ValueIsMoney *bool     `json:"value_is_money,omitempty"`
}

// EnergyMeta is a sale's energy contract detail. Nil fields keep what an
// earlier call stored.
type EnergyMeta struct {
	ElectricityUsage  *float64 `json:"electricity_usage,omitempty"`
	ElectricityReturn *float64 `json:"electricity_return,omitempty"`
	GasUsage          *float64 `json:"gas_usage,omitempty"`
	ConnectionCount   *int64   `json:"connection_count,omitempty"`
}

// SaleInput is one validated SalesDash sale. CancelledAtSet tells an
// explicit null (the sale is no longer cancelled) from an absent field.
type SaleInput struct {
	ID              string     `json:"id"`
	Agent           Person     `json:"agent"`
	PropositionID   string     `json:"proposition_id"`
	PropositionName string     `json:"proposition_name,omitempty"`
	SoldAt          time.Time  `json:"sold_at"`
	Day             string     `json:"day"`
	CancelledAt     *time.Time `json:"cancelled_at,omitempty"`
	CancelledAtSet  bool       `json:"cancelled_at_set,omitempty"`
	IsRetention     *bool      `json:"is_retention,omitempty"`
	ContractValue   *float64   `json:"contract_value,omitempty"`
	ContactKey      *string    `json:"contact_key,omitempty"`
	Energy          EnergyMeta `json:"energy_meta"`
}

// UpsertResult is what an activity or sale call did to its record.
type UpsertResult struct {
	ID         string `json:"id"`
	ExternalID string `json:"external_id"`
	Created    bool   `json:"created"`
}

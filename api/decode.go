package api

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/intakehq/intake"
)

// object is a request body decoded one level deep, so each field can be
// checked for its JSON type and named in the error.
type object map[string]json.RawMessage

func decodeObject(body []byte) (object, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, intake.Invalid("body", "request body is empty; send a JSON object")
	}
	if body[0] != '{' {
		return nil, intake.Invalid("body", "request body must be a JSON object")
	}
	if !utf8.Valid(body) {
		return nil, intake.Invalid("body", "request body is not valid UTF-8")
	}
	var o object
	if err := json.Unmarshal(body, &o); err != nil {
		return nil, intake.Invalid("body", "request body is not valid JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	if err := checkJSON(body); err != nil {
		return nil, err
	}
	return o, nil
}

// maxJSONDepth bounds nesting: real payloads (Stripe's among them) stay
// under 20 levels, and deeper ones only cost every later reader.
const maxJSONDepth = 64

// maxJSONLeaves bounds a body's values: every rule evaluation and every
// check for unmapped fields walks them all.
const maxJSONLeaves = 100_000

// checkJSON refuses what encoding/json lets through silently: a key given
// twice in one object, where the last would win and the sender's meaning
// would depend on the parser, and nesting past maxJSONDepth. body is valid
// JSON already.
func checkJSON(body []byte) error {
	type frame struct {
		object, expectKey bool
		keys              map[string]bool
		path, lastKey     string
	}
	var stack []*frame
	leaves := 0
	childPath := func() string {
		if len(stack) == 0 {
			return ""
		}
		f := stack[len(stack)-1]
		if !f.object {
			return f.path + "[]"
		}
		if f.path == "" {
			return f.lastKey
		}
		return f.path + "." + f.lastKey
	}
	valueDone := func() {
		leaves++
		if n := len(stack); n > 0 && stack[n-1].object {
			stack[n-1].expectKey = true
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil // io.EOF: the syntax was checked by json.Unmarshal
		}
		switch t := tok.(type) {
		case json.Delim:
			if t == '}' || t == ']' {
				stack = stack[:len(stack)-1]
				valueDone()
				continue
			}
			if len(stack) >= maxJSONDepth {
				return intake.Invalid("body", "request body nests deeper than %d levels", maxJSONDepth)
			}
			stack = append(stack, &frame{object: t == '{', expectKey: t == '{', keys: map[string]bool{}, path: childPath()})
		case string:
			if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].expectKey {
				f := stack[n-1]
				f.lastKey, f.expectKey = t, false
				if f.keys[t] {
					field := childPath()
					return intake.Invalid(field, "%s is given more than once", field)
				}
				f.keys[t] = true
				continue
			}
			valueDone()
		default:
			valueDone()
		}
		if leaves > maxJSONLeaves {
			return intake.Invalid("body", "request body holds more than %d values", maxJSONLeaves)
		}
	}
}

func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || string(raw) == "null"
}

// str reads an optional string field of at most max bytes, trimmed.
func (o object) str(name string, max int) (string, error) {
	raw, ok := o[name]
	if !ok || isNull(raw) {
		return "", nil
	}
	var s string
	if raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return "", intake.Invalid(name, "%s must be a string", name)
	}
	s = strings.TrimSpace(s)
	if len(s) > max {
		return "", intake.Invalid(name, "%s is longer than %d bytes", name, max)
	}
	if strings.ContainsFunc(s, isControl) {
		return "", intake.Invalid(name, "%s contains control characters", name)
	}
	return s, nil
}

// isControl is the one rule for characters a text field may not hold,
// whichever decoder read it: NUL (PostgreSQL text cannot hold it, so it
// would fail the call's write on every retry) and the other control
// characters but tab and line breaks, which multi-line fields (notes,
// rule expressions) need.
func isControl(r rune) bool {
	return r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0x7f
}

// requiredStr reads a string field that must be present and non-empty.
func (o object) requiredStr(name string, max int) (string, error) {
	s, err := o.str(name, max)
	if err == nil && s == "" {
		err = intake.Invalid(name, "%s is required", name)
	}
	return s, err
}

// number reads a field that must be a JSON number (a numeric string is not),
// finite in float64. ok is false when the field is absent or null.
func (o object) number(name string) (v float64, ok bool, err error) {
	raw, present := o[name]
	if !present || isNull(raw) {
		return 0, false, nil
	}
	if c := raw[0]; c != '-' && (c < '0' || c > '9') {
		return 0, false, intake.Invalid(name, "%s must be a JSON number", name)
	}
	v, perr := strconv.ParseFloat(string(raw), 64)
	if perr != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, false, intake.Invalid(name, "%s is out of range", name)
	}
	return v, true, nil
}

var (
	errNotString  = errorString("must be a string")
	errNotRFC3339 = errorString("must be an RFC 3339 time, e.g. 2027-01-01T00:00:00Z")
	errNotFuture  = errorString("must be in the future")
)

type errorString string

func (e errorString) Error() string { return string(e) }

func jsonString(raw []byte, s *string) error {
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, s) != nil {
		return errNotString
	}
	return nil
}

// ruleHeaders are the request headers rules may read: routing hints, never
// credentials or signatures.
var ruleHeaders = []string{"Content-Type", "User-Agent", "X-Event-Type", "X-Request-Id", "X-Source"}

// headersForRules copies the allow-listed headers (and extra ones a
// connector names, such as its event id header) for a rule's headers map,
// keyed in lower case.
func headersForRules(c *fiber.Ctx, extra ...string) map[string]string {
	out := map[string]string{}
	for _, name := range append(ruleHeaders, extra...) {
		if name == "" {
			continue
		}
		if v := c.Get(name); v != "" {
			out[strings.ToLower(name)] = strings.Clone(v)
		}
	}
	return out
}

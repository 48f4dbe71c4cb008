package api

import (
	"encoding/json"
	"fmt"
	"math"
	"mime"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/intakehq/intake"
	"github.com/valyala/fasthttp"
)

// record is a SalesDash body decoded from JSON, urlencoded or multipart
// form, read field by field so that every encoding means the same: JSON
// keeps its types, form values are strings read as the field's type, and
// a nested field is `energy_meta[gas_usage]` in a form.
type record struct {
	json object
	form map[string]string
	// prefix names nested fields in errors, e.g. "energy_meta.".
	prefix string
}

// Form media types a SalesDash body may use besides JSON.
const (
	mimeURLEncoded = "application/x-www-form-urlencoded"
	mimeMultipart  = "multipart/form-data"
)

// maxFormFields bounds a form body's fields: a record has fewer than 30.
const maxFormFields = 200

func decodeRecord(c *fiber.Ctx) (record, error) {
	if err := bodyWithin(c, maxCallBody); err != nil {
		return record{}, err
	}
	media, _, _ := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
	switch media {
	case "", fiber.MIMEApplicationJSON:
		o, err := decodeObject(c.Body())
		return record{json: o}, err
	case mimeURLEncoded:
		return formRecord(c.Request().PostArgs())
	case mimeMultipart:
		mf, err := c.MultipartForm()
		if err != nil {
			return record{}, intake.Invalid("body", "multipart body does not parse: %v", err)
		}
		form := map[string]string{}
		for k, vs := range mf.Value {
			if len(vs) != 1 {
				return record{}, intake.Invalid(k, "%s is given %d times", k, len(vs))
			}
			if err := addFormField(form, k, vs[0]); err != nil {
				return record{}, err
			}
		}
		return record{form: form}, nil
	}
	return record{}, intake.Invalid("Content-Type", "Content-Type must be application/json, %s or %s", mimeURLEncoded, mimeMultipart)
}

// formRecord is an urlencoded body's record, as fasthttp parsed it.
func formRecord(args *fasthttp.Args) (record, error) {
	form := map[string]string{}
	var err error
	args.VisitAll(func(k, v []byte) {
		if err == nil {
			err = addFormField(form, string(k), string(v))
		}
	})
	return record{form: form}, err
}

// addFormField copies one form field (Fiber reuses the buffers), refusing
// repeats, which would leave a record's meaning to the encoder's order.
func addFormField(form map[string]string, k, v string) error {
	if !utf8.ValidString(k) || !utf8.ValidString(v) {
		return intake.Invalid("body", "form field %q is not valid UTF-8", strings.ToValidUTF8(k, "?"))
	}
	if _, dup := form[k]; dup {
		return intake.Invalid(k, "%s is given more than once", k)
	}
	if len(form) >= maxFormFields {
		return intake.Invalid("body", "a form body takes at most %d fields", maxFormFields)
	}
	form[strings.Clone(k)] = strings.Clone(v)
	return nil
}

// sub is the nested record name: a JSON object, or the form's name[...]
// fields.
func (r record) sub(name string) (record, error) {
	out := record{prefix: r.prefix + name + "."}
	if r.form != nil {
		out.form = map[string]string{}
		for k, v := range r.form {
			if inner, ok := strings.CutPrefix(k, name+"["); ok && strings.HasSuffix(inner, "]") {
				out.form[strings.TrimSuffix(inner, "]")] = v
			}
		}
		return out, nil
	}
	raw, ok := r.json[name]
	if !ok || isNull(raw) {
		out.json = object{}
		return out, nil
	}
	if raw[0] != '{' || json.Unmarshal(raw, &out.json) != nil {
		return out, intake.Invalid(r.prefix+name, "%s%s must be an object", r.prefix, name)
	}
	return out, nil
}

// raw returns a field as text and whether it was sent: a JSON string or
// number, or a form value. Null and empty count as not sent.
func (r record) raw(name string) (string, bool, error) {
	if r.form != nil {
		v := strings.TrimSpace(r.form[name])
		return v, v != "", nil
	}
	raw, ok := r.json[name]
	if !ok || isNull(raw) {
		return "", false, nil
	}
	switch c := raw[0]; {
	case c == '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return "", false, r.invalid(name, "is not a valid string")
		}
		s = strings.TrimSpace(s)
		return s, s != "", nil
	case c == '-' || c >= '0' && c <= '9', c == 't' || c == 'f':
		return string(raw), true, nil
	}
	return "", false, r.invalid(name, "must be a string or a number")
}

func (r record) invalid(name, format string, args ...any) error {
	field := r.prefix + name
	return &intake.Error{Code: intake.ErrInvalidPayload, Field: field, Message: field + " " + fmt.Sprintf(format, args...)}
}

// text reads a string field of at most max bytes; ids may be sent as
// numbers. Booleans are refused.
func (r record) text(name string, max int, required bool) (string, error) {
	s, ok, err := r.raw(name)
	switch {
	case err != nil:
		return "", err
	case !ok && required:
		return "", r.invalid(name, "is required")
	case s == "true" || s == "false":
		if raw, isJSON := r.json[name]; isJSON && raw[0] != '"' {
			return "", r.invalid(name, "must be a string")
		}
	case len(s) > max:
		return "", r.invalid(name, "is longer than %d bytes", max)
	case strings.ContainsFunc(s, isControl):
		return "", r.invalid(name, "contains control characters")
	}
	return s, nil
}

// optText is text that keeps the stored value when not sent.
func (r record) optText(name string, max int) (*string, error) {
	s, err := r.text(name, max, false)
	if err != nil || s == "" {
		return nil, err
	}
	return &s, nil
}

// decimal is a plain decimal number: no hex, no underscores, no NaN or
// Infinity, which strconv would otherwise accept.
var decimal = regexp.MustCompile(`^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$`)

// number reads a finite number, a JSON number or a decimal string.
func (r record) number(name string) (*float64, error) {
	s, ok, err := r.raw(name)
	if err != nil || !ok {
		return nil, err
	}
	if !decimal.MatchString(s) {
		return nil, r.invalid(name, "must be a number")
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) {
		return nil, r.invalid(name, "is out of range")
	}
	return &v, nil
}

// integer reads a whole, non-negative number.
func (r record) integer(name string) (*int64, error) {
	v, err := r.number(name)
	if err != nil || v == nil {
		return nil, err
	}
	if *v != math.Trunc(*v) || *v < 0 || *v > 1e15 {
		return nil, r.invalid(name, "must be a whole number from 0")
	}
	n := int64(*v)
	return &n, nil
}

// boolean reads true/false, also as 1/0, yes/no or on/off, which form
// builders send for checkboxes.
func (r record) boolean(name string) (*bool, error) {
	s, ok, err := r.raw(name)
	if err != nil || !ok {
		return nil, err
	}
	var v bool
	switch strings.ToLower(s) {
	case "true", "1", "yes", "on":
		v = true
	case "false", "0", "no", "off":
	default:
		return nil, r.invalid(name, "must be true or false")
	}
	return &v, nil
}

// time reads a time in the connector's zone (see intake.ParseLocalTime);
// digits are Unix seconds or milliseconds.
func (r record) time(name string, loc *time.Location, required bool) (*time.Time, error) {
	s, ok, err := r.raw(name)
	switch {
	case err != nil:
		return nil, err
	case !ok && required:
		return nil, r.invalid(name, "is required")
	case !ok:
		return nil, nil
	}
	var t time.Time
	if strings.Trim(s, "0123456789.") == "" {
		t, err = intake.ParseTime(json.RawMessage(s))
	} else {
		t, err = intake.ParseLocalTime(s, loc)
	}
	if err != nil {
		return nil, r.invalid(name, "%v", err)
	}
	if t.Year() < 1970 || t.Year() > 9999 {
		return nil, r.invalid(name, "is out of range")
	}
	return &t, nil
}

// email reads an optional email address, lower-cased.
func (r record) email(name string) (string, error) {
	s, err := r.text(name, 320, false)
	if err != nil || s == "" {
		return "", err
	}
	a, perr := mail.ParseAddress(s)
	if perr != nil || a.Address != s {
		return "", r.invalid(name, "must be an email address")
	}
	return strings.ToLower(s), nil
}

// present reports whether a field was sent at all, null included: a null
// cancelled_at means the sale is not cancelled.
func (r record) present(name string) bool {
	if r.form != nil {
		_, ok := r.form[name]
		return ok
	}
	_, ok := r.json[name]
	return ok
}

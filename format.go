package intake

import (
	"math"
	"strconv"
	"strings"
)

// currencySymbols are the units shown with a leading symbol.
var currencySymbols = map[string]string{"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "KRW": "₩"}

// minorDigits are the ISO 4217 currencies whose minor unit is not a
// hundredth (Stripe's lists): the one table that both converts a rule's
// minor units (cents) and formats the value.
var minorDigits = map[string]int{
	"BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "JPY": 0, "KMF": 0, "KRW": 0, "MGA": 0,
	"PYG": 0, "RWF": 0, "UGX": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
	"BHD": 3, "JOD": 3, "KWD": 3, "OMR": 3, "TND": 3,
}

// MinorDigits is how many digits currency's minor unit has: 2 unless the
// table says otherwise.
func MinorDigits(currency string) int {
	if d, ok := minorDigits[strings.ToUpper(currency)]; ok {
		return d
	}
	return 2
}

// FormatValue renders v the way a dashboard shows it in unit: `$123,456.78`
// for USD, `12.5%`, `1,234` for counts, `1,234 ms`, else the number and unit.
func FormatValue(v float64, unit string) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	upper := strings.ToUpper(unit)
	if sym, ok := currencySymbols[upper]; ok {
		return sign(v) + sym + group(math.Abs(v), MinorDigits(upper), false)
	}
	if d, ok := minorDigits[upper]; ok {
		return sign(v) + group(math.Abs(v), d, false) + " " + unit
	}
	num := sign(v) + group(math.Abs(v), 2, true)
	switch unit {
	case "":
		return num
	case "%":
		return num + "%"
	case "count":
		return num
	default:
		return num + " " + unit
	}
}

func sign(v float64) string {
	if v < 0 {
		return "-"
	}
	return ""
}

// group formats a non-negative v with thousands separators and decimals
// digits; trim drops trailing zeros so counts stay whole.
func group(v float64, decimals int, trim bool) string {
	s := strconv.FormatFloat(v, 'f', decimals, 64)
	intPart, frac, _ := strings.Cut(s, ".")
	if trim {
		frac = strings.TrimRight(frac, "0")
	}
	var b strings.Builder
	for i, r := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if frac != "" {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return b.String()
}

package intake

import (
	"math"
	"strconv"
	"strings"
)

// currencySymbols are the units shown with a leading symbol and two decimals.
var currencySymbols = map[string]string{"USD": "$", "EUR": "€", "GBP": "£"}

// zeroDecimal are currencies whose amounts have no minor unit.
var zeroDecimal = map[string]string{"JPY": "¥", "KRW": "₩"}

// FormatValue renders v the way a dashboard shows it in unit: `$123,456.78`
// for USD, `12.5%`, `1,234` for counts, `1,234 ms`, else the number and unit.
func FormatValue(v float64, unit string) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	upper := strings.ToUpper(unit)
	if sym, ok := currencySymbols[upper]; ok {
		return sign(v) + sym + group(math.Abs(v), 2, false)
	}
	if sym, ok := zeroDecimal[upper]; ok {
		return sign(v) + sym + group(math.Abs(v), 0, false)
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

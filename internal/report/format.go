package report

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"strconv"
	"strings"
)

// SLIDigits is how many decimals an SLI shows next to its objective (a
// percentage as configured): one more than the objective has, at least 2
// (99.9 → 99.93%, 99 → 99.76%, 99.95 → 99.948%).
func SLIDigits(objective float64) int {
	s := strconv.FormatFloat(objective, 'f', -1, 64)
	d := 0
	if i := strings.IndexByte(s, '.'); i >= 0 {
		d = len(s) - i - 1
	}
	return max(2, d+1)
}

// FormatSLI formats an SLI (a ratio) as the percentage every view shows:
// SLIDigits decimals, rounded down, so that an SLI below its objective never
// shows as meeting it (0.998999 next to 99.9 is 99.89%, not 99.90%).
func FormatSLI(sli, objective float64) string {
	digits := SLIDigits(objective)
	scale := math.Pow10(digits)
	v := math.Floor(sli*100*scale+1e-6) / scale
	return strconv.FormatFloat(v, 'f', digits, 64) + "%"
}

// BudgetRequests is the error budget left in requests: the bad events the
// window's budget still allows, ε × total − bad, at least 0. It is the one
// definition the dashboard, its math, the review and the API use.
func BudgetRequests(errorBudget, total, bad float64) float64 {
	return max(errorBudget*total-bad, 0)
}

// WriteJSON writes v as JSON (indented when indent is set), with every
// fractional number rounded to 12 significant digits, so that float noise
// (0.0009999999999998899 for 1 − 0.999, 16 digits in) never reaches a
// client while every ratio keeps its precision.
func WriteJSON(w io.Writer, v any, indent bool) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	b = roundNumbers(b)
	if indent {
		var out bytes.Buffer
		if err := json.Indent(&out, b, "", "  "); err != nil {
			return err
		}
		b = out.Bytes()
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// roundNumbers rewrites the fractional numbers of a JSON document (outside
// strings) rounded to 12 significant digits.
func roundNumbers(b []byte) []byte {
	out := make([]byte, 0, len(b))
	inString, escaped := false, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case inString:
			out = append(out, c)
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
			out = append(out, c)
		case c == '-' || (c >= '0' && c <= '9'):
			j := i
			frac := false
			for j < len(b) && strings.IndexByte("-+0123456789.eE", b[j]) >= 0 {
				frac = frac || b[j] == '.' || b[j] == 'e' || b[j] == 'E'
				j++
			}
			out = append(out, roundNumber(b[i:j], frac)...)
			i = j - 1
		default:
			out = append(out, c)
		}
	}
	return out
}

func roundNumber(num []byte, frac bool) []byte {
	if !frac {
		return num
	}
	f, err := strconv.ParseFloat(string(num), 64)
	if err != nil || f == 0 {
		return num
	}
	r, err := strconv.ParseFloat(strconv.FormatFloat(f, 'g', 12, 64), 64)
	if err != nil {
		return num
	}
	if a := math.Abs(r); a >= 1e15 || a < 1e-6 {
		return strconv.AppendFloat(nil, r, 'g', -1, 64)
	}
	return strconv.AppendFloat(nil, r, 'f', -1, 64)
}

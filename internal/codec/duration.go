package codec

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// MaxDurationMS is the longest duration [ParseDuration] accepts, in
// milliseconds (about 24.8 days): it fits an int32, as the service's own
// int32 settings do, and no setting of an online deployment comes near it.
const MaxDurationMS = math.MaxInt32

// ParseDuration reads an ISO-8601 duration of days, hours, minutes and
// seconds ("PT5S", "PT0.5S", "P1DT2H", any case) into milliseconds,
// rounded to the nearest; "" is 0. Years, months and weeks, which have no
// fixed length, are refused, as is a "T" with no time after it ("P1DT").
func ParseDuration(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	bad := func() (int64, error) {
		return 0, fmt.Errorf("%q is not an ISO-8601 duration such as PT5S", s)
	}
	rest, ok := strings.CutPrefix(strings.ToUpper(s), "P")
	if !ok || rest == "" {
		return bad()
	}
	var total float64
	inTime, parts := false, 0
	for rest != "" {
		if rest[0] == 'T' {
			if inTime || len(rest) == 1 {
				return bad()
			}
			inTime, rest = true, rest[1:]
			continue
		}
		i := strings.IndexFunc(rest, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
		if i <= 0 || rest[0] == '.' {
			return bad()
		}
		n, err := strconv.ParseFloat(rest[:i], 64)
		scale := unitMS(rest[i], inTime)
		if err != nil || scale == 0 {
			return bad()
		}
		total += n * scale
		rest = rest[i+1:]
		parts++
	}
	if parts == 0 || total > MaxDurationMS {
		return bad()
	}
	return int64(math.Round(total)), nil
}

// unitMS is the length of a unit in milliseconds, or 0 where the unit
// cannot stand: days only before the T, hours, minutes and seconds only
// after it.
func unitMS(unit byte, inTime bool) float64 {
	switch {
	case unit == 'D' && !inTime:
		return 86_400_000
	case unit == 'H' && inTime:
		return 3_600_000
	case unit == 'M' && inTime:
		return 60_000
	case unit == 'S' && inTime:
		return 1000
	}
	return 0
}

// FormatDuration writes milliseconds as an ISO-8601 duration in the form
// the service writes them back ("PT5S", "PT1M30S", "PT0.5S", "PT26H",
// "PT0S"), so that a setting reads back as it was written.
func FormatDuration(ms int64) string {
	if ms <= 0 {
		return "PT0S"
	}
	var b strings.Builder
	b.WriteString("PT")
	if h := ms / 3_600_000; h > 0 {
		b.WriteString(strconv.FormatInt(h, 10) + "H")
	}
	if m := ms % 3_600_000 / 60_000; m > 0 {
		b.WriteString(strconv.FormatInt(m, 10) + "M")
	}
	if rest := ms % 60_000; rest > 0 {
		b.WriteString(strconv.FormatInt(rest/1000, 10))
		if frac := rest % 1000; frac > 0 {
			b.WriteString(strings.TrimRight(fmt.Sprintf(".%03d", frac), "0"))
		}
		b.WriteString("S")
	}
	return b.String()
}

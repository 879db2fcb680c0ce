package asset

import (
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The implicit resolvers of PyYAML (YAML 1.1), each tried only on values
// that start with one of its first characters.
var pyResolvers = []struct {
	tag, first string
	re         *regexp.Regexp
}{
	{"!!bool", "yYnNtTfFoO", regexp.MustCompile(`^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$`)},
	{"!!float", "-+0123456789.", regexp.MustCompile(`^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$`)},
	{"!!int", "-+0123456789", regexp.MustCompile(`^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$`)},
	{"!!merge", "<", regexp.MustCompile(`^(?:<<)$`)},
	{"!!null", "~nN", regexp.MustCompile(`^(?:~|null|Null|NULL)$`)},
	{"!!timestamp", "0123456789", pyTimestamp},
	{"!!value", "=", regexp.MustCompile(`^(?:=)$`)},
}

var pyTimestamp = regexp.MustCompile(`^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$`)

// pyResolve is the tag PyYAML gives a plain scalar.
func pyResolve(s string) string {
	if s == "" {
		return "!!null"
	}
	for _, r := range pyResolvers {
		if strings.ContainsRune(r.first, []rune(s)[0]) && r.re.MatchString(s) {
			return r.tag
		}
	}
	return "!!str"
}

// scalarTag is the tag PyYAML gives the scalar n: its own, or the one
// resolved from a plain scalar's text.
func scalarTag(n *yaml.Node) string {
	switch {
	case n.Style&yaml.TaggedStyle != 0:
		return n.ShortTag()
	case n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) == 0:
		return pyResolve(n.Value)
	}
	return "!!str"
}

// scalarValue makes v the value safe_load constructs from the scalar n.
func scalarValue(n *yaml.Node, v *pyValue) error {
	var err error
	switch tag := scalarTag(n); tag {
	case "!!str":
		v.kind, v.text = pyStr, n.Value
	case "!!null":
		v.kind, v.text = pyNull, "null"
	case "!!bool":
		err = pyBoolValue(n.Value, v)
	case "!!int":
		err = pyIntValue(n.Value, v)
	case "!!float":
		err = pyFloatValue(n.Value, v)
	case "!!timestamp":
		err = pyTimestampValue(n.Value, v)
	case "!!binary":
		err = fmt.Errorf("the tag %s is not supported", tag)
	default:
		err = fmt.Errorf("could not determine a constructor for the tag %s", tag)
	}
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	return nil
}

func pyBoolValue(s string, v *pyValue) error {
	switch strings.ToLower(s) {
	case "yes", "true", "on":
		v.kind, v.text, v.num = pyBool, "true", 1
	case "no", "false", "off":
		v.kind, v.text, v.num = pyBool, "false", 0
	default:
		return fmt.Errorf("%q is not a boolean", s)
	}
	return nil
}

// pyIntValue is construct_yaml_int: YAML 1.1 ints (0b, 0x, a leading 0
// for octal, base 60 with colons), of any size.
func pyIntValue(s string, v *pyValue) error {
	s = strings.ReplaceAll(s, "_", "")
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimLeft(s, "+-")
	n, ok := new(big.Int), false
	switch {
	case strings.HasPrefix(s, "0b"):
		_, ok = n.SetString(s[2:], 2)
	case strings.HasPrefix(s, "0x"):
		_, ok = n.SetString(s[2:], 16)
	case s == "0":
		ok = true
	case strings.HasPrefix(s, "0"):
		_, ok = n.SetString(s, 8)
	case strings.Contains(s, ":"):
		ok = base60Int(n, s)
	default:
		_, ok = n.SetString(s, 10)
	}
	if !ok {
		return fmt.Errorf("%q is not an int", s)
	}
	if neg {
		n.Neg(n)
	}
	v.kind, v.text = pyInt, n.String()
	v.num, _ = new(big.Float).SetInt(n).Float64()
	return nil
}

func base60Int(n *big.Int, s string) bool {
	for _, part := range strings.Split(s, ":") {
		d, err := strconv.ParseInt(part, 10, 64)
		if err != nil {
			return false
		}
		n.Mul(n, big.NewInt(60)).Add(n, big.NewInt(d))
	}
	return true
}

// pyFloatValue is construct_yaml_float.
func pyFloatValue(s string, v *pyValue) error {
	s = strings.ToLower(strings.ReplaceAll(s, "_", ""))
	sign := 1.0
	if strings.HasPrefix(s, "-") {
		sign = -1
	}
	s = strings.TrimLeft(s, "+-")
	var f float64
	switch {
	case s == ".inf":
		f = math.Inf(1)
	case s == ".nan":
		f, sign = math.NaN(), 1
	default:
		for _, part := range strings.Split(s, ":") {
			d, err := strconv.ParseFloat(part, 64)
			if err != nil && !isRange(err) {
				return fmt.Errorf("%q is not a float", s)
			}
			f = f*60 + d
		}
	}
	f *= sign
	v.kind, v.text, v.num = pyFloat, pyFloatRepr(f), f
	return nil
}

func isRange(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// pyFloatRepr is PyYAML's represent_float: .nan, .inf, -.inf, or Python's
// repr in lower case with ".0" put before an exponent that has no dot.
func pyFloatRepr(f float64) string {
	switch {
	case math.IsNaN(f):
		return ".nan"
	case math.IsInf(f, 1):
		return ".inf"
	case math.IsInf(f, -1):
		return "-.inf"
	}
	s := pythonRepr(f)
	if !strings.Contains(s, ".") && strings.Contains(s, "e") {
		s = strings.Replace(s, "e", ".0e", 1)
	}
	return s
}

// pythonRepr is Python's repr of a finite float: the shortest digits that
// read back, in positional notation when the exponent is in [-4, 16), else
// as d.ddde±XX.
func pythonRepr(f float64) string {
	e := strconv.FormatFloat(f, 'e', -1, 64) // -d.ddde±XX
	mant, exps, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(exps)
	if exp < -4 || exp >= 16 {
		return mant + "e" + exps[:1] + fmt.Sprintf("%02d", abs(exp))
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// pyTimestampValue is construct_yaml_timestamp followed by isoformat: a
// date, or a date and time with microseconds and a UTC offset when given.
func pyTimestampValue(s string, v *pyValue) error {
	m := pyTimestampParts.FindStringSubmatch(s)
	if m == nil {
		return fmt.Errorf("%q is not a timestamp", s)
	}
	year, month, day := atoi(m[1]), atoi(m[2]), atoi(m[3])
	if year < 1 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month) {
		return fmt.Errorf("%q: day is out of range for month", s)
	}
	text := fmt.Sprintf("%04d-%02d-%02d", year, month, day)
	if m[4] != "" {
		t, err := pyTime(m)
		if err != nil {
			return fmt.Errorf("%q: %w", s, err)
		}
		text += " " + t
	}
	v.kind, v.text = pyDate, text
	return nil
}

var pyTimestampParts = regexp.MustCompile(`^([0-9]{4})-([0-9][0-9]?)-([0-9][0-9]?)(?:(?:[Tt]|[ \t]+)([0-9][0-9]?):([0-9][0-9]):([0-9][0-9])(?:\.([0-9]*))?(?:[ \t]*(Z|([-+])([0-9][0-9]?)(?::([0-9][0-9]))?))?)?$`)

func pyTime(m []string) (string, error) {
	hour, minute, second := atoi(m[4]), atoi(m[5]), atoi(m[6])
	if hour > 23 || minute > 59 || second > 59 {
		return "", fmt.Errorf("time out of range")
	}
	t := fmt.Sprintf("%02d:%02d:%02d", hour, minute, second)
	if frac := (m[7] + "000000")[:6]; atoi(frac) != 0 {
		t += "." + frac
	}
	switch {
	case m[9] != "":
		off := atoi(m[10])*60 + atoi(m[11])
		if off >= 24*60 {
			return "", fmt.Errorf("offset out of range")
		}
		sign := "+"
		if m[9] == "-" && off != 0 {
			sign = "-"
		}
		t += fmt.Sprintf("%s%02d:%02d", sign, off/60, off%60)
	case m[8] == "Z":
		t += "+00:00"
	}
	return t, nil
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func daysIn(year, month int) int {
	if month == 2 {
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	}
	if month == 4 || month == 6 || month == 9 || month == 11 {
		return 30
	}
	return 31
}

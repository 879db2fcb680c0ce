package traffic

import (
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Parse reads a split in the command-line syntax "blue=90 green=10".
//
// Entries are NAME=PERCENT and are separated by white space, by a comma, or
// by a comma with white space around it, so "blue=90,green=10" and
// "blue=90, green=10" are accepted too. Leading and trailing white space is
// ignored; a leading, trailing or doubled comma is an error, because it
// usually means an entry was lost. The empty string (or only white space)
// is the empty split.
//
// A name is non-empty valid UTF-8 without '=', ',', white space or control
// characters; other Unicode is accepted. Names are case-sensitive and may
// appear only once. A percent is a decimal integer 0..100 written with ASCII
// digits only (no sign, no fraction); leading zeros are allowed and do not
// mean octal, so "blue=010" is blue=10. Entries of 0 are accepted and
// dropped.
//
// Parse does not check the total; see [Split.Validate]. Errors are *[Error]
// values that carry the offending token and its byte offset, and match
// [ErrInvalid].
func Parse(text string) (Split, error) {
	var (
		es        []Entry
		seen      map[string]struct{}
		comma     = -1 // offset of a comma still waiting for its entry
		i         = skipSpace(text, 0)
		zeroCount = 0
	)
	if i < len(text) {
		// Every entry holds an '=', so this sizes es in one allocation.
		es = make([]Entry, 0, strings.Count(text, "="))
	}
	for i < len(text) {
		if text[i] == ',' {
			return Split{}, &Error{Offset: i, Token: ",", Msg: "empty entry: a comma must separate two entries"}
		}
		start := i
		for i < len(text) {
			r, size := utf8.DecodeRuneInString(text[i:])
			if r == ',' || unicode.IsSpace(r) {
				break
			}
			i += size
		}
		e, err := parseEntry(text[start:i], start)
		if err != nil {
			return Split{}, err
		}
		if isDuplicate(es, e.Name, &seen) {
			return Split{}, &Error{Deployment: e.Name, Percent: e.Percent, Offset: start, Token: text[start:i], Msg: "deployment named more than once"}
		}
		if e.Percent == 0 {
			zeroCount++
		}
		es = append(es, e)
		comma = -1
		i = skipSpace(text, i)
		if i < len(text) && text[i] == ',' {
			comma = i
			i = skipSpace(text, i+1)
		}
	}
	if comma >= 0 {
		return Split{}, &Error{Offset: comma, Token: ",", Msg: "trailing comma"}
	}
	if zeroCount > 0 {
		es = slices.DeleteFunc(es, func(e Entry) bool { return e.Percent == 0 })
	}
	slices.SortFunc(es, compareEntry)
	return fromSorted(es), nil
}

// MustParse is like [Parse] but panics on error. It is meant for tests,
// examples and literals known to be good.
func MustParse(text string) Split {
	s, err := Parse(text)
	if err != nil {
		panic(err)
	}
	return s
}

// parseEntry reads one NAME=PERCENT token found at offset in the input.
func parseEntry(tok string, offset int) (Entry, *Error) {
	fail := func(name string, percent int, msg string) (Entry, *Error) {
		return Entry{}, &Error{Deployment: name, Percent: percent, Offset: offset, Token: tok, Msg: msg}
	}
	name, value, ok := strings.Cut(tok, "=")
	switch {
	case !ok:
		return fail("", 0, "missing '=' between deployment name and percent")
	case name == "":
		return fail("", 0, "missing deployment name before '='")
	case value == "":
		return fail(name, 0, "missing percent after '='")
	}
	if msg := checkName(name); msg != "" {
		return fail(name, 0, msg)
	}
	digits := strings.TrimPrefix(value, "-")
	if digits == "" || strings.ContainsFunc(digits, func(r rune) bool { return r < '0' || r > '9' }) {
		return fail(name, 0, "percent must be an integer written with digits only")
	}
	// Only digits and an optional '-' remain, so Atoi can fail only by
	// overflow, and then it returns the clamped value: out of range either way.
	percent, _ := strconv.Atoi(value)
	if percent < 0 || percent > 100 || len(digits) != len(value) {
		return fail(name, percent, "percent must be between 0 and 100, got "+value)
	}
	return Entry{Name: name, Percent: percent}, nil
}

func skipSpace(text string, i int) int {
	for i < len(text) {
		r, size := utf8.DecodeRuneInString(text[i:])
		if !unicode.IsSpace(r) {
			break
		}
		i += size
	}
	return i
}

// String formats s canonically as "blue=90 green=10": entries in name order
// separated by one space. The empty split formats as "". [Parse] reads the
// result back to an equal split.
func (s Split) String() string {
	if len(s.es) == 0 {
		return ""
	}
	n := len(s.es) - 1
	for _, e := range s.es {
		n += len(e.Name) + 4
	}
	var b strings.Builder
	b.Grow(n)
	for i, e := range s.es {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(e.Name)
		b.WriteByte('=')
		b.WriteString(strconv.Itoa(e.Percent))
	}
	return b.String()
}

// MarshalText returns the [Split.String] form, so a split can be a flag
// value or a map key in encoders that use text.
func (s Split) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads the [Parse] form. On error *s is left unchanged.
func (s *Split) UnmarshalText(text []byte) error {
	parsed, err := Parse(string(text))
	if err != nil {
		return err
	}
	*s = parsed
	return nil
}

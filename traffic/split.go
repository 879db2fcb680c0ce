package traffic

import (
	"cmp"
	"iter"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Split maps deployment names to integer percents. It is an immutable value:
// no method changes it and none returns its internal storage, so a Split can
// be shared between goroutines and stored without copying.
//
// The zero value is the empty split: an endpoint that is dark (serves
// nothing) or has no mirror. Entries are kept sorted by name (byte-wise), and
// entries of 0 percent are dropped when a split is built, so that
// "blue=100 green=0" and "blue=100" are the same split: the service drops
// zero entries too, and a plan must not see a difference between them.
//
// Splits are compared with [Split.Equal], not ==.
type Split struct {
	// es is sorted by Name, holds no duplicate names and no zero percents,
	// and is nil when empty. It is never modified after construction.
	es []Entry
}

// Entry is one deployment's share of a split.
type Entry struct {
	Name    string
	Percent int
}

// String formats e as "name=percent", the form [Parse] reads.
func (e Entry) String() string { return e.Name + "=" + strconv.Itoa(e.Percent) }

// New builds a split from a map of deployment name to percent. It rejects
// empty or malformed names (see [Parse] for the name rules) and percents
// outside 0..100. It does not check the total, because live and mirror
// splits obey different totals: use [Split.Validate] or
// [Split.ValidateMirror]. When several entries are bad, the error names the
// first by name order, so the result does not depend on map iteration order.
// Names are case-sensitive: "Blue" and "blue" are different deployments.
func New(m map[string]int) (Split, error) {
	names := make([]string, 0, len(m))
	for name := range m {
		names = append(names, name)
	}
	slices.Sort(names)
	es := make([]Entry, 0, len(m))
	for _, name := range names {
		e := Entry{Name: name, Percent: m[name]}
		if err := checkEntry(e); err != nil {
			return Split{}, err
		}
		if e.Percent != 0 {
			es = append(es, e)
		}
	}
	return fromSorted(es), nil
}

// MustNew is like [New] but panics on error. It is meant for tests,
// examples and literals known to be good.
func MustNew(m map[string]int) Split {
	s, err := New(m)
	if err != nil {
		panic(err)
	}
	return s
}

// FromEntries builds a split from entries in any order, with the same checks
// as [New]; a name given twice is an error even if one of the entries is 0,
// because it is almost certainly a mistake in the caller. When several
// entries are bad, the error names the first in argument order.
func FromEntries(es ...Entry) (Split, error) {
	out := make([]Entry, 0, len(es))
	var seen map[string]struct{}
	for i, e := range es {
		if err := checkEntry(e); err != nil {
			return Split{}, err
		}
		if isDuplicate(es[:i], e.Name, &seen) {
			return Split{}, newError(e.Name, e.Percent, "deployment named more than once")
		}
		if e.Percent != 0 {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, compareEntry)
	return fromSorted(out), nil
}

// isDuplicate reports whether name occurs in earlier. Short prefixes are
// scanned, which avoids a map allocation for the splits people actually
// write; long inputs (possible from untrusted text) switch to a set, which
// *seen holds from then on, so the cost stays linear.
func isDuplicate(earlier []Entry, name string, seen *map[string]struct{}) bool {
	const scanLimit = 16
	if len(earlier) < scanLimit {
		for _, e := range earlier {
			if e.Name == name {
				return true
			}
		}
		return false
	}
	if *seen == nil {
		*seen = make(map[string]struct{}, 2*len(earlier))
		for _, e := range earlier {
			(*seen)[e.Name] = struct{}{}
		}
	}
	if _, ok := (*seen)[name]; ok {
		return true
	}
	(*seen)[name] = struct{}{}
	return false
}

// fromSorted wraps es, which must already be sorted, duplicate-free and
// free of zero percents; empty becomes nil so every empty split is the
// zero value.
func fromSorted(es []Entry) Split {
	if len(es) == 0 {
		return Split{}
	}
	return Split{es: es}
}

func checkEntry(e Entry) *Error {
	if e.Name == "" {
		// Error prints no deployment for "", so the value goes in the message.
		return newError("", e.Percent, "deployment name must not be empty (percent %d)", e.Percent)
	}
	if msg := checkName(e.Name); msg != "" {
		return newError(e.Name, e.Percent, "%s", msg)
	}
	if e.Percent < 0 || e.Percent > 100 {
		return newError(e.Name, e.Percent, "percent must be between 0 and 100, got %d", e.Percent)
	}
	return nil
}

// checkName returns why name is not a valid deployment name, or "". The
// rules are the least that keep the text form unambiguous and printable:
// non-empty, valid UTF-8, and no '=', ',', white space or control
// characters. Other Unicode is allowed: the service has its own, stricter
// naming rules, and enforcing them here would couple this package to them.
func checkName(name string) string {
	if name == "" {
		return "deployment name must not be empty"
	}
	if !utf8.ValidString(name) {
		return "deployment name must be valid UTF-8"
	}
	for _, r := range name {
		switch {
		case r == '=' || r == ',':
			return "deployment name must not contain '=' or ','"
		case unicode.IsSpace(r):
			return "deployment name must not contain white space"
		case unicode.IsControl(r):
			return "deployment name must not contain control characters"
		}
	}
	return ""
}

// Get returns the percent of the named deployment, or 0 if it has none.
func (s Split) Get(name string) int {
	if i, ok := s.find(name); ok {
		return s.es[i].Percent
	}
	return 0
}

func (s Split) find(name string) (int, bool) {
	return slices.BinarySearchFunc(s.es, name, func(e Entry, name string) int { return strings.Compare(e.Name, name) })
}

// Len returns the number of deployments with a non-zero percent.
func (s Split) Len() int { return len(s.es) }

// Names returns the deployment names in sorted order, in a slice the caller
// owns.
func (s Split) Names() []string {
	if len(s.es) == 0 {
		return nil
	}
	names := make([]string, len(s.es))
	for i, e := range s.es {
		names[i] = e.Name
	}
	return names
}

// Entries returns the entries sorted by name, in a slice the caller owns.
func (s Split) Entries() []Entry { return slices.Clone(s.es) }

// All iterates over the deployments and their percents in name order.
func (s Split) All() iter.Seq2[string, int] {
	return func(yield func(string, int) bool) {
		for _, e := range s.es {
			if !yield(e.Name, e.Percent) {
				return
			}
		}
	}
}

// Total returns the sum of the percents.
func (s Split) Total() int {
	total := 0
	for _, e := range s.es {
		total += e.Percent
	}
	return total
}

// IsZero reports whether no deployment has a non-zero percent: a dark
// endpoint, or no mirror.
func (s Split) IsZero() bool { return len(s.es) == 0 }

// Equal reports whether s and o give every deployment the same percent.
// Because zero entries are dropped, "blue=100 green=0" equals "blue=100".
func (s Split) Equal(o Split) bool { return slices.Equal(s.es, o.es) }

// Map returns the split as a new map the caller owns; it is never nil, so
// callers may add to it directly.
func (s Split) Map() map[string]int {
	m := make(map[string]int, len(s.es))
	for _, e := range s.es {
		m[e.Name] = e.Percent
	}
	return m
}

// With returns a copy of s in which name has percent; a percent of 0
// removes name. s itself is unchanged.
//
// With panics if name is not a valid deployment name or percent is outside
// 0..100: the arguments come from code, not from users, so a bad one is a
// programming error. Build splits from untrusted input with [New],
// [FromEntries] or [Parse] instead.
func (s Split) With(name string, percent int) Split {
	if err := checkEntry(Entry{Name: name, Percent: percent}); err != nil {
		panic(err)
	}
	i, found := s.find(name)
	switch {
	case found && percent == 0:
		return fromSorted(slices.Delete(slices.Clone(s.es), i, i+1))
	case found:
		es := slices.Clone(s.es)
		es[i].Percent = percent
		return fromSorted(es)
	case percent == 0:
		return s
	default:
		es := make([]Entry, 0, len(s.es)+1)
		es = append(es, s.es[:i]...)
		es = append(es, Entry{Name: name, Percent: percent})
		es = append(es, s.es[i:]...)
		return fromSorted(es)
	}
}

// Without returns a copy of s without name; s itself is unchanged. Removing
// an absent name returns s.
func (s Split) Without(name string) Split {
	i, found := s.find(name)
	if !found {
		return s
	}
	return fromSorted(slices.Delete(slices.Clone(s.es), i, i+1))
}

// compareEntry orders entries by name; names in a split are unique.
func compareEntry(a, b Entry) int { return cmp.Compare(a.Name, b.Name) }

package traffic_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rolloutkit/rollout/traffic"
)

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		in      map[string]int
		want    string // String of the result
		wantErr string
		reason  string
	}{
		{name: "nil", in: nil, want: "", reason: "a nil map is the empty split"},
		{name: "sorted", in: map[string]int{"green": 10, "blue": 90}, want: "blue=90 green=10", reason: "entries are kept in name order"},
		{name: "zero-dropped", in: map[string]int{"blue": 100, "green": 0}, want: "blue=100", reason: "zero entries are dropped at construction"},
		{name: "total-unchecked", in: map[string]int{"blue": 30}, want: "blue=30", reason: "totals are for Validate; mirrors total less than 100"},
		{name: "empty-name", in: map[string]int{"": 10}, wantErr: `traffic: deployment name must not be empty (percent 10)`, reason: "a deployment needs a name"},
		{name: "space-name", in: map[string]int{"bl ue": 10}, wantErr: `traffic: "bl ue"=10: deployment name must not contain white space`, reason: "white space would break the text form"},
		{name: "equals-name", in: map[string]int{"a=b": 10}, wantErr: `traffic: "a=b"=10: deployment name must not contain '=' or ','`, reason: "'=' would break the text form"},
		{name: "over-100", in: map[string]int{"green": 120}, wantErr: `traffic: green=120: percent must be between 0 and 100, got 120`, reason: "percent above 100"},
		{name: "negative", in: map[string]int{"green": -1}, wantErr: `traffic: green=-1: percent must be between 0 and 100, got -1`, reason: "percent below 0"},
		{name: "first-by-name", in: map[string]int{"z": 200, "a": -1}, wantErr: `traffic: a=-1: percent must be between 0 and 100, got -1`, reason: "the reported error must not depend on map order"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := traffic.New(tc.in)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("New(%v) error = %v, want %s (%s)", tc.in, err, tc.wantErr, tc.reason)
				}
				if !errors.Is(err, traffic.ErrInvalid) {
					t.Errorf("error %v does not match ErrInvalid", err)
				}
				var e *traffic.Error
				if !errors.As(err, &e) || e.Offset != -1 {
					t.Errorf("error %#v should be an *Error with Offset -1", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("New(%v): %v (%s)", tc.in, err, tc.reason)
			}
			if got.String() != tc.want {
				t.Errorf("New(%v) = %q, want %q (%s)", tc.in, got, tc.want, tc.reason)
			}
		})
	}
}

func TestFromEntries(t *testing.T) {
	s, err := traffic.FromEntries(traffic.Entry{Name: "green", Percent: 10}, traffic.Entry{Name: "blue", Percent: 90}, traffic.Entry{Name: "red", Percent: 0})
	if err != nil || s.String() != "blue=90 green=10" {
		t.Fatalf("FromEntries = %v, %v", s, err)
	}
	_, err = traffic.FromEntries(traffic.Entry{Name: "blue", Percent: 0}, traffic.Entry{Name: "blue", Percent: 100})
	if want := "traffic: blue=100: deployment named more than once"; err == nil || err.Error() != want {
		t.Fatalf("duplicate: error = %v, want %s", err, want)
	}
	// Beyond the short linear scan the duplicate check switches to a set.
	var many []traffic.Entry
	for i := range 40 {
		many = append(many, traffic.Entry{Name: string(rune('A' + i)), Percent: 1})
	}
	if _, err := traffic.FromEntries(many...); err != nil {
		t.Fatalf("40 distinct names: %v", err)
	}
	many = append(many, traffic.Entry{Name: "B", Percent: 1})
	if _, err := traffic.FromEntries(many...); !errors.Is(err, traffic.ErrInvalid) {
		t.Fatalf("duplicate among 41 names: error = %v", err)
	}
}

func TestMustNewPanics(t *testing.T) {
	defer func() {
		if r := recover(); r == nil {
			t.Error("MustNew did not panic on a bad split")
		}
	}()
	traffic.MustNew(map[string]int{"blue": 101})
}

func TestEqual(t *testing.T) {
	tests := []struct {
		a, b   traffic.Split
		want   bool
		reason string
	}{
		{traffic.MustNew(map[string]int{"blue": 100, "green": 0}), traffic.MustNew(map[string]int{"blue": 100}), true, "zero entries do not count"},
		{traffic.Split{}, traffic.MustNew(map[string]int{"blue": 0}), true, "all-zero equals the zero value"},
		{traffic.Split{}, traffic.MustNew(nil), true, "nil map equals the zero value"},
		{traffic.MustNew(map[string]int{"blue": 90, "green": 10}), traffic.MustNew(map[string]int{"blue": 10, "green": 90}), false, "same names, different percents"},
		{traffic.MustNew(map[string]int{"blue": 100}), traffic.MustNew(map[string]int{"Blue": 100}), false, "names are case-sensitive"},
		{traffic.MustNew(map[string]int{"blue": 100}), traffic.Split{}, false, "live differs from dark"},
	}
	for _, tc := range tests {
		if got := tc.a.Equal(tc.b); got != tc.want {
			t.Errorf("%v.Equal(%v) = %v, want %v (%s)", tc.a, tc.b, got, tc.want, tc.reason)
		}
		if got := tc.b.Equal(tc.a); got != tc.want {
			t.Errorf("Equal is not symmetric for %v and %v (%s)", tc.a, tc.b, tc.reason)
		}
	}
}

func TestAccessors(t *testing.T) {
	s := traffic.MustNew(map[string]int{"green": 10, "blue": 60, "red": 30})
	if got := s.Get("green"); got != 10 {
		t.Errorf("Get(green) = %d", got)
	}
	if got := s.Get("absent"); got != 0 {
		t.Errorf("Get(absent) = %d", got)
	}
	if s.Len() != 3 || s.Total() != 100 || s.IsZero() {
		t.Errorf("Len, Total, IsZero = %d, %d, %v", s.Len(), s.Total(), s.IsZero())
	}
	if diff := cmp.Diff([]string{"blue", "green", "red"}, s.Names()); diff != "" {
		t.Errorf("Names (-want +got):\n%s", diff)
	}
	wantEntries := []traffic.Entry{{"blue", 60}, {"green", 10}, {"red", 30}}
	if diff := cmp.Diff(wantEntries, s.Entries()); diff != "" {
		t.Errorf("Entries (-want +got):\n%s", diff)
	}
	var names []string
	for name, p := range s.All() {
		names = append(names, name)
		if p != s.Get(name) {
			t.Errorf("All yields %s=%d, Get says %d", name, p, s.Get(name))
		}
		if name == "green" {
			break
		}
	}
	if diff := cmp.Diff([]string{"blue", "green"}, names); diff != "" {
		t.Errorf("All with early break (-want +got):\n%s", diff)
	}
	var zero traffic.Split
	if !zero.IsZero() || zero.Len() != 0 || zero.Total() != 0 || zero.String() != "" || zero.Names() != nil || zero.Entries() != nil {
		t.Errorf("zero split is not empty: %#v", zero)
	}
	if m := zero.Map(); m == nil || len(m) != 0 {
		t.Errorf("zero.Map() = %#v, want an empty non-nil map", m)
	}
	for range zero.All() {
		t.Error("zero.All() yielded")
	}
}

func TestImmutable(t *testing.T) {
	s := traffic.MustNew(map[string]int{"blue": 90, "green": 10})
	want := s.String()

	m := s.Map()
	m["blue"] = 1
	m["red"] = 50
	es := s.Entries()
	es[0].Percent = 1
	es[0].Name = "zzz"
	names := s.Names()
	names[0] = "zzz"
	_ = s.With("green", 50)
	_ = s.With("red", 5)
	_ = s.With("blue", 0)
	_ = s.Without("green")

	if s.String() != want {
		t.Fatalf("split changed from %q to %q through a returned value", want, s)
	}
}

func TestWithWithout(t *testing.T) {
	base := traffic.MustNew(map[string]int{"blue": 90, "green": 10})
	tests := []struct {
		got    traffic.Split
		want   string
		reason string
	}{
		{base.With("green", 20), "blue=90 green=20", "replace a value"},
		{base.With("red", 5), "blue=90 green=10 red=5", "insert in name order (after)"},
		{base.With("aqua", 5), "aqua=5 blue=90 green=10", "insert in name order (before)"},
		{base.With("green", 0), "blue=90", "zero removes"},
		{base.With("red", 0), "blue=90 green=10", "zero of an absent name is a no-op"},
		{base.Without("blue"), "green=10", "remove"},
		{base.Without("red"), "blue=90 green=10", "remove an absent name"},
		{traffic.Split{}.With("blue", 100), "blue=100", "from the zero value"},
		{base.Without("blue").Without("green"), "", "removing everything is the empty split"},
	}
	for _, tc := range tests {
		if tc.got.String() != tc.want {
			t.Errorf("got %q, want %q (%s)", tc.got, tc.want, tc.reason)
		}
	}
	if !base.Without("blue").Without("green").Equal(traffic.Split{}) {
		t.Error("emptied split is not Equal to the zero value")
	}
}

func TestWithPanics(t *testing.T) {
	for _, tc := range []struct {
		name    string
		percent int
	}{{"blue", 101}, {"blue", -1}, {"", 10}, {"a b", 10}} {
		func() {
			defer func() {
				r := recover()
				err, ok := r.(error)
				if !ok || !errors.Is(err, traffic.ErrInvalid) {
					t.Errorf("With(%q, %d) panicked with %v, want an ErrInvalid error", tc.name, tc.percent, r)
				}
			}()
			traffic.Split{}.With(tc.name, tc.percent)
		}()
	}
}

func TestNamesSorted(t *testing.T) {
	s := traffic.MustNew(map[string]int{"b": 1, "B": 1, "a": 1, "é": 1, "10": 1, "9": 1})
	names := s.Names()
	if !slices.IsSorted(names) {
		t.Errorf("Names not sorted byte-wise: %q", names)
	}
}

package plan

import (
	"reflect"
	"slices"
	"testing"

	"github.com/rolloutkit/rollout/endpoint"
)

// TestSameReferencesSeesEveryLeaf changes every string and number of a
// deployment's model, code configuration and environment, assets
// included, in turn, and checks that sameReferences sees it: a field added
// to these types and left out of its comparisons fails here.
func TestSameReferencesSeesEveryLeaf(t *testing.T) {
	base := &endpoint.Endpoint{Name: ep, Deployments: []endpoint.Deployment{dep("blue", 1, "1")}}
	if !sameReferences(base, base.Clone()) {
		t.Fatal("sameReferences of a copy = false, want true")
	}
	n := 0
	for _, field := range []string{"Model", "CodeConfiguration", "Environment"} {
		f, _ := reflect.TypeFor[endpoint.Deployment]().FieldByName(field)
		for _, leaf := range leavesOf(f.Type, f.Index) {
			c := base.Clone()
			v := reflect.ValueOf(&c.Deployments[0]).Elem().FieldByIndex(leaf)
			switch v.Kind() {
			case reflect.String:
				v.SetString(v.String() + "x")
			case reflect.Int, reflect.Int64:
				v.SetInt(v.Int() + 1)
			default:
				t.Fatalf("%s has a leaf of kind %s, which sameReferences does not compare", field, v.Kind())
			}
			n++
			if sameReferences(base, c) || sameReferences(c, base) {
				t.Errorf("sameReferences does not see a change of %s.%s", field, reflect.TypeFor[endpoint.Deployment]().FieldByIndex(leaf).Name)
			}
		}
	}
	if n < 40 {
		t.Errorf("changed %d leaves, want every leaf of three references and an environment", n)
	}
}

// leavesOf returns the indexes of the fields below a struct of type t at
// index at that are not structs themselves.
func leavesOf(t reflect.Type, at []int) [][]int {
	var out [][]int
	for f := range t.Fields() {
		idx := append(slices.Clone(at), f.Index...)
		if f.Type.Kind() == reflect.Struct {
			out = append(out, leavesOf(f.Type, idx)...)
			continue
		}
		out = append(out, idx)
	}
	return out
}

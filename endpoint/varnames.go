package endpoint

// varNames are the names of the environment variables of the last
// deployment compared or checked, when they are few. The deployments of an
// endpoint mostly set the same variables, and a map with those names is
// compared or checked by looking them up, without the iterator that
// ranging over it starts (a random start included), which costs more than
// the lookups.
type varNames struct {
	n     int
	names [8]string
}

// equal is mapEqual(a, b).
func (v *varNames) equal(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	if len(a) == 0 {
		return true
	}
	if len(a) == v.n && v.sameIn(a, b) {
		return true
	}
	return v.compare(a, b)
}

// sameIn reports whether a and b both hold every name of v with one value.
// As they have as many keys as v has names, they then hold nothing else.
func (v *varNames) sameIn(a, b map[string]string) bool {
	for _, k := range v.names[:v.n] {
		va, ok := a[k]
		if !ok {
			return false
		}
		if vb, ok := b[k]; !ok || va != vb {
			return false
		}
	}
	return true
}

// compare is mapEqual(a, b) that keeps the names of a for the next call.
func (v *varNames) compare(a, b map[string]string) bool {
	v.n = 0
	for k, va := range a {
		if vb, ok := b[k]; !ok || va != vb {
			v.n = 0
			return false
		}
		v.add(k)
	}
	if v.n < len(a) {
		// Too many to keep.
		v.n = 0
	}
	return true
}

// holds reports whether m has the names of v and no others.
func (v *varNames) holds(m map[string]string) bool {
	if len(m) != v.n || v.n == 0 {
		return false
	}
	for _, k := range v.names[:v.n] {
		if _, ok := m[k]; !ok {
			return false
		}
	}
	return true
}

// add keeps the name k, when there is room for it.
func (v *varNames) add(k string) {
	if v.n < len(v.names) {
		v.names[v.n] = k
		v.n++
	}
}

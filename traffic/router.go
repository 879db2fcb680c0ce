package traffic

// mirrorStride spreads mirrored requests over the key space: residue k is
// mirrored when k*mirrorStride mod 100 is below the mirror percent. Any
// stride coprime to 100 makes this a permutation of the residues, so the
// count over 100 consecutive keys is exact; 37 scatters the mirrored
// residues far from each other and from the live slot order.
const mirrorStride = 37

// Router routes requests to deployments deterministically by a request key
// (a counter, or a hash of a request id), reproducing a split exactly: over
// any 100 consecutive keys, each deployment receives exactly its percent of
// the requests, and the mirror deployment is copied exactly its percent.
// It lets a fake endpoint or a test serve traffic the way a split says,
// without randomness.
//
// "Consecutive" means key, key+1, ..., key+99 without wrapping past the
// largest uint64: 2^64 is not a multiple of 100, so no routing by key alone
// can be exact across the wrap.
//
// A Router is immutable after [NewRouter] and safe for concurrent use.
type Router struct {
	// slots[k] serves keys congruent to k mod 100; indexing with key%100
	// needs no bounds check and holds the string itself, so Pick is one
	// load.
	slots      [100]string
	mirrored   [100]bool
	mirrorName string
	live       Split
	mirror     Split
}

// NewRouter returns a router for live traffic live, which may be empty (a
// dark endpoint: every Pick returns ""), and mirror traffic mirror, which may
// be empty (nothing is mirrored).
//
// The deployments' slots are interleaved in smooth weighted round-robin
// order (the order nginx uses for upstream weights), so short runs of keys
// are mixed too: with blue=90 green=10, green gets one key in every ten, not
// ten keys in a row. Ties go to the name that sorts first.
//
// NewRouter panics if live fails [Split.Validate] or mirror fails
// [Split.ValidateMirror] for live: a router cannot serve a total other than
// 100, and splits are validated where they enter the program.
func NewRouter(live, mirror Split) *Router {
	if err := live.Validate(); err != nil {
		panic(err)
	}
	if err := mirror.ValidateMirror(live); err != nil {
		panic(err)
	}
	r := &Router{live: live, mirror: mirror}
	if !live.IsZero() {
		var current [100]int
		for k := range r.slots {
			best := 0
			for i, e := range live.es {
				current[i] += e.Percent
				if current[i] > current[best] {
					best = i
				}
			}
			current[best] -= 100
			r.slots[k] = live.es[best].Name
		}
		// A dark endpoint answers nothing, so there is nothing to copy.
		if !mirror.IsZero() {
			m := mirror.es[0]
			r.mirrorName = m.Name
			for k := range r.mirrored {
				r.mirrored[k] = k*mirrorStride%100 < m.Percent
			}
		}
	}
	return r
}

// Pick returns the deployment that serves the request with this key, or ""
// when the endpoint is dark. It does not allocate.
func (r *Router) Pick(key uint64) string { return r.slots[key%100] }

// Mirror reports whether the request with this key is also copied to the
// mirror deployment, and names it. It is independent of [Router.Pick]'s
// order, so the copies are spread across the live deployments. When live
// traffic is dark nothing is mirrored.
func (r *Router) Mirror(key uint64) (string, bool) {
	if r.mirrored[key%100] {
		return r.mirrorName, true
	}
	return "", false
}

// Live returns the live split the router was built with.
func (r *Router) Live() Split { return r.live }

// MirrorSplit returns the mirror split the router was built with.
func (r *Router) MirrorSplit() Split { return r.mirror }

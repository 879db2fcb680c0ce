package traffic

// Validate checks the rules for live traffic: every percent is 0..100
// (guaranteed by construction) and the total is exactly 100, or 0 for a dark
// endpoint. The service refuses any other total.
func (s Split) Validate() error {
	if total := s.Total(); total != 0 && total != 100 {
		return newError("", total, "total is %d, must be exactly 100 or 0 (%s)", total, s)
	}
	return nil
}

// ValidateMirror checks s as mirror (shadow) traffic for an endpoint whose
// live traffic is live: at most one deployment, at most 50 percent, and
// never a deployment that serves live traffic, since the service would copy
// requests back to the deployment that answered them. The empty split is a
// valid mirror (no mirroring).
func (s Split) ValidateMirror(live Split) error {
	switch len(s.es) {
	case 0:
		return nil
	case 1:
	default:
		return newError("", s.Total(), "mirror traffic may name at most one deployment, not %d (%s)", len(s.es), s)
	}
	e := s.es[0]
	if e.Percent > 50 {
		return newError(e.Name, e.Percent, "mirror percent must be at most 50, got %d", e.Percent)
	}
	if p := live.Get(e.Name); p > 0 {
		return newError(e.Name, e.Percent, "mirror deployment also has %d%% live traffic; mirror only to a deployment with no live traffic", p)
	}
	return nil
}

package traffic

import "slices"

// Ramp returns the stages of a gradual move of live traffic from one split
// to another, such as a canary rollout.
//
// Both from and to must be live splits with a total of exactly 100. Ramping
// from or to a dark endpoint is an error, because there is no traffic to
// shift in proportion; going dark, or lighting up a dark endpoint, is a
// single step.
//
// Each stage is a percent of progress: strictly increasing, each in 1..100.
// If the last stage is not 100, a final 100 is implied; no stages at all
// means a single step straight to to. Stage p moves M(p) = floor(D*p/100)
// percentage points, where D is the total that must move (the sum of the
// increases, which equals the sum of the decreases). So p=10 from blue=100 to
// green=100 is blue=90 green=10.
//
// When several deployments rise, M(p) is shared among them in proportion to
// how much each must rise; likewise, the deployments that shrink give up
// M(p) in proportion to how much each must shrink. Each side is apportioned
// by largest remainder: every deployment gets the integer part of its exact
// share, and the points left over go one each to the largest fractional
// parts, ties going to the name that sorts first. Largest remainder can
// take a point away from a deployment when the amount grows (the Alabama
// paradox), so a stage never gives a deployment less progress than the stage
// before: it keeps what it had, and the surplus is taken back from the
// deployments furthest above their exact share (ties from the name that
// sorts last). Hence every deployment moves monotonically from its from
// value to its to value without passing it, every stage holds integers
// 0..100 summing to exactly 100, and a deployment with the same percent in
// from and to keeps it throughout.
//
// The result starts with from and ends with to. A stage equal to the one
// before it (as happens when D is small, e.g. blue=51 green=49 to blue=50
// green=50 moves a single point) is dropped, so every step changes
// something; ramping between equal splits returns just [from].
func Ramp(from, to Split, stages ...int) ([]Split, error) {
	for i, p := range stages {
		if p < 1 || p > 100 {
			return nil, newError("", p, "ramp stage %d must be between 1 and 100", p)
		}
		if i > 0 && p <= stages[i-1] {
			return nil, newError("", p, "ramp stages must be strictly increasing: %d follows %d", p, stages[i-1])
		}
	}
	if err := checkRampEnd("from", from); err != nil {
		return nil, err
	}
	if err := checkRampEnd("to", to); err != nil {
		return nil, err
	}
	if from.Equal(to) {
		return []Split{from}, nil
	}
	if len(stages) == 0 || stages[len(stages)-1] != 100 {
		stages = append(slices.Clip(stages), 100)
	}

	movers := rampMovers(from, to)
	var rising, shrinking []*mover
	d := 0
	for i := range movers {
		m := &movers[i]
		switch {
		case m.to > m.from:
			m.weight = m.to - m.from
			d += m.weight
			rising = append(rising, m)
		case m.to < m.from:
			m.weight = m.from - m.to
			shrinking = append(shrinking, m)
		}
	}

	out := make([]Split, 1, len(stages)+1)
	out[0] = from
	scratch := make([]int, 0, max(len(rising), len(shrinking)))
	for _, p := range stages {
		moved := d * p / 100
		scratch = apportion(rising, moved, d, scratch)
		scratch = apportion(shrinking, moved, d, scratch)
		stage := stageSplit(movers, len(out[len(out)-1].es))
		if !stage.Equal(out[len(out)-1]) {
			out = append(out, stage)
		}
	}
	return out, nil
}

// RampStep is [Ramp] with evenly spaced stages: step, 2*step, ... up to
// 100 (a final 100 is implied when step does not divide 100). step must be
// in 1..100.
func RampStep(from, to Split, step int) ([]Split, error) {
	if step < 1 || step > 100 {
		return nil, newError("", step, "ramp step %d must be between 1 and 100", step)
	}
	stages := make([]int, 0, 100/step+1)
	for p := step; p <= 100; p += step {
		stages = append(stages, p)
	}
	return Ramp(from, to, stages...)
}

func checkRampEnd(which string, s Split) error {
	switch total := s.Total(); total {
	case 100:
		return nil
	case 0:
		return newError("", 0, "cannot ramp %s a dark split: there is no traffic to shift in proportion", which)
	default:
		return newError("", total, "cannot ramp %s a split whose total is %d, it must be exactly 100 (%s)", which, total, s)
	}
}

// mover is one deployment during a ramp; moved is how far it has gone from
// its from value towards its to value, and weight is the distance in all.
type mover struct {
	name          string
	from, to      int
	weight, moved int
	sign          int // +1 rising, -1 shrinking, 0 fixed
	prev          int // scratch for apportion: moved at the previous stage
	hamilton      int // scratch for apportion: the largest-remainder share
}

// rampMovers merges the two sorted splits into one list in name order.
func rampMovers(from, to Split) []mover {
	ms := make([]mover, 0, len(from.es)+len(to.es))
	i, j := 0, 0
	for i < len(from.es) || j < len(to.es) {
		switch {
		case j == len(to.es) || i < len(from.es) && from.es[i].Name < to.es[j].Name:
			ms = append(ms, mover{name: from.es[i].Name, from: from.es[i].Percent, sign: -1})
			i++
		case i == len(from.es) || to.es[j].Name < from.es[i].Name:
			ms = append(ms, mover{name: to.es[j].Name, to: to.es[j].Percent, sign: 1})
			j++
		default:
			m := mover{name: from.es[i].Name, from: from.es[i].Percent, to: to.es[j].Percent}
			switch {
			case m.to > m.from:
				m.sign = 1
			case m.to < m.from:
				m.sign = -1
			}
			ms = append(ms, m)
			i++
			j++
		}
	}
	return ms
}

// apportion sets side[i].moved so that the side has moved `moved` points in
// all, shared in proportion to the weights (which sum to d), by largest
// remainder, without letting any deployment go back. side is in name order.
// idx is scratch space, returned for reuse.
func apportion(side []*mover, moved, d int, idx []int) []int {
	// Hamilton: integer parts first, then the leftover points to the largest
	// remainders moved*weight mod d, ties to the earlier (smaller) name.
	idx = idx[:0]
	left := moved
	for i, m := range side {
		m.hamilton = moved * m.weight / d
		left -= m.hamilton
		idx = append(idx, i)
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		return side[b].weight*moved%d - side[a].weight*moved%d
	})
	for _, i := range idx[:left] {
		side[i].hamilton++
	}

	// Keep progress monotone. Taking the larger of the previous and the new
	// allocation overshoots by at most the points Hamilton took away, and
	// those points can always be found among deployments that went up this
	// stage: the side's previous total is at most moved, so the increases
	// over the previous stage sum to at least the overshoot. Each point is
	// taken from the deployment furthest above its exact share
	// moved*weight/d (compared as m.moved*d - moved*weight to stay in
	// integers), ties from the later name, mirroring the tie-break that
	// handed points out. Nothing exceeds its weight, as neither the previous
	// nor the new allocation does.
	surplus := -moved
	for _, m := range side {
		m.prev = m.moved
		m.moved = max(m.prev, m.hamilton)
		surplus += m.moved
	}
	for ; surplus > 0; surplus-- {
		best, bestOver := -1, 0
		for i, m := range side {
			if m.moved == m.prev {
				continue
			}
			if over := m.moved*d - moved*m.weight; best < 0 || over >= bestOver {
				best, bestOver = i, over
			}
		}
		side[best].moved--
	}
	return idx
}

// stageSplit builds the split for the movers' current progress.
func stageSplit(ms []mover, sizeHint int) Split {
	es := make([]Entry, 0, sizeHint+1)
	for _, m := range ms {
		if p := m.from + m.sign*m.moved; p != 0 {
			es = append(es, Entry{Name: m.name, Percent: p})
		}
	}
	return fromSorted(es)
}

package traffic

import "slices"

// Ramp returns the stages of a gradual move of live traffic from one split
// to another, such as a canary rollout. The stages read as the set-weight
// steps of Argo Rollouts and the step weights of Flagger: each is the share
// of live traffic the rising side holds at that stage, not a fraction of
// the way from from to to.
//
// Both from and to must be live splits with a total of exactly 100. Ramping
// from or to a dark endpoint is an error, because there is no traffic to
// shift in proportion; going dark, or lighting up a dark endpoint, is a
// single step.
//
// Stages are percents, strictly increasing, each in 1..100. The rising side
// is the deployments whose share grows from from to to; it holds R0 percent
// in from and R1 in to. A stage s at or below R0, or at or above R1, is
// skipped: the rising side already has that much, or the next step is to
// itself. So with one deployment rising, stages 10, 50 take blue=100 to
// green=100 through blue=90 green=10 and blue=50 green=50, and take
// blue=90 green=10 to green=100 through blue=50 green=50 only. No stages
// (or none left) means a single step straight to to.
//
// At stage s, the deployments whose share does not change keep it, the
// rising side holds s percent in all, and the falling side (the
// deployments whose share shrinks) holds the rest, F = 100 - s - the
// unchanged shares. Each side is shared out the same way, with a
// deployment's bounds lo and hi being its from and to shares when it rises
// and its to and from shares when it falls: the exact share of a
// deployment is max(lo, t*hi), with the one t in [0, 1] that makes the
// side's shares sum to s (or F). So the rising side is shared in
// proportion to the desired shares, and the falling side in proportion to
// the current shares, except that no deployment goes past either end of
// its move. Whole percents come by largest remainder: the deployments
// above their lower bound get the integer part of their exact share, and
// the points left over go one each to the largest fractional parts, ties
// going to the name that sorts first. Largest remainder can move a
// deployment backwards when the side's total changes (the Alabama
// paradox), so no deployment goes back against the direction of its move
// from one stage to the next: it keeps its previous share, and the
// difference is settled, one point at a time, among the deployments that
// did move this stage, with the one furthest from its exact share first
// (ties to the name that sorts last when points are taken back from the
// rising side, and to the name that sorts first when points are given
// back to the falling side). Hence every deployment moves monotonically
// from its from value to its to value without passing it, every stage
// holds integers 0..100 summing to exactly 100, and a deployment with the
// same percent in from and to keeps it throughout.
//
// The result starts with from and ends with to, and every step changes
// the rising side's share; ramping between equal splits returns just
// [from].
func Ramp(from, to Split, stages ...int) ([]Split, error) {
	if err := checkRampStages(stages); err != nil {
		return nil, err
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
	movers := rampMovers(from, to)
	var rising, falling []*mover
	r0, r1, fixed := 0, 0, 0
	for i := range movers {
		m := &movers[i]
		m.cur = m.from
		switch {
		case m.to > m.from:
			m.lo, m.hi = m.from, m.to
			r0, r1 = r0+m.from, r1+m.to
			rising = append(rising, m)
		case m.to < m.from:
			m.lo, m.hi = m.to, m.from
			falling = append(falling, m)
		default:
			fixed += m.from
		}
	}
	out := make([]Split, 1, len(stages)+2)
	out[0] = from
	scratch := make([]int, 0, len(movers))
	for _, s := range stages {
		if s <= r0 || s >= r1 {
			continue
		}
		scratch = fill(rising, s, +1, scratch)
		scratch = fill(falling, 100-fixed-s, -1, scratch)
		out = append(out, stageSplit(movers, len(to.es)))
	}
	return append(out, to), nil
}

// RampStep is [Ramp] with evenly spaced stages: step, 2*step, ... below
// 100. step must be in 1..100.
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

func checkRampStages(stages []int) error {
	for i, p := range stages {
		if p < 1 || p > 100 {
			return newError("", p, "ramp stage %d must be between 1 and 100", p)
		}
		if i > 0 && p <= stages[i-1] {
			return newError("", p, "ramp stages must be strictly increasing: %d follows %d", p, stages[i-1])
		}
	}
	return nil
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

// mover is one deployment during a ramp: its shares in from and to, the
// bounds lo <= hi of its move, and cur, its share at the current stage.
type mover struct {
	name     string
	from, to int
	lo, hi   int
	cur      int
	prev     int  // scratch for fill: cur at the stage before
	clamped  bool // scratch for fill: held at lo this stage
	hamilton int  // scratch for fill: the largest-remainder share
}

// rampMovers merges the two sorted splits into one list in name order.
func rampMovers(from, to Split) []mover {
	ms := make([]mover, 0, len(from.es)+len(to.es))
	i, j := 0, 0
	for i < len(from.es) || j < len(to.es) {
		switch {
		case j == len(to.es) || i < len(from.es) && from.es[i].Name < to.es[j].Name:
			ms = append(ms, mover{name: from.es[i].Name, from: from.es[i].Percent})
			i++
		case i == len(from.es) || to.es[j].Name < from.es[i].Name:
			ms = append(ms, mover{name: to.es[j].Name, to: to.es[j].Percent})
			j++
		default:
			ms = append(ms, mover{name: from.es[i].Name, from: from.es[i].Percent, to: to.es[j].Percent})
			i++
			j++
		}
	}
	return ms
}

// fill sets the shares of one side (in name order) to sum to total, which
// lies strictly between the sums of their lo and hi bounds. dir is the
// direction the side's shares move from stage to stage: +1 rising, -1
// falling. idx is scratch space, returned for reuse.
func fill(side []*mover, total, dir int, idx []int) []int {
	num, den := waterLevel(side, total)
	idx = hamilton(side, num, den, idx)
	settle(side, num, den, dir)
	return idx
}

// waterLevel finds t = num/den such that the sum of max(lo, t*hi) over the
// side is total, and marks the deployments held at lo. Clamping one lowers
// t, so the loop runs at most once per deployment.
func waterLevel(side []*mover, total int) (num, den int) {
	for _, m := range side {
		m.clamped = false
	}
	for changed := true; changed; {
		changed = false
		num, den = total, 0
		for _, m := range side {
			if m.clamped {
				num -= m.lo
			} else {
				den += m.hi
			}
		}
		for _, m := range side {
			if !m.clamped && num*m.hi < m.lo*den {
				m.clamped, changed = true, true
			}
		}
	}
	return num, max(den, 1)
}

// hamilton sets each deployment's largest-remainder share at level
// num/den: integer parts first, then the leftover points to the largest
// remainders num*hi mod den, ties to the earlier name.
func hamilton(side []*mover, num, den int, idx []int) []int {
	idx = idx[:0]
	left := num
	for i, m := range side {
		if m.clamped {
			m.hamilton = m.lo
			continue
		}
		m.hamilton = num * m.hi / den
		left -= m.hamilton
		idx = append(idx, i)
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		return side[b].hi*num%den - side[a].hi*num%den
	})
	for _, i := range idx[:left] {
		side[i].hamilton++
	}
	return idx
}

// settle moves each deployment to its largest-remainder share without
// letting it go back against dir. Holding the previous share overshoots
// the total by at most the points the new shares took back, and those can
// always be found among deployments that moved this stage, since the
// side's total moved in dir too. Each point is settled with the
// deployment furthest past its exact share max(lo, num*hi/den) in dir
// (compared in integers), ties to the later name
// when taking back (dir +1) and the earlier when giving back (dir -1).
func settle(side []*mover, num, den, dir int) {
	excess := 0
	for _, m := range side {
		m.prev, m.cur = m.cur, m.hamilton
		if (m.cur-m.prev)*dir < 0 {
			excess += (m.prev - m.cur) * dir
			m.cur = m.prev
		}
	}
	for ; excess > 0; excess-- {
		best, bestOver := -1, 0
		for i, m := range side {
			if m.cur == m.prev {
				continue
			}
			exact := num * m.hi
			if m.clamped {
				exact = m.lo * den
			}
			over := dir * (m.cur*den - exact)
			if best < 0 || over > bestOver || over == bestOver && dir > 0 {
				best, bestOver = i, over
			}
		}
		side[best].cur -= dir
	}
}

// stageSplit builds the split for the movers' current shares.
func stageSplit(ms []mover, sizeHint int) Split {
	es := make([]Entry, 0, sizeHint+1)
	for _, m := range ms {
		if m.cur != 0 {
			es = append(es, Entry{Name: m.name, Percent: m.cur})
		}
	}
	return fromSorted(es)
}

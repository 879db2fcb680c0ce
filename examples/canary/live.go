package main

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/rolloutkit/rollout"
	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/fakes"
)

// request is the scoring request the program sends, to the smoke test and
// as live traffic: one credit application.
const request = `{"income": 52000, "amount": 12000, "term_months": 36}`

// handlers make each deployment answer with its model's version, so that
// the counts of answers show who served the endpoint. With failGreen,
// green fails every fifth request: a bug that the one smoke request does
// not hit and live traffic soon does.
func handlers(failGreen bool) map[string]fakes.Handler {
	green := fakes.Respond(200, "v2")
	if failGreen {
		var n atomic.Int64
		green = func(context.Context, string, []byte) (int, []byte) {
			if n.Add(1)%5 == 0 {
				return 500, []byte("internal server error")
			}
			return 200, []byte("v2")
		}
	}
	return map[string]fakes.Handler{"blue": fakes.Respond(200, "v1"), "green": green}
}

// metrics reads the in-memory service's request counts, the way a metric
// gate would read the service's monitoring.
func metrics(svc *fakes.Service) rollout.MetricSource {
	return rollout.MetricSourceFunc(func(_ context.Context, ep, dep string) (rollout.MetricSample, error) {
		for _, st := range svc.Stats(ep) {
			if st.Deployment == dep {
				return rollout.MetricSample{
					Endpoint:   ep,
					Deployment: dep,
					Requests:   int64(st.Requests),
					Errors:     int64(st.Errors),
				}, nil
			}
		}
		return rollout.MetricSample{}, fmt.Errorf("no request counts for %s/%s", ep, dep)
	})
}

// bake returns the gate between canary stages: live requests run for
// window while metric watches them. The real service has users sending
// those requests; here the gate sends n of them itself, evenly spread, and
// reports who answered them.
func bake(metric rollout.Gate, n int, window time.Duration, r *report) rollout.Gate {
	return rollout.GateFunc(func(ctx context.Context, g rollout.GateContext) error {
		type result struct {
			got answers
			err error
		}
		done := make(chan result, 1)
		go func() {
			got, err := sendOver(ctx, g.Backend, g.Endpoint, n, window)
			done <- result{got, err}
		}()
		err := metric.Check(ctx, g)
		load := <-done
		if load.err != nil {
			return cmp.Or(err, load.err)
		}
		r.note(fmt.Sprintf("%s requests during the bake: %s", thousands(n), load.got))
		return err
	})
}

// sendNow sends n requests to the endpoint, as its users would.
func sendNow(ctx context.Context, b backend.Backend, ep string, n int) (answers, error) {
	got := answers{}
	for range n {
		resp, err := b.Invoke(ctx, ep, backend.InvokeRequest{Body: []byte(request)})
		if err != nil {
			return nil, err
		}
		got.add(resp)
	}
	return got, nil
}

// sendOver sends n requests spread evenly over the middle four fifths of
// window, so that none coincides with the metric gate's readings at the
// window's ends, and late wake-ups in real time do not push any out of it.
// Each waits for its own deadline rather than for an interval after the
// one before, so that lateness does not add up.
func sendOver(ctx context.Context, b backend.Backend, ep string, n int, window time.Duration) (answers, error) {
	got := answers{}
	start := time.Now().Add(window / 10)
	slice := window * 8 / 10 / time.Duration(n)
	for i := range n {
		t := time.NewTimer(time.Until(start.Add(slice*time.Duration(i) + slice/2)))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
		resp, err := b.Invoke(ctx, ep, backend.InvokeRequest{Body: []byte(request)})
		if err != nil {
			return nil, err
		}
		got.add(resp)
	}
	return got, nil
}

// answers counts the answers to a batch of requests, by the deployment
// that answered and what it said: its body, or its status when that is an
// error.
type answers map[string]map[string]int

func (a answers) add(resp *backend.InvokeResponse) {
	answer := string(resp.Body)
	if resp.Status < 200 || resp.Status > 299 {
		answer = "status " + strconv.Itoa(resp.Status)
	}
	dep := resp.Deployment
	if dep == "" {
		dep = "no deployment"
	}
	if a[dep] == nil {
		a[dep] = map[string]int{}
	}
	a[dep][answer]++
}

// String lists the deployments in name order, each with its count and
// answers: "blue 900 (v1), green 100 (80 v2, 20 status 500)".
func (a answers) String() string {
	var parts []string
	for _, dep := range slices.Sorted(maps.Keys(a)) {
		// The most frequent answer first: normally the deployment's own.
		byCount := slices.SortedFunc(maps.Keys(a[dep]), func(x, y string) int {
			return cmp.Or(cmp.Compare(a[dep][y], a[dep][x]), strings.Compare(x, y))
		})
		total := 0
		var kinds []string
		for _, answer := range byCount {
			n := a[dep][answer]
			total += n
			kinds = append(kinds, thousands(n)+" "+answer)
		}
		if len(kinds) == 1 {
			_, kinds[0], _ = strings.Cut(kinds[0], " ")
		}
		parts = append(parts, fmt.Sprintf("%s %s (%s)", dep, thousands(total), strings.Join(kinds, ", ")))
	}
	return strings.Join(parts, ", ")
}

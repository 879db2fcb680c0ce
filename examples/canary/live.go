package main

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
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

// bake returns the gate between canary stages: live requests run during
// the window while a metric gate (rollout.Metric) watches them. The real
// service has users sending those requests; here the gate sends n of them
// itself and reports who answered them.
//
// The burst is tied to the metric gate's readings, not to the clock: it
// starts once the gate has read the counters of every deployment with live
// traffic, and the gate's closing readings wait for it to end. So every
// request falls inside the window however late timers fire on a busy
// machine, and the program's verdict never depends on the machine's load.
func bake(svc *fakes.Service, n int, window time.Duration, r *report) rollout.Gate {
	return rollout.GateFunc(func(ctx context.Context, g rollout.GateContext) error {
		e, ok := svc.Peek(g.Endpoint)
		if !ok {
			return fmt.Errorf("no endpoint %s to bake", g.Endpoint)
		}
		var (
			mu      sync.Mutex
			opened  = map[string]bool{}
			started = make(chan struct{})
			sent    = make(chan struct{})
			got     answers
			sendErr error
		)
		counts := metrics(svc)
		source := rollout.MetricSourceFunc(func(ctx context.Context, ep, dep string) (rollout.MetricSample, error) {
			mu.Lock()
			closing := opened[dep]
			mu.Unlock()
			if closing {
				select {
				case <-sent:
				case <-ctx.Done():
					return rollout.MetricSample{}, ctx.Err()
				}
			}
			s, err := counts.Counters(ctx, ep, dep)
			if !closing {
				mu.Lock()
				opened[dep] = true
				if len(opened) == e.Traffic.Len() {
					close(started)
				}
				mu.Unlock()
			}
			return s, err
		})
		burst, stop := context.WithCancel(ctx)
		defer stop()
		go func() {
			defer close(sent)
			select {
			case <-started:
				got, sendErr = sendNow(burst, g.Backend, g.Endpoint, n)
			case <-burst.Done():
				sendErr = burst.Err()
			}
		}()
		err := rollout.Metric(source, rollout.MaxErrorRate(maxErrorRate, minRequests), window).Check(ctx, g)
		select {
		case <-started:
		default:
			// The gate ended before its opening readings: no burst.
			stop()
		}
		<-sent
		if sendErr == nil {
			r.note(fmt.Sprintf("%s requests during the bake: %s", thousands(n), got))
		}
		return cmp.Or(err, sendErr)
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

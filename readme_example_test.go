package rollout_test

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rolloutkit/rollout"
	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/fakes"
	"github.com/rolloutkit/rollout/plan"
)

// Example_readme is the program README.md shows under "In Go", between
// the markers; TestREADMEQuotesExample keeps the two the same.
func Example_readme() {
	// README begin
	ctx := context.Background()
	desired, err := endpoint.Load("examples/rollout/testdata/specs")
	if err != nil {
		log.Fatal(err) // every problem, each with file:line:col and field path
	}
	var actual []*endpoint.Endpoint // what the service holds; nothing yet
	p, err := plan.Compute(desired, actual, plan.Options{
		Strategy: plan.Canary([]int{10, 50}), // gates between stages
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p.Summary) // fmt.Print(p) shows it all, like terraform plan; plan.WriteJSON for machines

	svc := fakes.New(fakes.Options{TimeScale: 1e-4}) // or the real service: backend/azureml
	res, err := rollout.Apply(ctx, svc, p, rollout.Gates(map[string]rollout.Gate{
		"smoke": rollout.SmokeTest([]byte(`{"data": [[1, 2, 3]]}`), nil),
		"bake":  rollout.Pause(10 * time.Minute),
	}))
	if err != nil {
		log.Fatal(err) // a *rollout.StepError says which step, and the state left
	}
	fmt.Printf("%d steps done, %d writes\n", len(res.Completed), res.Calls)
	// README end

	// Output:
	// 3 to add, 0 to change, 0 to destroy, 1 traffic shift, 2 gates.
	// 6 steps done, 4 writes
}

// TestREADMEQuotesExample: the Go program in README.md is the one
// Example_readme compiles and runs.
func TestREADMEQuotesExample(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := bytes.Cut(readme, []byte("## In Go\n"))
	if ok {
		_, block, ok = bytes.Cut(block, []byte("```go\n"))
	}
	if ok {
		block, _, ok = bytes.Cut(block, []byte("```"))
	}
	if !ok {
		t.Fatal("README.md has no ```go block under ## In Go")
	}
	src, err := os.ReadFile("readme_example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	_, body, _ := strings.Cut(string(src), "\t// README begin\n")
	body, _, _ = strings.Cut(body, "\t// README end\n")
	var want strings.Builder
	for line := range strings.Lines(body) {
		want.WriteString(strings.TrimPrefix(line, "\t"))
	}
	if got := string(block); got != want.String() {
		t.Errorf("README.md's Go program differs from Example_readme's; copy it over.\nREADME:\n%s\nexample:\n%s", got, want.String())
	}
}

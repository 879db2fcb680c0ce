package plan_test

import (
	"fmt"
	"os"

	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/plan"
	"github.com/rolloutkit/rollout/traffic"
)

// spec parses an endpoint file given inline, as the service's examples
// write them.
func spec(yaml string) *endpoint.Endpoint {
	e, err := endpoint.Parse("endpoint.yaml", []byte(yaml))
	if err != nil {
		panic(err)
	}
	return e
}

// actualState is blue serving everything and green created beside it, as
// the service reports them.
func actualState() []*endpoint.Endpoint {
	e := spec(`
name: my-endpoint
auth_mode: key
traffic: {blue: 100}
deployments:
  - {name: blue, model: azureml:credit-risk:1, environment: azureml:sklearn:4, instance_type: Standard_DS3_v2, instance_count: 2}
  - {name: green, model: azureml:credit-risk:2, environment: azureml:sklearn:4, instance_type: Standard_DS3_v2, instance_count: 2}
`)
	e.Status.ProvisioningState = endpoint.Succeeded
	for i := range e.Deployments {
		e.Deployments[i].Status.ProvisioningState = endpoint.Succeeded
	}
	return []*endpoint.Endpoint{e}
}

// desiredState sends green all the traffic.
func desiredState() []*endpoint.Endpoint {
	return []*endpoint.Endpoint{spec(`
name: my-endpoint
auth_mode: key
traffic: {green: 100}
deployments:
  - {name: blue, model: azureml:credit-risk:1, environment: azureml:sklearn:4, instance_type: Standard_DS3_v2, instance_count: 2}
  - {name: green, model: azureml:credit-risk:2, environment: azureml:sklearn:4, instance_type: Standard_DS3_v2, instance_count: 2}
`)}
}

// A canary moves green from 0 to 100 percent in stages, testing it
// directly before it takes live traffic and pausing between stages.
func Example() {
	p, err := plan.Compute(desiredState(), actualState(), plan.Options{Strategy: plan.Canary([]int{10, 50})})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range p.Steps {
		switch s.Action {
		case plan.SetTraffic:
			fmt.Printf("%s: %s\n", s.ID, plan.Shift(s.TrafficBefore, s.Traffic))
		default:
			fmt.Printf("%s\n", s.ID)
		}
	}
	// Output:
	// my-endpoint/gate/smoke:green
	// my-endpoint/traffic/1: blue 100 → 90, green 0 → 10
	// my-endpoint/gate/bake/1
	// my-endpoint/traffic/2: blue 90 → 50, green 10 → 50
	// my-endpoint/gate/bake/2
	// my-endpoint/traffic/3: blue 50 → 0, green 50 → 100
}

func ExampleWriteText() {
	p, err := plan.Compute(desiredState(), actualState(), plan.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	p.Fingerprint = "" // it changes with every detail of the state
	if err := plan.WriteText(os.Stdout, p, plan.TextOptions{}); err != nil {
		fmt.Println(err)
	}
	// Output:
	// Plan computed with strategy direct.
	// Actions are shown with these symbols:
	//   ~ update in place
	//
	// Steps, in an order their dependencies allow:
	//
	//   # my-endpoint/traffic: the traffic of endpoint "my-endpoint" will shift
	//   #   set the desired traffic
	//   ~ traffic "my-endpoint" {
	//       ~ live traffic = blue 100 → 0, green 0 → 100
	//     }
	//
	// Plan: 0 to add, 0 to change, 0 to destroy, 1 traffic shift.
}

// Blue-green to green alone: green is tested, takes all traffic at once,
// bakes, and only then is blue deleted.
func ExampleWriteMermaid() {
	desired := desiredState()
	desired[0].Deployments = desired[0].Deployments[1:] // green alone
	p, err := plan.Compute(desired, actualState(), plan.Options{Strategy: plan.BlueGreen(false)})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := plan.WriteMermaid(os.Stdout, p); err != nil {
		fmt.Println(err)
	}
	// Output:
	// flowchart TD
	//   subgraph e0["my-endpoint"]
	//     s0{{"? gate smoke:green"}}
	//     s1["~ traffic blue 100 → 0, green 0 → 100"]
	//     s2{{"? gate bake"}}
	//     s3["- delete blue"]
	//   end
	//   s0 --> s1
	//   s1 --> s2
	//   s2 --> s3
	//   classDef update fill:#fff5b1,stroke:#b08800
	//   class s1 update
	//   classDef delete fill:#ffeef0,stroke:#cb2431
	//   class s3 delete
	//   classDef gate fill:#e1f5fe,stroke:#0366d6
	//   class s0,s2 gate
}

// A saved plan is read back with Decode, which refuses a format it does
// not know rather than guess.
func ExampleDecode() {
	p, err := plan.Decode([]byte(`{
  "format_version": 1,
  "fingerprint": "5e0010328d17",
  "strategy": "direct",
  "steps": [{
    "id": "my-endpoint/traffic", "action": "set_traffic", "endpoint": "my-endpoint", "depends_on": [],
    "traffic_before": {"blue": 100}, "mirror_traffic_before": {},
    "traffic": {"blue": 90, "green": 10}, "mirror_traffic": {},
    "changes": []
  }],
  "summary": {"add": 0, "change": 0, "destroy": 0, "traffic": 1, "gates": 0}
}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	s := p.Steps[0]
	fmt.Println(s.ID, s.Action, s.Traffic)

	fmt.Println(p.FormatVersion, p.DesiredFingerprint == "")

	_, err = plan.Decode([]byte(`{"format_version": 3, "steps": []}`))
	fmt.Println(err)
	// Output:
	// my-endpoint/traffic set_traffic blue=90 green=10
	// 1 true
	// plan: not a plan in JSON format version 1 or 2: format_version is 3; this reader knows 1 to 2 (a newer rollout wrote it?)
}

func ExampleShift() {
	before := traffic.MustNew(map[string]int{"blue": 50, "green": 50})
	after := traffic.MustNew(map[string]int{"blue": 50, "green": 40, "red": 10})
	fmt.Println(plan.Shift(before, after))
	// Output:
	// blue 50, green 50 → 40, red 0 → 10
}

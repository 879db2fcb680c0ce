package endpoint_test

import (
	"fmt"
	"log"

	"github.com/rolloutkit/rollout/endpoint"
)

func ExampleParse() {
	spec := []byte(`
name: my-endpoint
auth_mode: Key
traffic:
  blue: 90
  green: 10
deployments:
  - name: blue
    model: azureml:my-model:1
    environment: azureml:my-env@latest
    instance_type: Standard_DS3_v2
    instance_count: 2
  - name: green
    model: azureml:my-model:2
    environment: azureml:my-env@latest
    instance_type: Standard_DS3_v2
    instance_count: 1
`)
	e, err := endpoint.Parse("endpoint.yml", spec)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(e.Name, e.AuthMode, e.Traffic)
	for _, d := range e.Deployments {
		fmt.Println(d.Name, d.Model, d.InstanceCount)
	}
	// Output:
	// my-endpoint key blue=90 green=10
	// blue azureml:my-model:1 2
	// green azureml:my-model:2 1
}

func ExampleParse_errors() {
	spec := []byte(`
name: my-endpoint
deployments:
  - name: blue
    instance_cont: 2
`)
	_, err := endpoint.Parse("endpoint.yml", spec)
	fmt.Println(err)
	// Output:
	// endpoint.yml:5:5: deployments[0].instance_cont: unknown key "instance_cont"; did you mean "instance_count"?
}

func ExampleDiffDeployment() {
	before := endpoint.Deployment{
		Name:                 "blue",
		Model:                endpoint.Reference{Name: "my-model", Version: "1"},
		InstanceCount:        1,
		EnvironmentVariables: map[string]string{"API_KEY": "s3cr3t", "MODE": "fast"},
	}
	after := before.Clone()
	after.Model.Version = "2"
	after.InstanceCount = 3
	after.EnvironmentVariables["API_KEY"] = "rotated"
	after.EnvironmentVariables["MODE"] = "safe"
	for _, c := range endpoint.DiffDeployment(before, after) {
		fmt.Println(c)
	}
	// Output:
	// model: azureml:my-model:1 → azureml:my-model:2
	// environment_variables.API_KEY: (sensitive value) → (sensitive value)
	// environment_variables.MODE: "fast" → "safe"
	// instance_count: 1 → 3
}

func ExampleNormalized() {
	written := &endpoint.Endpoint{Name: "my-endpoint", AuthMode: "Key"}
	reported := &endpoint.Endpoint{
		Name:                "my-endpoint",
		AuthMode:            endpoint.AuthKey,
		PublicNetworkAccess: endpoint.Enabled,
		Identity:            &endpoint.Identity{Type: "system_assigned"},
	}
	fmt.Println(endpoint.Equal(written, reported))
	fmt.Println(endpoint.Equal(endpoint.Normalized(written), endpoint.Normalized(reported)))
	// Output:
	// false
	// true
}

func ExampleValidate() {
	e := &endpoint.Endpoint{
		Name:        "my-endpoint",
		Deployments: []endpoint.Deployment{{Name: "blue", InstanceType: "Standard_DS3_v2"}},
	}
	if err := endpoint.Validate(e); err != nil {
		fmt.Println(err)
	}
	// Output:
	// deployments[blue].instance_count: is required for a managed deployment and must be between 1 and 100
}

func ExampleMarshal() {
	e, err := endpoint.Parse("endpoint.yml", []byte(`
name: my-endpoint
auth_mode: Key
traffic: {blue: 100}
deployments:
  blue:
    model: {name: my-model, version: 1}
    environment: azureml:my-env:3
    instance_type: Standard_DS3_v2
    instance_count: 1
`))
	if err != nil {
		log.Fatal(err)
	}
	out, err := endpoint.Marshal(e)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(string(out))
	// Output:
	// name: my-endpoint
	// auth_mode: key
	// identity:
	//   type: system_assigned
	// public_network_access: enabled
	// traffic:
	//   blue: 100
	// deployments:
	//   - name: blue
	//     type: managed
	//     model: azureml:my-model:1
	//     environment: azureml:my-env:3
	//     instance_type: Standard_DS3_v2
	//     instance_count: 1
	//     scale_settings:
	//       type: default
	//     request_settings:
	//       request_timeout_ms: 5000
	//       max_concurrent_requests_per_instance: 1
	//       max_queue_wait_ms: 500
	//     liveness_probe:
	//       initial_delay: 10
	//       period: 10
	//       timeout: 2
	//       success_threshold: 1
	//       failure_threshold: 30
	//     readiness_probe:
	//       initial_delay: 10
	//       period: 10
	//       timeout: 2
	//       success_threshold: 1
	//       failure_threshold: 3
	//     egress_public_network_access: enabled
}

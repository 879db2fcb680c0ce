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

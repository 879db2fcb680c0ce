package azureml_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/rolloutkit/rollout/backend"
	"github.com/rolloutkit/rollout/backend/azureml"
	"github.com/rolloutkit/rollout/endpoint"
	"github.com/rolloutkit/rollout/fakes"
	"github.com/rolloutkit/rollout/fakes/rest"
	"github.com/rolloutkit/rollout/traffic"
)

// The backend against a local emulator of the service, over TLS. A program
// passes azidentity's credential and no ClientOptions instead.
func Example() {
	srv := httptest.NewTLSServer(rest.New(fakes.New(fakes.Options{Latency: fakes.NoLatency()}), rest.Options{}))
	defer srv.Close()

	b, err := azureml.New(azureml.Scope{
		Subscription:  "00000000-1111-2222-3333-444444444444",
		ResourceGroup: "ml-rg",
		Workspace:     "ml-ws",
	}, &fake.TokenCredential{}, &azureml.Options{
		Location: "westeurope",
		ClientOptions: &arm.ClientOptions{
			ClientOptions: policy.ClientOptions{
				Transport: srv.Client(),
				Cloud:     azureml.CloudFor(srv.URL, "https://management.core.windows.net/"),
			},
			DisableRPRegistration: true,
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	must := func(err error) {
		if err != nil {
			log.Fatal(err)
		}
	}
	must(b.CreateOrUpdateEndpoint(ctx, &endpoint.Endpoint{Name: "churn", AuthMode: endpoint.AuthKey}))
	must(b.CreateOrUpdateDeployment(ctx, "churn", endpoint.Deployment{
		Name:          "blue",
		Model:         endpoint.Reference{Name: "churn-model", Version: "1"},
		InstanceType:  "Standard_DS3_v2",
		InstanceCount: 1,
	}))
	must(b.CreateOrUpdateEndpoint(ctx, &endpoint.Endpoint{Name: "churn", AuthMode: endpoint.AuthKey, Traffic: traffic.MustNew(map[string]int{"blue": 100})}))

	e, err := b.GetEndpoint(ctx, "churn")
	must(err)
	fmt.Println(e.Name, e.Status.ProvisioningState, e.Traffic)
	for _, d := range e.Deployments {
		fmt.Println(d.Name, d.Model, d.InstanceCount, d.Status.ProvisioningState)
	}
	resp, err := b.Invoke(ctx, "churn", backend.InvokeRequest{Body: []byte(`{"data": [[1, 2]]}`)})
	must(err)
	fmt.Println(resp.Status, resp.Deployment)

	err = b.CreateOrUpdateDeployment(ctx, "churn", endpoint.Deployment{Name: "green", Model: endpoint.Reference{Path: "./model"}})
	fmt.Println(backend.KindOf(err))
	// Output:
	// churn Succeeded blue=100
	// blue azureml:churn-model:1 1 Succeeded
	// 200 blue
	// invalid
}

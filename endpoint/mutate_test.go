package endpoint

import (
	"errors"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// mutationSeed is a valid spec in today's format that exercises most of the
// loader: a list of deployments, references, settings, probes and traffic.
const mutationSeed = `$schema: https://azuremlschemas.azureedge.net/latest/managedOnlineEndpoint.schema.json
name: my-endpoint
auth_mode: key
tags:
  team: ml
traffic:
  blue: 90
  green: 10
mirror_traffic:
  canary: 20
deployments:
  - name: blue
    model: azureml:model-1:1
    code_configuration:
      code: azureml:score-code:1
      scoring_script: score.py
    environment: azureml:sklearn-env:3
    instance_type: Standard_DS3_v2
    instance_count: 2
    request_settings:
      request_timeout_ms: 3000
    liveness_probe:
      period: 10
    environment_variables:
      API_KEY: s3cr3t
  - name: green
    model:
      name: model-2
      version: 1
    environment:
      image: mcr.microsoft.com/azureml/minimal:1
      conda_file: file:conda.yaml
    instance_type: Standard_DS3_v2
    instance_count: 1
  - name: canary
    model: azureml:model-3@latest
    environment: azureml:sklearn-env:3
    instance_type: Standard_DS3_v2
    instance_count: 1
`

// yamlTokens are fragments a mutation splices in: the syntax that trips
// loaders (aliases, flow collections, tags, documents, odd scalars).
var yamlTokens = []string{
	"&a ", "*a", "{", "}", "[", "]", ": ", "- ", "---\n", "...\n", "!!str ", "!custom ",
	"? ", "|\n", ">-\n", "'", "\"", "#", "\t", "\n", "  ", "~", "null", "-1", "1e400",
	"0x10", "010", "1.10", "yes", "on", "<<: *a\n", "\x00", "\xff", "ä", "deployments:\n",
	"traffic:\n  x: 101\n", "name: a\n",
}

// TestMutatedSpecsNeverPanic mutates a valid spec (byte edits, spliced
// YAML syntax, dropped, doubled and re-indented lines) and checks that the
// loader never panics, and that what it refuses is refused with a spec
// error (ErrInvalid), never with a bare library error.
func TestMutatedSpecsNeverPanic(t *testing.T) {
	if _, err := Parse("seed.yml", []byte(mutationSeed)); err != nil {
		t.Fatalf("the seed must be valid: %v", err)
	}
	rapid.Check(t, func(t *rapid.T) {
		data := []byte(mutationSeed)
		for range rapid.IntRange(1, 6).Draw(t, "mutations") {
			data = mutate(t, data)
		}
		e, err := Parse("mutated.yml", data)
		switch {
		case err == nil && e == nil:
			t.Fatal("Parse returned neither an endpoint nor an error")
		case err != nil && e != nil:
			t.Fatalf("Parse returned an endpoint and an error: %v", err)
		case err != nil && !errors.Is(err, ErrInvalid):
			t.Fatalf("error does not match ErrInvalid: %T %v", err, err)
		case err != nil && strings.Contains(err.Error(), "s3cr3t"):
			t.Fatalf("error shows a secret value: %v", err)
		case err == nil:
			// Whatever was accepted is valid and round-trips.
			if verr := Validate(e); verr != nil {
				t.Fatalf("accepted an invalid spec: %v", verr)
			}
			out, merr := Marshal(e)
			if merr != nil {
				t.Fatalf("accepted spec does not marshal: %v", merr)
			}
			back, perr := Parse("mutated.yml", out)
			if perr != nil || !Equal(back, e) {
				t.Fatalf("accepted spec does not round-trip: %v\n%s", perr, out)
			}
		}
	})
}

func mutate(t *rapid.T, data []byte) []byte {
	lines := strings.SplitAfter(string(data), "\n")
	switch rapid.IntRange(0, 5).Draw(t, "kind") {
	case 0: // flip one byte
		if len(data) == 0 {
			return data
		}
		i := rapid.IntRange(0, len(data)-1).Draw(t, "at")
		out := append([]byte(nil), data...)
		out[i] = rapid.Byte().Draw(t, "byte")
		return out
	case 1: // splice a token
		i := rapid.IntRange(0, len(data)).Draw(t, "at")
		tok := rapid.SampledFrom(yamlTokens).Draw(t, "token")
		return []byte(string(data[:i]) + tok + string(data[i:]))
	case 2: // drop a line
		i := rapid.IntRange(0, len(lines)-1).Draw(t, "line")
		return []byte(strings.Join(append(lines[:i:i], lines[i+1:]...), ""))
	case 3: // double a line
		i := rapid.IntRange(0, len(lines)-1).Draw(t, "line")
		return []byte(strings.Join(append(append(lines[:i+1:i+1], lines[i]), lines[i+1:]...), ""))
	case 4: // re-indent a line
		i := rapid.IntRange(0, len(lines)-1).Draw(t, "line")
		out := append([]string(nil), lines...)
		if rapid.Bool().Draw(t, "deeper") {
			out[i] = "  " + out[i]
		} else {
			out[i] = strings.TrimLeft(out[i], " ")
		}
		return []byte(strings.Join(out, ""))
	default: // cut the file short
		return data[:rapid.IntRange(0, len(data)).Draw(t, "len")]
	}
}

package main

import (
	"flag"
	"fmt"

	"github.com/rolloutkit/rollout/endpoint"
)

// registerSpecFlags adds the flags that say how spec files are read.
func (c *command) registerSpecFlags(fs *flag.FlagSet) {
	fs.BoolVar(&c.loader.RefuseLegacy, "refuse-legacy", false, "refuse the 2021 forms of fields (local_path, scale_settings.instance_count, docker.image, type: online, target:, ...) as today's az ml does, instead of warning")
}

// loadSpecs loads spec files with the command's loader and prints their
// warnings to standard error, each once per run however often its file
// is loaded, as FILE:LINE:COL: warning: PATH: message.
func (c *command) loadSpecs(paths []string) ([]*endpoint.Endpoint, error) {
	r, err := c.loader.Load(paths...)
	if err != nil {
		return nil, err
	}
	for _, w := range r.Warnings {
		line := w.Error()
		if c.warned[line] {
			continue
		}
		if c.warned == nil {
			c.warned = make(map[string]bool)
		}
		c.warned[line] = true
		fmt.Fprintln(c.stderr, line)
	}
	return r.Endpoints, nil
}

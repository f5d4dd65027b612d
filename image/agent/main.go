// Command kind-agent is the supervisor and readiness server of the kind-action
// node image. "kind-agent bootstrap" bakes a cluster into the image;
// "kind-agent customize" runs a bake's hooks and preloads on a baked image;
// with no argument it starts the baked cluster with fresh credentials.
package main

import (
	"fmt"
	"log"
	"os"
	"slices"
	"strings"
)

// modes maps a subcommand to what runs it. A build for a benchmark adds its
// own from another file (bench/kubeadm/agent/); the product has these three.
var modes = map[string]func(args []string) error{
	"run":       func([]string) error { return run() },
	"bootstrap": func([]string) error { return bootstrap() },
	"customize": func([]string) error { return customize() },
}

func main() {
	log.SetFlags(0)
	log.SetOutput(newPrefixWriter("agent")) // ordered with the components' lines
	if err := dispatch(os.Args[1:]); err != nil {
		log.Printf("error: %v", err)
		os.Exit(1)
	}
}

// dispatch runs the mode args name, "run" when there is none.
func dispatch(args []string) error {
	name := "run"
	if len(args) > 0 {
		name, args = args[0], args[1:]
	}
	mode, ok := modes[name]
	if !ok {
		return fmt.Errorf("unknown subcommand %q (want one of: %s)", name, strings.Join(modeNames(), ", "))
	}
	return mode(args)
}

func modeNames() []string {
	names := make([]string, 0, len(modes))
	for name := range modes {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

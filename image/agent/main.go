// Command kind-agent is the supervisor and readiness server of the kind-action
// node image. "kind-agent bootstrap" bakes a cluster into the image; with no
// argument it starts the baked cluster with fresh credentials.
package main

import (
	"fmt"
	"log"
	"os"
)

func main() {
	log.SetFlags(0)
	log.SetOutput(newPrefixWriter("agent")) // ordered with the components' lines
	mode := "run"
	if len(os.Args) > 1 {
		mode = os.Args[1]
	}
	var err error
	switch mode {
	case "run":
		err = run()
	case "bootstrap":
		err = bootstrap()
	case "kubeadm":
		err = kubeadmMode(os.Args[2:])
	default:
		err = fmt.Errorf("unknown subcommand %q (want bootstrap or none)", mode)
	}
	if err != nil {
		log.Printf("error: %v", err)
		os.Exit(1)
	}
}

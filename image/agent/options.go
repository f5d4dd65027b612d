package main

import (
	"encoding/json"
	"fmt"
	"log"
	"os"
	"sort"
	"strings"
)

// optionsEnv holds the cluster options `up` gives the node at start, as JSON:
// {"featureGates":{"Name":true}, "runtimeConfig":{"api/alpha":true},
// "args":{"kube-apiserver":["--v=2"]}}. The CLI and the Action check them
// before anything starts; absent, the components run as baked.
const optionsEnv = "KIND_CLUSTER_OPTIONS"

type clusterOptions struct {
	FeatureGates  map[string]bool     `json:"featureGates"`
	RuntimeConfig map[string]bool     `json:"runtimeConfig"`
	Args          map[string][]string `json:"args"`
}

// gatedByFlag are the components that take --feature-gates on their command
// line; kube-proxy, which reads only logging flags next to --config, takes
// them in its configuration file (amendConfigs).
var gatedByFlag = map[string]bool{
	"kube-apiserver": true, "kube-controller-manager": true, "kube-scheduler": true, "kubelet": true,
}

func optionsFromEnv() (clusterOptions, error) {
	var o clusterOptions
	raw := os.Getenv(optionsEnv)
	if raw == "" {
		return o, nil
	}
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&o); err != nil {
		return o, fmt.Errorf("%s: %w", optionsEnv, err)
	}
	return o, nil
}

// userArgs are the arguments the options add to one component.
func (o clusterOptions) userArgs(name string) []string {
	var args []string
	if len(o.FeatureGates) > 0 && gatedByFlag[name] {
		args = append(args, "--feature-gates="+joinSwitches(o.FeatureGates))
	}
	if len(o.RuntimeConfig) > 0 && name == "kube-apiserver" {
		args = append(args, "--runtime-config="+joinSwitches(o.RuntimeConfig))
	}
	return append(args, o.Args[name]...)
}

// apply gives a component its command line under the options.
func (o clusterOptions) apply(c component) component {
	user := o.userArgs(c.name)
	if len(user) == 0 {
		return c
	}
	c.args = mergeArgs(c.args, user)
	log.Printf("%s: with %s", c.name, strings.Join(user, " "))
	return c
}

// amendConfigs adds what the options change to the configuration files
// writeConfigs wrote: kube-proxy's feature gates.
func (o clusterOptions) amendConfigs() error {
	if len(o.FeatureGates) == 0 {
		return nil
	}
	f, err := os.OpenFile(kubeProxyConfigPath, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(featureGatesYAML(o.FeatureGates))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func featureGatesYAML(gates map[string]bool) string {
	var b strings.Builder
	b.WriteString("featureGates:\n")
	for _, name := range sortedKeys(gates) {
		fmt.Fprintf(&b, "  %s: %t\n", name, gates[name])
	}
	return b.String()
}

// joinSwitches is a flag value of the form a=true,b=false, sorted.
func joinSwitches(m map[string]bool) string {
	parts := make([]string, 0, len(m))
	for _, k := range sortedKeys(m) {
		parts = append(parts, fmt.Sprintf("%s=%t", k, m[k]))
	}
	return strings.Join(parts, ",")
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// mergeArgs is the one rule for a component's command line under the user's
// arguments (the CLI merges its config file under its flags the same way):
// every flag the user names is removed from the defaults, with its value
// when the default gives it as the next argument (`--name value`), and the
// user's arguments follow, all of them in order (some flags repeat). The
// defaults write boolean flags as --name=value, so an argument after a flag
// that does not start with "-" is that flag's value.
func mergeArgs(defaults, user []string) []string {
	named := map[string]bool{}
	for _, arg := range user {
		if name, ok := argFlag(arg); ok {
			named[name] = true
		}
	}
	out := make([]string, 0, len(defaults)+len(user))
	for i := 0; i < len(defaults); i++ {
		arg := defaults[i]
		name, ok := argFlag(arg)
		if ok && named[name] {
			if !strings.Contains(arg, "=") && i+1 < len(defaults) && !strings.HasPrefix(defaults[i+1], "-") {
				i++ // its value
			}
			continue
		}
		out = append(out, arg)
	}
	return append(out, user...)
}

// argFlag is the flag a --name or --name=value argument sets.
func argFlag(arg string) (string, bool) {
	if !strings.HasPrefix(arg, "--") {
		return "", false
	}
	name, _, _ := strings.Cut(arg[2:], "=")
	return name, name != ""
}

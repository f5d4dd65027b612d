// Command coredns is CoreDNS as upstream builds it, less the plugins that
// only talk to a cloud or tracing service. Their SDKs were a quarter of the
// binary, which every pull, cache save and load of the node image carries,
// and 17 MB of the DNS pod's memory.
//
// The build (build-source.sh, build_coredns) puts this file beside plugins.go:
// upstream's core/plugin/zplugin.go of the same release, in package main,
// without the imports of the plugins in COREDNS_OMITTED_PLUGINS
// (versions.sh). main is upstream's coredns.go.
package main

import (
	"strings"

	"github.com/coredns/caddy"
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"
)

// init keeps, in upstream's order, only the directives whose plugins are
// compiled in: a Corefile that names an omitted one then fails to load with
// "unknown directive", as it does for a misspelt one, instead of failing on a
// directive that has no setup.
func init() {
	registered := map[string]bool{}
	for _, name := range caddy.ListPlugins()["others"] {
		if plugin, ok := strings.CutPrefix(name, "dns."); ok {
			registered[plugin] = true
		}
	}
	kept := make([]string, 0, len(dnsserver.Directives))
	for _, d := range dnsserver.Directives {
		if registered[d] {
			kept = append(kept, d)
		}
	}
	dnsserver.Directives = kept
}

func main() {
	coremain.Run()
}

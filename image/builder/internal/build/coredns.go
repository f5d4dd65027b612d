package build

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// CoreDNSOmitted are the CoreDNS plugins left out of the build: each serves
// records from, or reports to, an outside service (cloud DNS zones, an etcd
// or Nomad backend, a tracing collector), and their SDKs were a quarter of
// the binary. A Corefile that names one fails with "unknown directive".
var CoreDNSOmitted = []string{"azure", "clouddns", "route53", "etcd", "nomad", "trace"}

const corednsPluginPrefix = `"github.com/coredns/coredns/plugin/`

// CoreDNSPlugins turns upstream's list of plugin imports (core/plugin/
// zplugin.go) into a file of package main without the omitted plugins (a
// release need not have each: 1.12 has no nomad).
func CoreDNSPlugins(zplugin []byte, omitted []string) ([]byte, error) {
	drop := map[string]bool{}
	for _, p := range omitted {
		drop[corednsPluginPrefix+p+`"`] = true
	}
	var out bytes.Buffer
	renamed := false
	sc := bufio.NewScanner(bytes.NewReader(zplugin))
	for sc.Scan() {
		line := sc.Text()
		if line == "package plugin" {
			line, renamed = "package main", true
		}
		if i := strings.Index(line, corednsPluginPrefix); i >= 0 && drop[line[i:]] {
			continue
		}
		out.WriteString(line + "\n")
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if !renamed {
		return nil, fmt.Errorf("zplugin.go has no 'package plugin' line")
	}
	return out.Bytes(), nil
}

// CoreDNSFlavour is what, besides its version, decides the CoreDNS build (our
// main.go and the omitted plugins), as a short hash. It is part of the
// version the cache and versions.txt use (1.13.1+<hash>), so changing either
// rebuilds CoreDNS alone.
func CoreDNSFlavour(mainGo []byte, omitted []string) string {
	h := sha256.New()
	for _, p := range omitted {
		h.Write([]byte(p + "\n"))
	}
	h.Write(mainGo)
	return hex.EncodeToString(h.Sum(nil))[:10]
}

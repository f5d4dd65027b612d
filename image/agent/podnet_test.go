package main

import (
	"net"
	"strings"
	"testing"
)

func cidrs(t *testing.T, s ...string) []*net.IPNet {
	t.Helper()
	var out []*net.IPNet
	for _, c := range s {
		ip, n, err := net.ParseCIDR(c)
		if err != nil {
			t.Fatal(err)
		}
		n.IP = ip
		out = append(out, n)
	}
	return out
}

func TestChoosePodNetwork(t *testing.T) {
	cases := []struct {
		name          string
		taken         []string
		cluster, node string
		fails         bool
	}{
		{"a Docker network: the usual one", []string{"172.18.0.3/16", "172.18.0.1/32"}, podCIDR, nodePodCIDR, false},
		{"nothing known", nil, podCIDR, nodePodCIDR, false},
		{"a pod of a cluster on the same network", []string{"10.244.0.7/24", "10.244.0.1/32"},
			"10.245.0.0/16", "10.245.0.0/24", false},
		{"a pod whose network holds the usual one", []string{"10.0.0.0/8"}, podCIDR, nodePodCIDR, true},
		{"two in use", []string{"10.244.3.9/24", "10.245.0.0/16"}, "10.246.0.0/16", "10.246.0.0/24", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cluster, node, err := choosePodNetwork(cidrs(t, c.taken...))
			if cluster != c.cluster || node != c.node || (err != nil) != c.fails {
				t.Errorf("= %s %s %v; want %s %s fails=%v", cluster, node, err, c.cluster, c.node, c.fails)
			}
		})
	}
}

func TestParseRoutes(t *testing.T) {
	// A pod on 10.244.0.0/24 with its gateway 10.244.0.1; the node's own bridge is left out.
	table := `Iface	Destination	Gateway 	Flags	RefCnt	Use	Metric	Mask		MTU	Window	IRTT
eth0	00000000	0100F40A	0003	0	0	0	00000000	0	0	0
eth0	0000F40A	00000000	0001	0	0	0	00FFFFFF	0	0	0
cni0	0000F50A	00000000	0001	0	0	0	00FFFFFF	0	0	0
`
	var got []string
	for _, n := range parseRoutes(strings.NewReader(table)) {
		got = append(got, n.String())
	}
	want := "10.244.0.1/32 10.244.0.0/24"
	if strings.Join(got, " ") != want {
		t.Errorf("parseRoutes = %v, want %s", got, want)
	}
}

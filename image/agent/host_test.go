package main

import (
	"strings"
	"testing"
)

func TestPodResolvConf(t *testing.T) {
	cases := []struct {
		name, container, gateway, want string
	}{
		{"outside nameservers are kept with the rest",
			"search corp.example\nnameserver 10.0.0.2\noptions ndots:2\n", "172.17.0.1",
			"search corp.example\nnameserver 10.0.0.2\noptions ndots:2\n"},
		{"loopback nameservers go, IPv4 and IPv6",
			"nameserver 127.0.0.11\nnameserver ::1\nnameserver 192.168.1.1\n", "172.17.0.1",
			"nameserver 192.168.1.1\n"},
		{"with none left, the gateway answers",
			"nameserver 127.0.0.53\noptions edns0\n", "172.17.0.1",
			"options edns0\nnameserver 172.17.0.1\n"},
		{"an unparsable nameserver goes too",
			"nameserver dns.example\n", "10.1.0.1",
			"nameserver 10.1.0.1\n"},
		{"one in the node's Service network goes (a pod of a cluster using the same one)",
			"search default.svc.cluster.local svc.cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n", "10.244.0.1",
			"search default.svc.cluster.local svc.cluster.local\noptions ndots:5\nnameserver 10.244.0.1\n"},
		{"no resolv.conf: the gateway only", "", "172.18.0.1", "nameserver 172.18.0.1\n"},
		{"no resolv.conf and no gateway", "", "", "\n"},
		{"a file without a final newline", "nameserver 8.8.8.8", "172.17.0.1", "nameserver 8.8.8.8\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			asked := false
			got := podResolvConf(c.container, func() string { asked = true; return c.gateway })
			if got != c.want {
				t.Errorf("podResolvConf =\n%q\nwant\n%q", got, c.want)
			}
			if usedGateway := strings.Contains(got, "nameserver "+c.gateway+"\n") && c.gateway != ""; usedGateway && !asked {
				t.Error("the gateway is in the result without being asked for")
			}
		})
	}
}

func TestPodResolvConfAsksForTheGatewayOnlyWhenNeeded(t *testing.T) {
	podResolvConf("nameserver 10.0.0.2\n", func() string {
		t.Error("the gateway was looked up though a nameserver was left")
		return ""
	})
}

func TestParseDefaultGateway(t *testing.T) {
	const header = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
	cases := []struct {
		name, table, want string
	}{
		{"the default route's gateway, little-endian hex",
			header +
				"eth0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n" +
				"eth0\t00000000\t010011AC\t0003\t0\t0\t0\t00000000\t0\t0\t0\n",
			"172.17.0.1"},
		{"another address", header + "eth0\t00000000\t0101A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n", "192.168.1.1"},
		{"a default route without a gateway is skipped", header + "wg0\t00000000\t00000000\t0001\t0\t0\t0\t00000000\t0\t0\t0\n", ""},
		{"no default route", header + "eth0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n", ""},
		{"an unreadable gateway", header + "eth0\t00000000\tzz\t0003\t0\t0\t0\t00000000\t0\t0\t0\n", ""},
		{"empty", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := parseDefaultGateway(strings.NewReader(c.table)); got != c.want {
				t.Errorf("parseDefaultGateway = %q, want %q", got, c.want)
			}
		})
	}
}

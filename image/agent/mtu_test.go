package main

import (
	"net"
	"strings"
	"testing"
)

func TestChooseMTU(t *testing.T) {
	up := net.FlagUp
	ifaces := []net.Interface{
		{Name: "lo", MTU: 65536, Flags: up | net.FlagLoopback},
		{Name: "eth0", MTU: 1450, Flags: up},
		{Name: "eth1", MTU: 9000, Flags: up},
		{Name: "eth2", MTU: 1280, Flags: 0}, // down
		{Name: "cni0", MTU: 1000, Flags: up},
		{Name: "docker0", MTU: 1000, Flags: up},
		{Name: "veth1234", MTU: 1000, Flags: up},
		{Name: "br-5f2a", MTU: 1000, Flags: up},
	}
	cases := []struct {
		name    string
		setting string
		ifaces  []net.Interface
		want    int
		warning string // part of the error, "" for none
	}{
		{"the smallest MTU of the up, outside interfaces", "", ifaces, 1450, ""},
		{"KIND_MTU wins", "1400", ifaces, 1400, ""},
		{"KIND_MTU with spaces", " 9000\n", ifaces, 9000, ""},
		{"KIND_MTU at the lower bound", "576", ifaces, 576, ""},
		{"KIND_MTU at the upper bound", "65535", ifaces, 65535, ""},
		{"KIND_MTU below the bound is reported and detected", "575", ifaces, 1450, `KIND_MTU="575"`},
		{"KIND_MTU above the bound", "65536", ifaces, 1450, `KIND_MTU="65536"`},
		{"KIND_MTU not a number", "jumbo", ifaces, 1450, `KIND_MTU="jumbo"`},
		{"no interface but loopback", "", ifaces[:1], defaultMTU, ""},
		{"no interface at all, bad KIND_MTU", "x", nil, defaultMTU, `KIND_MTU="x"`},
		{"only the node's own bridges", "", ifaces[4:], defaultMTU, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := chooseMTU(c.setting, c.ifaces)
			if got != c.want {
				t.Errorf("chooseMTU = %d, want %d", got, c.want)
			}
			switch {
			case c.warning == "" && err != nil:
				t.Errorf("unexpected error %v", err)
			case c.warning != "" && (err == nil || !strings.Contains(err.Error(), c.warning)):
				t.Errorf("error %v, want one containing %s", err, c.warning)
			}
		})
	}
}

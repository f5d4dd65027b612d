package main

import (
	"fmt"
	"log"
	"net"
	"os"
	"strconv"
	"strings"
)

// defaultMTU is what Docker and the CNI bridge assume when nothing is known.
const defaultMTU = 1500

// networkMTU is the MTU pods and the node's Docker builds must not exceed:
// KIND_MTU when set, else the smallest MTU of the container's non-loopback
// interfaces (the network it was attached to, e.g. a CI runner's overlay).
func networkMTU() int {
	ifaces, err := net.Interfaces()
	if err != nil {
		log.Printf("warning: listing the network interfaces: %v", err)
	}
	mtu, err := chooseMTU(os.Getenv("KIND_MTU"), ifaces)
	if err != nil {
		log.Printf("warning: %v; detecting the MTU", err)
	}
	return mtu
}

// chooseMTU is networkMTU's choice from KIND_MTU's value and the interfaces.
// A KIND_MTU that is set but unusable is reported, and the interfaces decide.
func chooseMTU(setting string, ifaces []net.Interface) (int, error) {
	var invalid error
	if v := strings.TrimSpace(setting); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 576 && n <= 65535 {
			return n, nil
		}
		invalid = fmt.Errorf("KIND_MTU=%q is not a number from 576 to 65535", v)
	}
	mtu := 0
	for _, i := range ifaces {
		if i.Flags&net.FlagLoopback != 0 || i.Flags&net.FlagUp == 0 || isNodeBridge(i.Name) {
			continue
		}
		if mtu == 0 || i.MTU < mtu {
			mtu = i.MTU
		}
	}
	if mtu == 0 {
		return defaultMTU, invalid
	}
	return mtu, invalid
}

// isNodeBridge skips the interfaces the node itself creates (CNI and Docker bridges, veths).
func isNodeBridge(name string) bool {
	for _, prefix := range []string{"cni", "docker", "veth", "br-"} {
		if strings.HasPrefix(name, prefix) {
			return true
		}
	}
	return false
}

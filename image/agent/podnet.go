package main

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"strings"
)

// podNetworkCandidates are the pod networks a node can give its pods, in
// order of preference; each node uses its first /24. The first is the one
// every node uses unless the container itself sits in it: a node running as a
// pod of a cluster with the same pod network (our own node as the host, kind,
// kubeadm's usual choice) would otherwise route its pods onto its own uplink
// and take its gateway's address for its bridge.
var podNetworkCandidates = []string{
	podCIDR, "10.245.0.0/16", "10.246.0.0/16", "10.247.0.0/16", "10.248.0.0/16", "10.249.0.0/16",
}

// choosePodNetwork returns the first candidate that none of the taken
// networks overlaps, and that network's first /24 for this node.
func choosePodNetwork(taken []*net.IPNet) (cluster, node string, err error) {
	for _, c := range podNetworkCandidates {
		_, candidate, _ := net.ParseCIDR(c)
		clash := ""
		for _, t := range taken {
			if candidate.Contains(t.IP) || t.Contains(candidate.IP) {
				clash = t.String()
				break
			}
		}
		if clash == "" {
			first := *candidate
			first.Mask = net.CIDRMask(24, 32)
			return candidate.String(), first.String(), nil
		}
	}
	return podCIDR, nodePodCIDR, fmt.Errorf("every pod network (%s) overlaps the container's networks %v",
		strings.Join(podNetworkCandidates, ", "), taken)
}

// podNetwork picks the pod network from the container's own addresses and routes.
func podNetwork() (cluster, node string) {
	taken := containerNetworks()
	cluster, node, err := choosePodNetwork(taken)
	if err != nil {
		log.Printf("warning: %v; pods use %s and may not reach that network", err, cluster)
	} else if cluster != podCIDR {
		log.Printf("pod network %s: %s overlaps the network this container is attached to (%v)", cluster, podCIDR, taken)
	}
	return cluster, node
}

// containerNetworks lists the IPv4 networks of the container's interfaces and
// routes, leaving out loopback, the default route and what the node made.
func containerNetworks() []*net.IPNet {
	var nets []*net.IPNet
	ifaces, _ := net.Interfaces()
	for _, i := range ifaces {
		if i.Flags&net.FlagLoopback != 0 || isNodeBridge(i.Name) {
			continue
		}
		addrs, _ := i.Addrs()
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil {
				nets = append(nets, n)
			}
		}
	}
	if f, err := os.Open("/proc/net/route"); err == nil {
		defer f.Close()
		nets = append(nets, parseRoutes(f)...)
	}
	return nets
}

// parseRoutes reads the kernel's IPv4 route table (/proc/net/route): every
// route's destination network but the default one, and the default route's
// gateway as a /32; routes through the node's own bridges are left out.
func parseRoutes(table io.Reader) []*net.IPNet {
	var nets []*net.IPNet
	scanner := bufio.NewScanner(table)
	for scanner.Scan() {
		f := strings.Fields(scanner.Text())
		if len(f) < 8 || f[0] == "Iface" || isNodeBridge(f[0]) {
			continue
		}
		dst, gw, mask := hexIPv4(f[1]), hexIPv4(f[2]), hexIPv4(f[7])
		if dst == nil || gw == nil || mask == nil {
			continue
		}
		if !dst.Equal(net.IPv4zero) {
			nets = append(nets, &net.IPNet{IP: dst, Mask: net.IPMask(mask.To4())})
		}
		if !gw.Equal(net.IPv4zero) {
			nets = append(nets, &net.IPNet{IP: gw, Mask: net.CIDRMask(32, 32)})
		}
	}
	return nets
}

// hexIPv4 decodes /proc/net/route's little-endian hexadecimal address.
func hexIPv4(s string) net.IP {
	var v uint32
	if _, err := fmt.Sscanf(s, "%x", &v); err != nil || len(s) != 8 {
		return nil
	}
	ip := make(net.IP, 4)
	binary.LittleEndian.PutUint32(ip, v)
	return ip.To16()
}

package main

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
)

// hostInfo is what the node learned about the container it runs in.
type hostInfo struct {
	kubeletCgroupRoot  string
	dockerCgroupParent string
	cgroupV1           bool // the host mounts cgroup v1 hierarchies
	mtu                int
	podCIDR            string // the pod network (podNetwork chooses it)
	nodePodCIDR        string // this node's part of it
}

// prepareHost readies the container's namespaces for the node's components.
func prepareHost() (hostInfo, error) {
	if err := syscall.Mount("", "/", "", syscall.MS_REC|syscall.MS_SHARED, ""); err != nil {
		log.Printf("warning: making / rshared: %v", err)
	}
	if out, err := exec.Command("ip", "addr", "replace", fixedIP+"/32", "dev", "lo").CombinedOutput(); err != nil {
		return hostInfo{}, fmt.Errorf("adding %s to lo: %w: %s", fixedIP, err, strings.TrimSpace(string(out)))
	}
	for path, value := range map[string]string{
		"/proc/sys/net/ipv4/ip_forward":                 "1",
		"/proc/sys/net/bridge/bridge-nf-call-iptables":  "1",
		"/proc/sys/net/bridge/bridge-nf-call-ip6tables": "1",
	} {
		if err := os.WriteFile(path, []byte(value), 0o644); err != nil {
			log.Printf("warning: %s: %v", path, err)
		}
	}
	if err := writeKubeletResolvConf(); err != nil {
		return hostInfo{}, err
	}
	if err := keepPodDirsOnDataVolume(); err != nil {
		return hostInfo{}, err
	}
	if err := writeMachineID(); err != nil {
		return hostInfo{}, err
	}
	h, err := prepareCgroups()
	h.mtu = networkMTU()
	h.podCIDR, h.nodePodCIDR = podNetwork()
	return h, err
}

// writeKubeletResolvConf gives pods with dnsPolicy Default (CoreDNS) the
// container's resolvers minus loopback ones, which pods cannot reach, and
// minus those in the node's own Service network, which its Services hide.
func writeKubeletResolvConf() error {
	data, err := os.ReadFile("/etc/resolv.conf")
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	return writeFile(kubeletResolvConf, []byte(podResolvConf(string(data), defaultGateway)), 0o644)
}

// podResolvConf is the container's resolv.conf without loopback nameservers
// and without those in the node's Service network (a pod of a cluster that uses
// the same one: its DNS Service's address is the node's own CoreDNS, which
// would forward to itself); when none is left, the default gateway (asked only
// then) is the nameserver.
func podResolvConf(container string, gateway func() string) string {
	var kept []string
	servers := 0
	for _, line := range strings.Split(strings.TrimRight(container, "\n"), "\n") {
		if line == "" && len(kept) == 0 {
			continue // an empty file has no lines
		}
		fields := strings.Fields(line)
		if len(fields) >= 2 && fields[0] == "nameserver" {
			ip := net.ParseIP(fields[1])
			if ip == nil || ip.IsLoopback() {
				continue
			}
			if _, services, _ := net.ParseCIDR(serviceCIDR); services.Contains(ip) {
				log.Printf("warning: nameserver %s is in this node's Service network %s, where it would be the "+
					"node's own DNS; pods get another (run the node's pod with dnsPolicy: Default)", ip, serviceCIDR)
				continue
			}
			servers++
		}
		kept = append(kept, line)
	}
	if servers == 0 {
		if gw := gateway(); gw != "" {
			kept = append(kept, "nameserver "+gw)
		}
	}
	return strings.Join(kept, "\n") + "\n"
}

// keepPodDirsOnDataVolume binds the kubelet's pod directories to the data
// volume: the pods' emptyDir volumes then sit on the volume's filesystem, not on
// the container's overlay rootfs, so a pod can stack overlayfs on one (a
// Docker-in-Docker pod, or a node nested as a pod: overlay on overlay is refused).
func keepPodDirsOnDataVolume() error {
	for _, dir := range []string{kubeletPodsDir, podDirsOnVolume} {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return err
		}
	}
	if err := syscall.Mount(podDirsOnVolume, kubeletPodsDir, "", syscall.MS_BIND, ""); err != nil {
		return fmt.Errorf("binding %s to %s: %w", podDirsOnVolume, kubeletPodsDir, err)
	}
	return nil
}

// writeMachineID gives every node its own /etc/machine-id (the kubelet's
// system UUID).
func writeMachineID() error {
	id := make([]byte, 16)
	if _, err := rand.Read(id); err != nil {
		return err
	}
	return writeFile("/etc/machine-id", []byte(hex.EncodeToString(id)+"\n"), 0o444)
}

// defaultGateway reads the IPv4 default route from /proc/net/route.
func defaultGateway() string {
	f, err := os.Open("/proc/net/route")
	if err != nil {
		return ""
	}
	defer f.Close()
	return parseDefaultGateway(f)
}

// parseDefaultGateway finds the default route's gateway in the kernel's
// route table (/proc/net/route: hexadecimal, in the host's byte order, which
// is little-endian on every architecture the node is built for).
func parseDefaultGateway(table io.Reader) string {
	scanner := bufio.NewScanner(table)
	for scanner.Scan() {
		fields := strings.Fields(scanner.Text())
		if len(fields) > 2 && fields[1] == "00000000" && fields[2] != "00000000" {
			var gw uint32
			if _, err := fmt.Sscanf(fields[2], "%x", &gw); err == nil {
				return net.IPv4(byte(gw), byte(gw>>8), byte(gw>>16), byte(gw>>24)).String()
			}
		}
	}
	return ""
}

// allowPodForwarding keeps dockerd's FORWARD policy DROP from cutting pod
// traffic on the CNI bridge.
func allowPodForwarding(cidr string) {
	for _, dir := range []string{"-s", "-d"} {
		rule := []string{"FORWARD", dir, cidr, "-j", "ACCEPT"}
		if exec.Command("iptables", append([]string{"-w", "-C"}, rule...)...).Run() == nil {
			continue
		}
		if out, err := exec.Command("iptables", append([]string{"-w", "-I"}, rule...)...).CombinedOutput(); err != nil {
			log.Printf("warning: iptables -I %v: %v: %s", rule, err, out)
		}
	}
}

package main

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

const cgroupFS = "/sys/fs/cgroup"

// prepareCgroups nests the kubelet's and dockerd's cgroups under the node
// container's own cgroup, so two nodes on one host never share a hierarchy.
func prepareCgroups() (hostInfo, error) {
	if _, err := os.Stat(filepath.Join(cgroupFS, "cgroup.controllers")); err == nil {
		return prepareCgroupsV2()
	}
	if err := exposeOwnCgroupsV1(); err != nil {
		return hostInfo{}, err
	}
	own, err := ownCgroup("memory")
	if err != nil {
		return hostInfo{}, err
	}
	info := hostInfo{kubeletCgroupRoot: join(own, "kubelet"), dockerCgroupParent: join(own, "docker"), cgroupV1: true}
	log.Printf("warning: this host runs cgroup v1, which Kubernetes deprecated (kubelets from 1.35 on need failCgroupV1: false, set here); move to a cgroup v2 host")
	entries, err := os.ReadDir(cgroupFS)
	if err != nil {
		return hostInfo{}, err
	}
	for _, e := range entries {
		if e.Name() == "unified" {
			continue
		}
		for _, child := range []string{info.kubeletCgroupRoot, info.dockerCgroupParent} {
			if err := makeV1Cgroup(filepath.Join(cgroupFS, e.Name()), child); err != nil {
				return hostInfo{}, err
			}
		}
	}
	return info, nil
}

// makeV1Cgroup creates a cgroup; a new cpuset cgroup starts with no CPUs, so
// it inherits its parent's.
func makeV1Cgroup(hierarchy, path string) error {
	dir := filepath.Join(hierarchy, path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, file := range []string{"cpuset.cpus", "cpuset.mems"} {
		parent, err := os.ReadFile(filepath.Join(filepath.Dir(dir), file))
		if err != nil {
			continue // not the cpuset hierarchy
		}
		current, _ := os.ReadFile(filepath.Join(dir, file))
		if strings.TrimSpace(string(current)) == "" {
			if err := os.WriteFile(filepath.Join(dir, file), parent, 0o644); err != nil {
				return fmt.Errorf("%s: %w", filepath.Join(dir, file), err)
			}
		}
	}
	return nil
}

// prepareCgroupsV2 moves the node's own processes into a leaf cgroup so the
// controllers can be delegated to the kubelet's and dockerd's subtrees.
func prepareCgroupsV2() (hostInfo, error) {
	own, err := ownCgroup("")
	if err != nil {
		return hostInfo{}, err
	}
	base := filepath.Join(cgroupFS, own)
	procs, err := os.ReadFile(filepath.Join(base, "cgroup.procs"))
	if err != nil {
		return hostInfo{}, err
	}
	if !slices.Contains(strings.Fields(string(procs)), strconv.Itoa(os.Getpid())) {
		return hostInfo{}, fmt.Errorf("cgroup v2: %s does not hold this process; with /sys/fs/cgroup "+
			"bind-mounted from the host, run the node with --cgroupns=host (or use --privileged)", base)
	}
	leaf := filepath.Join(base, "init")
	if err := os.MkdirAll(leaf, 0o755); err != nil {
		return hostInfo{}, err
	}
	for _, pid := range strings.Fields(string(procs)) {
		_ = os.WriteFile(filepath.Join(leaf, "cgroup.procs"), []byte(pid), 0o644) // gone meanwhile: fine
	}
	controllers, err := os.ReadFile(filepath.Join(base, "cgroup.controllers"))
	if err != nil {
		return hostInfo{}, err
	}
	for _, c := range strings.Fields(string(controllers)) {
		if err := os.WriteFile(filepath.Join(base, "cgroup.subtree_control"), []byte("+"+c), 0o644); err != nil {
			log.Printf("warning: delegating cgroup controller %s: %v", c, err)
		}
	}
	info := hostInfo{kubeletCgroupRoot: join(own, "kubelet"), dockerCgroupParent: join(own, "docker")}
	for _, child := range []string{info.kubeletCgroupRoot, info.dockerCgroupParent} {
		if err := os.MkdirAll(filepath.Join(cgroupFS, child), 0o755); err != nil {
			return hostInfo{}, err
		}
	}
	return info, nil
}

// ownCgroup returns this process's cgroup path for a v1 controller, or the
// v2 path when controller is empty.
func ownCgroup(controller string) (string, error) {
	data, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			if c == controller {
				return parts[2], nil
			}
		}
	}
	return "", fmt.Errorf("no %q cgroup in /proc/self/cgroup", controller)
}

func join(parent, child string) string {
	return filepath.Join("/", parent, child)
}

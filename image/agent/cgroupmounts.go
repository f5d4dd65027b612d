package main

import (
	"bufio"
	"log"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// cgroupBind is a cgroup v1 hierarchy that shows only a subtree of itself:
// mounted at mountpoint, its root is the cgroup at root.
type cgroupBind struct {
	mountpoint, root string
}

// target is where the hierarchy is bound again so that root's path, as
// /proc/self/cgroup names it, resolves under the mount point.
func (b cgroupBind) target() string { return filepath.Join(b.mountpoint, b.root) }

// subtreeCgroupMounts finds, in /proc/self/mountinfo's text, the cgroup v1
// hierarchies under /sys/fs/cgroup whose mount shows a subtree rather than the
// whole hierarchy, and that are not bound at their own path yet. runc mounts
// them so in a container without a cgroup namespace (a privileged pod on a
// cgroup v1 node): the container's cgroup appears as the root, while
// /proc/self/cgroup names its full path.
func subtreeCgroupMounts(mountinfo string) []cgroupBind {
	var found []cgroupBind
	mounted := map[string]bool{}
	scanner := bufio.NewScanner(strings.NewReader(mountinfo))
	for scanner.Scan() {
		fields := strings.Fields(scanner.Text())
		sep := -1
		for i, f := range fields {
			if f == "-" {
				sep = i
				break
			}
		}
		if len(fields) < 5 || sep < 0 || sep+1 >= len(fields) {
			continue
		}
		mounted[fields[4]] = true
		if fields[sep+1] != "cgroup" || fields[3] == "/" || !strings.HasPrefix(fields[4], cgroupFS+"/") {
			continue
		}
		found = append(found, cgroupBind{mountpoint: fields[4], root: fields[3]})
	}
	targets := map[string]bool{}
	for _, b := range found {
		targets[b.target()] = true
	}
	var todo []cgroupBind
	for _, b := range found {
		if !mounted[b.target()] && !targets[b.mountpoint] { // not bound yet, and not a binding itself
			todo = append(todo, b)
		}
	}
	return todo
}

// exposeOwnCgroupsV1 binds each subtree-only hierarchy at its own path, so
// every cgroup path the kubelet, containerd and dockerd compute from
// /proc/self/cgroup exists where they look for it (as kind's node does).
func exposeOwnCgroupsV1() error {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return err
	}
	for _, b := range subtreeCgroupMounts(string(data)) {
		if err := os.MkdirAll(b.target(), 0o755); err != nil {
			return err
		}
		if err := syscall.Mount(b.mountpoint, b.target(), "", syscall.MS_BIND, ""); err != nil {
			return &os.PathError{Op: "bind " + b.mountpoint, Path: b.target(), Err: err}
		}
		log.Printf("cgroup v1: %s shows only this container's cgroup; bound it at %s", b.mountpoint, b.target())
	}
	return nil
}

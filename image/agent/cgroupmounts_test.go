package main

import (
	"slices"
	"testing"
)

func TestSubtreeCgroupMounts(t *testing.T) {
	const pod = "/docker/0ab/kubelet/kubepods/besteffort/pod1/c2"
	// A privileged pod on a cgroup v1 node: runc shows each hierarchy's subtree.
	inPod := `1880 1870 0:402 / / rw,relatime - overlay overlay rw,lowerdir=/l,upperdir=/u,workdir=/w
1890 1880 0:404 / /sys/fs/cgroup rw,nosuid - tmpfs tmpfs rw,mode=755
1891 1890 0:30 ` + pod + ` /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime master:12 - cgroup cgroup rw,memory
1892 1890 0:31 ` + pod + ` /sys/fs/cgroup/cpu,cpuacct rw,nosuid - cgroup cgroup rw,cpu,cpuacct
1893 1890 0:29 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw
1894 1880 0:50 / /dev/kmsg rw - devtmpfs udev rw
`
	want := []cgroupBind{
		{"/sys/fs/cgroup/memory", pod},
		{"/sys/fs/cgroup/cpu,cpuacct", pod},
	}
	if got := subtreeCgroupMounts(inPod); !slices.Equal(got, want) {
		t.Errorf("in a pod: %v, want %v", got, want)
	}
	if got := want[0].target(); got != "/sys/fs/cgroup/memory"+pod {
		t.Errorf("target %q", got)
	}

	// Bound already (a second call): nothing left to do for memory.
	bound := inPod + "1900 1891 0:30 " + pod + " /sys/fs/cgroup/memory" + pod + " rw - cgroup cgroup rw,memory\n"
	if got := subtreeCgroupMounts(bound); !slices.Equal(got, want[1:]) {
		t.Errorf("after binding memory: %v, want %v", got, want[1:])
	}

	// The Docker path's fallback binds the host's whole hierarchy: nothing to do.
	whole := `900 800 0:30 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory
901 800 0:31 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct
`
	if got := subtreeCgroupMounts(whole); len(got) != 0 {
		t.Errorf("whole hierarchies: %v, want none", got)
	}
	// A cgroup v1 mount elsewhere is not the node's concern.
	elsewhere := "5 1 0:30 /x /mnt/memory rw - cgroup cgroup rw,memory\n"
	if got := subtreeCgroupMounts(elsewhere); len(got) != 0 {
		t.Errorf("outside /sys/fs/cgroup: %v, want none", got)
	}
}

package main

import (
	"bufio"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

// The image store lives on the /var/lib/docker volume, which docker commit
// does not keep. Bake time saves it as a tar in the rootfs (a tar, because the
// outer overlay filesystem would eat the whiteout files and xattrs of the
// unpacked layers); start time unpacks it into the empty volume.
//
// The tar is zstd-compressed (80 MB -> 35 MB): a runner that restores the node
// image from a cache spends about 12 ms of docker load per MB, while
// decompressing adds about 50 ms to the unpack, which runs long before the
// API server is up.
var storeSeedTar = filepath.Join(storeSeedDir, "containerd.tar.zst")

// seedTarFlags are GNU tar's flags for the seed, creating or extracting.
var seedTarFlags = []string{"--zstd", "--xattrs", "--xattrs-include=*"}

// seedStore fills an empty volume from the baked seed.
func seedStore() error {
	if _, err := os.Stat(containerdDir); err == nil {
		return nil // a restarted node keeps its volume
	}
	if _, err := os.Stat(storeSeedTar); err != nil {
		return nil // nothing baked yet
	}
	began := time.Now()
	tmp := containerdDir + ".seeding"
	if err := os.MkdirAll(tmp, 0o711); err != nil {
		return err
	}
	if err := command("tar", append(seedTarFlags, "-C", tmp, "-xf", storeSeedTar)...); err != nil {
		return err
	}
	if err := os.Rename(tmp, containerdDir); err != nil {
		return err
	}
	log.Printf("image store seeded in %s", time.Since(began).Round(time.Millisecond))
	return nil
}

// sealStore leaves what the image is to keep of the stopped node: runtime
// state removed, then containerd's root saved as the seed.
func sealStore() error {
	if err := clearRuntimeState(); err != nil {
		return err
	}
	if err := saveStore(); err != nil {
		return fmt.Errorf("saving the image store: %w", err)
	}
	return nil
}

// saveStore writes the seed from the stopped containerd's root.
func saveStore() error {
	if err := os.MkdirAll(storeSeedDir, 0o755); err != nil {
		return err
	}
	return command("tar", append(seedTarFlags, "-C", containerdDir, "-cf", storeSeedTar, ".")...)
}

// removeWorkloads deletes every container and pod sandbox from containerd and
// dockerd, so the baked store holds images only.
func removeWorkloads() {
	if ids := lines(output("docker", "ps", "-aq")); len(ids) > 0 {
		logErr(command("docker", append([]string{"rm", "-f"}, ids...)...))
	}
	logErr(command("docker", "builder", "prune", "-af"))
	sweepImageIDNames() // the seed holds none of the CRI's image ID names
	for _, id := range lines(output("ctr", "-n", "k8s.io", "tasks", "ls", "-q")) {
		// the CRI plugin may delete an exited task itself: errors are expected
		_ = command("ctr", "-n", "k8s.io", "tasks", "kill", "-s", "SIGKILL", id)
		_ = command("ctr", "-n", "k8s.io", "tasks", "rm", "-f", id)
	}
	for _, id := range lines(output("ctr", "-n", "k8s.io", "containers", "ls", "-q")) {
		logErr(command("ctr", "-n", "k8s.io", "containers", "rm", id))
	}
}

// clearRuntimeState removes what only made sense while the bake ran: mounts,
// pod directories, IP allocations, sockets, CRI bookkeeping.
func clearRuntimeState() error {
	unmountUnder("/var/lib/kubelet", "/run/containerd", "/run/netns", "/var/run/netns", containerdDir, dockerDataDir)
	for _, pattern := range []string{
		"/var/lib/kubelet/pods/*", "/var/lib/kubelet/plugins*", "/var/lib/kubelet/*_state",
		"/var/lib/cni/*", "/var/log/pods/*", "/var/log/containers/*",
		"/run/containerd", "/run/docker*", "/var/run/docker*", "/run/netns",
		filepath.Join(containerdDir, "io.containerd.grpc.v1.cri", "sandboxes"),
		filepath.Join(containerdDir, "io.containerd.grpc.v1.cri", "containers"),
		"/root/.docker",
		pkiDir, // the bake's CA; every start makes a new one
	} {
		matches, _ := filepath.Glob(pattern)
		for _, m := range matches {
			if err := os.RemoveAll(m); err != nil {
				return err
			}
		}
	}
	return nil
}

// unmountUnder lazily unmounts every mount point below the given paths,
// deepest first.
func unmountUnder(roots ...string) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return
	}
	defer f.Close()
	var points []string
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		fields := strings.Fields(scanner.Text())
		if len(fields) < 5 {
			continue
		}
		for _, root := range roots {
			if fields[4] == root || strings.HasPrefix(fields[4], root+"/") {
				points = append(points, fields[4])
			}
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(points)))
	for _, p := range points {
		if p == containerdDir || p == dockerDataDir {
			continue
		}
		if err := syscall.Unmount(p, syscall.MNT_DETACH); err != nil {
			log.Printf("warning: unmount %s: %v", p, err)
		}
	}
}

func command(name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Env = baseEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, firstLine(out))
	}
	return nil
}

func output(name string, args ...string) string {
	cmd := exec.Command(name, args...)
	cmd.Env = baseEnv()
	out, err := cmd.Output()
	if err != nil {
		log.Printf("warning: %s %s: %v", name, strings.Join(args, " "), err)
	}
	return string(out)
}

func lines(s string) []string { return strings.Fields(s) }

func logErr(err error) {
	if err != nil {
		log.Printf("warning: %v", err)
	}
}

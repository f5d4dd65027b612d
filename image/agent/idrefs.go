package main

import (
	"bufio"
	"encoding/json"
	"log"
	"os/exec"
	"regexp"
	"strings"
	"time"
)

// The CRI plugin gives every image in its namespace a second name, the digest
// of its configuration ("sha256:<64 hex>"). dockerd shares that namespace
// (one image store for `docker build` and the kubelet) and lists each such
// name as an image of its own, so `docker images` showed every user image
// again as "sha256 <hex>" rows. The kubelet does not need those names: the
// CRI keeps images by ID in memory and labels the named reference as its own,
// so it never makes the ID name again for that image. The agent removes them
// as they appear.

var imageIDName = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// imageIDNameCreated returns the name a `ctr events` line reports created or
// updated when it is an image ID name. A line reads
// "<date> <time> <zone> <zone> <namespace> /images/create {"name":"…",…}".
func imageIDNameCreated(line string) (string, bool) {
	fields := strings.Fields(line)
	for i, f := range fields {
		if f != "/images/create" && f != "/images/update" {
			continue
		}
		var event struct {
			Name string `json:"name"`
		}
		if err := json.Unmarshal([]byte(strings.Join(fields[i+1:], " ")), &event); err != nil {
			return "", false
		}
		return event.Name, imageIDName.MatchString(event.Name)
	}
	return "", false
}

// imageIDNames picks the image ID names out of `ctr images ls -q` output.
func imageIDNames(list string) []string {
	var names []string
	for _, name := range strings.Fields(list) {
		if imageIDName.MatchString(name) {
			names = append(names, name)
		}
	}
	return names
}

// removeImageIDNames deletes the given image names (never the images another
// name still holds).
func removeImageIDNames(names ...string) {
	if len(names) == 0 {
		return
	}
	cmd := exec.Command("ctr", append([]string{"-n", "k8s.io", "images", "rm"}, names...)...)
	cmd.Env = baseEnv()
	if out, err := cmd.Output(); err != nil {
		log.Printf("warning: removing image ID names: %v: %s", err, firstLine(out))
	}
}

// sweepImageIDNames removes every image ID name there is now.
func sweepImageIDNames() {
	cmd := exec.Command("ctr", "-n", "k8s.io", "images", "ls", "-q")
	cmd.Env = baseEnv()
	out, err := cmd.Output()
	if err != nil {
		log.Printf("warning: listing images: %v", err)
		return
	}
	removeImageIDNames(imageIDNames(string(out))...)
}

// watchImageIDNames follows containerd's events for as long as the agent
// runs and removes each image ID name once it is made. Started once
// containerd answers; a lost event stream is followed again after a second.
func watchImageIDNames() {
	for {
		cmd := exec.Command("ctr", "-n", "k8s.io", "events")
		cmd.Env = baseEnv()
		out, err := cmd.StdoutPipe()
		if err == nil {
			err = cmd.Start()
		}
		if err != nil {
			log.Printf("warning: following containerd's events: %v", err)
			time.Sleep(time.Second)
			continue
		}
		sweepImageIDNames() // what was made before the stream began
		scanner := bufio.NewScanner(out)
		scanner.Buffer(make([]byte, 64*1024), 1024*1024)
		for scanner.Scan() {
			if name, ok := imageIDNameCreated(scanner.Text()); ok {
				removeImageIDNames(name)
			}
		}
		_ = cmd.Wait()
		time.Sleep(time.Second)
	}
}

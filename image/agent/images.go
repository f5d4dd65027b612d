package main

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// buildSystemImages builds the pause and CoreDNS images from static binaries
// with the node's own dockerd, which stores them where the CRI finds them.
// pause is in /kind/bin; CoreDNS is copied in for the bake only and deleted
// once its image is built, so the committed image holds it in the image
// store alone. It returns the CoreDNS image reference.
func buildSystemImages() (string, error) {
	version, err := corednsVersion()
	if err != nil {
		return "", err
	}
	corednsImage := corednsImageNS + ":v" + version
	for ref, binary := range map[string]string{pauseImage(): bin("pause"), corednsImage: bakeCoreDNS} {
		if err := buildScratchImage(ref, binary); err != nil {
			return "", err
		}
	}
	if err := os.RemoveAll(filepath.Dir(bakeCoreDNS)); err != nil {
		return "", err
	}
	return corednsImage, nil
}

var corednsVersionPattern = regexp.MustCompile(`CoreDNS-([0-9]+\.[0-9]+\.[0-9]+)`)

func corednsVersion() (string, error) {
	if _, err := os.Stat(bakeCoreDNS); err != nil {
		return "", fmt.Errorf("the CoreDNS binary was not copied to %s: %w", bakeCoreDNS, err)
	}
	return parseCorednsVersion(output(bakeCoreDNS, "-version"))
}

// parseCorednsVersion reads X.Y.Z from `coredns -version`'s output.
func parseCorednsVersion(out string) (string, error) {
	m := corednsVersionPattern.FindStringSubmatch(out)
	if m == nil {
		return "", fmt.Errorf("cannot read the CoreDNS version from %q", strings.TrimSpace(out))
	}
	return m[1], nil
}

// buildScratchImage builds ref as a single static binary on an empty base.
func buildScratchImage(ref, path string) error {
	binary := filepath.Base(path)
	dir, err := os.MkdirTemp("", "image-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, binary), data, 0o755); err != nil {
		return err
	}
	dockerfile := fmt.Sprintf("FROM scratch\nCOPY %s /%s\nENTRYPOINT [\"/%s\"]\n", binary, binary, binary)
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		return err
	}
	log.Printf("building image %s", ref)
	return command("docker", "build", "--quiet", "--tag", ref, dir)
}

// pullPreloads pulls the user's preload images into the shared store.
func pullPreloads(refs []string) error {
	for _, ref := range refs {
		log.Printf("pulling preload image %s", ref)
		if err := command("docker", "pull", "--quiet", ref); err != nil {
			return err
		}
	}
	return nil
}

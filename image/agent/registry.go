package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// registryLogin is one docker login; the password goes through stdin only.
type registryLogin struct {
	server, user, password string
}

// loginFromEnv reads REGISTRY, REGISTRY_USER and REGISTRY_PASSWORD.
func loginFromEnv() (registryLogin, bool) {
	l := registryLogin{os.Getenv("REGISTRY"), os.Getenv("REGISTRY_USER"), os.Getenv("REGISTRY_PASSWORD")}
	return l, l.user != "" && l.password != ""
}

// loginFromSecret reads the bake-time secret file: KEY=VALUE lines with the
// same three keys as the environment.
func loginFromSecret(path string) (registryLogin, bool, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return registryLogin{}, false, nil
	}
	if err != nil {
		return registryLogin{}, false, err
	}
	defer f.Close()
	values := map[string]string{}
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		if key, value, ok := strings.Cut(strings.TrimSpace(scanner.Text()), "="); ok {
			values[key] = value
		}
	}
	l := registryLogin{values["REGISTRY"], values["REGISTRY_USER"], values["REGISTRY_PASSWORD"]}
	if l.user == "" || l.password == "" {
		return registryLogin{}, false, fmt.Errorf("%s: REGISTRY_USER and REGISTRY_PASSWORD are required", path)
	}
	return l, true, nil
}

func (l registryLogin) login() error {
	args := []string{"login", "--username", l.user, "--password-stdin"}
	if l.server != "" {
		args = append(args, l.server)
	}
	cmd := exec.Command("docker", args...)
	cmd.Env = baseEnv()
	cmd.Stdin = strings.NewReader(l.password)
	if out, err := cmd.CombinedOutput(); err != nil {
		// docker's answer names the registry and the reason, never the password
		return fmt.Errorf("docker login %s as %s: %w: %s", l.server, l.user, err, firstLine(out))
	}
	return nil
}

// logout forgets the credentials so no bake leaves them in the image.
func (l registryLogin) logout() {
	args := []string{"logout"}
	if l.server != "" {
		args = append(args, l.server)
	}
	_ = exec.Command("docker", args...).Run()
	_ = os.RemoveAll("/root/.docker/config.json")
}

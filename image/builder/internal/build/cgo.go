package build

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// cgoArch is what a cgo build for an architecture needs from Debian.
type cgoArch struct {
	triple  string // GNU triplet
	gccPkg  string // the cross compiler's package
	libcPkg string // the cross C library's package
}

var cgoArches = map[string]cgoArch{
	"amd64": {"x86_64-linux-gnu", "gcc-x86-64-linux-gnu", "libc6-dev-amd64-cross"},
	"arm64": {"aarch64-linux-gnu", "gcc-aarch64-linux-gnu", "libc6-dev-arm64-cross"},
}

// Toolchain is the C toolchain of a cgo build for the target.
type Toolchain struct {
	CC            string
	PkgConfigPath string
}

// Env is the go command's environment for the toolchain.
func (t Toolchain) Env() []string {
	return []string{"CC=" + t.CC, "PKG_CONFIG_LIBDIR=" + t.PkgConfigPath}
}

// MissingError names the Debian packages that would provide what is missing.
type MissingError struct {
	Arch     string
	What     []string
	Packages []string
}

func (e *MissingError) Error() string {
	return fmt.Sprintf("runc for %s needs cgo and a static libseccomp; missing: %s. Install: %s",
		e.Arch, strings.Join(e.What, ", "), installLine(e.Arch, e.Packages))
}

func installLine(arch string, pkgs []string) string {
	line := "apt-get install " + strings.Join(pkgs, " ")
	for _, p := range pkgs {
		if strings.HasSuffix(p, ":"+arch) && arch != hostArch() {
			return "dpkg --add-architecture " + arch + " && apt-get update && " + line
		}
	}
	return line
}

// CgoToolchain finds the C compiler, static C library and static libseccomp
// for target on a host of hostArch, or says which packages are missing.
func CgoToolchain(target, host string, exists func(string) bool, look func(string) bool) (Toolchain, error) {
	a, ok := cgoArches[target]
	if !ok {
		return Toolchain{}, fmt.Errorf("no cgo toolchain known for %s", target)
	}
	t := Toolchain{CC: "gcc", PkgConfigPath: "/usr/lib/" + a.triple + "/pkgconfig:/usr/share/pkgconfig"}
	libc := "/usr/lib/" + a.triple + "/libc.a"
	gccPkg, libcPkg := "gcc", "libc6-dev"
	if target != host {
		t.CC = a.triple + "-gcc"
		libc = "/usr/" + a.triple + "/lib/libc.a"
		gccPkg, libcPkg = a.gccPkg, a.libcPkg
	}
	m := &MissingError{Arch: target}
	if !look(t.CC) {
		m.What, m.Packages = append(m.What, "the C compiler "+t.CC), append(m.Packages, gccPkg)
	}
	if !exists(libc) {
		m.What, m.Packages = append(m.What, "the static C library "+libc), append(m.Packages, libcPkg)
	}
	if !look("pkg-config") {
		m.What, m.Packages = append(m.What, "pkg-config"), append(m.Packages, "pkg-config")
	}
	seccomp := []string{"/usr/lib/" + a.triple + "/libseccomp.a", "/usr/lib/" + a.triple + "/pkgconfig/libseccomp.pc"}
	for _, f := range seccomp {
		if !exists(f) {
			m.What, m.Packages = append(m.What, f), append(m.Packages, "libseccomp-dev:"+target)
			break
		}
	}
	if len(m.What) > 0 {
		return Toolchain{}, m
	}
	return t, nil
}

func hostArch() string { return runtime.GOARCH }

func statFile(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}

func lookPath(name string) bool {
	if filepath.IsAbs(name) {
		return statFile(name)
	}
	_, err := exec.LookPath(name)
	return err == nil
}

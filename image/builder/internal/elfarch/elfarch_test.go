package elfarch

import (
	"debug/elf"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var (
	buildOnce sync.Once
	built     map[string]string
	buildErr  error
)

// programs compiles one tiny Go program per architecture (real ELF files).
func programs(t *testing.T) map[string]string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "elfarch-")
		if err != nil {
			buildErr = err
			return
		}
		src := filepath.Join(dir, "src")
		if err := os.MkdirAll(src, 0o755); err != nil {
			buildErr = err
			return
		}
		os.WriteFile(filepath.Join(src, "go.mod"), []byte("module tiny\n\ngo 1.26\n"), 0o644)
		os.WriteFile(filepath.Join(src, "main.go"), []byte("package main\n\nfunc main() { println(\"hi\") }\n"), 0o644)
		built = map[string]string{}
		for arch := range Machines {
			out := filepath.Join(dir, "tiny-"+arch)
			cmd := exec.Command("go", "build", "-o", out, ".")
			cmd.Dir = src
			cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+arch, "CGO_ENABLED=0", "GOFLAGS=", "GOTOOLCHAIN=local")
			if msg, err := cmd.CombinedOutput(); err != nil {
				buildErr = errors.New(string(msg))
				return
			}
			built[arch] = out
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return built
}

func place(t *testing.T, dir, name, from string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o755); err != nil {
		t.Fatal(err)
	}
}

func TestCheck(t *testing.T) {
	bins := programs(t)
	for _, c := range []struct {
		name      string
		files     map[string]string // path in dir -> architecture of the program placed there
		arch      string
		wantCount int
		wantBad   map[string]string // path -> its architecture
	}{
		{"all amd64", map[string]string{"bin/a": "amd64", "cni/b": "amd64"}, "amd64", 2, nil},
		{"all arm64", map[string]string{"bin/a": "arm64", "runtime/c": "arm64"}, "arm64", 2, nil},
		{"all amd64, wanted arm64", map[string]string{"bin/a": "amd64", "cni/b": "amd64"}, "arm64", 2,
			map[string]string{"bin/a": "amd64", "cni/b": "amd64"}},
		{"mixed", map[string]string{"bin/a": "arm64", "runtime/runc": "amd64", "cni/b": "arm64"}, "arm64", 3,
			map[string]string{"runtime/runc": "amd64"}},
	} {
		dir := t.TempDir()
		for path, arch := range c.files {
			place(t, dir, path, bins[arch])
		}
		// Files that are not ELF, and a link to an ELF file, are not counted.
		os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\n"), 0o644)
		os.WriteFile(filepath.Join(dir, "empty"), nil, 0o644)
		os.WriteFile(filepath.Join(dir, "short"), []byte("\x7fE"), 0o644)
		os.Symlink("bin/a", filepath.Join(dir, "link"))

		n, err := Check(dir, c.arch)
		if n != c.wantCount {
			t.Errorf("%s: %d ELF files counted, want %d", c.name, n, c.wantCount)
		}
		if c.wantBad == nil {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		var me *MismatchError
		if !errors.As(err, &me) {
			t.Errorf("%s: err = %v, want a MismatchError", c.name, err)
			continue
		}
		if len(me.Files) != len(c.wantBad) {
			t.Errorf("%s: %d offending files, want %d: %v", c.name, len(me.Files), len(c.wantBad), me.Files)
		}
		for path, arch := range c.wantBad {
			if !strings.Contains(err.Error(), path+": "+arch) {
				t.Errorf("%s: the error does not name %s as %s:\n%s", c.name, path, arch, err)
			}
		}
		if !strings.Contains(err.Error(), "not built for "+c.arch) {
			t.Errorf("%s: the error does not name the wanted architecture %s:\n%s", c.name, c.arch, err)
		}
	}
}

// elfHeader is a minimal ELF64 little-endian header for a machine.
func elfHeader(machine elf.Machine) []byte {
	h := make([]byte, 64)
	copy(h, elf.ELFMAG)
	h[4], h[5], h[6] = byte(elf.ELFCLASS64), byte(elf.ELFDATA2LSB), byte(elf.EV_CURRENT)
	h[16] = byte(elf.ET_EXEC)
	h[18], h[19] = byte(machine), byte(machine>>8)
	h[20] = byte(elf.EV_CURRENT)
	h[52] = 64 // e_ehsize
	return h
}

func TestCheckNamesAnUnknownMachine(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "riscv"), elfHeader(elf.EM_RISCV), 0o755)
	os.WriteFile(filepath.Join(dir, "ok"), elfHeader(elf.EM_AARCH64), 0o755)
	n, err := Check(dir, "arm64")
	if n != 2 || err == nil || !strings.Contains(err.Error(), "riscv: unknown architecture (EM_RISCV)") ||
		strings.Contains(err.Error(), "ok:") {
		t.Errorf("Check = %d, %v; want 2 files and only riscv named", n, err)
	}
}

func TestCheckRejectsAnUnknownArch(t *testing.T) {
	if _, err := Check(t.TempDir(), "riscv64"); err == nil {
		t.Error("Check with an unknown architecture must fail")
	}
}

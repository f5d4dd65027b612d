// Package elfarch checks that every ELF file under a directory is built for
// one architecture, so a context with a stray binary of another is refused.
package elfarch

import (
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Machines maps a Go architecture name to its ELF machine.
var Machines = map[string]elf.Machine{
	"amd64": elf.EM_X86_64,
	"arm64": elf.EM_AARCH64,
}

// Mismatch is one ELF file built for another architecture.
type Mismatch struct {
	Path    string
	Machine elf.Machine
}

// MismatchError lists every file that disagrees with the wanted architecture.
type MismatchError struct {
	Arch  string
	Files []Mismatch
}

func (e *MismatchError) Error() string {
	lines := make([]string, 0, len(e.Files))
	for _, f := range e.Files {
		lines = append(lines, fmt.Sprintf("  %s: %s (%s)", f.Path, archName(f.Machine), f.Machine))
	}
	return fmt.Sprintf("%d ELF file(s) are not built for %s (%s):\n%s", len(e.Files), e.Arch,
		Machines[e.Arch], strings.Join(lines, "\n"))
}

func archName(m elf.Machine) string {
	for name, mm := range Machines {
		if mm == m {
			return name
		}
	}
	return "unknown architecture"
}

// Check walks dir (not following symbolic links) and returns how many ELF
// files it found, and a *MismatchError naming each one not built for arch.
func Check(dir, arch string) (int, error) {
	want, ok := Machines[arch]
	if !ok {
		return 0, fmt.Errorf("unknown architecture %q (known: amd64, arm64)", arch)
	}
	var bad []Mismatch
	count := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		machine, isELF, err := machineOf(path)
		if err != nil {
			return err
		}
		if !isELF {
			return nil
		}
		count++
		if machine != want {
			rel, _ := filepath.Rel(dir, path)
			bad = append(bad, Mismatch{Path: rel, Machine: machine})
		}
		return nil
	})
	if err != nil {
		return count, err
	}
	if len(bad) > 0 {
		sort.Slice(bad, func(i, j int) bool { return bad[i].Path < bad[j].Path })
		return count, &MismatchError{Arch: arch, Files: bad}
	}
	return count, nil
}

// machineOf reads path's ELF header; a file that is not ELF is no error.
func machineOf(path string) (elf.Machine, bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false, err
	}
	defer f.Close()
	magic := make([]byte, 4)
	if _, err := io.ReadFull(f, magic); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return 0, false, nil
		}
		return 0, false, err
	}
	if string(magic) != elf.ELFMAG {
		return 0, false, nil
	}
	ef, err := elf.NewFile(f)
	if err != nil {
		return 0, true, fmt.Errorf("%s: unreadable ELF file: %w", path, err)
	}
	return ef.Machine, true, nil
}

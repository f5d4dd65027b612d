// Package cache keeps build outputs on disk: each directory is built under a
// temporary name, stamped with the build recipe, then renamed into place, so
// a directory without the stamp of the current recipe is never used.
package cache

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// StampName is the file that marks a finished directory.
const StampName = ".complete"

// Dir is a cache directory kind: its recipe revision decides what is current.
type Dir struct {
	Recipe string
}

// Complete reports whether dir holds the stamp of this recipe and every
// binary under dir/bin is there and executable.
func (c Dir) Complete(dir string, binaries []string) bool {
	stamp, err := os.ReadFile(filepath.Join(dir, StampName))
	if err != nil || !slices.Contains(strings.Split(string(stamp), "\n"), "recipe="+c.Recipe) {
		return false
	}
	for _, b := range binaries {
		st, err := os.Stat(filepath.Join(dir, "bin", b))
		if err != nil || !st.Mode().IsRegular() || st.Mode().Perm()&0o111 == 0 {
			return false
		}
	}
	return true
}

// HasLines reports whether every line is one of the lines of file.
func HasLines(file string, lines []string) bool {
	f, err := os.Open(file)
	if err != nil {
		return false
	}
	defer f.Close()
	have := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		have[sc.Text()] = true
	}
	for _, l := range lines {
		if !have[l] {
			return false
		}
	}
	return true
}

// TempDir makes a directory to build final in, beside it (so the rename is
// atomic), named .<base>.XXXX; the caller removes it unless published.
func TempDir(final string) (string, error) {
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(final), "."+filepath.Base(final)+".")
	if err != nil {
		return "", err
	}
	return tmp, os.Chmod(tmp, 0o755)
}

// Publish stamps tmp and renames it to final. A stale final is renamed aside
// first and removed afterwards, so final is never half there.
func (c Dir) Publish(tmp, final string) error {
	stamp := fmt.Sprintf("recipe=%s\nbuilt=%s\n", c.Recipe, time.Now().UTC().Format(time.RFC3339))
	if err := os.WriteFile(filepath.Join(tmp, StampName), []byte(stamp), 0o644); err != nil {
		return err
	}
	stale := ""
	if _, err := os.Lstat(final); err == nil {
		stale = filepath.Join(filepath.Dir(final), fmt.Sprintf(".stale-%s.%d", filepath.Base(final), os.Getpid()))
		if err := os.Rename(final, stale); err != nil {
			return fmt.Errorf("moving the stale %s aside: %w", final, err)
		}
	}
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("publishing %s: %w", final, err)
	}
	if stale != "" {
		return os.RemoveAll(stale)
	}
	return nil
}

// Lock takes an exclusive flock on path, waiting (and saying so once through
// waiting) while another process holds it; ctx ends the wait. Unlock by
// closing the returned file.
func Lock(ctx context.Context, path string, waiting func()) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	said := false
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
		if !said && waiting != nil {
			waiting()
			said = true
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

package cache

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func write(t *testing.T, path, text string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), mode); err != nil {
		t.Fatal(err)
	}
}

func TestComplete(t *testing.T) {
	d := Dir{Recipe: "4"}
	for _, c := range []struct {
		name  string
		setup func(dir string)
		want  bool
	}{
		{"stamped with every binary", func(dir string) {
			write(t, filepath.Join(dir, StampName), "recipe=4\nbuilt=x\n", 0o644)
			write(t, filepath.Join(dir, "bin", "a"), "x", 0o755)
			if err := os.Symlink("a", filepath.Join(dir, "bin", "b")); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"no stamp", func(dir string) {
			write(t, filepath.Join(dir, "bin", "a"), "x", 0o755)
			write(t, filepath.Join(dir, "bin", "b"), "x", 0o755)
		}, false},
		{"another recipe", func(dir string) {
			write(t, filepath.Join(dir, StampName), "recipe=3\nbuilt=x\n", 0o644)
			write(t, filepath.Join(dir, "bin", "a"), "x", 0o755)
			write(t, filepath.Join(dir, "bin", "b"), "x", 0o755)
		}, false},
		{"a recipe that only starts the same", func(dir string) {
			write(t, filepath.Join(dir, StampName), "recipe=40\n", 0o644)
			write(t, filepath.Join(dir, "bin", "a"), "x", 0o755)
			write(t, filepath.Join(dir, "bin", "b"), "x", 0o755)
		}, false},
		{"a binary missing", func(dir string) {
			write(t, filepath.Join(dir, StampName), "recipe=4\n", 0o644)
			write(t, filepath.Join(dir, "bin", "a"), "x", 0o755)
		}, false},
		{"a binary not executable", func(dir string) {
			write(t, filepath.Join(dir, StampName), "recipe=4\n", 0o644)
			write(t, filepath.Join(dir, "bin", "a"), "x", 0o755)
			write(t, filepath.Join(dir, "bin", "b"), "x", 0o644)
		}, false},
		{"a dangling link", func(dir string) {
			write(t, filepath.Join(dir, StampName), "recipe=4\n", 0o644)
			write(t, filepath.Join(dir, "bin", "a"), "x", 0o755)
			if err := os.Symlink("gone", filepath.Join(dir, "bin", "b")); err != nil {
				t.Fatal(err)
			}
		}, false},
	} {
		dir := t.TempDir()
		c.setup(dir)
		if got := d.Complete(dir, []string{"a", "b"}); got != c.want {
			t.Errorf("%s: Complete = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestHasLines(t *testing.T) {
	file := filepath.Join(t.TempDir(), "versions.txt")
	write(t, file, "kubernetes=1.37.2\netcd=3.7.0\ngo=go1.26.8\n", 0o644)
	for _, c := range []struct {
		lines []string
		want  bool
	}{
		{[]string{"kubernetes=1.37.2", "etcd=3.7.0"}, true},
		{[]string{"kubernetes=1.37.2", "etcd=3.6.8"}, false},
		{[]string{"kubernetes=1.37"}, false},
	} {
		if got := HasLines(file, c.lines); got != c.want {
			t.Errorf("HasLines(%v) = %v, want %v", c.lines, got, c.want)
		}
	}
	if HasLines(filepath.Join(t.TempDir(), "absent"), nil) {
		t.Error("HasLines of a missing file must be false")
	}
}

func TestPublish(t *testing.T) {
	for _, stale := range []bool{false, true} {
		root := t.TempDir()
		final := filepath.Join(root, "etcd-v3.7.0")
		if stale {
			write(t, filepath.Join(final, "bin", "old"), "old", 0o755)
		}
		tmp, err := TempDir(final)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(filepath.Base(tmp), ".etcd-v3.7.0.") || filepath.Dir(tmp) != root {
			t.Errorf("TempDir = %s, want .etcd-v3.7.0.* beside the final directory", tmp)
		}
		write(t, filepath.Join(tmp, "bin", "etcd"), "new", 0o755)
		d := Dir{Recipe: "7"}
		if d.Complete(tmp, []string{"etcd"}) {
			t.Error("an unpublished directory must not be complete")
		}
		if err := d.Publish(tmp, final); err != nil {
			t.Fatal(err)
		}
		if !d.Complete(final, []string{"etcd"}) {
			t.Errorf("stale=%v: the published directory is not complete", stale)
		}
		if _, err := os.Stat(filepath.Join(final, "bin", "old")); !os.IsNotExist(err) {
			t.Errorf("stale=%v: the stale directory's files survived", stale)
		}
		entries, _ := os.ReadDir(root)
		if len(entries) != 1 {
			t.Errorf("stale=%v: %d entries left beside the final directory, want 1", stale, len(entries))
		}
	}
}

func TestLockWaitsForTheHolder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kube", ".lock")
	first, err := Lock(context.Background(), path, func() { t.Error("the first lock must not wait") })
	if err != nil {
		t.Fatal(err)
	}
	waited := make(chan struct{}, 1)
	got := make(chan error, 1)
	go func() {
		second, err := Lock(context.Background(), path, func() { waited <- struct{}{} })
		if err == nil {
			second.Close()
		}
		got <- err
	}()
	select {
	case <-waited:
	case <-time.After(5 * time.Second):
		t.Fatal("the second lock did not report waiting")
	}
	select {
	case err := <-got:
		t.Fatalf("the second lock returned (%v) while the first was held", err)
	case <-time.After(600 * time.Millisecond):
	}
	first.Close()
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the second lock was not taken after the first was released")
	}
}

func TestLockWaitEndsWithTheContext(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".lock")
	first, err := Lock(context.Background(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := Lock(ctx, path, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Lock = %v, want the context's error", err)
	}
}

package main

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

// walRecord frames data the way etcd's WAL encoder does: the length in the
// low 56 bits; when the data is not a multiple of 8 bytes, the top bit set
// and the padding count in bits 56-58, then the data and the padding.
func walRecord(data []byte) []byte {
	pad := (8 - len(data)%8) % 8
	frame := uint64(len(data))
	if pad != 0 {
		frame |= uint64(0x80|pad) << 56
	}
	out := binary.LittleEndian.AppendUint64(nil, frame)
	out = append(out, data...)
	return append(out, make([]byte, pad)...)
}

func concat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func TestWALEnd(t *testing.T) {
	aligned := walRecord([]byte("12345678"))        // 8 + 8
	padded := walRecord([]byte("abc"))              // 8 + 3 + 5 padding
	big := walRecord(bytes.Repeat([]byte{7}, 1000)) // 8 + 1000
	cases := []struct {
		name    string
		segment []byte
		want    int64
	}{
		{"records then preallocated zeros", concat(aligned, padded, make([]byte, 4096)), 32},
		{"the padding of the last record is kept", concat(aligned, big, padded, make([]byte, 64)), 16 + 1008 + 16},
		{"a single record", concat(padded, make([]byte, 8)), 16},
		{"a segment that ends at its last record has nothing to cut", concat(aligned, padded), 0},
		{"a zero tail shorter than a frame word is not cut", concat(aligned, make([]byte, 4)), 0},
		{"anything but zeros after the last record leaves it alone", concat(aligned, make([]byte, 100), []byte{1}, make([]byte, 20)), 0},
		{"a record longer than the file leaves it alone", concat(walRecord(make([]byte, 64))[:40]), 0},
		{"an empty segment", nil, 0},
		{"only zeros", make([]byte, 4096), 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := walEnd(bytes.NewReader(c.segment))
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("walEnd = %d, want %d", got, c.want)
			}
		})
	}
}

func TestWALEndPastTheFirstMegabyte(t *testing.T) {
	// zerosFrom reads in 1 MiB blocks: a byte in the second block counts
	segment := concat(walRecord([]byte("x")), make([]byte, 3<<20))
	segment[len(segment)-10] = 0xff
	got, err := walEnd(bytes.NewReader(segment))
	if err != nil {
		t.Fatal(err)
	}
	if got != 0 {
		t.Errorf("walEnd = %d, want 0 (a non-zero byte far in the tail)", got)
	}
}

func TestTrimWAL(t *testing.T) {
	dir := t.TempDir()
	wal := filepath.Join(dir, "member", "wal")
	if err := os.MkdirAll(wal, 0o755); err != nil {
		t.Fatal(err)
	}
	records := concat(walRecord([]byte("first")), walRecord([]byte("second record")))
	files := map[string][]byte{
		"0000000000000000-0000000000000000.wal": concat(records, make([]byte, 1<<16)),
		"0000000000000001-0000000000000005.wal": concat(records, make([]byte, 64), []byte{9}), // not a zero tail
		"0.tmp":                                 make([]byte, 1<<16),                          // not a segment
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(wal, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := trimWAL(dir); err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{
		"0000000000000000-0000000000000000.wal": records,
		"0000000000000001-0000000000000005.wal": files["0000000000000001-0000000000000005.wal"],
		"0.tmp":                                 files["0.tmp"],
	}
	for name, data := range want {
		got, err := os.ReadFile(filepath.Join(wal, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, data) {
			t.Errorf("%s: %d bytes after trimWAL, want %d", name, len(got), len(data))
		}
	}
}

func TestTrimWALWithoutSegments(t *testing.T) {
	if err := trimWAL(t.TempDir()); err != nil {
		t.Errorf("trimWAL of a data directory without WAL: %v", err)
	}
}

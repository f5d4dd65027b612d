package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// The baked etcd data is carried by every pull, cache save and load of the
// node image, so the bake leaves it as small as etcd allows: the bolt file
// defragmented, and each WAL segment cut after its last record (etcd
// preallocates 64 MB of zeros per segment; a segment that ends at its last
// record reads the same, and the node's etcd appends to it).

// defragEtcd compacts the bolt file of the running etcd. It asks etcd's JSON
// gateway for the Maintenance.Defragment call that `etcdctl defrag` makes, so
// the image needs no etcdctl (17 MB) for this one call.
func defragEtcd() {
	client := &http.Client{Timeout: 2 * time.Minute}
	defrag := etcdURL + "/v3/maintenance/defragment"
	if err := okResponse(client.Post(defrag, "application/json", strings.NewReader("{}"))); err != nil {
		logErr(fmt.Errorf("etcd defragment: %w", err))
		return
	}
	log.Printf("etcd defragmented")
}

// trimWAL cuts the preallocated tail of every WAL segment of the stopped etcd.
func trimWAL(dataDir string) error {
	segments, err := filepath.Glob(filepath.Join(dataDir, "member", "wal", "*.wal"))
	if err != nil {
		return err
	}
	for _, path := range segments {
		end, info, err := walFileEnd(path)
		if err != nil {
			return fmt.Errorf("reading %s: %w", path, err)
		}
		if end == 0 || end >= info.Size() {
			continue
		}
		if err := os.Truncate(path, end); err != nil {
			return err
		}
		log.Printf("etcd WAL %s: %d of %d bytes kept", filepath.Base(path), end, info.Size())
	}
	return nil
}

func walFileEnd(path string) (int64, os.FileInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return 0, nil, err
	}
	end, err := walEnd(f)
	return end, info, err
}

// walEnd returns the offset just after the last record of a WAL segment, or
// 0 when anything but zeros follows it (then the segment is left alone).
// A record is a little-endian 64-bit frame word (data length in the low 56
// bits; when the top bit is set, bits 56-58 count the padding bytes), then
// the data and its padding. A zero frame word marks the preallocated tail.
func walEnd(f io.ReaderAt) (int64, error) {
	word := make([]byte, 8)
	var off int64
	for {
		if _, err := f.ReadAt(word, off); err != nil {
			if errors.Is(err, io.EOF) {
				return 0, nil // no zero tail: nothing to cut
			}
			return 0, err
		}
		frame := binary.LittleEndian.Uint64(word)
		if frame == 0 {
			break
		}
		size := int64(frame &^ (uint64(0xff) << 56))
		if frame&(1<<63) != 0 {
			size += int64((frame >> 56) & 0x7)
		}
		off += 8 + size
	}
	if !zerosFrom(f, off) {
		return 0, nil
	}
	return off, nil
}

func zerosFrom(f io.ReaderAt, off int64) bool {
	buf := make([]byte, 1<<20)
	for {
		n, err := f.ReadAt(buf, off)
		for _, b := range buf[:n] {
			if b != 0 {
				return false
			}
		}
		off += int64(n)
		if err != nil {
			return errors.Is(err, io.EOF)
		}
	}
}

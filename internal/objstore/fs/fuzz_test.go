package fs

import (
	"bytes"
	"io"
	"testing"
)

// FuzzUnseal feeds arbitrary file bytes and ranges to the sealed-file
// reader: it must never panic, and whatever it returns must be the sealed
// plaintext, since nobody without the keys can forge a segment.
func FuzzUnseal(f *testing.F) {
	master, err := newMasterKey(bytes.Repeat([]byte{7}, masterKeyLen))
	if err != nil {
		f.Fatal(err)
	}
	plain := bytes.Repeat([]byte("deploytrail "), 12000) // two segments and a bit
	var sealed bytes.Buffer
	dataKey, header := master.newHeader("logs", "k")
	sealed.Write(header)
	aead, _ := newGCM(dataKey)
	w := newSealer(&sealed, aead)
	w.Write(plain)
	w.Close()
	f.Add(sealed.Bytes(), int64(0), int64(-1))
	f.Add(sealed.Bytes(), int64(segmentSize-3), int64(10))
	f.Add(sealed.Bytes()[:headerLen+100], int64(0), int64(5))
	f.Fuzz(func(t *testing.T, file []byte, off, n int64) {
		if len(file) < headerLen || plainSize(int64(len(file))) < 0 {
			return // describe refuses these before reading
		}
		aead, err := master.openHeader(file[:headerLen], "logs", "k")
		if err != nil {
			return
		}
		size := plainSize(int64(len(file)))
		off = min(max(off, 0), size)
		if n < 0 || n > size-off {
			n = size - off
		}
		got, err := io.ReadAll(newUnsealer(bytes.NewReader(file), aead, int64(len(file)), off, n))
		if err == nil && (int64(len(plain)) < off+n || !bytes.Equal(got, plain[off:off+n])) {
			t.Fatalf("read %d bytes that are not the sealed plaintext [%d, %d)", len(got), off, off+n)
		}
	})
}

package fs

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// The sealed format of an object file (see the package comment):
//
//	magic (8) | master key id (8) | wrapped data key (12 nonce + 32 + 16 tag)
//	segment 0 | segment 1 | … | last segment
//
// Every segment is AES-256-GCM of segmentSize plaintext bytes (the last may
// hold fewer, even none) under the object's data key, with its index and a
// "final" flag in the nonce.
const (
	segmentSize   = 64 << 10
	tagSize       = 16
	sealedSegment = segmentSize + tagSize
	masterKeyLen  = 32
	keyIDLen      = 8
	wrappedKeyLen = 12 + masterKeyLen + tagSize
	headerLen     = len(sealMagic) + keyIDLen + wrappedKeyLen
	sealedScheme  = "aes256-gcm-64k-v1" // the sidecar's name for this format
)

// sealMagic opens every sealed file. A legacy plaintext object that happens
// to start with it fails authentication rather than being misread.
const sealMagic = "DTSSE\x00\x01\n"

// errCorrupt: a sealed object fails authentication or has an impossible
// length (tampering, truncation, or a segment moved within or between objects).
var errCorrupt = errors.New("fs: object data fails authentication")

// masterKey wraps the data keys of one store.
type masterKey struct {
	id   [keyIDLen]byte // names the key in file headers, so a wrong key says so
	aead cipher.AEAD
}

// loadMasterKey reads the hex key in path, creating it (and its directory,
// 0700) with a fresh random key the first time.
func loadMasterKey(path string) (*masterKey, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		err = createMasterKey(path)
		if err == nil {
			raw, err = os.ReadFile(path)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("master key %s: must be a file only its owner can read (mode 0600)", path)
	}
	key, err := hex.DecodeString(string(bytes.TrimSpace(raw)))
	if err != nil || len(key) != masterKeyLen {
		return nil, fmt.Errorf("master key %s: want %d hex-encoded bytes", path, masterKeyLen)
	}
	return newMasterKey(key)
}

func newMasterKey(key []byte) (*masterKey, error) {
	aead, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	m := &masterKey{aead: aead}
	sum := sha256.Sum256(key)
	copy(m.id[:], sum[:])
	return m, nil
}

// createMasterKey writes a new key to a temp file and links it into place,
// so that two processes starting at once agree on one key.
func createMasterKey(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), dirMode); err != nil {
		return err
	}
	key := make([]byte, masterKeyLen)
	rand.Read(key)
	tmp := path + ".tmp-" + rand.Text()
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fileMode)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	_, err = f.WriteString(hex.EncodeToString(key) + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Link(tmp, path); err != nil && !errors.Is(err, os.ErrExist) {
		return err
	}
	return nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// wrapAAD binds a wrapped data key to the bucket and key of its object, so
// a sealed file moved to another key fails to open.
func wrapAAD(bucket, key string) []byte {
	return []byte(sealMagic + bucket + "\x00" + key)
}

// newHeader makes a data key for the object and returns it with the file
// header that carries it wrapped.
func (m *masterKey) newHeader(bucket, key string) (dataKey, header []byte) {
	dataKey = make([]byte, masterKeyLen)
	rand.Read(dataKey)
	nonce := make([]byte, 12)
	rand.Read(nonce)
	header = make([]byte, 0, headerLen)
	header = append(header, sealMagic...)
	header = append(header, m.id[:]...)
	header = append(header, nonce...)
	header = m.aead.Seal(header, nonce, dataKey, wrapAAD(bucket, key))
	return dataKey, header
}

// openHeader checks a file header and returns the object's data cipher.
func (m *masterKey) openHeader(header []byte, bucket, key string) (cipher.AEAD, error) {
	if len(header) != headerLen || string(header[:len(sealMagic)]) != sealMagic {
		return nil, errCorrupt
	}
	id := header[len(sealMagic) : len(sealMagic)+keyIDLen]
	if !bytes.Equal(id, m.id[:]) {
		return nil, fmt.Errorf("%w: sealed under master key %x, the store's key is %x", errCorrupt, id, m.id)
	}
	wrapped := header[len(sealMagic)+keyIDLen:]
	dataKey, err := m.aead.Open(nil, wrapped[:12], wrapped[12:], wrapAAD(bucket, key))
	if err != nil {
		return nil, errCorrupt
	}
	return newGCM(dataKey)
}

// segmentNonce is the nonce of segment i: its index, and whether it is the
// last, so that reordering and truncation fail authentication.
func segmentNonce(nonce []byte, i uint64, final bool) []byte {
	clear(nonce)
	binary.BigEndian.PutUint64(nonce, i)
	if final {
		nonce[11] = 1
	}
	return nonce
}

// segments is how many segments hold size plaintext bytes (at least one,
// so that even an empty object has an authenticated end).
func segments(size int64) int64 {
	return max(1, (size+segmentSize-1)/segmentSize)
}

// sealedSize is the length of the sealed file of size plaintext bytes.
func sealedSize(size int64) int64 {
	return int64(headerLen) + size + segments(size)*tagSize
}

// plainSize is the plaintext length of a sealed file of fileSize bytes,
// or -1 when no plaintext length seals to it.
func plainSize(fileSize int64) int64 {
	c := fileSize - int64(headerLen)
	if c < tagSize {
		return -1
	}
	n := (c + sealedSegment - 1) / sealedSegment
	if last := c - (n-1)*sealedSegment; last < tagSize {
		return -1
	}
	return c - n*tagSize
}

// sealer encrypts what is written to it segment by segment. A full segment
// is sealed only when more bytes arrive, since only Close knows which one
// is final.
type sealer struct {
	w     io.Writer
	aead  cipher.AEAD
	buf   []byte // plaintext of the open segment
	out   []byte
	nonce [12]byte
	index uint64
}

func newSealer(w io.Writer, aead cipher.AEAD) *sealer {
	return &sealer{w: w, aead: aead, buf: make([]byte, 0, segmentSize), out: make([]byte, 0, sealedSegment)}
}

func (s *sealer) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if len(s.buf) == segmentSize {
			if err := s.seal(false); err != nil {
				return n - len(p), err
			}
		}
		k := copy(s.buf[len(s.buf):segmentSize], p)
		s.buf, p = s.buf[:len(s.buf)+k], p[k:]
	}
	return n, nil
}

// Close seals the final segment; it does not close the underlying writer.
func (s *sealer) Close() error { return s.seal(true) }

func (s *sealer) seal(final bool) error {
	s.out = s.aead.Seal(s.out[:0], segmentNonce(s.nonce[:], s.index, final), s.buf, nil)
	s.index++
	s.buf = s.buf[:0]
	_, err := s.w.Write(s.out)
	return err
}

// unsealer reads plaintext [off, off+n) of a sealed file, decrypting only
// the segments that hold it, one at a time.
type unsealer struct {
	f     io.ReaderAt
	aead  cipher.AEAD
	last  int64 // index of the final segment
	size  int64 // plaintext size
	next  int64 // next segment to decrypt
	skip  int64 // plaintext bytes to drop from it
	left  int64 // plaintext bytes still to return
	plain []byte
	ct    []byte
	nonce [12]byte
}

// newUnsealer reads n bytes from off of the plaintext of a sealed file of
// fileSize bytes; the caller has clamped off and n to the plaintext size.
func newUnsealer(f io.ReaderAt, aead cipher.AEAD, fileSize, off, n int64) *unsealer {
	size := plainSize(fileSize)
	return &unsealer{
		f: f, aead: aead, size: size, last: segments(size) - 1,
		next: off / segmentSize, skip: off % segmentSize, left: n,
		ct: make([]byte, sealedSegment),
	}
}

func (u *unsealer) Read(p []byte) (int, error) {
	if u.left == 0 {
		return 0, io.EOF
	}
	if len(u.plain) == 0 {
		if err := u.load(); err != nil {
			return 0, err
		}
	}
	n := copy(p, u.plain[:min(int64(len(u.plain)), u.left)])
	u.plain, u.left = u.plain[n:], u.left-int64(n)
	return n, nil
}

// WriteTo hands w each decrypted segment whole. io.Copy, which the S3
// GetObject path uses, prefers it: without it a segment goes through
// io.Copy's 32 KiB buffer, one more copy and two writes a segment.
func (u *unsealer) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for u.left > 0 {
		if len(u.plain) == 0 {
			if err := u.load(); err != nil {
				return total, err
			}
		}
		chunk := u.plain[:min(int64(len(u.plain)), u.left)]
		n, err := w.Write(chunk)
		total += int64(n)
		u.plain, u.left = u.plain[n:], u.left-int64(n)
		if err == nil && n < len(chunk) {
			err = io.ErrShortWrite
		}
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// load decrypts the next segment into plain.
func (u *unsealer) load() error {
	start := int64(headerLen) + u.next*sealedSegment
	length := int64(sealedSegment)
	if u.next == u.last {
		length = u.size - u.last*segmentSize + tagSize
	}
	ct := u.ct[:length]
	if _, err := u.f.ReadAt(ct, start); err != nil {
		if errors.Is(err, io.EOF) {
			return errCorrupt // shorter than its header said
		}
		return err
	}
	plain, err := u.aead.Open(ct[:0], segmentNonce(u.nonce[:], uint64(u.next), u.next == u.last), ct, nil)
	if err != nil {
		return errCorrupt
	}
	u.plain = plain[u.skip:]
	u.skip = 0
	u.next++
	return nil
}

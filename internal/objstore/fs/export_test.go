package fs

// SealedSize is the size of the file that seals n plaintext bytes.
func SealedSize(n int) int64 { return sealedSize(int64(n)) }

// SegmentSize is the plaintext size of one sealed segment.
const SegmentSize = segmentSize

// HeaderLen is the length of a sealed file's header.
const HeaderLen = headerLen

// SealedSegment is the length of one full sealed segment.
const SealedSegment = sealedSegment

// Plaintext makes s write new objects unsealed, for benchmarks that
// compare the cost of sealing.
func Plaintext(s *Store) { s.master = nil }

// SidecarPath is where a bucket keeps key's sidecar.
func SidecarPath(key string) string { return sidecarPath(key) }

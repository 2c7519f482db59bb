package fs

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/deploytrail/deploytrail/internal/objstore"
)

// Multipart uploads live in the bucket's reserved directory, one
// directory per upload:
//
//	.deploytrail/uploads/<id>/upload.json        the key and the object's properties
//	.deploytrail/uploads/<id>/<nnnnn>.<md5 hex>  part n, sealed like an object
//
// The part's MD5 is in its name, so a part and its ETag appear in one
// rename.
const uploadsDir = reservedDir + "/uploads"

var _ objstore.Multipart = (*Bucket)(nil)

// upload is an upload's upload.json.
type upload struct {
	Key       string              `json:"key"`
	Opts      objstore.PutOptions `json:"opts"`
	Initiated time.Time           `json:"initiated"`
}

// CreateUpload implements objstore.Multipart.
func (b *Bucket) CreateUpload(ctx context.Context, key string, opts objstore.PutOptions) (string, error) {
	opts, err := objstore.NormalizePut(key, opts)
	if err != nil {
		return "", err
	}
	if err := checkKey(key); err != nil {
		return "", err
	}
	r, err := b.open(ctx)
	if err != nil {
		return "", err
	}
	defer r.Close()
	id := rand.Text()
	meta, err := json.Marshal(upload{Key: key, Opts: opts, Initiated: time.Now().UTC()})
	if err != nil {
		return "", err
	}
	if err := r.MkdirAll(uploadsDir+"/"+id, dirMode); err != nil {
		return "", fmt.Errorf("create upload of %q: %w", key, err)
	}
	if err := writeFileAtomic(r, uploadsDir+"/"+id+"/upload.json", meta); err != nil {
		return "", fmt.Errorf("create upload of %q: %w", key, err)
	}
	return id, nil
}

// writeFileAtomic writes p to name through a synced temp file and a rename.
func writeFileAtomic(r *os.Root, name string, p []byte) error {
	if err := r.MkdirAll(tmpDir, dirMode); err != nil {
		return err
	}
	tmp := tmpDir + "/" + rand.Text()
	f, err := r.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fileMode)
	if err != nil {
		return err
	}
	defer r.Remove(tmp) // fails harmlessly once renamed
	_, err = f.Write(p)
	if err := closeSynced(f, err); err != nil {
		return err
	}
	return r.Rename(tmp, name)
}

// uploadDir returns the directory of the upload id of key, which must
// exist; a malformed id is no upload (and never reaches the file system).
func (b *Bucket) uploadDir(r *os.Root, key, id string) (string, *upload, error) {
	if len(id) != 26 || strings.Trim(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") != "" {
		return "", nil, fmt.Errorf("upload %q: %w", id, objstore.ErrNoSuchUpload)
	}
	dir := uploadsDir + "/" + id
	raw, err := r.ReadFile(dir + "/upload.json")
	if isNotExist(err) {
		return "", nil, fmt.Errorf("upload %q: %w", id, objstore.ErrNoSuchUpload)
	}
	if err != nil {
		return "", nil, fmt.Errorf("upload %q: %w", id, err)
	}
	var u upload
	if err := json.Unmarshal(raw, &u); err != nil {
		return "", nil, fmt.Errorf("upload %q: decode: %w", id, err)
	}
	if u.Key != key {
		return "", nil, fmt.Errorf("upload %q of key %q: %w", id, key, objstore.ErrNoSuchUpload)
	}
	return dir, &u, nil
}

// openUpload checks key and opens the bucket and the upload.
func (b *Bucket) openUpload(ctx context.Context, key, id string) (*os.Root, string, *upload, error) {
	if err := checkKey(key); err != nil {
		return nil, "", nil, err
	}
	r, err := b.open(ctx)
	if err != nil {
		return nil, "", nil, err
	}
	dir, u, err := b.uploadDir(r, key, id)
	if err != nil {
		r.Close()
		return nil, "", nil, err
	}
	return r, dir, u, nil
}

// UploadPart implements objstore.Multipart. The part is written like a
// staged object, then renamed into the upload under the upload's lock,
// which also removes the part it replaces.
func (b *Bucket) UploadPart(ctx context.Context, key, id string, n int, body io.Reader, size int64) (*objstore.Part, error) {
	if n < 1 || n > objstore.MaxParts {
		return nil, fmt.Errorf("%w: part number %d is not between 1 and %d", objstore.ErrInvalidPart, n, objstore.MaxParts)
	}
	if size > objstore.MaxPartSize {
		return nil, fmt.Errorf("%w: part of %d bytes", objstore.ErrEntityTooLarge, size)
	}
	r, dir, _, err := b.openUpload(ctx, key, id)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	if err := r.MkdirAll(tmpDir, dirMode); err != nil {
		return nil, err
	}
	tmp := tmpDir + "/" + rand.Text()
	f, err := r.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fileMode)
	if err != nil {
		return nil, err
	}
	defer r.Remove(tmp) // fails harmlessly once renamed
	sum := md5.New()    // S3's part ETag, not a security use
	written, _, err := b.store.writeBody(f, sum, b.name, partAAD(id, n), &ctxReader{ctx, body}, size, objstore.MaxPartSize)
	if err != nil {
		return nil, fmt.Errorf("upload part %d: %w", n, err)
	}
	part := &objstore.Part{Number: n, ETag: etag(sum), Size: written, Modified: time.Now()}
	if err := b.placePart(r, dir, id, tmp, part); err != nil {
		return nil, fmt.Errorf("upload part %d: %w", n, err)
	}
	return part, nil
}

// partAAD is the name a part's data key is bound to: no object key can
// take it, so a part cannot pass for an object or another part.
func partAAD(id string, n int) string { return uploadsDir + "/" + id + "/" + strconv.Itoa(n) }

func partName(n int, eTag string) string {
	return fmt.Sprintf("%05d.%s", n, strings.Trim(eTag, `"`))
}

// placePart renames the temp file in as the part and removes an earlier
// upload of the same number.
func (b *Bucket) placePart(r *os.Root, dir, id, tmp string, part *objstore.Part) error {
	mu := b.store.lockFor(b.name, uploadsDir+"/"+id)
	mu.Lock()
	defer mu.Unlock()
	old, err := b.readParts(r, dir)
	if err != nil {
		return err
	}
	name := partName(part.Number, part.ETag)
	if err := r.Rename(tmp, dir+"/"+name); err != nil {
		if isNotExist(err) {
			return fmt.Errorf("upload %q: %w", id, objstore.ErrNoSuchUpload) // aborted meanwhile
		}
		return err
	}
	if p, ok := old[part.Number]; ok && partName(p.Number, p.ETag) != name {
		if err := r.Remove(dir + "/" + partName(p.Number, p.ETag)); err != nil && !isNotExist(err) {
			return err
		}
	}
	return syncDir(r, dir)
}

// readParts returns the upload's parts by number. Of two files for one
// number (a crash between placing a part and removing the one it
// replaced) the newer wins.
func (b *Bucket) readParts(r *os.Root, dir string) (map[int]objstore.Part, error) {
	entries, err := readDir(r, dir)
	if err != nil {
		return nil, err
	}
	parts := map[int]objstore.Part{}
	for _, e := range entries {
		num, sum, ok := strings.Cut(e.Name(), ".")
		n, err := strconv.Atoi(num)
		if !ok || err != nil || len(sum) != 32 {
			continue // upload.json
		}
		fi, err := e.Info()
		if err != nil {
			continue // removed since ReadDir
		}
		p := objstore.Part{Number: n, ETag: `"` + sum + `"`, Size: partSize(fi.Size(), b.store.master != nil), Modified: fi.ModTime()}
		if q, dup := parts[n]; !dup || p.Modified.After(q.Modified) {
			parts[n] = p
		}
	}
	return parts, nil
}

// partSize is the plaintext size of a part file.
func partSize(fileSize int64, sealed bool) int64 {
	if !sealed {
		return fileSize
	}
	return max(plainSize(fileSize), 0)
}

// ListParts implements objstore.Multipart.
func (b *Bucket) ListParts(ctx context.Context, key, id string, after, max int) ([]objstore.Part, error) {
	r, dir, _, err := b.openUpload(ctx, key, id)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	parts, err := b.readParts(r, dir)
	if err != nil {
		return nil, fmt.Errorf("list parts of upload %q: %w", id, err)
	}
	if max <= 0 {
		max = objstore.DefaultPartMax
	}
	var out []objstore.Part
	for n := after + 1; n <= objstore.MaxParts && len(out) < max; n++ {
		if p, ok := parts[n]; ok {
			out = append(out, p)
		}
	}
	return out, nil
}

// AbortUpload implements objstore.Multipart.
func (b *Bucket) AbortUpload(ctx context.Context, key, id string) error {
	r, dir, _, err := b.openUpload(ctx, key, id)
	if err != nil {
		return err
	}
	defer r.Close()
	mu := b.store.lockFor(b.name, uploadsDir+"/"+id)
	mu.Lock()
	defer mu.Unlock()
	if err := r.RemoveAll(dir); err != nil {
		return fmt.Errorf("abort upload %q: %w", id, err)
	}
	return nil
}

// uploadCap bounds how many uploads ListUploads reads from one bucket.
const uploadCap = 100_000

// ListUploads implements objstore.Multipart.
func (b *Bucket) ListUploads(ctx context.Context, prefix, keyMarker, idMarker string, max int) ([]objstore.Upload, error) {
	r, err := b.open(ctx)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	entries, err := readDir(r, uploadsDir)
	if err != nil {
		return nil, fmt.Errorf("list uploads: %w", err)
	}
	var all []objstore.Upload
	for _, e := range entries[:min(len(entries), uploadCap)] {
		raw, err := r.ReadFile(uploadsDir + "/" + e.Name() + "/upload.json")
		var u upload
		if err != nil || json.Unmarshal(raw, &u) != nil || !strings.HasPrefix(u.Key, prefix) {
			continue // a crashed CreateUpload, aborted meanwhile, or another prefix
		}
		all = append(all, objstore.Upload{Key: u.Key, UploadID: e.Name(), Initiated: u.Initiated})
	}
	return pageUploads(all, keyMarker, idMarker, max), nil
}

// pageUploads orders uploads as S3 does (by key, then initiation) and
// returns up to max of those after the markers.
func pageUploads(all []objstore.Upload, keyMarker, idMarker string, max int) []objstore.Upload {
	sortUploads(all)
	if max <= 0 {
		max = objstore.DefaultListMax
	}
	start := 0
	for i, u := range all {
		if u.Key < keyMarker || u.Key == keyMarker && idMarker == "" {
			start = i + 1
		}
		if u.Key == keyMarker && u.UploadID == idMarker {
			start = i + 1
		}
	}
	all = all[start:]
	return all[:min(len(all), max)]
}

func sortUploads(all []objstore.Upload) {
	slices.SortFunc(all, func(a, b objstore.Upload) int {
		if c := strings.Compare(a.Key, b.Key); c != 0 {
			return c
		}
		if c := a.Initiated.Compare(b.Initiated); c != 0 {
			return c
		}
		return strings.Compare(a.UploadID, b.UploadID)
	})
}

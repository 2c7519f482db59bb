package fs

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/deploytrail/deploytrail/internal/objstore"
)

// Complete implements objstore.Multipart: it checks the parts against the
// upload, then stages their bytes, decrypted part by part and sealed
// again under the object's own data key, one segment in memory at a time.
// It takes no lock while it copies (that may take minutes, and the locks
// are shared by keys): a part uploaded again meanwhile has a new file
// name, so the copy reads the part it checked, or fails if that part's
// file is gone by the time it is reached.
func (b *Bucket) Complete(ctx context.Context, key, id string, want []objstore.CompletedPart) (objstore.Staged, error) {
	if err := checkPartList(want); err != nil {
		return nil, err
	}
	r, dir, u, err := b.openUpload(ctx, key, id)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	mu := b.store.lockFor(b.name, uploadsDir+"/"+id)
	mu.Lock()
	have, err := b.readParts(r, dir)
	mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("complete upload %q: %w", id, err)
	}
	parts, total, eTag, err := pickParts(have, want)
	if err != nil {
		return nil, err
	}
	body := &partsReader{bucket: b, root: r, dir: dir, id: id, parts: parts}
	defer body.Close()
	st, err := b.stage(ctx, stageRequest{key: key, body: body, size: total, limit: objstore.MaxObjectSize, opts: u.Opts, eTag: eTag})
	if err != nil {
		return nil, fmt.Errorf("complete upload %q: %w", id, err)
	}
	return &completed{staged: st, id: id}, nil
}

// checkPartList checks the client's list before any file is read.
func checkPartList(want []objstore.CompletedPart) error {
	if len(want) == 0 || len(want) > objstore.MaxParts {
		return fmt.Errorf("%w: %d parts listed, want 1 to %d", objstore.ErrInvalidPart, len(want), objstore.MaxParts)
	}
	for i, p := range want {
		if p.Number < 1 || p.Number > objstore.MaxParts {
			return fmt.Errorf("%w: part number %d", objstore.ErrInvalidPart, p.Number)
		}
		if i > 0 && p.Number <= want[i-1].Number {
			return fmt.Errorf("%w: part %d after part %d", objstore.ErrInvalidPartOrder, p.Number, want[i-1].Number)
		}
	}
	return nil
}

// pickParts returns the uploaded parts the client listed, their total
// size and the object's multipart ETag.
func pickParts(have map[int]objstore.Part, want []objstore.CompletedPart) (parts []objstore.Part, total int64, eTag string, err error) {
	sums := make([][]byte, 0, len(want))
	for i, w := range want {
		p, ok := have[w.Number]
		if !ok || strings.Trim(w.ETag, `"`) != strings.Trim(p.ETag, `"`) {
			return nil, 0, "", fmt.Errorf("%w: part %d with ETag %s was not uploaded", objstore.ErrInvalidPart, w.Number, w.ETag)
		}
		if i < len(want)-1 && p.Size < objstore.MinPartSize {
			return nil, 0, "", fmt.Errorf("%w: part %d is %d bytes, the minimum is %d", objstore.ErrEntityTooSmall, p.Number, p.Size, objstore.MinPartSize)
		}
		sum, err := hex.DecodeString(strings.Trim(p.ETag, `"`))
		if err != nil {
			return nil, 0, "", fmt.Errorf("part %d: %w", p.Number, err)
		}
		parts, sums, total = append(parts, p), append(sums, sum), total+p.Size
	}
	if total > objstore.MaxObjectSize {
		return nil, 0, "", fmt.Errorf("%w: %d bytes in all", objstore.ErrEntityTooLarge, total)
	}
	return parts, total, objstore.MultipartETag(sums), nil
}

// partsReader reads the plaintext of parts one after another, opening
// each part's file only when it is reached.
type partsReader struct {
	bucket *Bucket
	root   *os.Root
	dir    string
	id     string
	parts  []objstore.Part
	cur    io.Reader
	f      *os.File
}

func (pr *partsReader) Read(p []byte) (int, error) {
	for {
		if pr.cur == nil {
			if len(pr.parts) == 0 {
				return 0, io.EOF
			}
			if err := pr.next(); err != nil {
				return 0, err
			}
		}
		n, err := pr.cur.Read(p)
		if err == io.EOF {
			pr.Close()
			pr.cur, err = nil, nil
		}
		if n > 0 || err != nil {
			return n, err
		}
	}
}

// next opens the first remaining part.
func (pr *partsReader) next() error {
	p := pr.parts[0]
	pr.parts = pr.parts[1:]
	f, err := pr.root.Open(pr.dir + "/" + partName(p.Number, p.ETag))
	if err != nil {
		return fmt.Errorf("part %d: %w", p.Number, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	o := &openedObject{f: f, fileSize: fi.Size(), info: objstore.ObjectInfo{Key: partAAD(pr.id, p.Number), Size: fi.Size()}}
	if err := pr.bucket.unseal(o, &sidecar{}); err != nil {
		f.Close()
		return fmt.Errorf("part %d: %w", p.Number, err)
	}
	pr.f = f
	pr.cur = io.NewSectionReader(f, 0, o.info.Size)
	if o.aead != nil {
		pr.cur = newUnsealer(f, o.aead, o.fileSize, 0, o.info.Size)
	}
	return nil
}

// Close closes the part file being read.
func (pr *partsReader) Close() error {
	if pr.f == nil {
		return nil
	}
	err := pr.f.Close()
	pr.f = nil
	return err
}

// completed is the staged object of a completed upload: committing it
// also deletes the upload.
type completed struct {
	*staged
	id string
}

func (c *completed) Commit(ctx context.Context) error {
	if err := c.staged.Commit(ctx); err != nil {
		return err
	}
	r, err := c.bucket.open(context.WithoutCancel(ctx))
	if err != nil {
		return err
	}
	defer r.Close()
	mu := c.bucket.store.lockFor(c.bucket.name, uploadsDir+"/"+c.id)
	mu.Lock()
	defer mu.Unlock()
	if err := r.RemoveAll(uploadsDir + "/" + c.id); err != nil {
		return fmt.Errorf("remove completed upload %q: %w", c.id, err)
	}
	return nil
}

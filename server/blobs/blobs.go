package blobs

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// ErrNotFound reports a key the store does not hold.
var ErrNotFound = errors.New("blobs: not found")

// Store is a filesystem blob store (see the package documentation).
type Store struct {
	dir string
	// bufs holds directChunk-byte buffers aligned for direct I/O.
	bufs sync.Pool
	// noDirect is set once the filesystem refused O_DIRECT.
	noDirect atomic.Bool
	// syncFS: PutMany makes a batch durable with syncfs(2), which this
	// kernel reports errors of; else with an fsync per file and folder.
	syncFS bool
	// pending, when set, finds blobs kept elsewhere until they are
	// written here (SetPending).
	pending atomic.Pointer[PendingFunc]
}

// PendingFunc returns the content of a blob that is durable elsewhere (the
// DICOM index keeps small instances' files in the transaction of their
// rows) but not yet written to the store; ok false when it holds none.
// Its owner writes the blob here (Put) before it forgets it.
type PendingFunc func(ctx context.Context, key string) (data []byte, ok bool, err error)

// SetPending makes Has, Open and ReadAll consult f for keys the folder
// does not hold yet, so that a blob is readable from the moment it is
// durable anywhere. nil removes it.
func (s *Store) SetPending(f PendingFunc) {
	if f == nil {
		s.pending.Store(nil)
		return
	}
	s.pending.Store(&f)
}

// SmallMax is the size from which blobs are written with direct I/O: the
// DICOM service keeps smaller ones pending in its index (SetPending).
const SmallMax = directMin

// Key returns the key of content b.
func Key(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// Blobs of directMin bytes or more are staged with direct I/O (O_DIRECT)
// where the platform and filesystem allow it, directChunk bytes per
// write, from buffers aligned to directAlign. On this project's VM a
// 0.5 MB write through the page cache took 0.35-1.5 ms of CPU (page
// allocation and copy into the cache) and its fsync 0.6-0.85 ms; written
// directly it costs little CPU, and the fsync has only the last partial
// block and the inode left to write (issue 6: server CPU per 0.5 MB
// C-STORE 2.7-4 ms before, 2.0-2.5 ms after). Smaller blobs stay
// buffered: their copy is cheap, and a freshly stored CT is often read
// back soon (WADO-RS, routing). Durability is unchanged: the fsync still
// comes before the rename.
const (
	directMin   = 128 << 10
	directChunk = 1 << 20
	directAlign = 4096
)

// Open opens (creating if needed) the store in dir and removes temporary
// files a crash left behind.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o750); err != nil {
		return nil, fmt.Errorf("blobs: open %s: %w", dir, err)
	}
	tmps, _ := filepath.Glob(filepath.Join(dir, "tmp", "put-*"))
	for _, t := range tmps {
		_ = os.Remove(t)
	}
	return &Store{dir: dir, syncFS: syncFSReliable()}, nil
}

// kernelAtLeast reports whether a Linux release string ("6.1.0-28-amd64",
// "4.19.90-2003.4.0.0036.oe1.aarch64") is major.minor or later; an
// unreadable one is not.
func kernelAtLeast(release string, major, minor int) bool {
	parts := strings.SplitN(release, ".", 3)
	if len(parts) < 2 {
		return false
	}
	maj, err1 := strconv.Atoi(parts[0])
	digits := parts[1]
	if i := strings.IndexFunc(digits, func(r rune) bool { return r < '0' || r > '9' }); i >= 0 {
		digits = digits[:i]
	}
	mnr, err2 := strconv.Atoi(digits)
	if err1 != nil || err2 != nil {
		return false
	}
	return maj > major || maj == major && mnr >= minor
}

// Dir returns the folder of the store.
func (s *Store) Dir() string { return s.dir }

// ValidKey reports whether key has the form of a blob key (64 hex digits).
func ValidKey(key string) bool {
	if len(key) != sha256.Size*2 {
		return false
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func (s *Store) path(key string) string {
	return filepath.Join(s.dir, key[0:2], key)
}

// Put copies r into the store and returns its key and size once the blob is
// durable. ctx is checked between chunks.
func (s *Store) Put(ctx context.Context, r io.Reader) (key string, size int64, err error) {
	f, err := s.tempFile()
	if err != nil {
		return "", 0, err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	h := sha256.New()
	size, err = copyCtx(ctx, io.MultiWriter(f, h), r)
	if err != nil {
		return "", 0, fmt.Errorf("blobs: put: %w", err)
	}
	return s.commit(f, h, size)
}

// PutBytes stores the concatenation of parts; it is Put for content
// already in memory.
func (s *Store) PutBytes(ctx context.Context, parts ...[]byte) (key string, size int64, err error) {
	p, err := s.Stage(ctx, parts...)
	if err != nil {
		return "", 0, err
	}
	if err := p.Sync(); err != nil {
		return "", 0, err
	}
	return p.Key, p.Size, nil
}

// Pending is a blob written to a temporary file: Sync makes it durable
// under its key (fsync, rename, folder fsync), Discard drops it. Callers
// overlap Sync with other durable work (the index commit) and acknowledge
// after both; until Sync returns, the key may name no file. A Pending is
// used by one goroutine at a time.
type Pending struct {
	Key  string
	Size int64
	s    *Store
	f    *os.File // nil when the content was already stored
}

// Sync makes the blob durable; it is a no-op for content already stored.
// Call Sync or Discard once.
func (p *Pending) Sync() error {
	if p.f == nil {
		return nil
	}
	f := p.f
	p.f = nil
	_, _, err := p.s.finish(f, p.Key, p.Size)
	return err
}

// Discard drops a blob that will not be used (its instance was refused or
// its request abandoned): the temporary file is closed and removed, and
// the key names no new file. Content that was already stored stays. Call
// Sync or Discard once; Discard after Sync does nothing.
func (p *Pending) Discard() error {
	if p.f == nil {
		return nil
	}
	f := p.f
	p.f = nil
	cerr := f.Close()
	if err := os.Remove(f.Name()); err != nil {
		return fmt.Errorf("blobs: discard %s: %w", p.Key, err)
	}
	if cerr != nil {
		return fmt.Errorf("blobs: discard %s: %w", p.Key, cerr)
	}
	return nil
}

// Stage writes the concatenation of parts to a temporary file and returns
// it pending Sync. Content already stored is not written again (a large
// blob may be written, then dropped).
func (s *Store) Stage(ctx context.Context, parts ...[]byte) (*Pending, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("blobs: put: %w", err)
	}
	var size int64
	for _, p := range parts {
		size += int64(len(p))
	}
	if directIO && size >= directMin && !s.noDirect.Load() {
		return s.stageDirect(parts, size)
	}
	h := sha256.New()
	for _, p := range parts {
		h.Write(p)
	}
	key := hex.EncodeToString(h.Sum(nil))
	if s.stored(key, size) {
		return &Pending{Key: key, Size: size}, nil
	}
	f, err := s.tempFile()
	if err != nil {
		return nil, err
	}
	for _, p := range parts {
		if _, err := f.Write(p); err != nil {
			f.Close()
			os.Remove(f.Name())
			return nil, fmt.Errorf("blobs: put: %w", err)
		}
	}
	return &Pending{Key: key, Size: size, s: s, f: f}, nil
}

// stageDirect is Stage for a large blob: the content is written with
// direct I/O while another goroutine hashes it, so that the hash costs no
// time while the disk writes.
func (s *Store) stageDirect(parts [][]byte, size int64) (*Pending, error) {
	keyc := make(chan string, 1)
	go func() {
		h := sha256.New()
		for _, p := range parts {
			h.Write(p)
		}
		keyc <- hex.EncodeToString(h.Sum(nil))
	}()
	f, direct, err := s.tempFileDirect()
	if err == nil {
		err = s.writeParts(f, parts, direct)
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}
	key := <-keyc
	if err != nil {
		return nil, fmt.Errorf("blobs: put %s: %w", key, err)
	}
	if s.stored(key, size) {
		f.Close()
		os.Remove(f.Name())
		return &Pending{Key: key, Size: size}, nil
	}
	return &Pending{Key: key, Size: size, s: s, f: f}, nil
}

// writeParts writes parts to the new file f: with direct I/O when direct
// is set (whole aligned blocks from an aligned buffer, the last partial
// block through the page cache), otherwise plainly. Should a direct write
// fail (a filesystem with stricter alignment), the content is written
// again through the page cache.
func (s *Store) writeParts(f *os.File, parts [][]byte, direct bool) error {
	if direct {
		err := s.writeDirect(f, parts)
		if err == nil {
			return nil
		}
		if err := setDirect(f, false); err != nil {
			return err
		}
		if err := f.Truncate(0); err != nil {
			return err
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return err
		}
	}
	for _, p := range parts {
		if _, err := f.Write(p); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) writeDirect(f *os.File, parts [][]byte) error {
	bp := s.alignedBuf()
	defer s.bufs.Put(bp)
	b := *bp
	fill := 0
	for _, p := range parts {
		for len(p) > 0 {
			k := copy(b[fill:], p)
			fill += k
			p = p[k:]
			if fill == len(b) {
				if _, err := f.Write(b); err != nil {
					return err
				}
				fill = 0
			}
		}
	}
	whole := fill &^ (directAlign - 1)
	if whole > 0 {
		if _, err := f.Write(b[:whole]); err != nil {
			return err
		}
	}
	if whole == fill {
		return nil
	}
	if err := setDirect(f, false); err != nil {
		return err
	}
	_, err := f.Write(b[whole:fill])
	return err
}

// alignedBuf returns a directChunk-byte buffer aligned to directAlign;
// put it back in s.bufs after use.
func (s *Store) alignedBuf() *[]byte {
	if bp, ok := s.bufs.Get().(*[]byte); ok {
		return bp
	}
	raw := make([]byte, directChunk+directAlign)
	off := int(-uintptr(unsafe.Pointer(&raw[0])) & (directAlign - 1))
	b := raw[off : off+directChunk : off+directChunk]
	return &b
}

func (s *Store) tempName() string {
	var b [8]byte
	rand.Read(b[:])
	return filepath.Join(s.dir, "tmp", "put-"+hex.EncodeToString(b[:]))
}

func (s *Store) tempFile() (*os.File, error) {
	f, err := os.OpenFile(s.tempName(), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return nil, fmt.Errorf("blobs: put: %w", err)
	}
	return f, nil
}

// tempFileDirect creates a temporary file opened for direct I/O, or a
// plain one (direct false) where the filesystem refuses O_DIRECT.
func (s *Store) tempFileDirect() (f *os.File, direct bool, err error) {
	if !s.noDirect.Load() {
		name := s.tempName()
		f, err := openDirect(name)
		if err == nil {
			return f, true, nil
		}
		if errors.Is(err, syscall.EINVAL) {
			s.noDirect.Store(true) // no O_DIRECT on this filesystem
		}
	}
	f, err = s.tempFile()
	return f, false, err
}

// stored reports whether the blob key of size bytes is already in the
// store: content addressing dedupes.
func (s *Store) stored(key string, size int64) bool {
	st, err := os.Stat(s.path(key))
	return err == nil && st.Size() == size
}

func (s *Store) commit(f *os.File, h hash.Hash, size int64) (string, int64, error) {
	key := hex.EncodeToString(h.Sum(nil))
	if s.stored(key, size) {
		f.Close()
		os.Remove(f.Name())
		return key, size, nil
	}
	return s.finish(f, key, size)
}

// finish fsyncs the temporary file, renames it into place and fsyncs the
// folders whose entries changed.
func (s *Store) finish(f *os.File, key string, size int64) (string, int64, error) {
	tmp := f.Name()
	fail := func(err error) (string, int64, error) {
		f.Close()
		os.Remove(tmp)
		return "", 0, fmt.Errorf("blobs: put %s: %w", key, err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		return fail(err)
	}
	final := s.path(key)
	dir := filepath.Dir(final)
	created, err := mkdirs(s.dir, dir)
	if err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp, final); err != nil {
		return fail(err)
	}
	// The folder holding the new name, then each folder that gained a
	// sub-folder, outermost last.
	for _, d := range append([]string{dir}, created...) {
		if err := syncDir(d); err != nil {
			return "", 0, fmt.Errorf("blobs: put %s: sync %s: %w", key, d, err)
		}
	}
	return key, size, nil
}

// mkdirs creates dir (below root) and returns the parents whose entries
// changed, innermost first.
func mkdirs(root, dir string) ([]string, error) {
	var created []string
	for d := dir; d != root && len(d) > len(root); d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil {
			break
		}
		created = append(created, filepath.Dir(d))
	}
	if len(created) == 0 {
		return nil, nil
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	return created, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Open returns a reader of the blob; the caller closes it. It also
// implements io.ReaderAt and io.Seeker (an *os.File). A pending blob
// (SetPending) is written to the store first.
func (s *Store) Open(ctx context.Context, key string) (*os.File, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("blobs: open %s: %w", key, err)
	}
	if !ValidKey(key) {
		return nil, fmt.Errorf("blobs: open %q: %w", key, ErrNotFound)
	}
	f, err := os.Open(s.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		var data []byte
		data, err = s.findPending(ctx, key)
		if err != nil {
			return nil, fmt.Errorf("blobs: open %s: %w", key, err)
		}
		if data != nil {
			if _, _, err := s.PutBytes(ctx, data); err != nil {
				return nil, fmt.Errorf("blobs: open %s: %w", key, err)
			}
		}
		f, err = os.Open(s.path(key))
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("blobs: open %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("blobs: open %s: %w", key, err)
	}
	return f, nil
}

// findPending returns the pending content of key, nil if none is pending
// (its owner may just have written it to the store and forgotten it: the
// caller looks in the folder again).
func (s *Store) findPending(ctx context.Context, key string) ([]byte, error) {
	fp := s.pending.Load()
	if fp == nil {
		return nil, nil
	}
	data, ok, err := (*fp)(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("pending: %w", err)
	}
	if !ok {
		return nil, nil
	}
	if Key(data) != key {
		return nil, fmt.Errorf("pending content does not match its key")
	}
	return data, nil
}

// ReadAll returns the whole blob; a pending one (SetPending) is returned
// as it is kept, without being written.
func (s *Store) ReadAll(ctx context.Context, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("blobs: read %s: %w", key, err)
	}
	if !ValidKey(key) {
		return nil, fmt.Errorf("blobs: read %q: %w", key, ErrNotFound)
	}
	b, err := os.ReadFile(s.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		data, perr := s.findPending(ctx, key)
		if perr != nil {
			return nil, fmt.Errorf("blobs: read %s: %w", key, perr)
		}
		if data != nil {
			return data, nil
		}
		b, err = os.ReadFile(s.path(key))
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("blobs: read %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("blobs: read %s: %w", key, err)
	}
	return b, nil
}

// Has reports whether the store holds key, written or pending
// (SetPending). A failing pending lookup counts as not held.
func (s *Store) Has(ctx context.Context, key string) bool {
	if ctx.Err() != nil || !ValidKey(key) {
		return false
	}
	if _, err := os.Stat(s.path(key)); err == nil {
		return true
	}
	if fp := s.pending.Load(); fp != nil {
		if _, ok, err := (*fp)(ctx, key); err == nil && ok {
			return true
		}
	}
	_, err := os.Stat(s.path(key))
	return err == nil
}

func copyCtx(ctx context.Context, dst io.Writer, src io.Reader) (int64, error) {
	buf := make([]byte, 256<<10)
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		k, err := src.Read(buf)
		if k > 0 {
			w, werr := dst.Write(buf[:k])
			n += int64(w)
			if werr != nil {
				return n, werr
			}
		}
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// PutMany stores each of contents (small blobs; content already stored
// is skipped) and returns once all are durable: the temporary files are
// written, made durable together (one syncfs where the kernel reports its errors,
// else an fsync each), renamed into place, and the renames made durable
// together. It costs about two disk flushes for the whole batch rather
// than two per blob. On error nothing is acknowledged; blobs already
// renamed stay (content addressed, they are whole).
func (s *Store) PutMany(ctx context.Context, contents [][]byte) error {
	type put struct {
		key, tmp string
	}
	var puts []put
	defer func() {
		for _, p := range puts {
			if p.tmp != "" {
				os.Remove(p.tmp)
			}
		}
	}()
	// Folders whose entries changed, or may still be changing: a blob
	// found stored may have been renamed into place by a concurrent Put
	// that has not yet synced its folder, so its folder is synced too.
	dirs := map[string]bool{}
	for _, c := range contents {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("blobs: put: %w", err)
		}
		key := Key(c)
		if s.stored(key, int64(len(c))) {
			dirs[filepath.Dir(s.path(key))] = true
			continue
		}
		f, err := s.tempFile()
		if err != nil {
			return err
		}
		puts = append(puts, put{key: key, tmp: f.Name()})
		_, werr := f.Write(c)
		if !s.syncFS && werr == nil {
			werr = f.Sync()
		}
		if err := f.Close(); err != nil && werr == nil {
			werr = err
		}
		if werr != nil {
			return fmt.Errorf("blobs: put %s: %w", key, werr)
		}
	}
	if s.syncFS && len(puts) > 0 {
		if err := syncFS(s.dir); err != nil {
			return fmt.Errorf("blobs: put: sync: %w", err)
		}
	}
	for i, p := range puts {
		final := s.path(p.key)
		dir := filepath.Dir(final)
		created, err := mkdirs(s.dir, dir)
		if err != nil {
			return fmt.Errorf("blobs: put %s: %w", p.key, err)
		}
		if err := os.Rename(p.tmp, final); err != nil {
			return fmt.Errorf("blobs: put %s: %w", p.key, err)
		}
		puts[i].tmp = ""
		dirs[dir] = true
		for _, d := range created {
			dirs[d] = true
		}
	}
	if len(dirs) == 0 {
		return nil
	}
	if s.syncFS {
		if err := syncFS(s.dir); err != nil {
			return fmt.Errorf("blobs: put: sync: %w", err)
		}
		return nil
	}
	for d := range dirs {
		if err := syncDir(d); err != nil {
			return fmt.Errorf("blobs: put: sync %s: %w", d, err)
		}
	}
	return nil
}

package pack

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"sync"
	"unicode/utf8"

	"github.com/klauspost/compress/flate"
)

const (
	// pieceSize is how much of a file one task compresses. It is part of
	// the output format (pieces end on a byte boundary), so changing it
	// changes the bytes of every archive with a file larger than it.
	pieceSize = 1 << 20
	// dictSize is the deflate window: each piece is primed with this much
	// of the data before it, so splitting costs almost no ratio.
	dictSize = 32 << 10
	// spoolMem is how much compressed data of one large file the writer
	// keeps in memory before spilling it to a temporary file.
	spoolMem = 4 << 20
	// piecesPerWorker bounds the pieces read or compressed but not yet
	// written: enough to keep workers busy while the writer copies.
	piecesPerWorker = 4
)

// piece is one compression task: bytes [off, off+n) of a file.
type piece struct {
	f           *file
	off         int64
	n           int
	first, last bool
	done        chan *output // buffered: a worker never waits on the writer
}

// output is a compressed piece.
type output struct {
	buf  *pieceBuf
	raw  []byte // the piece's bytes, for the CRC and for storing
	comp []byte // raw deflated, ending on a byte boundary
	err  error
}

type pieceBuf struct {
	in  []byte // dictionary + piece + 1 byte to notice a grown file
	out bytes.Buffer
}

var bufPool = sync.Pool{New: func() any {
	b := &pieceBuf{in: make([]byte, dictSize+pieceSize+1)}
	// Room for an incompressible piece (stored blocks add 5 bytes in
	// 64 KiB), so the buffer never grows.
	b.out.Grow(pieceSize + pieceSize/64)
	return b
}}

// writeZip compresses files on workers goroutines and writes the archive
// to dst in their order, returning its size. Large files' compressed data
// is spooled in spoolDir.
func writeZip(ctx context.Context, dst io.Writer, files []file, spoolDir string, workers int) (int64, error) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()

	// order holds the pieces in archive order; its capacity is the window
	// that bounds memory. A piece enters order before a worker sees it, so
	// the writer waits on pieces in order and never on one not dispatched.
	order := make(chan *piece, piecesPerWorker*workers)
	jobs := make(chan *piece)
	wg.Go(func() {
		defer close(order)
		defer close(jobs)
		for i := range files {
			f := &files[i]
			for off := int64(0); off == 0 || off < f.size; off += pieceSize {
				pc := &piece{
					f:     f,
					off:   off,
					n:     int(min(pieceSize, f.size-off)),
					first: off == 0,
					last:  off+pieceSize >= f.size,
					done:  make(chan *output, 1),
				}
				select {
				case order <- pc:
				case <-ctx.Done():
					return
				}
				select {
				case jobs <- pc:
				case <-ctx.Done():
					return
				}
			}
		}
	})
	for range workers {
		wg.Go(func() {
			fw, err := flate.NewWriter(nil, Level)
			for pc := range jobs {
				if err != nil {
					pc.done <- &output{err: err}
					continue
				}
				pc.done <- compressPiece(fw, pc)
			}
		})
	}

	cw := &countWriter{w: bufio.NewWriterSize(dst, 256<<10)}
	zw := zip.NewWriter(cw)
	sp := &spool{dir: spoolDir}
	defer sp.close()

	var crc uint32
	written := 0
	for pc := range order {
		var out *output
		select {
		case out = <-pc.done:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
		// Errors surface in archive order, so the same tree gives the
		// same error whatever the timing.
		if out.err != nil {
			return 0, out.err
		}
		if pc.first {
			crc = 0
		}
		crc = crc32.Update(crc, crc32.IEEETable, out.raw)
		var err error
		switch {
		case pc.first && pc.last:
			err = writeSmall(zw, pc.f, crc, out)
		case pc.last:
			if err = sp.write(out.comp); err == nil {
				err = writeLarge(zw, pc.f, crc, sp)
			}
			if rerr := sp.reset(); err == nil {
				err = rerr
			}
		default:
			err = sp.write(out.comp)
		}
		bufPool.Put(out.buf)
		if err != nil {
			return 0, err
		}
		if pc.last {
			written++
		}
	}
	// order also closes when ctx is cancelled: never finish a short zip.
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if written != len(files) {
		return 0, fmt.Errorf("internal error: wrote %d of %d files", written, len(files))
	}
	if err := zw.Close(); err != nil {
		return 0, err
	}
	if err := cw.w.(*bufio.Writer).Flush(); err != nil {
		return 0, err
	}
	return cw.n, nil
}

// compressPiece reads and deflates one piece with fw, which it resets.
func compressPiece(fw *flate.Writer, pc *piece) *output {
	buf := bufPool.Get().(*pieceBuf)
	out := &output{buf: buf}
	name := pc.f.display

	dict := int(min(pc.off, dictSize))
	want := dict + pc.n
	in := buf.in[:want]
	if pc.last {
		in = buf.in[:want+1] // one byte more than the walk saw: EOF expected
	}
	f, err := os.Open(pc.f.path)
	if err != nil {
		out.err = fmt.Errorf("read %s: %w", name, err)
		return out
	}
	n, err := f.ReadAt(in, pc.off-int64(dict))
	f.Close()
	if err != nil && !errors.Is(err, io.EOF) {
		out.err = fmt.Errorf("read %s: %w", name, err)
		return out
	}
	if n != want {
		out.err = fmt.Errorf("%s changed while it was being packed (size was %d bytes)", name, pc.f.size)
		return out
	}
	if pc.first && pc.last && isLFSPointer(in[dict:want]) {
		out.err = kindErr(ErrLFSPointer, "%s is a git LFS pointer, not the file it stands for: run `git lfs pull` (after `git lfs install`, once) so that the content is there to package", name)
		return out
	}

	buf.out.Reset()
	// ResetDict, never Reset: Reset would reuse the last dictionary.
	fw.ResetDict(&buf.out, in[:dict])
	out.raw = in[dict:want]
	if _, err := fw.Write(out.raw); err != nil {
		out.err = err
		return out
	}
	if pc.last {
		err = fw.Close()
	} else {
		err = fw.Flush() // non-final, byte-aligned: the next piece follows on
	}
	out.err = err
	out.comp = buf.out.Bytes()
	return out
}

// header returns the fixed header of an entry: only the name, the
// executable bit and (set by the caller) the data decide its bytes.
func header(f *file) *zip.FileHeader {
	mode := uint32(0o100644) // regular file
	if f.exec {
		mode = 0o100755
	}
	fh := &zip.FileHeader{
		Name:           f.name,
		CreatorVersion: 3<<8 | 20, // made by Unix (so readers apply the mode), spec 2.0
		ReaderVersion:  20,
		// Leave Modified zero: archive/zip would add an extended timestamp.
		ModifiedDate:       1<<5 | 1, // 1980-01-01, the MS-DOS epoch
		ModifiedTime:       0,
		ExternalAttrs:      mode << 16,
		UncompressedSize64: uint64(f.size),
	}
	if !isASCII(f.name) && utf8.ValidString(f.name) {
		fh.Flags |= 0x800 // name is UTF-8
	}
	return fh
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// writeSmall adds a file that fits in one piece, stored when deflate does
// not make it smaller.
func writeSmall(zw *zip.Writer, f *file, crc uint32, out *output) error {
	fh := header(f)
	fh.CRC32 = crc
	data := out.comp
	fh.Method = zip.Deflate
	if len(out.comp) >= len(out.raw) {
		data = out.raw
		fh.Method = zip.Store
	}
	fh.CompressedSize64 = uint64(len(data))
	w, err := zw.CreateRaw(fh)
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}

// writeLarge adds a file of several pieces whose compressed data is in sp.
// When deflate did not pay, the file is read again and stored; its CRC
// must match the one of the pieces.
func writeLarge(zw *zip.Writer, f *file, crc uint32, sp *spool) error {
	fh := header(f)
	fh.CRC32 = crc
	if sp.n < f.size {
		fh.Method = zip.Deflate
		fh.CompressedSize64 = uint64(sp.n)
		w, err := zw.CreateRaw(fh)
		if err != nil {
			return err
		}
		return sp.copyTo(w)
	}

	fh.Method = zip.Store
	fh.CompressedSize64 = uint64(f.size)
	w, err := zw.CreateRaw(fh)
	if err != nil {
		return err
	}
	name := f.display
	r, err := os.Open(f.path)
	if err != nil {
		return fmt.Errorf("read %s: %w", name, err)
	}
	defer r.Close()
	h := crc32.NewIEEE()
	n, err := io.Copy(io.MultiWriter(w, h), io.LimitReader(r, f.size))
	if err != nil {
		return fmt.Errorf("read %s: %w", name, err)
	}
	if n != f.size || h.Sum32() != crc {
		return fmt.Errorf("%s changed while it was being packed", name)
	}
	return nil
}

// spool holds the compressed pieces of one large file until the last one
// is in, since the zip header that precedes them needs their total size.
type spool struct {
	dir    string
	mem    []byte
	f      *os.File
	onDisk bool // the current file's data is in f, not mem
	n      int64
}

func (s *spool) write(p []byte) error {
	s.n += int64(len(p))
	if !s.onDisk && len(s.mem)+len(p) <= spoolMem {
		s.mem = append(s.mem, p...)
		return nil
	}
	if s.f == nil {
		f, err := os.CreateTemp(s.dir, ".pack-spool-*")
		if err != nil {
			return err
		}
		s.f = f
	}
	if !s.onDisk {
		s.onDisk = true
		if _, err := s.f.Write(s.mem); err != nil {
			return err
		}
		s.mem = s.mem[:0]
	}
	_, err := s.f.Write(p)
	return err
}

func (s *spool) copyTo(w io.Writer) error {
	if !s.onDisk {
		_, err := w.Write(s.mem)
		return err
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	n, err := io.Copy(w, s.f)
	if err == nil && n != s.n {
		err = fmt.Errorf("spool file %s: read %d of %d bytes", s.f.Name(), n, s.n)
	}
	return err
}

// reset empties the spool for the next file.
func (s *spool) reset() error {
	s.mem = s.mem[:0]
	s.n = 0
	if !s.onDisk {
		return nil
	}
	s.onDisk = false
	if err := s.f.Truncate(0); err != nil {
		return err
	}
	_, err := s.f.Seek(0, io.SeekStart)
	return err
}

func (s *spool) close() {
	if s.f != nil {
		s.f.Close()
		os.Remove(s.f.Name())
	}
}

// isLFSPointer reports whether data is a git LFS pointer file (version line
// first, under 1 KiB) rather than the content it stands for.
func isLFSPointer(data []byte) bool {
	return len(data) < 1024 && bytes.HasPrefix(data, []byte("version https://git-lfs.github.com/spec/"))
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

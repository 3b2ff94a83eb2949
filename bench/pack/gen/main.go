// Command gen writes the source tree that the packaging benchmark
// (bench/pack/run.sh) zips: about 200 MB shaped like a heavy Lambda
// function — many small source files in package folders, some medium text
// files, binary-ish libraries that compress a little, already-compressed
// (random) archives, one large compressible bundle, and a few executables.
//
//	go run ./bench/pack/gen -out DIR [-seed 1] [-scale 1.0]
//
// The same flags give the same bytes. -scale multiplies the number and size
// of files (0.1 gives a 20 MB tree for a quick try).
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	out := flag.String("out", "", "folder to write the tree into (must not exist, or be empty)")
	seed := flag.Uint64("seed", 1, "seed of the pseudo-random content")
	scale := flag.Float64("scale", 1, "multiplier of the file counts and big file sizes")
	flag.Parse()
	if *out == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: gen -out DIR [-seed N] [-scale F]")
		os.Exit(2)
	}
	g := &gen{root: *out, r: rand.New(rand.NewPCG(*seed, 0x9e3779b97f4a7c15))}
	if err := g.tree(*scale); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	fmt.Printf("gen: %d files, %d bytes in %s\n", g.files, g.bytes, *out)
}

type gen struct {
	root  string
	r     *rand.Rand
	files int
	bytes int64
}

func (g *gen) tree(scale float64) error {
	n := func(x int) int { return max(1, int(float64(x)*scale)) }

	// Package folders full of small source files: node_modules and
	// site-packages are where a real function's file count comes from.
	for p := range n(400) {
		pkg := fmt.Sprintf("node_modules/pkg-%03d", p)
		if p%2 == 1 {
			pkg = fmt.Sprintf("python/site-packages/mod_%03d", p)
		}
		for f := range 30 {
			ext := []string{".js", ".py", ".json", ".md", ".d.ts"}[f%5]
			name := fmt.Sprintf("%s/%s/file_%02d%s", pkg, []string{"lib", "src", "dist"}[f%3], f, ext)
			if err := g.write(name, 0o644, g.text(256+g.r.IntN(7800))); err != nil {
				return err
			}
		}
	}
	// Medium text: generated code, data files, source maps.
	for i := range n(300) {
		if err := g.write(fmt.Sprintf("src/generated/data_%03d.json", i), 0o644, g.text(20_000+g.r.IntN(180_000))); err != nil {
			return err
		}
	}
	// Binary-ish native libraries: structured records with noise.
	for i := range n(8) {
		if err := g.write(fmt.Sprintf("lib/native_%d.so", i), 0o755, g.binaryish(n(5<<20))); err != nil {
			return err
		}
	}
	// Already-compressed content (wheels, images, jars): incompressible.
	for i := range n(30) {
		if err := g.write(fmt.Sprintf("assets/blob_%02d.bin", i), 0o644, g.random(n(1<<20))); err != nil {
			return err
		}
	}
	for i := range 2 {
		if err := g.write(fmt.Sprintf("models/weights_%d.bin", i), 0o644, g.random(n(8<<20))); err != nil {
			return err
		}
	}
	// One large compressible bundle.
	if err := g.write("dist/bundle.js", 0o644, g.text(n(32<<20))); err != nil {
		return err
	}
	// Executables: Lambda needs their mode kept.
	for _, name := range []string{"bootstrap", "bin/entrypoint", "bin/helper"} {
		if err := g.write(name, 0o755, g.text(2000)); err != nil {
			return err
		}
	}
	return nil
}

func (g *gen) write(name string, mode os.FileMode, data []byte) error {
	p := filepath.Join(g.root, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	w.Write(data)
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	g.files++
	g.bytes += int64(len(data))
	if err := f.Close(); err != nil {
		return err
	}
	return os.Chmod(p, mode) // whatever the umask
}

var words = strings.Fields(`function return const let var import export from default async await
	if else for while switch case break continue new this class extends super try catch finally throw
	def self None True False lambda yield with as pass raise elif except assert global nonlocal
	event context handler request response status body headers json parse stringify error message
	items length push map filter reduce keys values object string number boolean undefined null
	0 1 2 10 100 200 404 500 => === !== && || ( ) { } [ ] ; , . : = + - * /`)

// text is source-like text: it deflates to about a quarter of its size.
func (g *gen) text(size int) []byte {
	b := make([]byte, 0, size+16)
	indent := 0
	for len(b) < size {
		if g.r.IntN(9) == 0 {
			b = append(b, '\n')
			indent = g.r.IntN(4)
			for range indent * 2 {
				b = append(b, ' ')
			}
			continue
		}
		b = append(b, words[g.r.IntN(len(words))]...)
		b = append(b, ' ')
	}
	return b[:size]
}

// binaryish looks like compiled code or tables: fixed-layout records with
// small integers and noise. It deflates to roughly 60% of its size.
func (g *gen) binaryish(size int) []byte {
	b := make([]byte, 0, size+32)
	for len(b) < size {
		op := byte(g.r.IntN(16))
		b = append(b, 0x48, 0x8b, op, byte(g.r.IntN(4)), 0, 0)
		v := g.r.Uint64()
		for range 2 + g.r.IntN(6) {
			b = append(b, byte(v))
			v >>= 8
		}
	}
	return b[:size]
}

func (g *gen) random(size int) []byte {
	b := make([]byte, size+8)
	for i := 0; i < size; i += 8 {
		v := g.r.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return b[:size]
}

// Command packbench packs a folder with executor/pack and prints one line
// of figures, for bench/pack/run.sh:
//
//	go run ./bench/pack/cmd -src DIR -out DIR [-workers N]
//
// prints "ms=… size=… unzipped=… files=… sha256=… peak_rss_kb=…". The
// folder is packed as the repository root's only function (Source ".").
package main

import (
	"context"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/lambdas-dev/lambdas/executor/pack"
)

func main() {
	src := flag.String("src", "", "folder to pack")
	out := flag.String("out", "", "folder to write the zip into")
	workers := flag.Int("workers", 0, "compression workers (0: GOMAXPROCS)")
	flag.Parse()
	if *src == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "usage: packbench -src DIR -out DIR [-workers N]")
		os.Exit(2)
	}
	root, err := filepath.Abs(*src)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	start := time.Now()
	res, err := pack.Build(context.Background(), pack.Spec{RepoRoot: root, Source: ".", Function: "bench"}, *out, pack.Options{Workers: *workers})
	elapsed := time.Since(start)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("ms=%d size=%d unzipped=%d files=%d sha256=%s peak_rss_kb=%s path=%s\n",
		elapsed.Milliseconds(), res.Size, res.UnzippedSize, res.Files, hex.EncodeToString(res.SHA256), peakRSS(), res.Path)
}

// peakRSS reads the process's peak resident set (VmHWM) on Linux.
func peakRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "?"
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strings.TrimSuffix(strings.TrimSpace(v), " kB")
		}
	}
	return "?"
}

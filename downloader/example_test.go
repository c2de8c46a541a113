package downloader_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/modelfetch/modelfetch/downloader"
	"github.com/modelfetch/modelfetch/downloader/fetch"
	"github.com/modelfetch/modelfetch/downloader/origintest"
)

// Example is a whole use of the engine: New opens the journal, Run moves
// the bytes until its context ends, Ensure asks for a file and Wait
// follows the fetch until it settles. The file comes from a server on
// 127.0.0.1, and everything is kept in a temporary folder.
func Example() {
	origin := origintest.NewServer()
	defer origin.Close()
	origin.Put("/model.gguf", origintest.Content(8<<20, 1))

	dir, err := os.MkdirTemp("", "modelfetch-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	m, err := downloader.New(downloader.Config{
		StateDir:   filepath.Join(dir, "state"),
		PartialDir: filepath.Join(dir, "partial"),
		ModelsDir:  filepath.Join(dir, "models"),
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- m.Run(ctx) }()

	// The SHA-256 is optional: with it, a file that arrives with other
	// bytes fails as "integrity" instead of being called done.
	req := fetch.Request{URL: origin.FileURL("/model.gguf"), SHA256: origin.SHA256("/model.gguf")}
	snap, outcome, err := m.Ensure("my-model", []fetch.Request{req}, fetch.Options{Title: "A model"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("ensure:", outcome)
	final, err := m.Wait(ctx, snap.ID, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("wait:", final.State, final.Downloaded, "bytes")
	rel, _ := filepath.Rel(dir, final.Records[0].Path)
	fmt.Println("file:", filepath.ToSlash(rel))

	// Asking again for the same files is answered from what is on disk.
	_, outcome, _ = m.Ensure("my-model", []fetch.Request{req}, fetch.Options{})
	fmt.Println("ensure again:", outcome)

	stop()
	if err := <-ran; err != nil {
		log.Fatal(err)
	}
	if err := m.Close(); err != nil {
		log.Fatal(err)
	}
	// Output:
	// ensure: created
	// wait: succeeded 8388608 bytes
	// file: models/my-model/model.gguf
	// ensure again: complete
}
